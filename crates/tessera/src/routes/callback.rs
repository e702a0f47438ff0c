//! `GET|POST /callback/:provider` (spec §2.7): finishes a sign-in and issues the session.

use http::{HeaderValue, StatusCode, header::ALLOW};

use crate::adapter::{Adapter, AdapterError, NewUser, UserUpdate};
use crate::callbacks::{JwtArgs, JwtTrigger, SignInArgs, SignInDecision};
use crate::config::SessionStrategy;
use crate::cookies;
use crate::events::{self, SignInEvent};
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
            credentials_database_session(ctx, adapter.as_ref(), &provider.id, &user).await
        }
        _ => issue_jwt_session(ctx, &user, &account, Some(false), None).await,
    };
    match issued {
        // NextAuth reports `isNewUser` as undefined to credentials sign-in events.
        Ok(cookies) => finish_sign_in(ctx, &user, &account, None, None, cookies).await,
        Err(e) => AuthResponse::redirect(format!("{}?error={}", ctx.base_url("error"), encode_component(&e))),
    }
}

/// Credentials with database sessions (which NextAuth refuses): the user `authorize`
/// returned is found through its credentials account (or its email), or created, and a
/// session row is written.
async fn credentials_database_session(
    ctx: &Ctx<'_>,
    adapter: &dyn Adapter,
    provider_id: &str,
    user: &User,
) -> Result<Vec<HeaderValue>, String> {
    let stored = async {
        if let Some(u) = adapter.get_user_by_account(provider_id, &user.id).await? {
            // The app's `authorize` is the source of truth for credentials users: keep the
            // stored profile in step with it.
            if (&u.name, &u.email, &u.image) == (&user.name, &user.email, &user.image) {
                return Ok(u);
            }
            let update = UserUpdate {
                id: u.id.clone(),
                name: Some(user.name.clone()),
                email: Some(user.email.clone()),
                image: Some(user.image.clone()),
                email_verified: None,
            };
            return events::update_user(ctx, adapter, update).await;
        }
        let existing = match &user.email {
            Some(email) => adapter.get_user_by_email(email).await?,
            None => None,
        };
        let stored = match existing {
            Some(u) => u,
            None => {
                let new = NewUser {
                    name: user.name.clone(),
                    email: user.email.clone(),
                    image: user.image.clone(),
                    email_verified: None,
                };
                events::create_user(ctx, adapter, new).await?
            }
        };
        let mut account = Account {
            provider: provider_id.to_owned(),
            kind: AccountType::Credentials,
            provider_account_id: user.id.clone(),
            user_id: None,
            extra: Default::default(),
        };
        events::link_account(ctx, adapter, &stored, &mut account, None).await?;
        Ok::<_, AdapterError>(stored)
    }
    .await;
    let stored = stored.map_err(|e| {
        tracing::error!(error = %e, "credentials sign-in: adapter failed");
        "Callback".to_owned()
    })?;
    let def = &ctx.profile.cookies.session_token;
    database::create(ctx.config, adapter, def, &ctx.req.cookies, &stored.id, ctx.now)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "credentials sign-in: creating the session failed");
            "Callback".to_owned()
        })
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
        Ok(SignInDecision::Redirect(url)) => Err(AuthResponse::redirect(url)),
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
