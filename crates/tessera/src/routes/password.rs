//! `/password/*`: the [`password` provider](crate::providers::PasswordProvider)'s account
//! routes: `GET /password/verify` (the verification link), `GET|POST /password/forgot`,
//! `GET|POST /password/reset`, `GET|POST /password/change` (`password::{verify, reset,
//! change}`).

use crate::ctx::Ctx;
use crate::password::{self, change, reset, verify};
use crate::response::AuthResponse;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> AuthResponse {
    let Some(provider) = password::provider(ctx) else {
        return crate::routes::unsupported(ctx);
    };
    let get = ctx.req.method == http::Method::GET;
    match (get, ctx.req.provider_id.as_deref()) {
        (true, Some("verify")) => verify::verify(ctx).await,
        (true, Some("forgot")) => reset::show_forgot(ctx, provider),
        (false, Some("forgot")) => reset::forgot(ctx, provider).await,
        (true, Some("reset")) => reset::show_reset(ctx),
        (false, Some("reset")) => reset::reset(ctx, provider).await,
        (true, Some("change")) => change::show(ctx),
        (false, Some("change")) => change::change(ctx, provider).await,
        _ => crate::routes::unsupported(ctx),
    }
}
