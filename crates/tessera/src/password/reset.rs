//! Forgotten passwords (OWASP's Forgot Password Cheat Sheet):
//!
//! * `POST {base}/password/forgot` (`csrfToken`, `email`) answers
//!   `verify-request?type=reset` for every valid address. A known one gets a reset link
//!   (a single-use token, stored hashed and bound to the address, valid one hour); an
//!   unknown one a note that no account uses it. Both send one mail, so both take a
//!   mail's time; a known address adds the token's insert.
//! * `GET {base}/password/reset?token&email` is the page of the link;
//!   `POST {base}/password/reset` (`csrfToken`, `token`, `email`, `password`) checks the
//!   new password first (a refused password does not use up the link), then uses the
//!   token, sets the password and ends **every** session of the user (database rows
//!   deleted; JWTs revoked). It verifies the address too: the link proves the mailbox.
//!   It does not sign in: the user signs in with the new password.

use http::StatusCode;

use super::{
    TokenPurpose, adapter, check_your_email, count_mail, link, refusal, send, store_token, unavailable, use_token,
};
use crate::adapter::{AdapterError, UserUpdate};
use crate::cookies;
use crate::ctx::Ctx;
use crate::pages::{FormField, FormPage, render_form};
use crate::providers::PasswordProvider;
use crate::providers::email::{MailPurpose, normalize_email};
use crate::providers::password::check_new_password;
use crate::rate_limit;
use crate::response::AuthResponse;
use crate::signin::accounts::update_user;
use crate::signin::email::release_unverified;

fn forgot_page<'a>(email: &'a str, sign_up: &'a str) -> FormPage<'a> {
    FormPage {
        title: "Forgot Password",
        heading: "Forgot your password?",
        error: None,
        note: Some("Enter your email address and we will send you a link to choose a new password."),
        action: "password/forgot",
        hidden: Vec::new(),
        fields: vec![FormField {
            name: "email",
            label: "Email",
            input_type: "email",
            value: email,
            autocomplete: "email",
            required: true,
        }],
        submit: "Send reset link",
        links: vec![("signin", "Back to sign in"), (sign_up, "Create an account")],
    }
}

/// `GET {base}/password/forgot`.
pub(crate) fn show_forgot(ctx: &Ctx<'_>, provider: &PasswordProvider) -> AuthResponse {
    let sign_up = format!("signup/{}", provider.id);
    let mut page = forgot_page("", &sign_up);
    page.error = ctx.req.query("error");
    AuthResponse::html(StatusCode::OK, render_form(ctx, page))
}

/// `POST {base}/password/forgot`.
pub(crate) async fn forgot(ctx: &Ctx<'_>, provider: &PasswordProvider) -> AuthResponse {
    let sign_up = format!("signup/{}", provider.id);
    let raw_email = ctx.req.body_str("email").unwrap_or_default();
    let form = || forgot_page(raw_email, &sign_up);
    if !ctx.csrf_verified() {
        return refusal(ctx, form(), "MissingCSRF", StatusCode::FORBIDDEN);
    }
    let Ok(email) = normalize_email(raw_email) else {
        return refusal(ctx, form(), "InvalidEmail", StatusCode::BAD_REQUEST);
    };
    if let Err(refused) = count_mail(ctx, &email).await {
        tracing::warn!("password reset request rate limited");
        return rate_limit::too_many(
            refusal(ctx, form(), "TooManyRequests", StatusCode::TOO_MANY_REQUESTS),
            refused,
        );
    }
    let sent = match send_reset(ctx, provider, &email, &sign_up).await {
        Ok(sent) => sent,
        Err(e) => return unavailable(ctx, "password reset request", &e),
    };
    if !sent {
        return refusal(ctx, form(), "EmailSignin", StatusCode::INTERNAL_SERVER_ERROR);
    }
    check_your_email(ctx, provider, "reset")
}

/// Mails a reset link to a known address, a no-account note to an unknown one.
async fn send_reset(
    ctx: &Ctx<'_>,
    provider: &PasswordProvider,
    email: &str,
    sign_up: &str,
) -> Result<bool, AdapterError> {
    if adapter(ctx).get_user_by_email(email).await?.is_none() {
        let url = ctx.base_url(sign_up);
        return Ok(send(ctx, provider, MailPurpose::NoAccount, email, &url, ctx.now).await);
    }
    let (token, stored) = store_token(ctx, TokenPurpose::Reset, email, provider.reset_max_age).await?;
    let url = link(ctx, "password/reset", &token, email);
    let sent = send(ctx, provider, MailPurpose::ResetPassword, email, &url, stored.expires).await;
    if !sent && let Err(e) = adapter(ctx).use_verification_token(email, &stored.token).await {
        tracing::error!(error = %e, "password reset: could not delete the unsent token");
    }
    Ok(sent)
}

fn reset_page<'a>(token: &'a str, email: &'a str) -> FormPage<'a> {
    FormPage {
        title: "Reset Password",
        heading: "Choose a new password",
        error: None,
        note: Some("Use at least 8 characters. Every session of your account will be signed out."),
        action: "password/reset",
        hidden: vec![("token", token), ("email", email)],
        fields: vec![FormField {
            name: "password",
            label: "New password",
            input_type: "password",
            value: "",
            autocomplete: "new-password",
            required: true,
        }],
        submit: "Set password",
        links: vec![("password/forgot", "Send a new link")],
    }
}

/// `GET {base}/password/reset?token&email`: the form (the token is checked when it is
/// posted, so that opening the link does not use it up).
pub(crate) fn show_reset(ctx: &Ctx<'_>) -> AuthResponse {
    let token = ctx.req.query("token").unwrap_or_default();
    let email = ctx.req.query("email").unwrap_or_default();
    let mut page = reset_page(token, email);
    page.error = ctx.req.query("error");
    // The link's token is in this page's URL: no referrer carries it to another site. Not
    // `no-referrer`: under it browsers post the page's own form with `Origin: null`, which
    // the same-origin check refuses (tests/e2e/password.test.mjs, in Chromium).
    AuthResponse::html(StatusCode::OK, render_form(ctx, page)).header(
        http::header::REFERRER_POLICY,
        http::HeaderValue::from_static("same-origin"),
    )
}

/// `POST {base}/password/reset`.
pub(crate) async fn reset(ctx: &Ctx<'_>, provider: &PasswordProvider) -> AuthResponse {
    let raw_token = ctx.req.body_str("token").unwrap_or_default();
    let raw_email = ctx.req.body_str("email").unwrap_or_default();
    let form = || reset_page(raw_token, raw_email);
    if !ctx.csrf_verified() {
        return refusal(ctx, form(), "MissingCSRF", StatusCode::FORBIDDEN);
    }
    let Ok(email) = normalize_email(raw_email) else {
        return refusal(ctx, form(), "InvalidToken", StatusCode::BAD_REQUEST);
    };
    if raw_token.is_empty() {
        return refusal(ctx, form(), "InvalidToken", StatusCode::BAD_REQUEST);
    }
    // The new password first: a refused one leaves the link usable.
    let password = match check_new_password(ctx.req.body_str("password").unwrap_or_default(), Some(&email)) {
        Ok(p) => p,
        Err(e) => return refusal(ctx, form(), e.code(), StatusCode::BAD_REQUEST),
    };
    match use_token(ctx, TokenPurpose::Reset, &email, raw_token).await {
        Ok(Some(_)) => {}
        Ok(None) => return refusal(ctx, form(), "InvalidToken", StatusCode::BAD_REQUEST),
        Err(e) => return unavailable(ctx, "password reset: using the token", &e),
    }
    let adapter = adapter(ctx);
    let user = match adapter.get_user_by_email(&email).await {
        Ok(Some(user)) => user,
        // Deleted since the link was sent.
        Ok(None) => return refusal(ctx, form(), "InvalidToken", StatusCode::BAD_REQUEST),
        Err(e) => return unavailable(ctx, "password reset: reading the user", &e),
    };
    let hash = provider.resolved().hasher.hash(&password);
    let result: Result<(), AdapterError> = async {
        if user.email_verified.is_none() {
            // The mailbox owner proves the address for the first time: whatever was
            // linked to the user on an unproven claim to it goes (as for a magic link, M1).
            release_unverified(adapter, &user).await?;
            let update = UserUpdate {
                id: user.id.clone(),
                email_verified: Some(Some(ctx.now)),
                ..Default::default()
            };
            update_user(ctx, adapter, update).await?;
        }
        adapter.set_password_hash(&user.id, &hash).await
    }
    .await;
    if let Err(e) = result {
        return unavailable(ctx, "password reset: storing the password", &e);
    }
    if let Err(e) = crate::session::revoke::revoke_user_sessions(ctx.config, &user.id, None, ctx.now).await {
        tracing::error!(error = %e, user_id = %user.id, "password reset: ending the sessions failed");
        return unavailable(
            ctx,
            "password reset: ending the sessions",
            &AdapterError::Backend(e.to_string()),
        );
    }
    tracing::info!(user_id = %user.id, "password reset: password set, every session ended");
    let signed_out = cookies::clear_chunked(&ctx.profile.cookies.session_token, &ctx.req.cookies);
    AuthResponse::redirect(crate::redirect::with_param(
        &ctx.base_url("signin"),
        "callbackUrl",
        &ctx.callback_url,
    ))
    .cookies(signed_out)
}
