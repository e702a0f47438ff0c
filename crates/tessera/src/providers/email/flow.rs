//! The email sign-in flow: `POST /signin/email` sends the link (spec §7.2 A),
//! `GET /callback/email` verifies it (§7.2 B).

use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::{EmailProvider, VerificationRequest, normalize_email};
use crate::Ctx;
use crate::User;
use crate::adapter::{Adapter, AdapterError, NewUser, UserUpdate, VerificationToken};
use crate::callbacks::SignInArgs;
use crate::random;
use crate::rate_limit;
use crate::response::AuthResponse;
use crate::routes::callback::{check_sign_in, finish_sign_in, issue_session};
use crate::session::after;
use crate::user::{Account, AccountType};

/// `sha256hex(token ‖ secret)`: what the adapter stores instead of the token.
pub(crate) fn hash_token(token: &str, secret: &crate::Secret) -> String {
    let mut h = Sha256::new();
    h.update(token.as_bytes());
    h.update(secret.expose().as_bytes());
    hex::encode(h.finalize())
}

fn account(provider: &EmailProvider, email: &str, user_id: Option<&str>) -> Account {
    Account {
        provider: provider.id.clone(),
        kind: AccountType::Email,
        provider_account_id: email.to_owned(),
        user_id: user_id.map(str::to_owned),
        extra: Default::default(),
    }
}

/// The user an address belongs to, or NextAuth's stub `{id: email, email}`.
async fn user_or_stub(adapter: &dyn Adapter, email: &str) -> Result<(User, bool), AdapterError> {
    Ok(match adapter.get_user_by_email(email).await? {
        Some(u) => (u, true),
        None => (
            User {
                email: Some(email.to_owned()),
                ..User::new(email)
            },
            false,
        ),
    })
}

/// Before the mailbox owner signs in to a user whose email was **not** verified: unlinks
/// every account of that user and deletes its sessions (M1).
///
/// Such a user was created on an unproven claim to the address: an OAuth profile with an
/// unverified email, or a credentials `authorize` that returned it. Whoever made that claim
/// may be an attacker who pre-registered the victim's address; without this, the victim
/// would sign in to the attacker's user and the attacker's account would keep access to
/// it. The mailbox owner is the first to prove anything, so every access that predates the
/// proof ends here. Refusing the sign-in instead would let anyone who can make an IdP assert
/// an address lock its owner out of email sign-in for good. The user row itself (its id,
/// name, and what the app keeps under that id) stays, so a legitimate owner loses only the
/// links, and re-links those accounts while signed in.
async fn release_unverified(adapter: &dyn Adapter, user: &User) -> Result<(), AdapterError> {
    let accounts = adapter.list_accounts(&user.id).await?;
    for a in &accounts {
        adapter.unlink_account(&a.provider, &a.provider_account_id).await?;
    }
    let sessions = adapter.delete_user_sessions(&user.id, None).await?;
    if !accounts.is_empty() || sessions > 0 {
        tracing::warn!(
            user_id = %user.id,
            accounts = accounts.len(),
            sessions,
            "email verified for the first time: unlinked the accounts and ended the sessions that predate it"
        );
    }
    Ok(())
}

fn adapter<'a>(ctx: &'a Ctx<'_>) -> Option<&'a dyn Adapter> {
    ctx.config.adapter.as_deref()
}

/// `POST /signin/:email` (CSRF already verified): validate, store the hashed token, send the link.
pub(crate) async fn request(ctx: &mut Ctx<'_>, provider: &EmailProvider) -> AuthResponse {
    let fail = |ctx: &Ctx<'_>| AuthResponse::redirect(ctx.error_url("EmailSignin"));
    let Some(adapter) = adapter(ctx) else {
        return fail(ctx); // unreachable: checked at build
    };
    let Some(Ok(email)) = ctx.req.body_str("email").map(normalize_email) else {
        tracing::info!("email sign-in refused: missing or invalid address");
        return fail(ctx);
    };
    // Every request counts, against all its buckets or (when one is full) none.
    let limits = ctx.config.rate_limits;
    let scopes = rate_limit::Scopes {
        client: limits.email_per_client,
        subject: limits.email_per_address,
        client_subject: None,
    };
    let buckets = rate_limit::buckets("email", ctx.client, Some(&email), scopes);
    if let Err(refused) = ctx.config.limiter.acquire(&buckets, std::time::Instant::now()) {
        tracing::warn!("email sign-in rate limited");
        return rate_limit::too_many(fail(ctx), refused);
    }
    let (user, _) = match user_or_stub(adapter, &email).await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "email sign-in: adapter failed");
            return fail(ctx);
        }
    };
    let acct = account(provider, &email, Some(&user.id));
    let args = SignInArgs {
        user: &user,
        account: &acct,
        profile: None,
        credentials: None,
        verification_request: Some(true),
    };
    if let Err(refusal) = check_sign_in(ctx, args, None).await {
        return refusal;
    }

    let token = random::hex_token();
    let expires = after(ctx.now, provider.max_age);
    let url = format!(
        "{}?{}",
        ctx.base_url(&format!("callback/{}", provider.id)),
        form_urlencoded::Serializer::new(String::new())
            .append_pair("callbackUrl", &ctx.callback_url)
            .append_pair("token", &token)
            .append_pair("email", &email)
            .finish()
    );
    let Some(secret) = ctx.config.secrets.first() else {
        return fail(ctx);
    };
    let stored = VerificationToken {
        identifier: email.clone(),
        token: hash_token(&token, secret),
        expires,
    };
    // Store first: a failed store sends nothing. A failed send deletes the token again.
    if let Err(e) = adapter.create_verification_token(stored.clone()).await {
        tracing::error!(error = %e, "email sign-in: storing the token failed");
        return fail(ctx);
    }
    crate::adapter::purge_if_due(&ctx.config.purge, adapter, ctx.now).await;
    let host = ctx.url.host();
    let request = VerificationRequest {
        identifier: &email,
        url: &url,
        expires,
        host,
        provider_id: &provider.id,
        theme: &ctx.config.theme,
    };
    if let Err(e) = provider.mailer.send(request).await {
        tracing::error!(error = %e, "email sign-in: sending failed");
        if let Err(e) = adapter.use_verification_token(&stored.identifier, &stored.token).await {
            tracing::error!(error = %e, "email sign-in: could not delete the unsent token");
        }
        return fail(ctx);
    }
    AuthResponse::redirect(format!(
        "{}?provider={}&type=email",
        ctx.base_url("verify-request"),
        crate::redirect::encode_component(&provider.id)
    ))
}

/// `GET /callback/:email?token&email&callbackUrl`.
pub(crate) async fn verify(ctx: &mut Ctx<'_>, provider: &EmailProvider) -> AuthResponse {
    let Some(adapter) = adapter(ctx) else {
        return AuthResponse::redirect(ctx.error_url("configuration"));
    };
    let Some(token) = ctx.req.query("token").filter(|t| !t.is_empty()) else {
        return AuthResponse::redirect(ctx.error_url("configuration"));
    };
    let verification = || AuthResponse::redirect(ctx.error_url("Verification"));
    let Some(Ok(email)) = ctx.req.query("email").map(normalize_email) else {
        return verification();
    };
    // A token is bound to the address it was issued for; any listed secret may have hashed it.
    let mut used = None;
    for secret in &ctx.config.secrets {
        match adapter.use_verification_token(&email, &hash_token(token, secret)).await {
            Ok(Some(t)) => {
                used = Some(t);
                break;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "email callback: adapter failed");
                return AuthResponse::redirect(ctx.error_url("Callback"));
            }
        }
    }
    match used {
        Some(t) if t.expires > ctx.now => {}
        _ => return verification(),
    }

    let Ok((user, exists)) = user_or_stub(adapter, &email).await else {
        return AuthResponse::redirect(ctx.error_url("Callback"));
    };
    let acct = account(provider, &email, exists.then_some(user.id.as_str()));
    let args = SignInArgs {
        user: &user,
        account: &acct,
        profile: None,
        credentials: None,
        verification_request: None,
    };
    if let Err(refusal) = check_sign_in(ctx, args, None).await {
        return refusal;
    }
    let now: SystemTime = ctx.now;
    if exists
        && user.email_verified.is_none()
        && let Err(e) = release_unverified(adapter, &user).await
    {
        tracing::error!(error = %e, "email callback: releasing the unverified user failed");
        return AuthResponse::redirect(ctx.error_url("Callback"));
    }
    let (user, is_new_user) = if exists {
        let update = UserUpdate {
            id: user.id.clone(),
            email_verified: Some(Some(now)),
            ..Default::default()
        };
        match crate::events::update_user(ctx, adapter, update).await {
            Ok(u) => (u, false),
            Err(_) => return AuthResponse::redirect(ctx.error_url("Callback")),
        }
    } else {
        let new = NewUser {
            email: Some(email.clone()),
            email_verified: Some(now),
            ..Default::default()
        };
        match crate::events::create_user(ctx, adapter, new).await {
            Ok(u) => (u, true),
            Err(e) => {
                tracing::error!(error = %e, "email callback: creating the user failed");
                return AuthResponse::redirect(ctx.error_url("EmailCreateAccount"));
            }
        }
    };
    let acct = account(provider, &email, Some(&user.id));
    match issue_session(ctx, &user, &acct, Some(is_new_user), None).await {
        Ok(cookies) => finish_sign_in(ctx, &user, &acct, Some(is_new_user), None, cookies).await,
        Err(e) => AuthResponse::redirect(format!(
            "{}?error={}",
            ctx.base_url("error"),
            crate::redirect::encode_component(&e)
        )),
    }
}
