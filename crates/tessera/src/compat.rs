//! [`Compat`]: which generation of the protocol to speak, and what Auth.js v5 tells the
//! client where it differs from next-auth 4 ([`v5_error`]).

use crate::ErrorCode;

/// Which generation of the protocol to speak (defined in `tessera-protocol`, shared with
/// the clients). Set it with [`AuthBuilder::compat`](crate::AuthBuilder::compat).
///
/// ```
/// let auth = tessera::Auth::builder()
///     .secret("0123456789abcdef")
///     .compat(tessera::Compat::AuthJsV5)
///     .build()
///     .unwrap();
/// assert_eq!(auth.session_cookie_name(), "authjs.session-token");
/// ```
pub use tessera_protocol::{Compat, UnknownCompat};

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
