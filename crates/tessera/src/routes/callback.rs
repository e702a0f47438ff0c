//! `GET|POST /callback/:provider` (spec §2.7): the provider's sign-in flow finishes it.
//! For an email provider that sends codes, a POST is a code (`signin::email_code`).

use crate::ctx::Ctx;
use crate::providers::Provider;
use crate::response::AuthResponse;
use crate::signin;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> AuthResponse {
    match ctx.provider {
        Some(Provider::Credentials(p)) => signin::credentials::callback(ctx, p).await,
        Some(Provider::Email(p)) if ctx.req.method == http::Method::POST && p.code_mode().sends_code() => {
            signin::email_code::submit(ctx, p).await
        }
        Some(Provider::Email(p)) => signin::email::callback(ctx, p).await,
        Some(Provider::OAuth(p)) => signin::oauth::callback(ctx, p).await,
        Some(Provider::Password(p)) => signin::password::callback(ctx, p).await,
        Some(Provider::TwoFactor(_)) => signin::two_factor::callback(ctx).await,
        // The preamble answers a callback for an unknown provider.
        None => crate::routes::unsupported(ctx),
    }
}
