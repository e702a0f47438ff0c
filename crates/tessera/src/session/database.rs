//! The database session strategy (spec §5.3): an opaque random token in the cookie, the
//! session row in the adapter. One adapter read per request; a write at most once per
//! `update_age`; the cookie is re-sent on every read.

use std::time::SystemTime;

use http::HeaderValue;
use serde_json::Value;
use tessera_protocol::{Session, SessionUser};

use crate::adapter::{Adapter, AdapterError, AdapterSession};
use crate::callbacks::{CallbackError, JwtTrigger, SessionArgs};
use crate::config::Config;
use crate::cookies::{self, CookieDef, RequestCookies};
use crate::random;
use crate::session::{after, before, iso8601};
use crate::user::User;

/// The longest session token taken from a cookie to the database.
const MAX_TOKEN_LEN: usize = 255;

/// Whether a session cookie's value has the shape of a session token, and may go to the
/// adapter: 1 to 255 visible ASCII characters that a cookie carries without quoting (RFC
/// 6265 `cookie-octet`s: no control character, space, `"`, `,`, `;` or `\`).
///
/// Tessera and next-auth mint UUIDs (36 characters; next-auth v4 falls back to 64 hex
/// digits), and an adapter may mint its own, so the shape is generous. Anything else is
/// "no session" without a query: a NUL byte fails PostgreSQL's query and logs an error,
/// and a cookie can carry hundreds of kilobytes (security review L10).
pub(crate) fn is_token_shaped(token: &str) -> bool {
    (1..=MAX_TOKEN_LEN).contains(&token.len())
        && token
            .bytes()
            .all(|b| (0x21..0x7f).contains(&b) && !matches!(b, b'"' | b',' | b';' | b'\\'))
}

/// How a session is read.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Access<'a> {
    /// Server-side access (`Auth::session`): never writes the database.
    ServerRead,
    /// `GET /session`: extends the row past `update_age` and deletes an expired one.
    Refresh,
    /// `POST /session` (the client's `update(data)`): as `Refresh`, and the `session`
    /// callback sees the data with the `update` trigger.
    Update(Option<&'a Value>),
}

/// Why a session could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LookupError {
    /// The adapter failed.
    #[error(transparent)]
    Adapter(#[from] AdapterError),
    /// The app's `session` callback failed.
    #[error("session callback: {0}")]
    Callback(#[from] CallbackError),
}

/// Reads the session of `token` as `access` says, then runs the `session` callback.
/// `None`: no row, an expired one, or a token without a token's shape (never sent to the
/// adapter).
pub(crate) async fn lookup(
    config: &Config,
    adapter: &dyn Adapter,
    token: &str,
    access: Access<'_>,
    now: SystemTime,
) -> Result<Option<(Session, AdapterSession)>, LookupError> {
    if !is_token_shaped(token) {
        return Ok(None);
    }
    let Some((row, user)) = adapter.get_session_and_user(token).await? else {
        return Ok(None);
    };
    let write = !matches!(access, Access::ServerRead);
    if row.expires < now {
        if write {
            adapter.delete_session(token).await?;
        }
        return Ok(None);
    }
    let max_age = config.session.max_age;
    let due = after(before(row.expires, max_age), config.session.update_age);
    if write && due <= now {
        adapter.update_session(token, after(now, max_age)).await?;
    }
    let (new_session, trigger) = match access {
        Access::Update(data) => (data, Some(JwtTrigger::Update)),
        Access::ServerRead | Access::Refresh => (None, None),
    };
    let session = default_session(&user, row.expires);
    if !config.custom_callbacks {
        // The default callback returns it unchanged (see `Config::custom_callbacks`).
        return Ok(Some((session, row)));
    }
    let args = SessionArgs {
        session,
        token: None,
        user: Some(&user),
        new_session,
        trigger,
    };
    let session = config.callbacks.session(args).await?;
    if trigger.is_some() {
        // Apps write the user in the `session` callback on `update()`, often through an
        // adapter handle of their own that the cache cannot see (`session::cache`).
        config.session_cache.evict_user(&row.user_id);
    }
    Ok(Some((session, row)))
}

fn default_session(user: &User, expires: SystemTime) -> Session {
    Session {
        user: Some(SessionUser {
            name: user.name.clone(),
            email: user.email.clone(),
            image: user.image.clone(),
            extra: Default::default(),
        }),
        expires: iso8601(expires),
        extra: Default::default(),
    }
}

/// Creates a session row for `user_id` and returns the cookie that carries it.
/// Any session cookie the request brought (another user's, or a stale JWT) is replaced.
pub(crate) async fn create(
    config: &Config,
    adapter: &dyn Adapter,
    def: &CookieDef,
    request: &RequestCookies,
    user_id: &str,
    now: SystemTime,
) -> Result<Vec<HeaderValue>, AdapterError> {
    let expires = after(now, config.session.max_age);
    let row = AdapterSession {
        session_token: random::uuid_v4(),
        user_id: user_id.to_owned(),
        expires,
    };
    let row = adapter.create_session(row).await?;
    if let Some(old) = request.chunked(&def.name).filter(|t| is_token_shaped(t)) {
        // Rotate: the old token (if it was a database session) stops working.
        let _ = adapter.delete_session(&old).await;
    }
    Ok(cookies::write_chunked(
        def,
        &row.session_token,
        Some(row.expires),
        request,
        usize::MAX,
    ))
}
