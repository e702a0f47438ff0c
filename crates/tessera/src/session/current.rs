//! The signed-in user of a request, for the routes that act for them (a password change,
//! two-factor set-up).

use crate::adapter::AdapterError;
use crate::ctx::Ctx;
use crate::session::{SessionStore, database, jwt_strategy};
use crate::user::User;

/// The signed-in user of the request and the raw session cookie, if any: the session row's
/// user, or the stored user a live JWT names (`None` without an adapter).
pub(crate) async fn current_user(ctx: &Ctx<'_>) -> Result<Option<(User, String)>, AdapterError> {
    let Some(raw) = ctx.req.cookies.chunked(&ctx.profile.cookies.session_token.name) else {
        return Ok(None);
    };
    let user = match &ctx.config.store {
        SessionStore::Database(adapter) => {
            if !database::is_token_shaped(&raw) {
                return Ok(None);
            }
            match adapter.get_session_and_user(&raw).await? {
                Some((row, user)) if row.expires > ctx.now => Some(user),
                _ => None,
            }
        }
        SessionStore::Jwt => {
            let Some(token) = jwt_strategy::decode_live(ctx.config, ctx.profile, &raw, ctx.now) else {
                return Ok(None);
            };
            match (token.sub(), ctx.config.adapter.as_deref()) {
                (Some(id), Some(adapter)) => adapter.get_user(id).await?,
                _ => None,
            }
        }
    };
    Ok(user.map(|u| (u, raw)))
}
