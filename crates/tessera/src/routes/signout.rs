//! `GET /signout` (confirmation page) and `POST /signout`, spec §2.8–2.9.

use http::StatusCode;

use crate::Ctx;
use crate::cookies;
use crate::events::SignOutEvent;
use crate::pages;
use crate::response::AuthResponse;
use crate::session::{Token, unix};

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
            })
            .await;
    }
    AuthResponse::redirect(ctx.callback_url.clone())
        .cookies(cookies::clear_chunked(def, &ctx.req.cookies))
}
