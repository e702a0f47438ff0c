//! `GET /signout` (confirmation page) and `POST /signout`, spec §2.8–2.9. A database
//! session whose row cannot be deleted (the database is down) is not signed out: 503, the
//! cookie kept (NextAuth logs the error and clears the cookie, leaving the row valid).

use http::StatusCode;

use crate::cookies;
use crate::ctx::Ctx;
use crate::pages;
use crate::response::AuthResponse;
use crate::session::{SessionStore, database, jwt_strategy};

pub(crate) fn page(ctx: &Ctx<'_>) -> AuthResponse {
    if let Some(custom) = &ctx.config.pages.sign_out {
        return AuthResponse::redirect(custom.clone());
    }
    AuthResponse::html(StatusCode::OK, pages::render_sign_out(ctx))
}

pub(crate) async fn submit(ctx: &Ctx<'_>) -> AuthResponse {
    if !ctx.csrf_verified() {
        return ctx.csrf_refused("signout");
    }
    let def = &ctx.profile.cookies.session_token;
    let Some(raw) = ctx.req.cookies.chunked(&def.name) else {
        return AuthResponse::redirect(ctx.callback_url.clone());
    };
    let event = match &ctx.config.store {
        SessionStore::Database(adapter) => {
            let deleted = match database::is_token_shaped(&raw) {
                true => match adapter.delete_session(&raw).await {
                    Ok(deleted) => deleted,
                    // The row outlives a cleared cookie (and any copy of it): keep the
                    // cookie and say so, so that the client can sign out again.
                    Err(e) => {
                        tracing::error!(error = %e, "sign-out: deleting the session failed");
                        return crate::pages::unavailable::response(ctx);
                    }
                },
                false => None,
            };
            SignOutEvent {
                token: None,
                session: deleted,
            }
        }
        SessionStore::Jwt => {
            let token = jwt_strategy::decode(ctx.profile, &raw, ctx.now);
            // A copy of the cookie kept elsewhere stops working too.
            if let Some(token) = &token {
                jwt_strategy::revoke(ctx.config, token, ctx.now);
            }
            SignOutEvent { token, session: None }
        }
    };
    ctx.config.events.sign_out(event.as_ref()).await;
    AuthResponse::redirect(ctx.callback_url.clone()).cookies(cookies::clear_chunked(def, &ctx.req.cookies))
}

/// What `events.sign_out` is told, owned.
struct SignOutEvent {
    token: Option<crate::session::Token>,
    session: Option<crate::adapter::AdapterSession>,
}

impl SignOutEvent {
    fn as_ref(&self) -> crate::events::SignOutEvent<'_> {
        crate::events::SignOutEvent {
            token: self.token.as_ref(),
            session: self.session.as_ref(),
        }
    }
}
