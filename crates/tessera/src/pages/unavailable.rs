//! The answer of a request that failed because the store did (the adapter's database is
//! down or failing): `503 Service Unavailable` with `Retry-After`, and for the routes that
//! write (sign-in, sign-out) the error page, shown as "Service unavailable".

use http::header::RETRY_AFTER;
use http::{HeaderValue, StatusCode};

use crate::ctx::Ctx;
use crate::response::AuthResponse;

/// The `?error=` value of a request that failed because the store did. NextAuth has no
/// code for an outage, so this is not one of [`ErrorCode`](crate::ErrorCode)'s; the error
/// page shows it with status 503.
pub(crate) const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";

/// `Retry-After` of a 503: a restarting database is usually back within seconds.
const RETRY_AFTER_SECS: u16 = 5;

/// `response` as `503 Service Unavailable` with `Retry-After`.
pub(crate) fn with_retry(response: AuthResponse) -> AuthResponse {
    response
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .header(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS))
}

/// The answer of a route that writes (sign-in, sign-out) when the store failed: 503 with
/// `Retry-After`, and nothing else (no session cookie set or cleared). A client that asks
/// for JSON (next-auth/react's `signIn` and `signOut`) is sent to the error page
/// (`{"url": "<base>/error?error=ServiceUnavailable"}`, which it follows or, with
/// `redirect: false`, reports as `error`); a browser's navigation gets the error page
/// itself, or, when the app has its own error page, the redirect to it.
pub(crate) fn response(ctx: &Ctx<'_>) -> AuthResponse {
    let response = AuthResponse::redirect(ctx.error_url_with(SERVICE_UNAVAILABLE));
    let response = match &ctx.config.pages.error {
        Some(_) => response,
        None => response.or_page(super::render_error(ctx, SERVICE_UNAVAILABLE).1),
    };
    with_retry(response)
}
