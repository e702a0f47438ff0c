//! The JWT session strategy (spec §5.2): the session is the encrypted token in the cookie;
//! every read runs the `jwt` and `session` callbacks on it.

use std::time::SystemTime;

use serde_json::Value;
use tessera_protocol::Session;

use crate::callbacks::{JwtArgs, JwtTrigger, SessionArgs};
use crate::config::{Config, CookieProfile};
use crate::log_value::Untrusted;
use crate::session::{Token, after, unix};

/// Decodes a session cookie's value: `None` for anything that is not a live token of ours.
pub(crate) fn decode(profile: &CookieProfile, raw: &str, now: SystemTime) -> Option<Token> {
    match profile.session_codec.decode(raw, unix(now)) {
        Ok(claims) => Some(Token::from_claims(claims)),
        Err(e) => {
            // The error can quote the token's header (`alg …`), which anyone can write.
            let error = Untrusted(&e);
            tracing::debug!(?error, "session token rejected");
            None
        }
    }
}

/// The `jwt` then the `session` callback on a decoded token: the session the client sees,
/// and the token to write back. `None` when either callback fails.
pub(crate) async fn run_callbacks(
    config: &Config,
    token: Token,
    trigger: Option<JwtTrigger>,
    data: Option<&Value>,
    now: SystemTime,
) -> Option<(Session, Token)> {
    if !config.custom_callbacks {
        // The default callbacks return both unchanged (see `Config::custom_callbacks`).
        return Some((token.default_session(after(now, config.session.max_age)), token));
    }
    let args = JwtArgs {
        token,
        user: None,
        account: None,
        profile: None,
        trigger,
        is_new_user: None,
        session: data,
        refresher: crate::refresh::TokenRefresher::new(&config.refresher),
    };
    let token = match config.callbacks.jwt(args).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "jwt callback failed");
            return None;
        }
    };
    let args = SessionArgs {
        session: token.default_session(after(now, config.session.max_age)),
        token: Some(&token),
        user: None,
        new_session: None,
        trigger: None,
    };
    match config.callbacks.session(args).await {
        Ok(session) => Some((session, token)),
        Err(e) => {
            tracing::error!(error = %e, "session callback failed");
            None
        }
    }
}
