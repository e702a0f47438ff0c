//! Signing in: the credentials, email, OAuth and password flows, and what they share to finish a
//! sign-in (the `sign_in` callback, issuing the session, the `sign_in` event and the
//! redirect), in the shape of @auth/core's `handle-login`. Routes dispatch here; the
//! providers keep only their configuration.

pub(crate) mod accounts;
mod complete;
pub(crate) mod credentials;
pub(crate) mod email;
pub(crate) mod email_code;
pub(crate) mod oauth;
pub(crate) mod password;
pub(crate) mod pending;
pub(crate) mod two_factor;

use tessera_protocol::ErrorCode;

use crate::adapter::AdapterError;
use crate::callbacks::CallbackError;
use crate::ctx::Ctx;
use crate::response::AuthResponse;

pub(crate) use complete::{
    SignedIn, check_sign_in, finish_sign_in, finish_sign_in_to, issue_session, issue_session_now,
};

/// `?error=configuration`, in lower case: what next-auth v4's email callback sends for a
/// link without a token, or with no adapter (`core/routes/callback.ts`). The error page
/// matches codes case-insensitively, so it shows the configuration error either way.
const EMAIL_LINK_INCOMPLETE: &str = "configuration";

/// Why a sign-in did not finish, and so where the browser goes instead. Flows log the
/// cause where it happens; this carries only what the client is told.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SignInError {
    /// The error page with this code (spec §8.2).
    Code(ErrorCode),
    /// An app callback (`authorize`, `sign_in`, `jwt`) failed: NextAuth passes the thrown
    /// error's message on as the `?error=` value.
    App(String),
    /// The `sign_in` callback sent the browser to this target instead.
    Redirect(String),
    /// A link without a token ([`EMAIL_LINK_INCOMPLETE`]).
    EmailLinkIncomplete,
    /// The store failed (the adapter's database is down): 503, nothing signed in
    /// ([`pages::unavailable::response`](crate::pages::unavailable::response)).
    Unavailable,
    /// The first factor is done and the user has two-factor sign-in: no session, but a
    /// pending sign-in (its Set-Cookies), and the sign-in page with `error=TwoFactorRequired`.
    TwoFactorRequired(PendingCookies),
}

/// The Set-Cookies of a pending two-factor sign-in. `Debug` does not show them.
#[derive(PartialEq, Eq)]
pub(crate) struct PendingCookies(pub Vec<http::HeaderValue>);

impl std::fmt::Debug for PendingCookies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PendingCookies({})", crate::secret::REDACTED)
    }
}

impl From<ErrorCode> for SignInError {
    fn from(code: ErrorCode) -> Self {
        SignInError::Code(code)
    }
}

impl From<CallbackError> for SignInError {
    fn from(e: CallbackError) -> Self {
        SignInError::App(e.0)
    }
}

impl SignInError {
    /// What a failed adapter call means for a sign-in, logged with `what` was being done:
    /// a failed store ([`AdapterError::Backend`]: connection, query) is
    /// [`Unavailable`](Self::Unavailable); any other error (a conflict, a missing row) is
    /// `code`, as NextAuth reports it.
    pub(crate) fn adapter(what: &str, e: &AdapterError, code: ErrorCode) -> Self {
        tracing::error!(error = %e, "{what}: adapter failed");
        match e {
            AdapterError::Backend(_) => SignInError::Unavailable,
            _ => SignInError::Code(code),
        }
    }

    /// The redirect that tells the client (the 503 of [`Unavailable`](Self::Unavailable)).
    pub(crate) fn into_response(self, ctx: &Ctx<'_>) -> AuthResponse {
        AuthResponse::redirect(match self {
            SignInError::Unavailable => return crate::pages::unavailable::response(ctx),
            // 401, as refused credentials: next-auth/react's `signIn` reads the `error` of
            // the URL either way (Auth.js v5 answers 200, see `v5_json_redirect`).
            SignInError::TwoFactorRequired(cookies) => {
                return AuthResponse::redirect(
                    ctx.sign_in_error_url_with(crate::providers::two_factor::TWO_FACTOR_REQUIRED),
                )
                .status(http::StatusCode::UNAUTHORIZED)
                .cookies(cookies.0);
            }
            SignInError::Code(code) => ctx.error_url(code),
            // Auth.js v5 never shows the client an app's message: a throwing `signIn`
            // callback is `AccessDenied` there (`lib/actions/callback/index.ts`). (A
            // throwing `jwt` callback would be `Configuration`; both arrive here alike.)
            SignInError::App(message) => match ctx.config.compat {
                crate::Compat::NextAuthV4 => ctx.error_url_with(&message),
                crate::Compat::AuthJsV5 => ctx.error_url(ErrorCode::AccessDenied),
            },
            SignInError::Redirect(target) => target,
            // Auth.js v5 throws an error named `Configuration` (`lib/actions/callback/index.ts`).
            SignInError::EmailLinkIncomplete => match ctx.config.compat {
                crate::Compat::NextAuthV4 => ctx.error_url_with(EMAIL_LINK_INCOMPLETE),
                crate::Compat::AuthJsV5 => ctx.error_url(ErrorCode::Configuration),
            },
        })
    }
}
