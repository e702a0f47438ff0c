//! The credentials provider (spec §7.3): the app checks the submitted fields in `authorize`.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::user::User;

/// The submitted form (the whole POST body, as NextAuth passes it). Its `Debug` shows the
/// field names only, never the values (passwords).
///
/// ```
/// use tessera::providers::Credentials;
/// let form = serde_json::json!({"username": "alice", "password": "hunter2"});
/// let c = Credentials(form.as_object().unwrap().clone());
/// assert_eq!(format!("{c:?}"), r#"Credentials(["username", "password"])"#);
/// ```
#[derive(Clone, Default)]
pub struct Credentials(pub Map<String, Value>);

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Credentials")
            .field(&crate::secret::Names(self.0.keys().map(String::as_str)))
            .finish()
    }
}

impl Credentials {
    /// A field as a string.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).and_then(Value::as_str)
    }
}

/// `authorize` failed with a message: the client sees `?error=<message>` (status 401); in
/// Auth.js v5 mode, `?error=CredentialsSignin&code=<message>` on the sign-in page, as when
/// v5's `authorize` throws a `CredentialsSignin` with that `code`. Keep it free of
/// anything a visitor should not learn: it goes into the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AuthorizeError(pub String);

/// Checks credentials. `Ok(None)` is "wrong credentials" (`CredentialsSignin`).
///
/// Implemented for async closures `Fn(Credentials) -> impl Future<Output = Result<Option<User>, AuthorizeError>>`.
#[async_trait::async_trait]
pub trait Authorize: Send + Sync + 'static {
    /// Returns the user the credentials belong to.
    async fn authorize(&self, credentials: Credentials) -> Result<Option<User>, AuthorizeError>;
}

#[async_trait::async_trait]
impl<F, Fut> Authorize for F
where
    F: Fn(Credentials) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<User>, AuthorizeError>> + Send,
{
    async fn authorize(&self, credentials: Credentials) -> Result<Option<User>, AuthorizeError> {
        self(credentials).await
    }
}

/// One input of the built-in sign-in form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialField {
    /// Form field name.
    pub name: String,
    /// Label shown on the page.
    pub label: String,
    /// Input type (`text`, `password`, `email`, …).
    pub input_type: String,
    /// Placeholder.
    pub placeholder: Option<String>,
}

/// A credentials provider.
///
/// With database sessions (an adapter and [`SessionStrategy::Database`](crate::SessionStrategy),
/// which NextAuth refuses for credentials), the user `authorize` returns is stored:
///
/// * It is identified **only** by its credentials account: this provider's id and the `id`
///   `authorize` returned. Never by email: when no such account exists a new user is
///   created with the account linked. When another user already has the returned email (a
///   user who signed up by email or OAuth, say), the sign-in is refused with
///   `OAuthAccountNotLinked` (status 403) and nothing is written, unless
///   [`allow_dangerous_email_account_linking`](Self::allow_dangerous_email_account_linking)
///   is on **and** that user's email is verified.
/// * `authorize` is the source of truth for the profile, as in NextAuth's JWT sign-in (and
///   Tessera's): the `name` and `image` it returns are stored at every sign-in (one it leaves
///   unset keeps the stored value), so an app that lets users rename themselves returns the
///   stored name from `authorize`. The `email`
///   follows `authorize` too (it is the app's login identifier): a different address replaces the
///   stored one and resets `email_verified` to `None`; an address that another user has is
///   not taken over (the stored one stays, with a warning in the log); a missing one leaves
///   the stored one alone. Emails are normalised like every other address, and one that is
///   not a valid address is not stored.
///
/// ```
/// use tessera::providers::{CredentialsProvider, Credentials};
/// use tessera::User;
///
/// let provider = CredentialsProvider::new(|c: Credentials| async move {
///     Ok((c.get("username") == Some("demo") && c.get("password") == Some("demo"))
///         .then(|| User::new("1").name("Demo")))
/// })
/// .field("username", "Username", "text")
/// .field("password", "Password", "password");
/// assert_eq!(provider.id, "credentials");
/// ```
#[derive(Clone)]
pub struct CredentialsProvider {
    /// Provider id (default `credentials`).
    pub id: String,
    /// Display name (default `Credentials`).
    pub name: String,
    /// Fields of the built-in form.
    pub fields: Vec<CredentialField>,
    /// The check.
    pub authorize: Arc<dyn Authorize>,
    /// With database sessions, lets a first sign-in link to an existing user with the same
    /// email (default off); see [`Self::allow_dangerous_email_account_linking`].
    pub allow_dangerous_email_account_linking: bool,
}

impl fmt::Debug for CredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsProvider")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

impl CredentialsProvider {
    /// A provider with id `credentials` and the given check.
    pub fn new(authorize: impl Authorize) -> Self {
        CredentialsProvider {
            id: "credentials".into(),
            name: "Credentials".into(),
            fields: Vec::new(),
            authorize: Arc::new(authorize),
            allow_dangerous_email_account_linking: false,
        }
    }

    /// With database sessions: when no user has this credentials account yet but a user
    /// with the email `authorize` returned exists, link the account to that user and sign
    /// in as them, provided their email is **verified** (by an email sign-in, say).
    /// Off by default: the sign-in is then refused with `OAuthAccountNotLinked`.
    ///
    /// Only turn it on when `authorize` returns emails the app itself has verified: anyone
    /// whose credentials carry someone else's address signs in as them.
    ///
    /// ```
    /// use tessera::providers::{Credentials, CredentialsProvider};
    ///
    /// let provider = CredentialsProvider::new(|_: Credentials| async { Ok(None) })
    ///     .allow_dangerous_email_account_linking(true);
    /// assert!(provider.allow_dangerous_email_account_linking);
    /// ```
    pub fn allow_dangerous_email_account_linking(mut self, allow: bool) -> Self {
        self.allow_dangerous_email_account_linking = allow;
        self
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

    /// Adds a form field.
    pub fn field(mut self, name: impl Into<String>, label: impl Into<String>, input_type: impl Into<String>) -> Self {
        self.fields.push(CredentialField {
            name: name.into(),
            label: label.into(),
            input_type: input_type.into(),
            placeholder: None,
        });
        self
    }
}
