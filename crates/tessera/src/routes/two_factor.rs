//! `/two-factor/*`: set-up of two-factor sign-in while signed in (`two_factor::setup`):
//! `GET /two-factor/setup`, `POST /two-factor/enable`, `POST /two-factor/disable`.

use crate::ctx::Ctx;
use crate::response::AuthResponse;
use crate::two_factor::{self, setup};

pub(crate) async fn handle(ctx: &Ctx<'_>) -> AuthResponse {
    let Some(config) = two_factor::config(ctx) else {
        return crate::routes::unsupported(ctx);
    };
    let get = ctx.req.method == http::Method::GET;
    match (get, ctx.req.provider_id.as_deref()) {
        (true, Some("setup")) => setup::show(ctx, config).await,
        (false, Some("enable")) => setup::enable(ctx).await,
        (false, Some("disable")) => setup::disable(ctx).await,
        _ => crate::routes::unsupported(ctx),
    }
}
