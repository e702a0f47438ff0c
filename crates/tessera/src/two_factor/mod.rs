//! Two-factor sign-in with TOTP (RFC 6238) and recovery codes, opted in with
//! [`AuthBuilder::two_factor`](crate::AuthBuilder::two_factor).
//!
//! * Set-up, while signed in (`setup`): `GET {base}/two-factor/setup` makes a secret and
//!   shows it (with its `otpauth://` URI and a QR code), keeping it in a short-lived
//!   encrypted cookie; `POST {base}/two-factor/enable` with a first code stores it
//!   ([`sealed`]) and answers the ten recovery codes ([`recovery`]), once;
//!   `POST {base}/two-factor/disable` with a code (or the password) turns it off.
//! * Sign-in: when a user with a set-up completes a first factor, the one place that
//!   issues sessions (`signin::issue_session`) issues none: it starts a pending sign-in
//!   (`signin::pending`) and answers `error=TwoFactorRequired`. `POST {base}/callback/two-factor`
//!   with a code finishes it (`signin::two_factor`).
//! * Every code is checked here ([`check_code`]): a TOTP code of the current step or one
//!   either side, never a step at or before the last one accepted (replays), or a
//!   recovery code, used up. Attempts count against the two-factor rate limits.

pub(crate) mod recovery;
pub(crate) mod sealed;
pub(crate) mod setup;
pub(crate) mod totp;

pub(crate) use crate::providers::two_factor::{PROVIDER_ID, TwoFactor};

use crate::adapter::{Adapter, AdapterError, TwoFactorRecord};
use crate::cookies::CookieDef;
use crate::ctx::Ctx;
use crate::providers::Provider;
use crate::rate_limit;

/// The configured two-factor sign-in, if any.
pub(crate) fn config<'a>(ctx: &Ctx<'a>) -> Option<&'a TwoFactor> {
    ctx.config.providers.iter().find_map(|p| match p {
        Provider::TwoFactor(t) => Some(t),
        _ => None,
    })
}

/// The adapter (the builder refuses two-factor sign-in without one).
pub(crate) fn adapter<'a>(ctx: &Ctx<'a>) -> &'a dyn Adapter {
    ctx.config
        .adapter
        .as_deref()
        .expect("build() refuses two-factor sign-in without an adapter")
}

/// Whether `user_id` must give a second factor: two-factor sign-in is on and the user has
/// a set-up.
pub(crate) async fn required(ctx: &Ctx<'_>, user_id: &str) -> Result<bool, AdapterError> {
    if config(ctx).is_none() {
        return Ok(false);
    }
    Ok(adapter(ctx).get_two_factor(user_id).await?.is_some())
}

/// A two-factor cookie: `<__Secure->next-auth.<suffix>` (`authjs.` in Auth.js v5), with the
/// session cookie's attributes and a `Max-Age`.
pub(crate) fn cookie_def(ctx: &Ctx<'_>, suffix: &str, max_age: i64) -> CookieDef {
    let session = &ctx.profile.cookies.session_token;
    let stem = match ctx.config.compat {
        crate::Compat::NextAuthV4 => "next-auth",
        crate::Compat::AuthJsV5 => "authjs",
    };
    let prefix = if session.options.secure { "__Secure-" } else { "" };
    let mut options = session.options.clone();
    options.max_age = Some(max_age);
    CookieDef {
        name: format!("{prefix}{stem}.{suffix}"),
        options,
    }
}

/// What a code turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeCheck {
    /// A TOTP code, now used.
    Totp,
    /// A recovery code, now used up.
    Recovery,
    /// A TOTP code of a step at or before the last one accepted.
    Replayed,
    /// Anything else.
    Wrong,
}

impl CodeCheck {
    pub(crate) fn accepted(self) -> bool {
        matches!(self, CodeCheck::Totp | CodeCheck::Recovery)
    }
}

/// Checks `input` against `user_id`'s set-up and uses it up when it is good.
pub(crate) async fn check_code(
    ctx: &Ctx<'_>,
    user_id: &str,
    record: &TwoFactorRecord,
    input: &str,
) -> Result<CodeCheck, AdapterError> {
    let adapter = adapter(ctx);
    let input = input.trim();
    if totp::is_code_shaped(input) {
        let Some(secret) = sealed::open(ctx.config, user_id, &record.secret) else {
            tracing::error!(user_id = %user_id, "the two-factor secret does not open with the configured secrets");
            return Ok(CodeCheck::Wrong);
        };
        let Some(step) = totp::matching_step(&secret, input, ctx.now) else {
            return Ok(CodeCheck::Wrong);
        };
        return Ok(if adapter.use_two_factor_step(user_id, step).await? {
            CodeCheck::Totp
        } else {
            CodeCheck::Replayed
        });
    }
    let Some(code) = recovery::normalize(input) else {
        return Ok(CodeCheck::Wrong);
    };
    Ok(
        if adapter
            .use_recovery_code(user_id, &recovery::hash(user_id, &code))
            .await?
        {
            tracing::info!(user_id = %user_id, "a recovery code was used");
            CodeCheck::Recovery
        } else {
            CodeCheck::Wrong
        },
    )
}

/// The rate-limit buckets of code attempts for `user_id`: per user, per client.
pub(crate) fn buckets(ctx: &Ctx<'_>, user_id: &str) -> Vec<(rate_limit::Key, rate_limit::Limit)> {
    let limits = ctx.config.rate_limits;
    let scopes = rate_limit::Scopes {
        client: limits.two_factor_per_client,
        subject: limits.two_factor_per_user,
        client_subject: None,
    };
    rate_limit::buckets("two-factor", ctx.client, Some(user_id), scopes)
}
