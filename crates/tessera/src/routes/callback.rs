//! `GET|POST /callback/:provider` (spec §2.7): finishes a sign-in and issues the session.

use http::{HeaderValue, StatusCode, header::ALLOW};

use crate::adapter::{Adapter, AdapterError, NewUser, UserUpdate};
use crate::callbacks::{JwtArgs, JwtTrigger, SignInArgs, SignInDecision};
use crate::config::SessionStrategy;
use crate::cookies;
use crate::events::{self, SignInEvent};
use crate::log_value::Untrusted;
use crate::providers::email::normalize_email;
use crate::providers::{Credentials, CredentialsProvider, Provider};
use crate::rate_limit;
use crate::redirect::{encode_component, with_param};
use crate::response::AuthResponse;
use crate::session::database;
use crate::session::{Token, after, unix};
use crate::user::{Account, AccountType};
use crate::{Ctx, User};

pub(crate) async fn handle(ctx: &mut Ctx<'_>) -> AuthResponse {
    let id = ctx.req.provider_id.as_deref().unwrap_or_default();
    // The dispatcher has checked that the provider exists.
    let Some(provider) = ctx.config.providers.iter().find(|p| p.id() == id) else {
        return crate::routes::unsupported(ctx);
    };
    match provider {
        Provider::Credentials(p) => credentials(ctx, p).await,
        Provider::Email(p) => crate::providers::email::flow::verify(ctx, p).await,
        Provider::OAuth(p) => crate::providers::oauth::flow::callback(ctx, p).await,
    }
}

async fn credentials(ctx: &mut Ctx<'_>, provider: &CredentialsProvider) -> AuthResponse {
    if ctx.req.method != http::Method::POST {
        // NextAuth answers 500 here; it is the client's mistake, so 405.
        return AuthResponse::text(
            StatusCode::METHOD_NOT_ALLOWED,
            "Error: Callback for provider type credentials not supported",
        )
        .header(ALLOW, HeaderValue::from_static("POST"));
    }
    if !ctx.csrf_verified() {
        return AuthResponse::redirect(format!("{}?csrf=true", ctx.base_url("signin")));
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
    let reservation = match ctx.config.limiter.acquire(&buckets, std::time::Instant::now()) {
        Ok(r) => r,
        Err(refused) => {
            tracing::warn!(provider = %provider.id, "credentials sign-in rate limited");
            let url = with_param(&ctx.error_url("CredentialsSignin"), "provider", &provider.id);
            return rate_limit::too_many(AuthResponse::redirect(url), refused);
        }
    };
    let credentials = Credentials(ctx.req.body.clone());
    let user = match provider.authorize.authorize(credentials).await {
        Ok(Some(user)) => {
            ctx.config.limiter.refund(reservation);
            user
        }
        Ok(None) => {
            let url = with_param(&ctx.error_url("CredentialsSignin"), "provider", &provider.id);
            return AuthResponse::redirect(url).status(StatusCode::UNAUTHORIZED);
        }
        Err(e) => {
            let url = format!("{}?error={}", ctx.base_url("error"), encode_component(&e.0));
            return AuthResponse::redirect(url).status(StatusCode::UNAUTHORIZED);
        }
    };
    let account = Account {
        provider: provider.id.clone(),
        kind: AccountType::Credentials,
        provider_account_id: user.id.clone(),
        user_id: None,
        extra: Default::default(),
    };
    let args = SignInArgs {
        user: &user,
        account: &account,
        profile: None,
        credentials: Some(&ctx.req.body),
        verification_request: None,
    };
    if let Err(refusal) = check_sign_in(ctx, args, Some(StatusCode::FORBIDDEN)).await {
        return refusal;
    }
    let issued = match (&ctx.config.adapter, ctx.config.strategy) {
        (Some(adapter), SessionStrategy::Database) => {
            credentials_database_session(ctx, adapter.as_ref(), provider, &user).await
        }
        _ => issue_jwt_session(ctx, &user, &account, Some(false), None)
            .await
            .map_err(|e| AuthResponse::redirect(format!("{}?error={}", ctx.base_url("error"), encode_component(&e)))),
    };
    match issued {
        // NextAuth reports `isNewUser` as undefined to credentials sign-in events.
        Ok(cookies) => finish_sign_in(ctx, &user, &account, None, None, cookies).await,
        Err(refusal) => refusal,
    }
}

/// Why no stored user was found or made for a credentials sign-in.
#[derive(Debug, thiserror::Error)]
enum CredentialsUserError {
    /// A new credentials account's email belongs to another user, and linking is not allowed.
    #[error("another user has this email")]
    EmailTaken,
    /// The adapter failed.
    #[error(transparent)]
    Adapter(#[from] AdapterError),
}

/// Credentials with database sessions (which NextAuth refuses): finds or creates the stored
/// user (see [`credentials_user`]) and writes a session row. `Err` is the response: 403
/// `OAuthAccountNotLinked` when the email belongs to another user, else `Callback`.
async fn credentials_database_session(
    ctx: &Ctx<'_>,
    adapter: &dyn Adapter,
    provider: &CredentialsProvider,
    user: &User,
) -> Result<Vec<HeaderValue>, AuthResponse> {
    let failed = || AuthResponse::redirect(format!("{}?error=Callback", ctx.base_url("error")));
    let stored = match credentials_user(ctx, adapter, provider, user).await {
        Ok(stored) => stored,
        Err(CredentialsUserError::EmailTaken) => {
            tracing::warn!(
                provider = %provider.id,
                "credentials sign-in refused: another user has this email, and the credentials \
                 account is never linked to it by email (see allow_dangerous_email_account_linking)"
            );
            return Err(AuthResponse::redirect(ctx.error_url("OAuthAccountNotLinked")).status(StatusCode::FORBIDDEN));
        }
        Err(CredentialsUserError::Adapter(e)) => {
            tracing::error!(error = %e, "credentials sign-in: adapter failed");
            return Err(failed());
        }
    };
    crate::adapter::purge_if_due(&ctx.config.purge, adapter, ctx.now).await;
    let def = &ctx.profile.cookies.session_token;
    database::create(ctx.config, adapter, def, &ctx.req.cookies, &stored.id, ctx.now)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "credentials sign-in: creating the session failed");
            failed()
        })
}

/// The stored user of a credentials sign-in (the rules are documented on
/// [`CredentialsProvider`]):
///
/// * The user is identified only by the credentials account `(provider id, authorize's id)`,
///   never adopted by email (H2): a new account gets a new user, created together with the
///   account ([`Adapter::create_user_and_link`]). If another user has the email, that is
///   [`CredentialsUserError::EmailTaken`], unless the provider opts in to linking and that
///   user's email is verified.
/// * `authorize` is the source of truth for the profile: the `name` and `image` it returns
///   replace the stored ones (unset ones keep them); the `email` follows it too (a change
///   resets `email_verified`, in [`events::update_user`]) unless another user has that
///   address.
async fn credentials_user(
    ctx: &Ctx<'_>,
    adapter: &dyn Adapter,
    provider: &CredentialsProvider,
    user: &User,
) -> Result<User, CredentialsUserError> {
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
        return Ok(events::update_user(ctx, adapter, update).await?);
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
            return Err(CredentialsUserError::EmailTaken);
        }
        tracing::info!(provider = %provider.id, "linking a credentials account to a verified user by email (opted in)");
        events::link_account(ctx, adapter, &existing, &mut account, None).await?;
        return Ok(existing);
    }
    let new = NewUser {
        name: user.name.clone(),
        email,
        image: user.image.clone(),
        email_verified: None,
    };
    Ok(events::create_user_and_link(ctx, adapter, new, &mut account, None).await?)
}

/// Runs the `jwt` callback for a sign-in and returns the session Set-Cookies (spec §5.1).
pub(crate) async fn issue_jwt_session(
    ctx: &Ctx<'_>,
    user: &User,
    account: &Account,
    is_new_user: Option<bool>,
    profile: Option<&serde_json::Value>,
) -> Result<Vec<HeaderValue>, String> {
    let config = ctx.config;
    let mut token = Token::for_user(user);
    if let Some(cb) = &config.callbacks {
        let trigger = if is_new_user == Some(true) {
            JwtTrigger::SignUp
        } else {
            JwtTrigger::SignIn
        };
        let args = JwtArgs {
            token,
            user: Some(user),
            account: Some(account),
            profile,
            trigger: Some(trigger),
            is_new_user,
            session: None,
            refresher: crate::refresh::TokenRefresher::new(config),
        };
        token = cb.jwt(args).await.map_err(|e| e.0)?;
    }
    let value = ctx
        .profile
        .session_codec
        .encode_claims(token.claims_mut(), config.jwt_max_age, unix(ctx.now));
    Ok(cookies::write_chunked(
        &ctx.profile.cookies.session_token,
        &value,
        Some(after(ctx.now, config.session.max_age)),
        &ctx.req.cookies,
        cookies::chunk_size(config.compat),
    ))
}

/// Issues the session for a user the adapter knows (or, without one, the profile user):
/// a JWT cookie, or a session row and its cookie.
pub(crate) async fn issue_session(
    ctx: &Ctx<'_>,
    user: &User,
    account: &Account,
    is_new_user: Option<bool>,
    profile: Option<&serde_json::Value>,
) -> Result<Vec<HeaderValue>, String> {
    match (&ctx.config.adapter, ctx.config.strategy) {
        (Some(adapter), SessionStrategy::Database) => {
            crate::adapter::purge_if_due(&ctx.config.purge, adapter.as_ref(), ctx.now).await;
            let def = &ctx.profile.cookies.session_token;
            database::create(ctx.config, adapter.as_ref(), def, &ctx.req.cookies, &user.id, ctx.now)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "creating the session failed");
                    "Callback".to_owned()
                })
        }
        _ => issue_jwt_session(ctx, user, account, is_new_user, profile).await,
    }
}

/// Runs the `sign_in` callback. `Err` carries the response for a refusal.
pub(crate) async fn check_sign_in(
    ctx: &Ctx<'_>,
    args: SignInArgs<'_>,
    deny_status: Option<StatusCode>,
) -> Result<(), AuthResponse> {
    let Some(cb) = &ctx.config.callbacks else {
        return Ok(());
    };
    match cb.sign_in(args).await {
        Ok(SignInDecision::Allow) => Ok(()),
        Ok(SignInDecision::Deny) => {
            let r = AuthResponse::redirect(ctx.error_url("AccessDenied"));
            Err(match deny_status {
                Some(s) => r.status(s),
                None => r,
            })
        }
        // The app's target may leave the origin (as in NextAuth), but must be an http(s)
        // URL or a path; anything else is treated as a plain refusal.
        Ok(SignInDecision::Redirect(url)) if crate::redirect::is_app_target(&url) => Err(AuthResponse::redirect(url)),
        Ok(SignInDecision::Redirect(_)) => {
            tracing::warn!(
                "the sign_in callback redirected to a target that is not an http(s) URL or a path; refusing with AccessDenied"
            );
            let r = AuthResponse::redirect(ctx.error_url("AccessDenied"));
            Err(match deny_status {
                Some(s) => r.status(s),
                None => r,
            })
        }
        Err(e) => Err(AuthResponse::redirect(format!(
            "{}?error={}",
            ctx.base_url("error"),
            encode_component(&e.0)
        ))),
    }
}

/// After the session is issued: `events.sign_in`, then the new-user page or the callback URL.
pub(crate) async fn finish_sign_in(
    ctx: &Ctx<'_>,
    user: &User,
    account: &Account,
    is_new_user: Option<bool>,
    profile: Option<&serde_json::Value>,
    cookies: Vec<HeaderValue>,
) -> AuthResponse {
    if let Some(events) = &ctx.config.events {
        events
            .sign_in(SignInEvent {
                user,
                account,
                profile,
                is_new_user,
            })
            .await;
    }
    let target = match (&ctx.config.pages.new_user, is_new_user) {
        (Some(page), Some(true)) => with_param(page, "callbackUrl", &ctx.callback_url),
        _ => ctx.callback_url.clone(),
    };
    AuthResponse::redirect(target).cookies(cookies)
}
