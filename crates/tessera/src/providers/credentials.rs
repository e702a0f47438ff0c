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

/// `authorize` failed with a message: the client sees `?error=<message>` (status 401).
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
