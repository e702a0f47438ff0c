//! `GET /session` (read and refresh) and `POST /session` (the client's `update()`), spec §2.1–2.2.

use http::StatusCode;

use crate::Compat;
use crate::callbacks::JwtTrigger;
use crate::config::Config;
use crate::cookies;
use crate::ctx::Ctx;
use crate::events::SessionEvent;
use crate::pages::unavailable;
use crate::response::AuthResponse;
use crate::session::database::{self, Access, LookupError};
use crate::session::{SessionStore, after, jwt_strategy, unix};

pub(crate) async fn get(ctx: &Ctx<'_>) -> AuthResponse {
    refresh(ctx, Access::Refresh).await.no_cache()
}

pub(crate) async fn update(ctx: &Ctx<'_>) -> AuthResponse {
    if !ctx.csrf_verified() {
        return no_session(ctx.config).status(StatusCode::BAD_REQUEST);
    }
    // The client's `update(data)`. The answer is the session: never cached, like `GET /session`.
    let data = ctx.req.body.get("data");
    refresh(ctx, Access::Update(data)).await.no_cache()
}

/// The "no session" body: `{}` for next-auth v4, `null` for Auth.js v5.
fn no_session(config: &Config) -> AuthResponse {
    match config.compat {
        Compat::NextAuthV4 => AuthResponse::json(&b"{}"[..]),
        Compat::AuthJsV5 => AuthResponse::json(&b"null"[..]),
    }
}

/// Reads the session and writes it back extended (`Access::Refresh`), or updated with the
/// data of the client's `update(data)` (`Access::Update`).
async fn refresh(ctx: &Ctx<'_>, access: Access<'_>) -> AuthResponse {
    let config = ctx.config;
    let def = &ctx.profile.cookies.session_token;
    let Some(raw) = ctx.req.cookies.chunked(&def.name) else {
        return no_session(config);
    };
    let now = ctx.now;
    let clear = || no_session(config).cookies(cookies::clear_chunked(def, &ctx.req.cookies));
    let max_age = config.session.max_age;
    match &config.store {
        SessionStore::Database(adapter) => match database::lookup(config, adapter.as_ref(), &raw, access, now).await {
            Ok(Some((session, row))) => {
                let set = cookies::write_chunked(
                    def,
                    &row.session_token,
                    Some(after(now, max_age)),
                    &ctx.req.cookies,
                    usize::MAX,
                );
                if config.custom_events {
                    let event = SessionEvent {
                        session: &session,
                        token: None,
                    };
                    config.events.session(event).await;
                }
                AuthResponse::json_value(&session).cookies(set)
            }
            Ok(None) => clear(),
            // The cookie is kept: the session may well be valid once the database is back.
            // A read says "no session" (a client shows the visitor signed out meanwhile);
            // an `update()` was not applied, and says so (503).
            Err(e) => {
                tracing::error!(error = %e, "database session read failed");
                match (access, e) {
                    (Access::Update(_), LookupError::Adapter(_)) => unavailable::with_retry(no_session(config)),
                    _ => no_session(config),
                }
            }
        },
        SessionStore::Jwt => {
            let Some(token) = jwt_strategy::decode_live(config, ctx.profile, &raw, now) else {
                return clear();
            };
            let (trigger, data) = match access {
                Access::Update(data) => (Some(JwtTrigger::Update), data),
                Access::Refresh | Access::ServerRead => (None, None),
            };
            let Some((session, mut token)) = jwt_strategy::run_callbacks(config, token, trigger, data, now).await
            else {
                return clear();
            };
            let value = ctx
                .profile
                .session_codec
                .encode_claims(token.claims_mut(), max_age, unix(now));
            let set = cookies::write_chunked(
                def,
                &value,
                Some(after(now, max_age)),
                &ctx.req.cookies,
                cookies::chunk_size(config.compat),
            );
            if config.custom_events {
                let event = SessionEvent {
                    session: &session,
                    token: Some(&token),
                };
                config.events.session(event).await;
            }
            AuthResponse::json_value(&session).cookies(set)
        }
    }
}
