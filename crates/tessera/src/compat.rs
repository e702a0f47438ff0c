//! [`Compat`]: which generation of the protocol to speak, and what Auth.js v5 tells the
//! client where it differs from next-auth 4 ([`v5_error`]).

use crate::ErrorCode;

/// Which generation of the protocol to speak: cookie names, JWE algorithms, the JSON of
/// "no session" and the headers the client may send. Set it with
/// [`AuthBuilder::compat`](crate::AuthBuilder::compat).
///
/// ```
/// let auth = tessera::Auth::builder()
///     .secret("0123456789abcdef")
///     .compat(tessera::Compat::AuthJsV5)
///     .build()
///     .unwrap();
/// assert_eq!(auth.session_cookie_name(), "authjs.session-token");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compat {
    /// next-auth 4.x: `next-auth.*` cookies, `A256GCM`, HKDF with an empty salt.
    #[default]
    NextAuthV4,
    /// Auth.js v5 / `@auth/core`: `authjs.*` cookies, `A256CBC-HS512`, salt = cookie name,
    /// `null` for no session, `X-Auth-Return-Redirect`.
    AuthJsV5,
}

impl Compat {
    /// The name [`Compat::from_str`](std::str::FromStr) reads and `AUTH_COMPAT` takes:
    /// `v4` or `v5`.
    pub fn as_str(self) -> &'static str {
        match self {
            Compat::NextAuthV4 => "v4",
            Compat::AuthJsV5 => "v5",
        }
    }
}

/// A compatibility mode that is neither `v4` nor `v5` (see [`Compat`]'s
/// [`FromStr`](std::str::FromStr)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown compatibility mode {0:?}: use v4 (next-auth 4) or v5 (Auth.js v5, next-auth 5)")]
pub struct UnknownCompat(pub String);

impl std::str::FromStr for Compat {
    type Err = UnknownCompat;

    /// `v4` (next-auth 4) or `v5` (Auth.js v5), as `AUTH_COMPAT` spells them.
    ///
    /// ```
    /// use tessera::Compat;
    /// assert_eq!("v5".parse::<Compat>(), Ok(Compat::AuthJsV5));
    /// assert_eq!("v4".parse::<Compat>(), Ok(Compat::NextAuthV4));
    /// assert!("5".parse::<Compat>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "v4" => Ok(Compat::NextAuthV4),
            "v5" => Ok(Compat::AuthJsV5),
            other => Err(UnknownCompat(other.to_owned())),
        }
    }
}

/// Which page an Auth.js v5 error sends the client to: `@auth/core` sends the errors whose
/// class has `kind = "signIn"` (`SignInError` in `errors.ts`) to the sign-in page and the
/// others to the error page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum V5ErrorPage {
    SignIn,
    Error,
}

/// What Auth.js v5 tells the client for a flow's error `code` (a next-auth 4 code): the page,
/// and the code on it. `Auth()` (`packages/core/src/index.ts`) passes on only the types of
/// `clientErrors` (`errors.ts`), anything else as `Configuration`, on the page of the
/// error's kind:
///
/// * `OAuthCallback` is `OAuthCallbackError` (`lib/actions/callback/oauth/callback.ts`), a
///   sign-in error; `OAuthAccountNotLinked` (`handle-login.ts`), `CredentialsSignin` and
///   `MissingCSRF` are sign-in errors passed on as they are.
/// * `AccessDenied` (the `signIn` callback), `Verification` (a bad magic link) and
///   `Configuration` go to the error page as they are.
/// * `OAuthSignin` (`OAuthSignInError`, a sign-in error not passed on) is `Configuration`
///   on the sign-in page; the rest (`Callback`: `CallbackRouteError`; `OAuthCreateAccount`,
///   `EmailCreateAccount`: `AdapterError`; `EmailSignin`; the legacy `Signin`) are
///   `Configuration` on the error page.
pub(crate) fn v5_error(code: ErrorCode) -> (V5ErrorPage, ErrorCode) {
    match code {
        ErrorCode::OAuthCallback | ErrorCode::OAuthCallbackError => {
            (V5ErrorPage::SignIn, ErrorCode::OAuthCallbackError)
        }
        ErrorCode::OAuthAccountNotLinked | ErrorCode::CredentialsSignin | ErrorCode::MissingCSRF => {
            (V5ErrorPage::SignIn, code)
        }
        ErrorCode::AccessDenied | ErrorCode::Verification | ErrorCode::Configuration => (V5ErrorPage::Error, code),
        // Asked for by pages, never the outcome of a flow; kept as it is.
        ErrorCode::SessionRequired => (V5ErrorPage::SignIn, code),
        ErrorCode::OAuthSignin => (V5ErrorPage::SignIn, ErrorCode::Configuration),
        ErrorCode::Signin
        | ErrorCode::OAuthCreateAccount
        | ErrorCode::EmailCreateAccount
        | ErrorCode::Callback
        | ErrorCode::EmailSignin => (V5ErrorPage::Error, ErrorCode::Configuration),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v5_errors_keep_the_client_safe_types_and_hide_the_rest() {
        use V5ErrorPage::{Error, SignIn};
        let table = [
            (ErrorCode::CredentialsSignin, SignIn, ErrorCode::CredentialsSignin),
            (ErrorCode::MissingCSRF, SignIn, ErrorCode::MissingCSRF),
            (
                ErrorCode::OAuthAccountNotLinked,
                SignIn,
                ErrorCode::OAuthAccountNotLinked,
            ),
            (ErrorCode::OAuthCallback, SignIn, ErrorCode::OAuthCallbackError),
            (ErrorCode::OAuthSignin, SignIn, ErrorCode::Configuration),
            (ErrorCode::AccessDenied, Error, ErrorCode::AccessDenied),
            (ErrorCode::Verification, Error, ErrorCode::Verification),
            (ErrorCode::Callback, Error, ErrorCode::Configuration),
            (ErrorCode::EmailSignin, Error, ErrorCode::Configuration),
            (ErrorCode::OAuthCreateAccount, Error, ErrorCode::Configuration),
        ];
        for (code, page, shown) in table {
            assert_eq!(v5_error(code), (page, shown), "{code}");
        }
    }
}
