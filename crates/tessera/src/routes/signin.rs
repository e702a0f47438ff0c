//! `GET /signin` (the page) and `POST /signin/:provider` (start a sign-in), spec §2.5–2.6.

use http::StatusCode;

use crate::Ctx;
use crate::pages;
use crate::providers::Provider;
use crate::redirect::with_param;
use crate::response::AuthResponse;

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
    let html = pages::render_sign_in(ctx, callback, error);
    AuthResponse::html(StatusCode::OK, html)
}

pub(crate) async fn start(ctx: &mut Ctx<'_>) -> AuthResponse {
    let provider = ctx
        .req
        .provider_id
        .as_deref()
        .and_then(|id| ctx.config.providers.iter().find(|p| p.id() == id));
    let Some(provider) = provider.filter(|_| ctx.csrf_verified()) else {
        return AuthResponse::redirect(format!("{}?csrf=true", ctx.base_url("signin")));
    };
    match provider {
        // Credentials sign in through POST /callback/:id, not here.
        Provider::Credentials(_) => AuthResponse::redirect(ctx.base_url("signin")),
        Provider::Email(p) => crate::providers::email::flow::request(ctx, p).await,
        Provider::OAuth(p) => crate::providers::oauth::flow::start(ctx, p).await,
    }
}
