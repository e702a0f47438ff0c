//! Sign-up: `GET {base}/signup/:id` (the page) and `POST {base}/signup/:id` (`csrfToken`,
//! `email`, `password`, `name`?).
//!
//! A new address gets a user (unverified), its password hash and a verification mail. A
//! taken address gets the same answer (`verify-request?type=signup`), after the same
//! hashing, and its owner a mail saying someone tried, with a link to the
//! forgotten-password page: nothing in the answer tells the two apart. What differs is
//! the adapter writes of a new account (a user, a hash, a token: a few milliseconds
//! beside the hash and the mail, which both do).

use http::StatusCode;

use super::{TokenPurpose, adapter, check_your_email, count_mail, link, refusal, send, store_token, unavailable};
use crate::adapter::{AdapterError, NewUser};
use crate::ctx::Ctx;
use crate::pages::{FormField, FormPage, render_form};
use crate::providers::PasswordProvider;
use crate::providers::email::{MailPurpose, normalize_email};
use crate::providers::password::check_new_password;
use crate::rate_limit;
use crate::response::AuthResponse;
use crate::signin::accounts::create_user;

/// The longest display name accepted, in characters.
const MAX_NAME_CHARS: usize = 100;

/// The sign-up form, with the values to keep.
fn page<'a>(action: &'a str, email: &'a str, name: &'a str) -> FormPage<'a> {
    FormPage {
        title: "Sign Up",
        heading: "Create an account",
        error: None,
        note: Some("Use at least 8 characters. We will send you a link to verify your address."),
        action,
        hidden: Vec::new(),
        fields: vec![
            FormField {
                name: "name",
                label: "Name (optional)",
                input_type: "text",
                value: name,
                autocomplete: "name",
                required: false,
            },
            FormField {
                name: "email",
                label: "Email",
                input_type: "email",
                value: email,
                autocomplete: "email",
                required: true,
            },
            FormField {
                name: "password",
                label: "Password",
                input_type: "password",
                value: "",
                autocomplete: "new-password",
                required: true,
            },
        ],
        submit: "Create account",
        links: vec![("signin", "Already have an account? Sign in")],
    }
}

/// `GET {base}/signup/:id`.
pub(crate) fn show(ctx: &Ctx<'_>, provider: &PasswordProvider) -> AuthResponse {
    let action = format!("signup/{}", provider.id);
    let mut page = page(&action, "", "");
    page.error = ctx.req.query("error");
    AuthResponse::html(StatusCode::OK, render_form(ctx, page))
}

/// `POST {base}/signup/:id`.
pub(crate) async fn submit(ctx: &Ctx<'_>, provider: &PasswordProvider) -> AuthResponse {
    let action = format!("signup/{}", provider.id);
    let raw_email = ctx.req.body_str("email").unwrap_or_default();
    let raw_name = ctx.req.body_str("name").unwrap_or_default();
    let form = || page(&action, raw_email, raw_name);
    if !ctx.csrf_verified() {
        return refusal(ctx, form(), "MissingCSRF", StatusCode::FORBIDDEN);
    }
    let Ok(email) = normalize_email(raw_email) else {
        return refusal(ctx, form(), "InvalidEmail", StatusCode::BAD_REQUEST);
    };
    let name = raw_name.trim();
    if name.chars().count() > MAX_NAME_CHARS {
        return refusal(ctx, form(), "InvalidName", StatusCode::BAD_REQUEST);
    }
    let password = match check_new_password(ctx.req.body_str("password").unwrap_or_default(), Some(&email)) {
        Ok(p) => p,
        Err(e) => return refusal(ctx, form(), e.code(), StatusCode::BAD_REQUEST),
    };
    if let Err(refused) = count_mail(ctx, &email).await {
        tracing::warn!("password sign-up rate limited");
        return rate_limit::too_many(
            refusal(ctx, form(), "TooManyRequests", StatusCode::TOO_MANY_REQUESTS),
            refused,
        );
    }
    // Hashed for a taken address too: both answers take a hash's time.
    let hash = provider.resolved().hasher.hash(&password);
    let adapter = adapter(ctx);
    let new = NewUser {
        name: (!name.is_empty()).then(|| name.to_owned()),
        email: Some(email.clone()),
        image: None,
        email_verified: None,
    };
    let taken = match adapter.get_user_by_email(&email).await {
        Ok(found) => found.is_some(),
        Err(e) => return unavailable(ctx, "password sign-up: reading the user", &e),
    };
    let sent = if taken {
        notify_owner(ctx, provider, &email).await
    } else {
        match create_user(ctx, adapter, new).await {
            Ok(user) => {
                if let Err(e) = adapter.set_password_hash(&user.id, &hash).await {
                    // No account without its password: the address stays free.
                    if let Err(cleanup) = adapter.delete_user(&user.id).await {
                        tracing::error!(error = %cleanup, "password sign-up: deleting the user without a password failed");
                    }
                    return unavailable(ctx, "password sign-up: storing the hash", &e);
                }
                match send_verification(ctx, provider, &email).await {
                    Ok(sent) => sent,
                    Err(e) => return unavailable(ctx, "password sign-up: storing the token", &e),
                }
            }
            // Taken meanwhile (a concurrent sign-up): as for a taken address.
            Err(AdapterError::Conflict(_)) => notify_owner(ctx, provider, &email).await,
            Err(e) => return unavailable(ctx, "password sign-up: creating the user", &e),
        }
    };
    if !sent {
        return refusal(ctx, form(), "EmailSignin", StatusCode::INTERNAL_SERVER_ERROR);
    }
    check_your_email(ctx, provider, "signup")
}

/// Stores a verification token for `email` and mails its link. `Ok(false)` when the mail
/// failed (the token is deleted again).
pub(crate) async fn send_verification(
    ctx: &Ctx<'_>,
    provider: &PasswordProvider,
    email: &str,
) -> Result<bool, AdapterError> {
    let (token, stored) = store_token(ctx, TokenPurpose::Verify, email, provider.verify_max_age).await?;
    let url = link(ctx, "password/verify", &token, email);
    let sent = send(ctx, provider, MailPurpose::VerifyEmail, email, &url, stored.expires).await;
    if !sent && let Err(e) = adapter(ctx).use_verification_token(email, &stored.token).await {
        tracing::error!(error = %e, "password sign-up: could not delete the unsent token");
    }
    Ok(sent)
}

/// Tells the owner of a taken address that someone tried to sign up with it.
async fn notify_owner(ctx: &Ctx<'_>, provider: &PasswordProvider, email: &str) -> bool {
    let url = ctx.base_url("password/forgot");
    send(ctx, provider, MailPurpose::AccountExists, email, &url, ctx.now).await
}
