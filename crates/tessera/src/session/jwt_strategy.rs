//! The JWT session strategy (spec §5.2): the session is the encrypted token in the cookie;
//! every read runs the `jwt` and `session` callbacks on it.

use std::time::SystemTime;

use serde_json::Value;
use tessera_protocol::Session;

use crate::callbacks::{JwtArgs, JwtTrigger, SessionArgs};
use crate::config::{Config, CookieProfile};
use crate::log_value::Untrusted;
use crate::session::jwt::CLOCK_TOLERANCE_SECS;
use crate::session::revocations::{Revocation, SID};
use crate::session::{Token, after, unix};

/// Decodes a session cookie's value: `None` for anything that is not a live token of ours.
pub(crate) fn decode(profile: &CookieProfile, raw: &str, now: SystemTime) -> Option<Token> {
    decode_at(profile, raw, unix(now))
}

/// [`decode`] at `now` in Unix seconds.
fn decode_at(profile: &CookieProfile, raw: &str, now: i64) -> Option<Token> {
    match profile.session_codec.decode(raw, now) {
        Ok(claims) => Some(Token::from_claims(claims)),
        Err(e) => {
            // The error can quote the token's header (`alg …`), which anyone can write.
            let error = Untrusted(&e);
            tracing::debug!(?error, "session token rejected");
            None
        }
    }
}

/// Decodes a session cookie's value and checks it against the revocation list: `None` for
/// anything that is not a live, unrevoked token of ours.
pub(crate) fn decode_live(config: &Config, profile: &CookieProfile, raw: &str, now: SystemTime) -> Option<Token> {
    let now = unix(now);
    let token = decode_at(profile, raw, now)?;
    if config.revocations.is_revoked(token.claims(), now) {
        tracing::debug!("session token revoked");
        return None;
    }
    Some(token)
}

/// The Unix second after which no JWT encoded by now can be live: the longer of the two
/// lifetimes the engine encodes with (sign-in's `jwt_max_age`, refresh's `session.max_age`),
/// plus the clock tolerance of the `exp` check. Tokens encoded with a longer lifetime
/// ([`Auth::encode_token`](crate::Auth::encode_token)) may outlive a revocation entry.
pub(crate) fn revocation_until(config: &Config, now: SystemTime) -> i64 {
    unix(now)
        .saturating_add(config.session.max_age.max(config.jwt_max_age))
        .saturating_add(CLOCK_TOLERANCE_SECS)
}

/// Revokes the session of a decoded token (sign-out): every token carrying its `sid`.
/// A token without one (minted by next-auth) is left alone: only a user epoch ends it.
pub(crate) fn revoke(config: &Config, token: &Token, now: SystemTime) {
    let Some(sid) = token.get_str(SID) else {
        return;
    };
    let exp = token
        .get("exp")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .saturating_add(CLOCK_TOLERANCE_SECS);
    let revocation = Revocation::Session {
        sid: sid.to_owned(),
        until: exp.max(revocation_until(config, now)),
    };
    config.revocations.revoke(revocation, unix(now));
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
    // The session id survives whatever the app's `jwt` callback returns.
    let sid = SidCopy::of(&token);
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
        Ok(mut t) => {
            sid.restore(&mut t);
            t
        }
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

/// A token's session id, copied across the app's `jwt` callback so that it survives a
/// callback that returns a token of its own. Without an allocation for the engine's ids
/// (36 bytes, kept on the stack), and found by a scan of the claims rather than a hashed
/// lookup: both cost instructions on every `GET /session` (`benches/profile.rs`).
enum SidCopy {
    None,
    Uuid([u8; 36]),
    Other(Value),
}

impl SidCopy {
    fn of(token: &Token) -> Self {
        match sid_of(token) {
            None => SidCopy::None,
            Some(Value::String(s)) if s.len() == 36 => {
                let mut b = [0u8; 36];
                b.copy_from_slice(s.as_bytes());
                SidCopy::Uuid(b)
            }
            Some(v) => SidCopy::Other(v.clone()),
        }
    }

    /// Puts the id back when the callback's token lost it.
    fn restore(self, token: &mut Token) {
        if matches!(self, SidCopy::None) || sid_of(token).is_some() {
            return;
        }
        let value = match self {
            SidCopy::None => return,
            // Copied from a `str`: still UTF-8.
            SidCopy::Uuid(b) => Value::String(String::from_utf8_lossy(&b).into_owned()),
            SidCopy::Other(v) => v,
        };
        token.set(SID, value);
    }
}

/// The `sid` claim, found by a scan (a token has a handful of claims).
fn sid_of(token: &Token) -> Option<&Value> {
    token.claims().iter().find_map(|(k, v)| (k == SID).then_some(v))
}
