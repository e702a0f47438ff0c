//! `GET /signout` (confirmation page) and `POST /signout`, spec §2.8–2.9.

use http::StatusCode;

use crate::Ctx;
use crate::config::SessionStrategy;
use crate::cookies;
use crate::events::SignOutEvent;
use crate::pages;
use crate::response::AuthResponse;
use crate::session::{Token, database, unix};

pub(crate) fn page(ctx: &Ctx<'_>) -> AuthResponse {
    if let Some(custom) = &ctx.config.pages.sign_out {
        return AuthResponse::redirect(custom.clone());
    }
    AuthResponse::html(StatusCode::OK, pages::render_sign_out(ctx))
}

pub(crate) async fn submit(ctx: &mut Ctx<'_>) -> AuthResponse {
    if !ctx.csrf_verified() {
        return AuthResponse::redirect(format!("{}?csrf=true", ctx.base_url("signout")));
    }
    let def = &ctx.profile.cookies.session_token;
    let Some(raw) = ctx.req.cookies.chunked(&def.name) else {
        return AuthResponse::redirect(ctx.callback_url.clone());
    };
    match (&ctx.config.adapter, ctx.config.strategy) {
        (Some(adapter), SessionStrategy::Database) => {
            let deleted = match database::is_token_shaped(&raw) {
                true => adapter.delete_session(&raw).await.unwrap_or_else(|e| {
                    tracing::error!(error = %e, "deleting the session failed");
                    None
                }),
                false => None,
            };
            if let Some(events) = &ctx.config.events {
                events
                    .sign_out(SignOutEvent {
                        token: None,
                        session: deleted.as_ref(),
                    })
                    .await;
            }
        }
        _ => {
            if let Some(events) = &ctx.config.events {
                let token = ctx
                    .profile
                    .session_codec
                    .decode(&raw, unix(ctx.now))
                    .ok()
                    .map(Token::from_claims);
                events
                    .sign_out(SignOutEvent {
                        token: token.as_ref(),
                        session: None,
                    })
                    .await;
            }
        }
    }
    AuthResponse::redirect(ctx.callback_url.clone()).cookies(cookies::clear_chunked(def, &ctx.req.cookies))
}
