//! `GET|POST /signup/:id`: the [`password` provider](crate::providers::PasswordProvider)'s
//! sign-up page and form (`password::signup`).

use crate::ctx::Ctx;
use crate::password;
use crate::response::AuthResponse;

pub(crate) async fn handle(ctx: &Ctx<'_>) -> AuthResponse {
    let Some(provider) = password::provider(ctx).filter(|p| ctx.req.provider_id.as_deref() == Some(p.id.as_str()))
    else {
        return crate::routes::unsupported(ctx);
    };
    if ctx.req.method == http::Method::GET {
        password::signup::show(ctx, provider)
    } else {
        password::signup::submit(ctx, provider).await
    }
}
