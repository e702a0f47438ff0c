//! The session of a request as `Auth::session` reads it: either strategy, no writes.

use std::time::SystemTime;

use super::{SessionStore, database, jwt_strategy};
use crate::config::{Config, CookieProfile};
use crate::cookies::RequestCookies;

/// Reads the session of a request without writing cookies or the database (server-side
/// session access, `Auth::session`).
pub(crate) async fn read(
    config: &Config,
    profile: &CookieProfile,
    cookies: &RequestCookies,
    now: SystemTime,
) -> Option<tessera_protocol::Session> {
    let raw = cookies.chunked(&profile.cookies.session_token.name)?;
    match &config.store {
        SessionStore::Database(adapter) => {
            match database::lookup(config, adapter.as_ref(), &raw, database::Access::ServerRead, now).await {
                Ok(found) => found.map(|(session, _)| session),
                Err(e) => {
                    tracing::error!(error = %e, "database session read failed");
                    None
                }
            }
        }
        SessionStore::Jwt => {
            let token = jwt_strategy::decode_live(config, profile, &raw, now)?;
            jwt_strategy::run_callbacks(config, token, None, None, now)
                .await
                .map(|(session, _)| session)
        }
    }
}
