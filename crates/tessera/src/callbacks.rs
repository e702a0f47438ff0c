//! The callbacks of spec §6: `sign_in`, `redirect`, `jwt` and `session`.
//!
//! Implement [`Callbacks`] and override what you need; every method has NextAuth's
//! default behaviour.
//!
//! ```
//! use tessera::callbacks::{Callbacks, CallbackError, JwtArgs, JwtTrigger};
//! use tessera::Token;
//!
//! struct Rename;
//!
//! #[tessera::async_trait]
//! impl Callbacks for Rename {
//!     async fn jwt(&self, mut args: JwtArgs<'_>) -> Result<Token, CallbackError> {
//!         if args.trigger == Some(JwtTrigger::Update) {
//!             if let Some(name) = args.session.and_then(|s| s.get("name")).and_then(|n| n.as_str()) {
//!                 args.token.set("name", name);
//!             }
//!         }
//!         Ok(args.token)
//!     }
//! }
//! ```

use serde_json::{Map, Value};

use crate::session::Token;
use crate::user::{Account, User};
use tessera_protocol::Session;

/// A callback failed; the message becomes the `?error=` value (as NextAuth does with a thrown error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CallbackError(pub String);

impl CallbackError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        CallbackError(message.into())
    }
}

/// What the `sign_in` callback decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInDecision {
    /// Go on with the sign-in.
    Allow,
    /// Refuse: `AccessDenied` (403 for credentials).
    Deny,
    /// Refuse and send the user to this URL: an absolute http(s) URL or a path starting
    /// with `/`. Like NextAuth, it is not held to the origin (an app may send refused users
    /// to another site on purpose), so never build it from request input. Anything else
    /// (`javascript:`, control characters) is logged and treated as [`SignInDecision::Deny`].
    Redirect(String),
}

/// Arguments of the `sign_in` callback. `Debug` shows the names of the `credentials`
/// fields, not their values, and redacts the account's tokens.
#[non_exhaustive]
pub struct SignInArgs<'a> {
    /// The user about to sign in.
    pub user: &'a User,
    /// The account used.
    pub account: &'a Account,
    /// Raw IdP profile (OAuth).
    pub profile: Option<&'a Value>,
    /// For credentials: the whole POST body.
    pub credentials: Option<&'a Map<String, Value>>,
    /// For email: `true` when this is the link request rather than the click.
    pub verification_request: Option<bool>,
}

impl std::fmt::Debug for SignInArgs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let credentials = self
            .credentials
            .map(|c| crate::secret::Names(c.keys().map(String::as_str)));
        f.debug_struct("SignInArgs")
            .field("user", &self.user)
            .field("account", &self.account)
            .field("profile", &self.profile)
            .field("credentials", &credentials)
            .field("verification_request", &self.verification_request)
            .finish()
    }
}

/// Why the `jwt` callback runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtTrigger {
    /// A sign-in of an existing user.
    SignIn,
    /// A sign-in that created the user.
    SignUp,
    /// `POST /session` (the client's `update()`).
    Update,
}

/// Arguments of the `jwt` callback.
#[derive(Debug)]
#[non_exhaustive]
pub struct JwtArgs<'a> {
    /// The token so far: the default claims at sign-in, the decoded token afterwards.
    pub token: Token,
    /// At sign-in: the user.
    pub user: Option<&'a User>,
    /// At sign-in: the account.
    pub account: Option<&'a Account>,
    /// At OAuth sign-in: the raw profile.
    pub profile: Option<&'a Value>,
    /// `None` on a plain session read.
    pub trigger: Option<JwtTrigger>,
    /// At sign-in with an adapter: whether the user was just created.
    pub is_new_user: Option<bool>,
    /// On update: the data the client sent. Validate it before you use it.
    pub session: Option<&'a Value>,
    /// Refreshes provider tokens kept in the JWT (single-flight); see
    /// [`TokenRefresher`](crate::refresh::TokenRefresher).
    pub refresher: crate::refresh::TokenRefresher<'a>,
}

/// Arguments of the `session` callback.
#[derive(Debug)]
#[non_exhaustive]
pub struct SessionArgs<'a> {
    /// The default session (`user{name,email,image}`, `expires`).
    pub session: Session,
    /// JWT strategy: the token from the `jwt` callback.
    pub token: Option<&'a Token>,
    /// Database strategy: the user.
    pub user: Option<&'a User>,
    /// Database strategy, on update: the data the client sent.
    pub new_session: Option<&'a Value>,
    /// Database strategy: `Some(Update)` on `POST /session`.
    pub trigger: Option<JwtTrigger>,
}

/// The callbacks. Every method defaults to NextAuth's behaviour.
#[async_trait::async_trait]
pub trait Callbacks: Send + Sync + 'static {
    /// Whether a user may sign in.
    async fn sign_in(&self, args: SignInArgs<'_>) -> Result<SignInDecision, CallbackError> {
        let _ = args;
        Ok(SignInDecision::Allow)
    }

    /// Where a `callbackUrl` may lead. Runs once per request, on the parameter or the cookie.
    /// The default is [`crate::redirect::resolve`], which keeps targets on the origin.
    ///
    /// What you return is used as is if it is an absolute http(s) URL or a path starting
    /// with `/`, without control characters: like NextAuth, it may leave the origin, so an
    /// override that allows other hosts must check them itself (an open redirect otherwise).
    /// Anything else (`javascript:`, `data:`, …) is logged and replaced by the origin.
    async fn redirect(&self, url: &str, base_url: &str) -> String {
        crate::redirect::resolve(url, base_url)
    }

    /// Shapes the JWT (JWT strategy).
    async fn jwt(&self, args: JwtArgs<'_>) -> Result<Token, CallbackError> {
        Ok(args.token)
    }

    /// Shapes the session the client sees.
    async fn session(&self, args: SessionArgs<'_>) -> Result<Session, CallbackError> {
        Ok(args.session)
    }
}

/// The callbacks used when none are configured.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultCallbacks;

impl Callbacks for DefaultCallbacks {}
