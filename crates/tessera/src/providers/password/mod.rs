//! The `password` provider: accounts with an email address and a password, kept by
//! Tessera itself, to OWASP's Authentication, Password Storage and Forgot Password cheat
//! sheets. On the wire it is a `credentials` provider, so the unmodified `next-auth/react`
//! signs in with `signIn("password", { email, password })`.
//!
//! | route | fields | what it does |
//! | --- | --- | --- |
//! | `GET {base}/signup/password` | | the sign-up page |
//! | `POST {base}/signup/password` | `csrfToken`, `email`, `password`, `name`? | creates the account, mails a verification link |
//! | `POST {base}/callback/password` | `csrfToken`, `email`, `password` | signs in |
//! | `GET {base}/password/verify` | `token`, `email` (the mailed link) | verifies the address |
//! | `GET`, `POST {base}/password/forgot` | `csrfToken`, `email` | mails a reset link (valid one hour) |
//! | `GET`, `POST {base}/password/reset` | `csrfToken`, `token`, `email`, `password` | sets the password, ends every session |
//! | `GET`, `POST {base}/password/change` | `csrfToken`, `currentPassword`, `newPassword` | changes it (signed in), ends the other sessions |
//!
//! POSTs take a form or JSON, and answer as credentials sign-in does: a redirect, or
//! `{"url": …}` with `json=true` (or Auth.js v5's `X-Auth-Return-Redirect`). Refusals
//! carry `?error=<code>` on that URL: the [policy](PasswordPolicyError::code)'s codes,
//! `InvalidEmail`, `InvalidToken` (a reset link used, expired or for another address),
//! `WrongPassword` (change), `SessionRequired` (change while signed out), and
//! `CredentialsSignin` for every failed sign-in.
//!
//! It needs an [adapter](crate::AuthBuilder::adapter) that stores password hashes
//! ([`Adapter::password_support`](crate::adapter::Adapter::password_support)) and an
//! [`EmailProvider`](crate::providers::EmailProvider), whose mailer sends the
//! verification and reset mails. Either session strategy works.

mod hash;
mod policy;

use std::fmt;
use std::sync::Arc;

pub(crate) use hash::Hasher;
pub use hash::{InvalidHashParams, PasswordHashParams};
pub(crate) use policy::normalized;
pub use policy::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordPolicyError, check_new_password, is_common_password};

use crate::providers::email::Mailer;

/// The `password` provider: sign-up, sign-in, verification of the address, forgotten
/// passwords and changes, with the hashes in the adapter (see the [module](self)).
///
/// * **Storage**: Argon2id at OWASP's parameters ([`PasswordHashParams`]), a PHC string
///   per user; a hash made with other parameters is replaced at the next successful
///   sign-in.
/// * **New passwords**: 8 to 128 characters, not a common password, not the address
///   ([`check_new_password`]).
/// * **Enumeration**: sign-in answers the same for an unknown address, a wrong password
///   and (while [`require_verified_email`](Self::require_verified_email)) an unverified
///   address, and does the same work (an unknown address is checked against a dummy
///   hash); sign-up of a taken address answers as for a new one and mails its owner
///   instead; a forgotten-password request answers the same for every address and mails
///   an unknown one a note that no account uses it.
/// * **Limits**: failed sign-ins count against the credentials limits (per client, per
///   address, per both); every mail against the email limits (per address, per client).
/// * **Callbacks**: `sign_in` and `jwt` see the stored user, and an account of type
///   `credentials` whose provider is this one's id and whose `provider_account_id` is the
///   user's id (no account row is stored); `credentials` is `None`: the password never
///   reaches app code. With JWT sessions the token's `sub` is the stored user's id.
///
/// ```
/// use tessera::Auth;
/// use tessera::adapter::MemoryAdapter;
/// use tessera::providers::{DevMailer, EmailProvider, PasswordProvider};
///
/// let auth = Auth::builder()
///     .secret("0123456789abcdef")
///     .adapter(MemoryAdapter::new())
///     .provider(EmailProvider::new(DevMailer))
///     .provider(PasswordProvider::new())
///     .build()
///     .expect("valid configuration");
/// # drop(auth);
/// // Without an email provider there is no way to send the verification mail.
/// let err = Auth::builder()
///     .secret("0123456789abcdef")
///     .adapter(MemoryAdapter::new())
///     .provider(PasswordProvider::new())
///     .build()
///     .unwrap_err();
/// assert_eq!(err, tessera::ConfigError::PasswordWithoutEmail("password".into()));
/// ```
#[derive(Clone)]
pub struct PasswordProvider {
    /// Provider id (default `password`): `signIn("password", …)`, `/callback/password`,
    /// `/signup/password`.
    pub id: String,
    /// Display name (default `Password`).
    pub name: String,
    pub(crate) require_verified_email: bool,
    pub(crate) email_provider: Option<String>,
    pub(crate) hash_params: PasswordHashParams,
    /// Seconds a reset link stays valid (one hour).
    pub(crate) reset_max_age: i64,
    /// Seconds a verification link stays valid (one day).
    pub(crate) verify_max_age: i64,
    /// Set by `build()`: the hasher (with its dummy hash) and the email provider's mailer.
    pub(crate) resolved: Option<Resolved>,
}

/// What `build()` adds to a [`PasswordProvider`].
#[derive(Clone)]
pub(crate) struct Resolved {
    pub hasher: Arc<Hasher>,
    pub mailer: Arc<dyn Mailer>,
}

impl fmt::Debug for PasswordProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordProvider")
            .field("id", &self.id)
            .field("require_verified_email", &self.require_verified_email)
            .field("email_provider", &self.email_provider)
            .field("hash_params", &self.hash_params)
            .finish_non_exhaustive()
    }
}

impl Default for PasswordProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl PasswordProvider {
    /// A provider with id `password`, OWASP's Argon2id parameters, sign-in waiting for a
    /// verified address, and the mails sent through the configured email provider.
    pub fn new() -> Self {
        PasswordProvider {
            id: "password".into(),
            name: "Password".into(),
            require_verified_email: true,
            email_provider: None,
            hash_params: PasswordHashParams::OWASP,
            reset_max_age: 60 * 60,
            verify_max_age: 24 * 60 * 60,
            resolved: None,
        }
    }

    /// Sets the id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Sets the display name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Whether sign-in waits until the address is verified (default `true`): until then
    /// a correct password gets the same `CredentialsSignin` as a wrong one. With `false`,
    /// an account can sign in at once and the verification mail only sets
    /// `email_verified`; anyone can then create an account with someone else's address
    /// and use it until the owner takes it back through a password reset.
    ///
    /// ```
    /// use tessera::providers::PasswordProvider;
    /// let provider = PasswordProvider::new().require_verified_email(false);
    /// # drop(provider);
    /// ```
    pub fn require_verified_email(mut self, wait: bool) -> Self {
        self.require_verified_email = wait;
        self
    }

    /// The email provider (by id) whose mailer sends the verification and reset mails
    /// (default: the only one configured; with several, `build()` needs this).
    ///
    /// ```
    /// use tessera::providers::PasswordProvider;
    /// let provider = PasswordProvider::new().email_provider("email");
    /// # drop(provider);
    /// ```
    pub fn email_provider(mut self, id: impl Into<String>) -> Self {
        self.email_provider = Some(id.into());
        self
    }

    /// Argon2id's cost (default [`PasswordHashParams::OWASP`]). Stored hashes made with
    /// other parameters still verify, and are rehashed with these at the next sign-in.
    ///
    /// ```
    /// use tessera::providers::PasswordProvider;
    /// use tessera::providers::password::PasswordHashParams;
    /// let stronger = PasswordHashParams { memory_kib: 46 * 1024, iterations: 1, parallelism: 1 };
    /// let provider = PasswordProvider::new().hash_params(stronger);
    /// # drop(provider);
    /// ```
    pub fn hash_params(mut self, params: PasswordHashParams) -> Self {
        self.hash_params = params;
        self
    }

    /// How long a reset link stays valid (default one hour, as OWASP advises: short, as it
    /// is as good as the password), in whole seconds; zero for links that expire at once
    /// (for tests). `build()` refuses a fraction of a second or more than a day.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tessera::providers::PasswordProvider;
    /// let provider = PasswordProvider::new().reset_link_max_age(Duration::from_secs(15 * 60));
    /// # drop(provider);
    /// ```
    pub fn reset_link_max_age(mut self, max_age: std::time::Duration) -> Self {
        self.reset_max_age = crate::session::seconds(max_age);
        self
    }

    /// The hasher and mailer `build()` resolved.
    pub(crate) fn resolved(&self) -> &Resolved {
        self.resolved
            .as_ref()
            .expect("build() resolves every password provider")
    }
}
