//! `GET /signin` (the page) and `POST /signin/:provider` (start a sign-in), spec §2.5–2.6.

use http::StatusCode;

use crate::ctx::Ctx;
use crate::pages;
use crate::providers::Provider;
use crate::redirect::with_param;
use crate::response::AuthResponse;
use crate::signin;

pub(crate) fn page(ctx: &Ctx<'_>) -> AuthResponse {
    let error = ctx.req.query("error").or(ctx.req.provider_id.as_deref());
    if let Some(custom) = &ctx.config.pages.sign_in {
        let mut target = with_param(custom, "callbackUrl", &ctx.callback_url);
        if let Some(e) = error {
            target = with_param(&target, "error", e);
        }
        return AuthResponse::redirect(target);
    }
    // The forms carry the raw query value when present, like NextAuth's page.
    let callback = ctx.req.query("callbackUrl").unwrap_or(&ctx.callback_url);
    let pending = signin::pending::read(ctx).is_some();
    let html = pages::render_sign_in(ctx, callback, error, pending);
    AuthResponse::html(StatusCode::OK, html)
}

pub(crate) async fn start(ctx: &Ctx<'_>) -> AuthResponse {
    let Some(provider) = ctx.provider.filter(|_| ctx.csrf_verified()) else {
        return ctx.csrf_refused("signin");
    };
    match provider {
        // Credentials sign in through POST /callback/:id, not here.
        Provider::Credentials(_) | Provider::Password(_) | Provider::TwoFactor(_) => {
            AuthResponse::redirect(ctx.base_url("signin"))
        }
        Provider::Email(p) => signin::email::request(ctx, p).await,
        Provider::OAuth(p) => signin::oauth::start(ctx, p).await,
    }
}
