//! Email sign-in: `POST /signin/:id` sends the link (spec §7.2 A) and, when the provider
//! sends one, a one-time code ([`email_code`](super::email_code)); `GET /callback/:id`
//! verifies the link (§7.2 B).

use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::accounts::{create_user, update_user};
use super::email_code;
use super::{SignInError, SignedIn, check_sign_in, finish_sign_in, issue_session};
use crate::adapter::{Adapter, AdapterError, NewUser, UserUpdate, VerificationToken};
use crate::callbacks::SignInArgs;
use crate::ctx::Ctx;
use crate::providers::email::{EmailProvider, MailPurpose, VerificationRequest, normalize_email};
use crate::random;
use crate::rate_limit;
use crate::redirect::with_param;
use crate::response::AuthResponse;
use crate::session::after;
use crate::user::{Account, AccountType};
use crate::{ErrorCode, User};

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
pub(crate) async fn release_unverified(adapter: &dyn Adapter, user: &User) -> Result<(), AdapterError> {
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

/// `POST /signin/:id` (CSRF verified): validates the address, stores the hashed token and
/// sends the link. Every failure is `EmailSignin`, except a failed store (a 503).
pub(crate) async fn request(ctx: &Ctx<'_>, provider: &EmailProvider) -> AuthResponse {
    match send_link(ctx, provider).await {
        Ok(()) => {
            let page = with_param(&ctx.base_url("verify-request"), "provider", &provider.id);
            AuthResponse::redirect(with_param(&page, "type", "email"))
        }
        Err(Refusal::RateLimited(refused)) => {
            rate_limit::too_many(SignInError::from(ErrorCode::EmailSignin).into_response(ctx), refused)
        }
        Err(Refusal::SignIn(e)) => e.into_response(ctx),
    }
}

/// Why no link was sent.
enum Refusal {
    RateLimited(rate_limit::Refused),
    SignIn(SignInError),
}

impl From<SignInError> for Refusal {
    fn from(e: SignInError) -> Self {
        Refusal::SignIn(e)
    }
}

async fn send_link(ctx: &Ctx<'_>, provider: &EmailProvider) -> Result<(), Refusal> {
    let fail = || Refusal::SignIn(ErrorCode::EmailSignin.into());
    // The builder refuses an email provider without an adapter.
    let adapter = ctx
        .config
        .adapter
        .as_deref()
        .expect("build() refuses an email provider without an adapter");
    let Some(Ok(email)) = ctx.req.body_str("email").map(normalize_email) else {
        tracing::info!("email sign-in refused: missing or invalid address");
        return Err(fail());
    };
    // Every request counts, against all its buckets or (when one is full) none.
    let limits = ctx.config.rate_limits;
    let scopes = rate_limit::Scopes {
        client: limits.email_per_client,
        subject: limits.email_per_address,
        client_subject: None,
    };
    let buckets = rate_limit::buckets("email", ctx.client, Some(&email), scopes);
    if let Err(refused) = ctx.config.limits.acquire(&buckets).await {
        tracing::warn!("email sign-in rate limited");
        return Err(Refusal::RateLimited(refused));
    }
    let (user, _) = user_or_stub(adapter, &email)
        .await
        .map_err(|e| SignInError::adapter("email sign-in: reading the user", &e, ErrorCode::EmailSignin))?;
    let acct = account(provider, &email, Some(&user.id));
    let args = SignInArgs {
        user: &user,
        account: &acct,
        profile: None,
        credentials: None,
        verification_request: Some(true),
    };
    check_sign_in(ctx, args).await?;

    let secret = ctx.config.secrets.first().expect("build() requires a secret");
    let mode = provider.code_mode;
    // With a code, the link's token is derived from it (see `email_code`), so that using
    // either burns the other.
    let code = mode.sends_code().then(email_code::new_code);
    let token = match &code {
        Some(code) => email_code::link_token(secret, &email, code, email_code::slot(ctx.now, provider)),
        None => random::hex_token(),
    };
    let expires = after(ctx.now, provider.max_age);
    let code_expires = after(ctx.now, provider.code_lifetime());
    let url = if mode.sends_link() {
        format!(
            "{}?{}",
            ctx.base_url(&format!("callback/{}", provider.id)),
            form_urlencoded::Serializer::new(String::new())
                .append_pair("callbackUrl", &ctx.callback_url)
                .append_pair("token", &token)
                .append_pair("email", &email)
                .finish()
        )
    } else {
        email_code::page_url(ctx, provider)
    };
    let mut rows = Vec::with_capacity(2);
    if code.is_some() {
        rows.push(VerificationToken {
            identifier: email.clone(),
            token: email_code::code_row(secret, &token),
            expires: code_expires,
        });
    }
    if mode.sends_link() {
        rows.push(VerificationToken {
            identifier: email.clone(),
            token: hash_token(&token, secret),
            expires,
        });
    }
    // Store first: a failed store sends nothing. A failed send deletes the tokens again.
    for (i, row) in rows.iter().enumerate() {
        if let Err(e) = adapter.create_verification_token(row.clone()).await {
            forget(adapter, &rows[..i]).await;
            let what = "email sign-in: storing the token";
            return Err(SignInError::adapter(what, &e, ErrorCode::EmailSignin).into());
        }
    }
    crate::adapter::purge_if_due(&ctx.config.purge, adapter, ctx.now).await;
    let request = VerificationRequest {
        identifier: &email,
        url: &url,
        expires: if mode.sends_link() { expires } else { code_expires },
        host: ctx.url.host(),
        provider_id: &provider.id,
        theme: &ctx.config.theme,
        purpose: if mode.sends_link() {
            MailPurpose::SignIn
        } else {
            MailPurpose::SignInCode
        },
        code: code.as_deref(),
    };
    if let Err(e) = provider.mailer.send(request).await {
        tracing::error!(error = %e, "email sign-in: sending failed");
        forget(adapter, &rows).await;
        return Err(fail());
    }
    Ok(())
}

/// Deletes tokens that were stored for a mail that is not sent.
async fn forget(adapter: &dyn Adapter, rows: &[VerificationToken]) {
    for row in rows {
        if let Err(e) = adapter.use_verification_token(&row.identifier, &row.token).await {
            tracing::error!(error = %e, "email sign-in: could not delete an unsent token");
        }
    }
}

/// `GET /callback/:id?token&email&callbackUrl`.
pub(crate) async fn callback(ctx: &Ctx<'_>, provider: &EmailProvider) -> AuthResponse {
    match verify(ctx, provider).await {
        Ok(response) => response,
        Err(e) => e.into_response(ctx),
    }
}

async fn verify(ctx: &Ctx<'_>, provider: &EmailProvider) -> Result<AuthResponse, SignInError> {
    let Some(adapter) = ctx.config.adapter.as_deref() else {
        return Err(SignInError::EmailLinkIncomplete);
    };
    let Some(token) = ctx.req.query("token").filter(|t| !t.is_empty()) else {
        return Err(SignInError::EmailLinkIncomplete);
    };
    let Some(Ok(email)) = ctx.req.query("email").map(normalize_email) else {
        return Err(ErrorCode::Verification.into());
    };
    let failed = |what: &str, e: &AdapterError| SignInError::adapter(what, e, ErrorCode::Callback);
    // A token is bound to the address it was issued for; any listed secret may have hashed it.
    let mut used = None;
    for secret in &ctx.config.secrets {
        let found = adapter
            .use_verification_token(&email, &hash_token(token, secret))
            .await
            .map_err(|e| failed("email callback: using the token", &e))?;
        if found.is_some() {
            used = found;
            // The code mailed with the link is burned with it.
            if provider.code_mode.sends_code() {
                adapter
                    .use_verification_token(&email, &email_code::code_row(secret, token))
                    .await
                    .map_err(|e| failed("email callback: burning the code", &e))?;
            }
            break;
        }
    }
    match used {
        Some(t) if t.expires > ctx.now => {}
        _ => return Err(ErrorCode::Verification.into()),
    }
    sign_in_verified(ctx, provider, &email).await
}

/// Signs in the owner of `email`, who just proved it (a link or a code was used): the
/// `sign_in` callback, the user (created, or verified and released, M1), the session.
pub(crate) async fn sign_in_verified(
    ctx: &Ctx<'_>,
    provider: &EmailProvider,
    email: &str,
) -> Result<AuthResponse, SignInError> {
    let adapter = ctx
        .config
        .adapter
        .as_deref()
        .expect("build() refuses an email provider without an adapter");
    let failed = |what: &str, e: &AdapterError| SignInError::adapter(what, e, ErrorCode::Callback);

    let (user, exists) = user_or_stub(adapter, email)
        .await
        .map_err(|e| failed("email callback: reading the user", &e))?;
    let acct = account(provider, email, exists.then_some(user.id.as_str()));
    let args = SignInArgs {
        user: &user,
        account: &acct,
        profile: None,
        credentials: None,
        verification_request: None,
    };
    check_sign_in(ctx, args).await?;
    let now: SystemTime = ctx.now;
    if exists && user.email_verified.is_none() {
        release_unverified(adapter, &user)
            .await
            .map_err(|e| failed("email callback: releasing the unverified user", &e))?;
    }
    let (user, is_new_user) = if exists {
        let update = UserUpdate {
            id: user.id.clone(),
            email_verified: Some(Some(now)),
            ..Default::default()
        };
        let user = update_user(ctx, adapter, update)
            .await
            .map_err(|e| failed("email callback: updating the user", &e))?;
        (user, false)
    } else {
        let new = NewUser {
            email: Some(email.to_owned()),
            email_verified: Some(now),
            ..Default::default()
        };
        let user = create_user(ctx, adapter, new).await.map_err(|e| {
            SignInError::adapter("email callback: creating the user", &e, ErrorCode::EmailCreateAccount)
        })?;
        (user, true)
    };
    let acct = account(provider, email, Some(&user.id));
    let signed_in = SignedIn {
        user: &user,
        account: &acct,
        is_new_user: Some(is_new_user),
        profile: None,
    };
    let cookies = issue_session(ctx, signed_in).await?;
    Ok(finish_sign_in(ctx, signed_in, cookies).await)
}
