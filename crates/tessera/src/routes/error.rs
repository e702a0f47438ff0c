//! `GET /error` (spec §2.11).

use crate::Ctx;
use crate::ErrorCode;
use crate::pages;
use crate::response::AuthResponse;

pub(crate) fn page(ctx: &Ctx<'_>) -> AuthResponse {
    let error = ctx.req.query("error").or(ctx.req.provider_id.as_deref());
    if let Some(code) = error.and_then(|e| e.parse::<ErrorCode>().ok())
        && code.shown_on_signin_page()
    {
        // The raw value, not re-encoded: it is one of the known codes.
        return AuthResponse::redirect(format!("{}?error={code}", ctx.base_url("signin")));
    }
    if let Some(custom) = &ctx.config.pages.error {
        let sep = if custom.contains('?') { '&' } else { '?' };
        let code = crate::redirect::encode_component(error.unwrap_or_default());
        return AuthResponse::redirect(format!("{custom}{sep}error={code}"));
    }
    let (status, html) = pages::render_error(ctx, error.unwrap_or_default());
    AuthResponse::html(status, html)
}
