//! The second factor: `POST /callback/two-factor` (`csrfToken`, `code`) finishes the
//! pending sign-in of the request ([`pending`](super::pending)) with a TOTP code or a recovery
//! code, and issues the session the first factor would have issued: the `jwt` callback
//! (JWT) or a session row (database), the `sign_in` event, the first factor's callback URL.
//!
//! Refusals (no pending sign-in, or an expired or tampered one; a wrong, replayed or used
//! code; a user whose set-up is gone) answer as refused credentials:
//! `<sign-in page>?error=CredentialsSignin&provider=two-factor`, 401, the pending sign-in
//! kept until it expires. Every attempt counts against the two-factor limits (per user,
//! per client), and is given back when the code is good.

use http::header::ALLOW;
use http::{HeaderValue, StatusCode};

use super::{SignInError, SignedIn, finish_sign_in_to, issue_session_now, pending};
use crate::ErrorCode;
use crate::ctx::Ctx;
use crate::rate_limit;
use crate::redirect::with_param;
use crate::response::AuthResponse;
use crate::two_factor::{self, CodeCheck, PROVIDER_ID};
use crate::user::AccountType;

/// `POST /callback/two-factor`.
pub(crate) async fn callback(ctx: &Ctx<'_>) -> AuthResponse {
    if ctx.req.method != http::Method::POST {
        return AuthResponse::text(
            StatusCode::METHOD_NOT_ALLOWED,
            "Error: Callback for provider type credentials not supported",
        )
        .header(ALLOW, HeaderValue::from_static("POST"));
    }
    if !ctx.csrf_verified() {
        return ctx.csrf_refused("signin");
    }
    let Some(pending) = pending::read(ctx) else {
        tracing::info!("two-factor code refused: no live pending sign-in");
        return refused(ctx);
    };
    let user_id = pending.user.id.clone();
    let reservation = match ctx.config.limits.acquire(&two_factor::buckets(ctx, &user_id)).await {
        Ok(r) => r,
        Err(refused_by) => {
            tracing::warn!(user_id = %user_id, "two-factor code rate limited");
            return rate_limit::too_many(refused(ctx), refused_by);
        }
    };
    let adapter = two_factor::adapter(ctx);
    let record = match adapter.get_two_factor(&user_id).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            tracing::info!(user_id = %user_id, "two-factor code refused: the user has no set-up any more");
            return refused(ctx);
        }
        Err(e) => return unavailable(ctx, &e),
    };
    let code = ctx.req.body_str("code").unwrap_or_default();
    match two_factor::check_code(ctx, &user_id, &record, code).await {
        Ok(check) if check.accepted() => {}
        Ok(CodeCheck::Replayed) => {
            tracing::warn!(user_id = %user_id, "two-factor code refused: already used");
            return refused(ctx);
        }
        Ok(_) => return refused(ctx),
        Err(e) => return unavailable(ctx, &e),
    }
    ctx.config.limits.refund(reservation).await;
    let signed_in = pending.signed_in();
    let mut cookies = pending::clear(ctx);
    match issue_session_now(ctx, signed_in).await {
        Ok(session) => cookies.extend(session),
        Err(e) => return e.into_response(ctx).cookies(cookies),
    }
    // NextAuth reports `isNewUser` as undefined to credentials sign-in events.
    let event = SignedIn {
        is_new_user: match signed_in.account.kind {
            AccountType::Credentials => None,
            _ => signed_in.is_new_user,
        },
        ..signed_in
    };
    finish_sign_in_to(ctx, event, cookies, &pending.callback_url).await
}

/// A refused code: `<sign-in page>?error=CredentialsSignin&provider=two-factor`, 401.
fn refused(ctx: &Ctx<'_>) -> AuthResponse {
    let url = with_param(
        &ctx.sign_in_error_url(ErrorCode::CredentialsSignin),
        "provider",
        PROVIDER_ID,
    );
    AuthResponse::redirect(url).status(StatusCode::UNAUTHORIZED)
}

fn unavailable(ctx: &Ctx<'_>, e: &crate::adapter::AdapterError) -> AuthResponse {
    SignInError::adapter("two-factor sign-in", e, ErrorCode::Callback).into_response(ctx)
}
