//! Password sign-in: `POST /callback/:id` (`csrfToken`, `email`, `password`) for the
//! [`password` provider](crate::providers::PasswordProvider), answered as credentials
//! sign-in is (`CredentialsSignin`, 401, on any failure).
//!
//! An unknown address, a wrong password, a user without a password and (while the
//! provider waits for verification) an unverified address get the same answer after the
//! same work: one user lookup by address, one hash lookup (for an unknown address, of a
//! random id that names no user), and one Argon2id verification (for an unknown address
//! or a user without a password, against a dummy hash of the configured cost). What
//! differs: a found user row travels back from the database, and a successful sign-in
//! goes on (rehash, session). Input that is not an address, and passwords longer than
//! [`MAX_PASSWORD_CHARS`](crate::providers::password::MAX_PASSWORD_CHARS), are refused
//! before any lookup or hashing: that tells nothing about any account.
//!
//! Every attempt counts against the credentials limits (per client, per address, per
//! both), reserved before the check and given back when it succeeds.

use http::header::ALLOW;
use http::{HeaderValue, StatusCode};

use super::credentials::wrong_credentials;
use super::{SignInError, SignedIn, check_sign_in, finish_sign_in, issue_session};
use crate::ErrorCode;
use crate::adapter::AdapterError;
use crate::callbacks::SignInArgs;
use crate::ctx::Ctx;
use crate::providers::PasswordProvider;
use crate::providers::email::normalize_email;
use crate::providers::password::normalized;
use crate::rate_limit;
use crate::response::AuthResponse;
use crate::user::{Account, AccountType, User};

/// `POST /callback/:id` for the password provider.
pub(crate) async fn callback(ctx: &Ctx<'_>, provider: &PasswordProvider) -> AuthResponse {
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
    let raw_email = ctx.req.body_str("email");
    let email = raw_email.and_then(|e| normalize_email(e).ok());
    let identifier = email.clone().or_else(|| raw_email.map(str::to_lowercase));
    let limits = ctx.config.rate_limits;
    let scopes = rate_limit::Scopes {
        client: limits.credentials_per_client,
        subject: limits.credentials_per_identifier,
        client_subject: limits.credentials_per_client_identifier,
    };
    let buckets = rate_limit::buckets("credentials", ctx.client, identifier.as_deref(), scopes);
    let reservation = match ctx.config.limits.acquire(&buckets).await {
        Ok(r) => r,
        Err(refused) => {
            tracing::warn!(provider = %provider.id, "password sign-in rate limited");
            return rate_limit::too_many(wrong_credentials(ctx, &provider.id), refused);
        }
    };
    let password = ctx.req.body_str("password").and_then(|p| normalized(p).ok());
    let (Some(email), Some(password)) = (email, password) else {
        return wrong_credentials(ctx, &provider.id).status(StatusCode::UNAUTHORIZED);
    };
    let user = match check(ctx, provider, &email, &password).await {
        Ok(Some(user)) => user,
        Ok(None) => return wrong_credentials(ctx, &provider.id).status(StatusCode::UNAUTHORIZED),
        Err(e) => return SignInError::adapter("password sign-in", &e, ErrorCode::Callback).into_response(ctx),
    };
    ctx.config.limits.refund(reservation).await;
    let account = Account {
        provider: provider.id.clone(),
        kind: AccountType::Credentials,
        provider_account_id: user.id.clone(),
        user_id: Some(user.id.clone()),
        extra: Default::default(),
    };
    // The callbacks never see the password: `credentials` is `None`.
    let args = SignInArgs {
        user: &user,
        account: &account,
        profile: None,
        credentials: None,
        verification_request: None,
    };
    let signed_in = SignedIn {
        user: &user,
        account: &account,
        is_new_user: Some(false),
        profile: None,
    };
    let issued = match check_sign_in(ctx, args).await {
        Ok(()) => issue_session(ctx, signed_in).await,
        Err(e) => Err(e),
    };
    match issued {
        // NextAuth reports `isNewUser` as undefined to credentials sign-in events.
        Ok(cookies) => {
            finish_sign_in(
                ctx,
                SignedIn {
                    is_new_user: None,
                    ..signed_in
                },
                cookies,
            )
            .await
        }
        Err(e @ SignInError::Code(ErrorCode::AccessDenied)) => e.into_response(ctx).status(StatusCode::FORBIDDEN),
        Err(e) => e.into_response(ctx),
    }
}

/// The user whose password this is, when sign-in may go on: `None` for every kind of
/// failure, after the same work (see the module docs). Rehashes a matching hash made with
/// other parameters.
async fn check(
    ctx: &Ctx<'_>,
    provider: &PasswordProvider,
    email: &str,
    password: &str,
) -> Result<Option<User>, AdapterError> {
    let adapter = ctx
        .config
        .adapter
        .as_deref()
        .expect("build() refuses a password provider without an adapter");
    let user = adapter.get_user_by_email(email).await?;
    // An unknown address asks for the hash of an id that names no user: the same query.
    let unknown_id;
    let id = match &user {
        Some(u) => u.id.as_str(),
        None => {
            unknown_id = crate::random::uuid_v4();
            unknown_id.as_str()
        }
    };
    let stored = adapter.get_password_hash(id).await?;
    let hasher = &provider.resolved().hasher;
    let matches = hasher.verify(password, stored.as_deref());
    let (Some(user), Some(stored), true) = (user, stored, matches) else {
        return Ok(None);
    };
    if provider.require_verified_email && user.email_verified.is_none() {
        tracing::info!(provider = %provider.id, "password sign-in refused: the address is not verified yet");
        return Ok(None);
    }
    if hasher.needs_rehash(&stored) {
        match adapter.set_password_hash(&user.id, &hasher.hash(password)).await {
            Ok(()) => tracing::info!(user_id = %user.id, "password rehashed with the configured parameters"),
            Err(e) => tracing::warn!(error = %e, "password sign-in: storing the rehashed password failed"),
        }
    }
    Ok(Some(user))
}
