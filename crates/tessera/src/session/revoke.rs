//! Ending every session of a user (`Auth::revoke_user_sessions`, a password reset or
//! change), for either strategy: database rows deleted, or a user epoch in the JWT
//! revocation list.

use std::time::SystemTime;

use super::{RevokeError, SessionStore, Token, jwt_strategy, revocations, unix, unix_ms};
use crate::config::Config;

/// Ends every session of a user but `keep` (a session cookie's value): what
/// [`Auth::revoke_user_sessions`](crate::Auth::revoke_user_sessions) documents, for either
/// strategy.
pub(crate) async fn revoke_user_sessions(
    config: &Config,
    user_id: &str,
    keep: Option<&str>,
    now: SystemTime,
) -> Result<u64, RevokeError> {
    match &config.store {
        SessionStore::Database(adapter) => Ok(adapter.delete_user_sessions(user_id, keep).await?),
        SessionStore::Jwt => {
            let keep = keep
                .and_then(|raw| live_token(config, raw, now))
                .filter(|t| t.sub() == Some(user_id))
                .and_then(|t| t.get_str(revocations::SID).map(str::to_owned));
            let revocation = revocations::Revocation::User {
                user_id: user_id.to_owned(),
                at_ms: unix_ms(now),
                keep,
                until: jwt_strategy::revocation_until(config, now),
            };
            config.revocations.revoke(revocation, unix(now));
            Ok(0)
        }
    }
}

/// A live, unrevoked JWT of this engine, from either cookie profile's codec.
fn live_token(config: &Config, raw: &str, now: SystemTime) -> Option<Token> {
    [&config.plain_profile, &config.secure_profile]
        .into_iter()
        .find_map(|profile| jwt_strategy::decode_live(config, profile, raw, now))
}
