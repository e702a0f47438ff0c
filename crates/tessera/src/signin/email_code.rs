//! One-time email codes ([`CodeMode`](crate::providers::email::CodeMode)): issuing them
//! with the link, and `POST /callback/:id` (`email`, `code`, `csrfToken`) signing in with
//! one.
//!
//! # What is stored
//!
//! Nothing new: a code is a verification token of the address, as the link is. For a code
//! `c` of address `e`, issued in period `p` (the Unix time divided by the code's lifetime):
//!
//! * the link's token is `t = HMAC-SHA256(secret, "link", e, c, p)` (64 hex digits), stored
//!   as links always are, `sha256hex(t ‖ secret)`, with the link's expiry;
//! * the code's row is `HMAC-SHA256(secret, "code", t)`, with the code's expiry.
//!
//! The code gives `t`, and so both rows; the link gives `t`, and so both rows: using either
//! deletes both (single use, and one burns the other). Both are keyed with the server
//! secret, so someone who reads the database cannot try the 10⁶ codes offline against
//! them (an unkeyed hash of a six-digit code is reversed in a second), nor forge a link.
//!
//! A submitted code is checked by looking up its row (`use_verification_token`, which
//! deletes what it finds): the database compares HMAC values that no one can steer
//! without the secret, so the time a comparison takes tells nothing about the code. The
//! row found is compared again here in constant time ([`crate::secret::ct_eq`]), for
//! adapters whose lookup is looser than byte equality.
//!
//! # Wrong codes
//!
//! Every attempt counts, before it is checked, against the per-client credentials limit
//! ([`RateLimits::credentials_per_client`](crate::rate_limit::RateLimits)) and against
//! [`EmailProvider::code_tries`] wrong codes per address and period, in the rate limiter
//! (shared through the rate-limit store when one is set); a right code gives its counts
//! back. A code can only be used in the period it was issued in or the next one (it lives
//! one period at most), so an attempt counts against both. A period's budget lasts two
//! periods from its first attempt, as long as any code of the period lives. Once it is
//! used up, the period's codes are burned: every later attempt against them fails, and the
//! code presented is deleted even when it is right. A code asked for after that in the
//! same period fails too; the next period starts afresh.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use http::StatusCode;
use sha2::Sha256;

use super::SignInError;
use super::email::{hash_token, sign_in_verified};
use crate::ErrorCode;
use crate::adapter::{Adapter, AdapterError};
use crate::ctx::Ctx;
use crate::providers::email::{EmailProvider, normalize_email};
use crate::rate_limit::{self, Limit, Reservation, Scopes};
use crate::redirect::with_param;
use crate::response::AuthResponse;
use crate::secret::{Secret, ct_eq};

/// Digits in a code.
pub(crate) const DIGITS: usize = 6;

/// A code: six decimal digits, uniform, from the operating system's generator (rejection
/// sampling, so that no code is likelier than another).
pub(crate) fn new_code() -> String {
    const RANGE: u32 = 1_000_000;
    const ZONE: u32 = (u32::MAX / RANGE) * RANGE;
    loop {
        let n = u32::from_le_bytes(crate::random::bytes::<4>());
        if n < ZONE {
            return format!("{:06}", n % RANGE);
        }
    }
}

/// The period a code issued at `now` belongs to: the Unix time in whole code lifetimes.
pub(crate) fn slot(now: SystemTime, provider: &EmailProvider) -> u64 {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    secs / period(provider)
}

/// A period's length in seconds (one second for codes that expire at once).
fn period(provider: &EmailProvider) -> u64 {
    u64::try_from(provider.code_lifetime()).unwrap_or(0).max(1)
}

/// `HMAC-SHA256(secret, parts)`, each part length-prefixed, as hex.
fn mac(secret: &Secret, parts: &[&[u8]]) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes a key of any length");
    for part in parts {
        m.update(&(part.len() as u64).to_le_bytes());
        m.update(part);
    }
    hex::encode(m.finalize().into_bytes())
}

/// The link's token for `code` (see the [module docs](self)).
pub(crate) fn link_token(secret: &Secret, email: &str, code: &str, slot: u64) -> String {
    mac(
        secret,
        &[
            b"tessera email code link",
            email.as_bytes(),
            code.as_bytes(),
            &slot.to_le_bytes(),
        ],
    )
}

/// The stored token of the code whose link token is `link_token`.
pub(crate) fn code_row(secret: &Secret, link_token: &str) -> String {
    mac(secret, &[b"tessera email code", link_token.as_bytes()])
}

/// Where the mail of a code without a link sends the reader: the verify-request page,
/// whose form takes the code.
pub(crate) fn page_url(ctx: &Ctx<'_>, provider: &EmailProvider) -> String {
    let page = with_param(&ctx.base_url("verify-request"), "provider", &provider.id);
    with_param(&page, "type", "email")
}

/// A submitted code, without the spaces or dashes a reader may copy with it: exactly six
/// ASCII digits.
fn parse_code(input: &str) -> Option<String> {
    let code: String = input.chars().filter(|c| !matches!(c, ' ' | '-' | '\t')).collect();
    (code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// The answer to a wrong, expired, used or burned code: `Verification`, as for a bad link.
fn wrong_code(ctx: &Ctx<'_>) -> AuthResponse {
    SignInError::from(ErrorCode::Verification)
        .into_response(ctx)
        .status(StatusCode::UNAUTHORIZED)
}

/// `POST /callback/:id` for an email provider that sends codes.
pub(crate) async fn submit(ctx: &Ctx<'_>, provider: &EmailProvider) -> AuthResponse {
    if !ctx.csrf_verified() {
        return ctx.csrf_refused("signin");
    }
    let limits = ctx.config.rate_limits;
    let scopes = Scopes {
        client: limits.credentials_per_client,
        subject: None,
        client_subject: None,
    };
    let buckets = rate_limit::buckets("credentials", ctx.client, None, scopes);
    let client = match ctx.config.limits.acquire(&buckets).await {
        Ok(r) => r,
        Err(refused) => {
            tracing::warn!(provider = %provider.id, "email code sign-in rate limited");
            return rate_limit::too_many(wrong_code(ctx), refused);
        }
    };
    let email = ctx.req.body_str("email").and_then(|e| normalize_email(e).ok());
    let code = ctx.req.body_str("code").and_then(parse_code);
    let (Some(email), Some(code)) = (email, code) else {
        tracing::info!(provider = %provider.id, "email code sign-in refused: missing or malformed address or code");
        return wrong_code(ctx);
    };
    match check(ctx, provider, &email, &code).await {
        Ok(Some(taken)) => {
            for reservation in taken.into_iter().chain([client]) {
                ctx.config.limits.refund(reservation).await;
            }
            match sign_in_verified(ctx, provider, &email).await {
                Ok(response) => response,
                Err(e @ SignInError::Code(ErrorCode::AccessDenied)) => {
                    e.into_response(ctx).status(StatusCode::FORBIDDEN)
                }
                Err(e) => e.into_response(ctx),
            }
        }
        Ok(None) => wrong_code(ctx),
        Err(e) => SignInError::adapter("email code sign-in", &e, ErrorCode::Callback).into_response(ctx),
    }
}

/// Uses the code: `Some` (the counts to give back) when it was issued, is unexpired and
/// its period is not burned; `None` otherwise. Either way the code's rows, and its link's,
/// are gone afterwards if they existed.
async fn check(
    ctx: &Ctx<'_>,
    provider: &EmailProvider,
    email: &str,
    code: &str,
) -> Result<Option<Vec<Reservation>>, AdapterError> {
    let adapter: &dyn Adapter = ctx
        .config
        .adapter
        .as_deref()
        .expect("build() refuses an email provider without an adapter");
    let now = slot(ctx.now, provider);
    let budget = Limit::new(provider.code_tries, Duration::from_secs(2 * period(provider)));
    let mut taken = Vec::with_capacity(2);
    let mut slots = vec![now];
    if let Some(previous) = now.checked_sub(1) {
        slots.push(previous);
    }
    for slot in slots {
        let subject = format!("{email}\n{slot}");
        let scopes = Scopes {
            client: None,
            subject: Some(budget),
            client_subject: None,
        };
        let buckets = rate_limit::buckets("email-code", None, Some(&subject), scopes);
        let burned = match ctx.config.limits.acquire(&buckets).await {
            Ok(r) => {
                taken.push(r);
                false
            }
            Err(_) => true,
        };
        for secret in &ctx.config.secrets {
            let token = link_token(secret, email, code, slot);
            let row = code_row(secret, &token);
            let Some(found) = adapter.use_verification_token(email, &row).await? else {
                continue;
            };
            // The link of the same mail goes with it.
            adapter
                .use_verification_token(email, &hash_token(&token, secret))
                .await?;
            if burned {
                tracing::warn!(provider = %provider.id, "email code refused and deleted: too many wrong codes for the address");
                return Ok(None);
            }
            if !ct_eq(&found.token, &row) || found.identifier != email || found.expires <= ctx.now {
                tracing::info!(provider = %provider.id, "email code refused: expired");
                return Ok(None);
            }
            return Ok(Some(taken));
        }
        if burned {
            tracing::warn!(provider = %provider.id, "email code refused: too many wrong codes for the address");
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| new_code()).collect();
        assert!(codes.iter().all(|c| parse_code(c).as_deref() == Some(c.as_str())));
        // 200 draws from 10⁶ collide with probability about 2 %: 190 distinct is far below.
        assert!(codes.len() > 190, "{} distinct", codes.len());
        // Every digit position takes several values.
        for i in 0..DIGITS {
            let digits: std::collections::HashSet<u8> = codes.iter().map(|c| c.as_bytes()[i]).collect();
            assert!(digits.len() > 5, "position {i}: {digits:?}");
        }
    }

    #[test]
    fn submitted_codes_are_parsed_strictly() {
        assert_eq!(parse_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(parse_code("123-456").as_deref(), Some("123456"));
        for bad in ["12345", "1234567", "12345a", "١٢٣٤٥٦", "", "123456\n"] {
            assert_eq!(parse_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rows_are_keyed_by_the_secret_the_address_the_code_and_the_period() {
        let a = Secret::from("a tessera test secret");
        let b = Secret::from("another test secret!");
        let t = link_token(&a, "a@x.com", "123456", 7);
        assert_eq!(t.len(), 64);
        assert_eq!(t, link_token(&a, "a@x.com", "123456", 7));
        for other in [
            link_token(&b, "a@x.com", "123456", 7),
            link_token(&a, "b@x.com", "123456", 7),
            link_token(&a, "a@x.com", "123457", 7),
            link_token(&a, "a@x.com", "123456", 8),
        ] {
            assert_ne!(t, other);
        }
        assert_ne!(code_row(&a, &t), code_row(&b, &t));
        assert_ne!(code_row(&a, &t), hash_token(&t, &a));
    }
}
