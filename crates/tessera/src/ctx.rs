//! The state one request carries from the preamble through its route and flow.

use std::borrow::Cow;
use std::time::SystemTime;

use crate::compat::{V5ErrorPage, v5_error};
use crate::config::{Config, CookieProfile};
use crate::csrf::Csrf;
use crate::providers::Provider;
use crate::redirect;
use crate::request::AuthRequest;
use crate::response::AuthResponse;
use crate::url::BaseUrl;
use crate::{Compat, ErrorCode};

/// The state one request carries through its route: built once by the preamble, then
/// only read.
pub(crate) struct Ctx<'a> {
    pub config: &'a Config,
    pub url: Cow<'a, BaseUrl>,
    pub profile: &'a CookieProfile,
    pub req: AuthRequest,
    /// The provider the path names (`/signin/:id`, `/callback/:id`), when it is configured.
    pub provider: Option<&'a Provider>,
    pub csrf: Csrf,
    /// The validated callback URL (spec §1.3 step 3).
    pub callback_url: String,
    pub now: SystemTime,
    /// The client's address, when known (its rate-limit key is computed only when needed).
    pub client: Option<std::net::IpAddr>,
}

impl Ctx<'_> {
    /// `<base>/<path>`.
    pub(crate) fn base_url(&self, path: &str) -> String {
        format!("{}/{path}", self.url.base)
    }

    /// Where a flow's error sends the client: next-auth 4's `<base>/error?error=<code>`;
    /// in Auth.js v5 the page and code [`v5_error`] gives.
    pub(crate) fn error_url(&self, code: ErrorCode) -> String {
        match self.config.compat {
            Compat::NextAuthV4 => self.error_url_with(code.as_str()),
            Compat::AuthJsV5 => match v5_error(code) {
                (V5ErrorPage::SignIn, code) => self.sign_in_error_url(code),
                (V5ErrorPage::Error, code) => self.error_url_with(code.as_str()),
            },
        }
    }

    /// `<base>/error?error=<value>` for a value that is not one of the codes (an app
    /// callback's message, which NextAuth passes on as the error).
    pub(crate) fn error_url_with(&self, value: &str) -> String {
        redirect::with_param(&self.base_url("error"), "error", value)
    }

    /// `<base>/signin?error=<code>` (or the app's sign-in page with `error`): where Auth.js
    /// v5 sends the errors it counts as sign-in errors (`kind = "signIn"` in `@auth/core`'s
    /// `errors.ts`; `Auth()` in `index.ts` builds the URL from the origin and
    /// `pages.signIn`). Always absolute: the v5 client parses it with `new URL(url)`.
    pub(crate) fn sign_in_error_url(&self, code: ErrorCode) -> String {
        self.sign_in_error_url_with(code.as_str())
    }

    /// [`sign_in_error_url`](Self::sign_in_error_url) with an error that is not one of the
    /// codes (Tessera's `TwoFactorRequired`).
    pub(crate) fn sign_in_error_url_with(&self, error: &str) -> String {
        let page = match &self.config.pages.sign_in {
            Some(custom) if custom.starts_with('/') => format!("{}{custom}", self.url.origin),
            Some(custom) => custom.clone(),
            None => self.base_url("signin"),
        };
        redirect::with_param(&page, "error", error)
    }

    /// The answer to a request with a missing or wrong CSRF token on `page` (`signin` or
    /// `signout`): next-auth 4 redirects to `<base>/<page>?csrf=true`; Auth.js v5 throws
    /// `MissingCSRF`, a sign-in error: `<base>/signin?error=MissingCSRF`.
    pub(crate) fn csrf_refused(&self, page: &str) -> AuthResponse {
        AuthResponse::redirect(match self.config.compat {
            Compat::NextAuthV4 => redirect::with_param(&self.base_url(page), "csrf", "true"),
            Compat::AuthJsV5 => self.sign_in_error_url(ErrorCode::MissingCSRF),
        })
    }

    pub(crate) fn csrf_verified(&self) -> bool {
        self.csrf.verify(self.req.body_str("csrfToken"))
    }
}
