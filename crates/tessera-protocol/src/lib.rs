//! The NextAuth.js v4 REST contract, shared by the Tessera server (`tessera`) and
//! its clients (`tessera-client`, `tessera-leptos`).
//!
//! Only `serde` types and constants live here, so the crate builds for `wasm32`.
//!
//! ```
//! use tessera_protocol::{Session, SessionUser};
//!
//! let json = r#"{"user":{"name":"Alice","email":"alice@example.com","image":null},"expires":"2026-12-22T11:24:55.705Z","role":"admin"}"#;
//! let session: Session = serde_json::from_str(json).unwrap();
//! assert_eq!(session.user.as_ref().and_then(|u| u.name.as_deref()), Some("Alice"));
//! assert_eq!(session.extra["role"], "admin");
//! assert_eq!(serde_json::to_string(&session).unwrap(), json);
//! ```

mod compat;
pub mod embed;
mod error_code;
mod providers;
mod session;

pub use compat::{Compat, UnknownCompat};
pub use error_code::ErrorCode;
pub use providers::{ProviderInfo, ProviderType, Providers};
pub use session::{Session, SessionUser};

use serde::{Deserialize, Serialize};

/// The default mount point of the REST API.
pub const DEFAULT_BASE_PATH: &str = "/api/auth";

/// Body of `GET /csrf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsrfResponse {
    /// The bare token (the part of the cookie before `|`).
    #[serde(rename = "csrfToken")]
    pub csrf_token: String,
}

/// Body of a redirect answered as JSON (the `json=true` convention, spec §1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectResponse {
    /// Absolute URL the client should go to.
    pub url: String,
}

/// One entry of `GET /sessions`: a signed-in device of the current user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// A stable identifier (a hash of the session token; the token itself is never exposed).
    pub id: String,
    /// Expiry, ISO-8601.
    pub expires: String,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// Body of `POST /session` (the client's `update()`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateSessionRequest {
    /// The token from `GET /csrf`.
    #[serde(rename = "csrfToken")]
    pub csrf_token: String,
    /// Arbitrary data handed to the `jwt` (or `session`) callback with `trigger: update`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

/// What `signIn(provider, { redirect: false })` resolves to (spec §9.4; next-auth 5 adds
/// `code`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInResult {
    /// The `error` query parameter of the answer's URL, if any.
    pub error: Option<String>,
    /// The `code` query parameter of the answer's URL (next-auth 5 only, e.g.
    /// `credentials` next to `CredentialsSignin`); always `None` for next-auth 4, whose
    /// client does not read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// HTTP status of the answer.
    pub status: u16,
    /// Whether the status was 2xx.
    pub ok: bool,
    /// Where to go next, when there was no error.
    pub url: Option<String>,
}

/// The actions (first path segment under the base path) of the REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `GET /providers`
    Providers,
    /// `GET|POST /session`
    Session,
    /// `GET /csrf`
    Csrf,
    /// `GET /signin`, `POST /signin/:provider`
    SignIn,
    /// `GET|POST /signout`
    SignOut,
    /// `GET|POST /callback/:provider`
    Callback,
    /// `GET /verify-request`
    VerifyRequest,
    /// `GET /error`
    Error,
    /// `POST /_log`
    Log,
    /// `GET /sessions`, `POST /sessions/{revoke,revoke-others,revoke-all}` (Tessera's session management).
    Sessions,
    /// `GET|POST /signup/:provider` (Tessera's `password` provider: the sign-up page and form).
    SignUp,
    /// `GET|POST /password/{forgot,reset,change}`, `GET /password/verify` (Tessera's
    /// `password` provider: forgotten passwords, changes, address verification).
    Password,
    /// `GET /two-factor/setup`, `POST /two-factor/{enable,disable}` (Tessera's two-factor
    /// sign-in: set-up while signed in).
    TwoFactor,
}

impl Action {
    /// Every action, in the order of the spec's route table.
    pub const ALL: [Action; 13] = [
        Action::Session,
        Action::Csrf,
        Action::Providers,
        Action::SignIn,
        Action::Callback,
        Action::SignOut,
        Action::VerifyRequest,
        Action::Error,
        Action::Log,
        Action::Sessions,
        Action::SignUp,
        Action::Password,
        Action::TwoFactor,
    ];

    /// The path segment of this action.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Providers => "providers",
            Action::Session => "session",
            Action::Csrf => "csrf",
            Action::SignIn => "signin",
            Action::SignOut => "signout",
            Action::Callback => "callback",
            Action::VerifyRequest => "verify-request",
            Action::Error => "error",
            Action::Log => "_log",
            Action::Sessions => "sessions",
            Action::SignUp => "signup",
            Action::Password => "password",
            Action::TwoFactor => "two-factor",
        }
    }

    /// Parses a path segment.
    pub fn parse(segment: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == segment)
    }
}

/// Base cookie names (before any `__Secure-` / `__Host-` prefix).
pub mod cookie_names {
    /// next-auth v4 session cookie.
    pub const SESSION_TOKEN: &str = "next-auth.session-token";
    /// next-auth v4 callback URL cookie.
    pub const CALLBACK_URL: &str = "next-auth.callback-url";
    /// next-auth v4 CSRF cookie (`__Host-` prefixed on https).
    pub const CSRF_TOKEN: &str = "next-auth.csrf-token";
    /// next-auth v4 PKCE verifier cookie.
    pub const PKCE_CODE_VERIFIER: &str = "next-auth.pkce.code_verifier";
    /// next-auth v4 OAuth state cookie.
    pub const STATE: &str = "next-auth.state";
    /// next-auth v4 OIDC nonce cookie.
    pub const NONCE: &str = "next-auth.nonce";
    /// The localStorage key next-auth/react v4 uses for cross-tab messages.
    pub const BROADCAST_STORAGE_KEY: &str = "nextauth.message";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("foo"), None);
    }

    #[test]
    fn update_request_omits_missing_data() {
        let r = UpdateSessionRequest {
            csrf_token: "t".into(),
            data: None,
        };
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"csrfToken":"t"}"#);
    }
}
