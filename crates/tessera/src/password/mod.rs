//! The account flows of the [`password` provider](crate::providers::PasswordProvider)
//! beside sign-in (`signin::password`): sign-up, verification of the address, forgotten
//! passwords and resets, changes. What they share is here: the answers (a redirect with
//! `?error=<code>`, or for a browser's form the page again with the message), the tokens
//! (the email provider's verification tokens, hashed in a domain of their own) and the
//! mails (through the email provider's mailer, counted against the email limits).

pub(crate) mod change;
pub(crate) mod reset;
pub(crate) mod signup;
pub(crate) mod verify;

use http::StatusCode;
use sha2::{Digest, Sha256};

use crate::adapter::{Adapter, AdapterError, VerificationToken};
use crate::ctx::Ctx;
use crate::pages::{self, FormPage};
use crate::providers::PasswordProvider;
use crate::providers::email::{MailPurpose, VerificationRequest};
use crate::rate_limit;
use crate::redirect::with_param;
use crate::response::AuthResponse;
use crate::session::after;

/// What a mailed token is for: each hashes in a domain of its own, so a token of one kind
/// (or an email provider's magic link, hashed without a domain) is never another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenPurpose {
    /// Verifies the address of a new account.
    Verify,
    /// Resets the password.
    Reset,
}

impl TokenPurpose {
    fn domain(self) -> &'static [u8] {
        match self {
            TokenPurpose::Verify => b"tessera password verify\0",
            TokenPurpose::Reset => b"tessera password reset\0",
        }
    }
}

/// `sha256hex(domain ‖ token ‖ secret)`: what the adapter stores for a mailed token.
pub(crate) fn hash_token(purpose: TokenPurpose, token: &str, secret: &crate::Secret) -> String {
    let mut h = Sha256::new();
    h.update(purpose.domain());
    h.update(token.as_bytes());
    h.update(secret.expose().as_bytes());
    hex::encode(h.finalize())
}

/// The password provider (the builder allows one), for the routes that do not name it.
pub(crate) fn provider<'a>(ctx: &Ctx<'a>) -> Option<&'a PasswordProvider> {
    ctx.config.providers.iter().find_map(|p| match p {
        crate::providers::Provider::Password(p) => Some(p),
        _ => None,
    })
}

/// The adapter (the builder refuses a password provider without one).
pub(crate) fn adapter<'a>(ctx: &Ctx<'a>) -> &'a dyn Adapter {
    ctx.config
        .adapter
        .as_deref()
        .expect("build() refuses a password provider without an adapter")
}

/// A refusal: `<base>/<page>?error=<code>` with `status` (`{"url"}` for a client that asked
/// for JSON), or for a browser's form the page itself again, with the message.
pub(crate) fn refusal(ctx: &Ctx<'_>, page: FormPage<'_>, code: &str, status: StatusCode) -> AuthResponse {
    let url = with_param(&ctx.base_url(page.action), "error", code);
    let html = pages::render_form(
        ctx,
        FormPage {
            error: Some(code),
            ..page
        },
    );
    AuthResponse::redirect(url).status(status).or_page(html)
}

/// The answer when the store fails: 503, as the sign-in flows answer.
pub(crate) fn unavailable(ctx: &Ctx<'_>, what: &str, e: &AdapterError) -> AuthResponse {
    tracing::error!(error = %e, "{what}: adapter failed");
    pages::unavailable::response(ctx)
}

/// `<base>/verify-request?provider=<id>&type=<kind>`: "check your email", the same for
/// every address.
pub(crate) fn check_your_email(ctx: &Ctx<'_>, provider: &PasswordProvider, kind: &str) -> AuthResponse {
    let page = with_param(&ctx.base_url("verify-request"), "provider", &provider.id);
    AuthResponse::redirect(with_param(&page, "type", kind))
}

/// Counts a mail to `email` against the email limits (per address, per client), before
/// anything is done: `Err` with the 429 when one is full.
pub(crate) async fn count_mail(ctx: &Ctx<'_>, email: &str) -> Result<(), rate_limit::Refused> {
    let limits = ctx.config.rate_limits;
    let scopes = rate_limit::Scopes {
        client: limits.email_per_client,
        subject: limits.email_per_address,
        client_subject: None,
    };
    let buckets = rate_limit::buckets("password-mail", ctx.client, Some(email), scopes);
    ctx.config.limits.acquire(&buckets).await.map(drop)
}

/// A token to mail: stored hashed (with the first secret), bound to `email`, valid
/// `max_age` seconds. Returns the raw token, which only the mail carries.
pub(crate) async fn store_token(
    ctx: &Ctx<'_>,
    purpose: TokenPurpose,
    email: &str,
    max_age: i64,
) -> Result<(String, VerificationToken), AdapterError> {
    let token = crate::random::hex_token();
    let secret = ctx.config.secrets.first().expect("build() requires a secret");
    let stored = VerificationToken {
        identifier: email.to_owned(),
        token: hash_token(purpose, &token, secret),
        expires: after(ctx.now, max_age),
    };
    adapter(ctx).create_verification_token(stored.clone()).await?;
    crate::adapter::purge_if_due(&ctx.config.purge, adapter(ctx), ctx.now).await;
    Ok((token, stored))
}

/// Uses (deletes) a mailed token of `purpose` for `email`, hashed with any listed secret:
/// `Some` when it existed and has not expired.
pub(crate) async fn use_token(
    ctx: &Ctx<'_>,
    purpose: TokenPurpose,
    email: &str,
    token: &str,
) -> Result<Option<VerificationToken>, AdapterError> {
    for secret in &ctx.config.secrets {
        if let Some(found) = adapter(ctx)
            .use_verification_token(email, &hash_token(purpose, token, secret))
            .await?
        {
            return Ok(Some(found).filter(|t| t.expires > ctx.now));
        }
    }
    Ok(None)
}

/// `<base>/<path>?token=<token>&email=<email>`: a mailed link.
pub(crate) fn link(ctx: &Ctx<'_>, path: &str, token: &str, email: &str) -> String {
    format!(
        "{}?{}",
        ctx.base_url(path),
        form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("email", email)
            .finish()
    )
}

/// Sends one mail through the email provider's mailer; `false` (logged) when it failed.
pub(crate) async fn send(
    ctx: &Ctx<'_>,
    provider: &PasswordProvider,
    purpose: MailPurpose,
    email: &str,
    url: &str,
    expires: std::time::SystemTime,
) -> bool {
    let request = VerificationRequest {
        identifier: email,
        url,
        expires,
        host: ctx.url.host(),
        provider_id: &provider.id,
        theme: &ctx.config.theme,
        purpose,
        code: None,
    };
    match provider.resolved().mailer.send(request).await {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, ?purpose, "password provider: sending a mail failed");
            false
        }
    }
}
