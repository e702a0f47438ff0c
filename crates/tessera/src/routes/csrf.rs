//! `GET /csrf` (spec §2.3).

use crate::ctx::Ctx;
use crate::response::AuthResponse;

pub(crate) fn get(ctx: &Ctx<'_>) -> AuthResponse {
    let body = tessera_protocol::CsrfResponse {
        csrf_token: ctx.csrf.token.clone(),
    };
    AuthResponse::json_value(&body).no_cache()
}
