//! `GET /verify-request` (spec §2.10): "check your email".

use http::StatusCode;

use crate::ctx::Ctx;
use crate::pages;
use crate::response::AuthResponse;

pub(crate) fn page(ctx: &Ctx<'_>) -> AuthResponse {
    if let Some(custom) = &ctx.config.pages.verify_request {
        return AuthResponse::redirect(custom.clone());
    }
    AuthResponse::html(StatusCode::OK, pages::render_verify_request(ctx))
}
