//! `GET /error` (spec §2.11).

use crate::ErrorCode;
use crate::ctx::Ctx;
use crate::pages;
use crate::redirect::with_param;
use crate::response::AuthResponse;

pub(crate) fn page(ctx: &Ctx<'_>) -> AuthResponse {
    let error = ctx.req.query("error").or(ctx.req.provider_id.as_deref());
    if let Some(code) = error.and_then(|e| e.parse::<ErrorCode>().ok())
        && code.shown_on_signin_page()
    {
        return AuthResponse::redirect(with_param(&ctx.base_url("signin"), "error", code.as_str()));
    }
    if let Some(custom) = &ctx.config.pages.error {
        return AuthResponse::redirect(with_param(custom, "error", error.unwrap_or_default()));
    }
    let (status, html) = pages::render_error(ctx, error.unwrap_or_default());
    AuthResponse::html(status, html)
}
