//! Credentials sign-in: `POST /callback/:id` with the form the app's `authorize` checks
//! (spec §7.3). Database sessions too, which NextAuth refuses.

use http::{HeaderValue, StatusCode, header::ALLOW};

use super::accounts::{create_user_and_link, link_account, update_user};
use super::{SignInError, SignedIn, check_sign_in, finish_sign_in, issue_session};
use crate::adapter::{Adapter, AdapterError, NewUser, UserUpdate};
use crate::callbacks::SignInArgs;
use crate::ctx::Ctx;
use crate::log_value::Untrusted;
use crate::providers::email::normalize_email;
use crate::providers::{Credentials, CredentialsProvider};
use crate::rate_limit;
use crate::redirect::with_param;
use crate::response::AuthResponse;
use crate::session::SessionStore;
use crate::user::{Account, AccountType};
use crate::{Compat, ErrorCode, User};

/// `POST /callback/:id` for a credentials provider.
pub(crate) async fn callback(ctx: &Ctx<'_>, provider: &CredentialsProvider) -> AuthResponse {
    if ctx.req.method != http::Method::POST {
        // NextAuth answers 500 here; it is the client's mistake, so 405.
        return AuthResponse::text(
            StatusCode::METHOD_NOT_ALLOWED,
            "Error: Callback for provider type credentials not supported",
        )
        .header(ALLOW, HeaderValue::from_static("POST"));
    }
    if !ctx.csrf_verified() {
        return ctx.csrf_refused("signin");
    }
    // Failed attempts are limited per client, per identifier and per both (security
    // invariant 9). Each attempt is counted before `authorize` runs, atomically, and given
    // back when it succeeds: concurrent guesses cannot all pass one check.
    let limits = ctx.config.rate_limits;
    let identifier = ctx
        .req
        .body_str("username")
        .or(ctx.req.body_str("email"))
        .map(str::to_lowercase);
    let scopes = rate_limit::Scopes {
        client: limits.credentials_per_client,
        subject: limits.credentials_per_identifier,
        client_subject: limits.credentials_per_client_identifier,
    };
    let buckets = rate_limit::buckets("credentials", ctx.client, identifier.as_deref(), scopes);
    let wrong_credentials = || wrong_credentials(ctx, &provider.id);
    let reservation = match ctx.config.limits.acquire(&buckets).await {
        Ok(r) => r,
        Err(refused) => {
            tracing::warn!(provider = %provider.id, "credentials sign-in rate limited");
            return rate_limit::too_many(wrong_credentials(), refused);
        }
    };
    let user = match provider.authorize.authorize(Credentials(ctx.req.body.clone())).await {
        Ok(Some(user)) => {
            ctx.config.limits.refund(reservation).await;
            user
        }
        Ok(None) => return wrong_credentials().status(StatusCode::UNAUTHORIZED),
        Err(e) => {
            let response = match ctx.config.compat {
                Compat::NextAuthV4 => SignInError::App(e.0).into_response(ctx),
                // The message is the code, as when v5's `authorize` throws a
                // `CredentialsSignin` whose `code` the app set.
                Compat::AuthJsV5 => AuthResponse::redirect(v5_credentials_signin(ctx, &e.0)),
            };
            return response.status(StatusCode::UNAUTHORIZED);
        }
    };
    let account = Account {
        provider: provider.id.clone(),
        kind: AccountType::Credentials,
        provider_account_id: user.id.clone(),
        user_id: None,
        extra: Default::default(),
    };
    match sign_in(ctx, provider, &user, &account).await {
        // NextAuth reports `isNewUser` as undefined to credentials sign-in events.
        Ok(cookies) => {
            let signed_in = SignedIn {
                user: &user,
                account: &account,
                is_new_user: None,
                profile: None,
            };
            finish_sign_in(ctx, signed_in, cookies).await
        }
        // A refusal, or an email another user has: 403, as NextAuth answers a denied sign-in.
        Err(e @ SignInError::Code(ErrorCode::AccessDenied | ErrorCode::OAuthAccountNotLinked)) => {
            e.into_response(ctx).status(StatusCode::FORBIDDEN)
        }
        Err(e) => e.into_response(ctx),
    }
}

/// The answer to wrong credentials (without its status): next-auth 4 names the provider
/// beside `CredentialsSignin` on the error page; Auth.js v5 sends the sign-in page the code
/// of its `CredentialsSignin` (default `credentials`).
pub(crate) fn wrong_credentials(ctx: &Ctx<'_>, provider_id: &str) -> AuthResponse {
    let url = match ctx.config.compat {
        Compat::NextAuthV4 => with_param(&ctx.error_url(ErrorCode::CredentialsSignin), "provider", provider_id),
        Compat::AuthJsV5 => v5_credentials_signin(ctx, "credentials"),
    };
    AuthResponse::redirect(url)
}

/// Auth.js v5's answer to refused credentials: `<sign-in page>?error=CredentialsSignin&code=<code>`
/// (`CredentialsSignin` in `@auth/core`'s `errors.ts`, `Auth()` in its `index.ts`).
fn v5_credentials_signin(ctx: &Ctx<'_>, code: &str) -> String {
    with_param(&ctx.sign_in_error_url(ErrorCode::CredentialsSignin), "code", code)
}

/// The `sign_in` callback, then the session: a JWT for `authorize`'s user, or a session
/// row for the stored user (see [`stored_user`]).
async fn sign_in(
    ctx: &Ctx<'_>,
    provider: &CredentialsProvider,
    user: &User,
    account: &Account,
) -> Result<Vec<HeaderValue>, SignInError> {
    let args = SignInArgs {
        user,
        account,
        profile: None,
        credentials: Some(&ctx.req.body),
        verification_request: None,
    };
    check_sign_in(ctx, args).await?;
    // NextAuth tells the `jwt` callback of a credentials sign-in that the user is not new.
    let signed_in = |user| SignedIn {
        user,
        account,
        is_new_user: Some(false),
        profile: None,
    };
    let SessionStore::Database(adapter) = &ctx.config.store else {
        return issue_session(ctx, signed_in(user)).await;
    };
    let stored = match stored_user(ctx, adapter.as_ref(), provider, user).await {
        Ok(stored) => stored,
        Err(StoredUserError::EmailTaken) => {
            tracing::warn!(
                provider = %provider.id,
                "credentials sign-in refused: another user has this email, and the credentials \
                 account is never linked to it by email (see allow_dangerous_email_account_linking)"
            );
            return Err(ErrorCode::OAuthAccountNotLinked.into());
        }
        Err(StoredUserError::Adapter(e)) => {
            return Err(SignInError::adapter("credentials sign-in", &e, ErrorCode::Callback));
        }
    };
    issue_session(ctx, signed_in(&stored)).await
}

/// Why no stored user was found or made for a credentials sign-in.
#[derive(Debug, thiserror::Error)]
enum StoredUserError {
    /// A new credentials account's email belongs to another user, and linking is not allowed.
    #[error("another user has this email")]
    EmailTaken,
    /// The adapter failed.
    #[error(transparent)]
    Adapter(#[from] AdapterError),
}

/// The stored user of a credentials sign-in (the rules are documented on
/// [`CredentialsProvider`]):
///
/// * The user is identified only by the credentials account `(provider id, authorize's id)`,
///   never adopted by email (H2): a new account gets a new user, created together with the
///   account ([`Adapter::create_user_and_link`]). If another user has the email, that is
///   [`StoredUserError::EmailTaken`], unless the provider opts in to linking and that
///   user's email is verified.
/// * `authorize` is the source of truth for the profile: the `name` and `image` it returns
///   replace the stored ones (unset ones keep them); the `email` follows it too (a change
///   resets `email_verified`, in [`update_user`]) unless another user has that address.
async fn stored_user(
    ctx: &Ctx<'_>,
    adapter: &dyn Adapter,
    provider: &CredentialsProvider,
    user: &User,
) -> Result<User, StoredUserError> {
    let email = user.email.as_deref().and_then(|e| match normalize_email(e) {
        Ok(e) => Some(e),
        Err(_) => {
            tracing::warn!(provider = %provider.id, email = ?Untrusted(e), "authorize returned an invalid email; not stored");
            None
        }
    });
    if let Some(stored) = adapter.get_user_by_account(&provider.id, &user.id).await? {
        let mut update = UserUpdate {
            id: stored.id.clone(),
            ..Default::default()
        };
        if user.name.is_some() && user.name != stored.name {
            update.name = Some(user.name.clone());
        }
        if user.image.is_some() && user.image != stored.image {
            update.image = Some(user.image.clone());
        }
        if let Some(new) = email.as_deref().filter(|e| stored.email.as_deref() != Some(*e)) {
            match adapter.get_user_by_email(new).await? {
                Some(other) if other.id != stored.id => tracing::warn!(
                    provider = %provider.id,
                    "authorize returned an email another user has; keeping the stored one"
                ),
                _ => update.email = Some(Some(new.to_owned())),
            }
        }
        let unchanged = UserUpdate {
            id: stored.id.clone(),
            ..Default::default()
        };
        if update == unchanged {
            return Ok(stored);
        }
        return Ok(update_user(ctx, adapter, update).await?);
    }
    let mut account = Account {
        provider: provider.id.clone(),
        kind: AccountType::Credentials,
        provider_account_id: user.id.clone(),
        user_id: None,
        extra: Default::default(),
    };
    if let Some(e) = &email
        && let Some(existing) = adapter.get_user_by_email(e).await?
    {
        if !(provider.allow_dangerous_email_account_linking && existing.email_verified.is_some()) {
            return Err(StoredUserError::EmailTaken);
        }
        tracing::info!(provider = %provider.id, "linking a credentials account to a verified user by email (opted in)");
        link_account(ctx, adapter, &existing, &mut account, None).await?;
        return Ok(existing);
    }
    let new = NewUser {
        name: user.name.clone(),
        email,
        image: user.image.clone(),
        email_verified: None,
    };
    Ok(create_user_and_link(ctx, adapter, new, &mut account, None).await?)
}
