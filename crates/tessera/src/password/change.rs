//! `GET {base}/password/change` (the page) and `POST {base}/password/change`
//! (`csrfToken`, `currentPassword`, `newPassword`, `callbackUrl`?): a signed-in user
//! changes their password. The current one must check out (attempts count against the
//! credentials limits, as sign-in's do); the new one must pass the policy. Every other
//! session of the user ends (database rows deleted but this one; JWTs revoked but this
//! browser's, which carries its session id). A user without a password (signed up by
//! email or OAuth) gets one through the forgotten-password link instead.

use http::StatusCode;

use super::{adapter, refusal, unavailable};
use crate::adapter::AdapterError;
use crate::ctx::Ctx;
use crate::pages::{FormField, FormPage, render_form};
use crate::providers::PasswordProvider;
use crate::providers::email::normalize_email;
use crate::providers::password::{check_new_password, normalized};
use crate::rate_limit;
use crate::response::AuthResponse;
use crate::session::current::current_user;

fn page<'a>() -> FormPage<'a> {
    FormPage {
        title: "Change Password",
        heading: "Change your password",
        error: None,
        note: Some("Your other sessions will be signed out."),
        action: "password/change",
        hidden: Vec::new(),
        fields: vec![
            FormField {
                name: "currentPassword",
                label: "Current password",
                input_type: "password",
                value: "",
                autocomplete: "current-password",
                required: true,
            },
            FormField {
                name: "newPassword",
                label: "New password",
                input_type: "password",
                value: "",
                autocomplete: "new-password",
                required: true,
            },
        ],
        submit: "Change password",
        links: vec![("password/forgot", "Forgot your password?")],
    }
}

/// `GET {base}/password/change`.
pub(crate) fn show(ctx: &Ctx<'_>) -> AuthResponse {
    let mut page = page();
    page.error = ctx.req.query("error");
    AuthResponse::html(StatusCode::OK, render_form(ctx, page))
}

/// `POST {base}/password/change`.
pub(crate) async fn change(ctx: &Ctx<'_>, provider: &PasswordProvider) -> AuthResponse {
    if !ctx.csrf_verified() {
        return refusal(ctx, page(), "MissingCSRF", StatusCode::FORBIDDEN);
    }
    let (user, raw) = match current_user(ctx).await {
        Ok(Some(found)) => found,
        Ok(None) => return refusal(ctx, page(), "SessionRequired", StatusCode::UNAUTHORIZED),
        Err(e) => return unavailable(ctx, "password change: reading the session", &e),
    };
    let email = user.email.as_deref().and_then(|e| normalize_email(e).ok());
    let new = match check_new_password(ctx.req.body_str("newPassword").unwrap_or_default(), email.as_deref()) {
        Ok(p) => p,
        Err(e) => return refusal(ctx, page(), e.code(), StatusCode::BAD_REQUEST),
    };
    // Guesses at the current password count as sign-in's do, for the same account.
    let limits = ctx.config.rate_limits;
    let scopes = rate_limit::Scopes {
        client: limits.credentials_per_client,
        subject: limits.credentials_per_identifier,
        client_subject: limits.credentials_per_client_identifier,
    };
    let subject = email.as_deref().unwrap_or(&user.id);
    let buckets = rate_limit::buckets("credentials", ctx.client, Some(subject), scopes);
    let reservation = match ctx.config.limits.acquire(&buckets).await {
        Ok(r) => r,
        Err(refused) => {
            tracing::warn!("password change rate limited");
            let answer = refusal(ctx, page(), "TooManyRequests", StatusCode::TOO_MANY_REQUESTS);
            return rate_limit::too_many(answer, refused);
        }
    };
    let adapter = adapter(ctx);
    let stored = match adapter.get_password_hash(&user.id).await {
        Ok(stored) => stored,
        Err(e) => return unavailable(ctx, "password change: reading the hash", &e),
    };
    let hasher = &provider.resolved().hasher;
    // Over-long input is wrong without being hashed.
    let current_ok = normalized(ctx.req.body_str("currentPassword").unwrap_or_default())
        .is_ok_and(|current| hasher.verify(&current, stored.as_deref()));
    if !current_ok {
        return refusal(ctx, page(), "WrongPassword", StatusCode::UNAUTHORIZED);
    }
    ctx.config.limits.refund(reservation).await;
    if let Err(e) = adapter.set_password_hash(&user.id, &hasher.hash(&new)).await {
        return unavailable(ctx, "password change: storing the hash", &e);
    }
    if let Err(e) = crate::session::revoke::revoke_user_sessions(ctx.config, &user.id, Some(&raw), ctx.now).await {
        return unavailable(
            ctx,
            "password change: ending the other sessions",
            &AdapterError::Backend(e.to_string()),
        );
    }
    tracing::info!(user_id = %user.id, "password changed; the other sessions ended");
    AuthResponse::redirect(ctx.callback_url.clone())
}
