//! `GET {base}/password/verify?token&email`: the link of the verification mail. Uses the
//! token (single use, bound to the address, 24 hours) and marks the address verified;
//! it does not sign in: the password does that.

use http::StatusCode;

use super::{TokenPurpose, adapter, unavailable, use_token};
use crate::ErrorCode;
use crate::adapter::UserUpdate;
use crate::ctx::Ctx;
use crate::pages::render_notice;
use crate::providers::email::normalize_email;
use crate::response::AuthResponse;
use crate::signin::accounts::update_user;

pub(crate) async fn verify(ctx: &Ctx<'_>) -> AuthResponse {
    let invalid = || AuthResponse::redirect(ctx.error_url(ErrorCode::Verification));
    let (Some(token), Some(Ok(email))) = (
        ctx.req.query("token").filter(|t| !t.is_empty()),
        ctx.req.query("email").map(normalize_email),
    ) else {
        return invalid();
    };
    match use_token(ctx, TokenPurpose::Verify, &email, token).await {
        Ok(Some(_)) => {}
        Ok(None) => return invalid(),
        Err(e) => return unavailable(ctx, "password verification: using the token", &e),
    }
    let adapter = adapter(ctx);
    let user = match adapter.get_user_by_email(&email).await {
        Ok(Some(user)) => user,
        Ok(None) => return invalid(),
        Err(e) => return unavailable(ctx, "password verification: reading the user", &e),
    };
    if user.email_verified.is_none() {
        let update = UserUpdate {
            id: user.id.clone(),
            email_verified: Some(Some(ctx.now)),
            ..Default::default()
        };
        if let Err(e) = update_user(ctx, adapter, update).await {
            return unavailable(ctx, "password verification: updating the user", &e);
        }
    }
    let html = render_notice(
        ctx,
        "Address verified",
        "Your email address is verified. You can now sign in with your password.",
        ("signin", "Sign in"),
    );
    AuthResponse::html(StatusCode::OK, html)
}
