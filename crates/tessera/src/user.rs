//! The user and account shapes the callbacks see (spec §5.4 models).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A user, as returned by a provider (`authorize`, a profile mapping) or an adapter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct User {
    /// Stable identifier; becomes the token's `sub`.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub image: Option<String>,
    /// When the email address was verified (set by email sign-in; kept by adapters).
    #[serde(skip)]
    pub email_verified: Option<std::time::SystemTime>,
    /// Any other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl User {
    /// A user with just an id.
    ///
    /// ```
    /// let u = tessera::User::new("1").name("Demo").email("demo@example.com");
    /// assert_eq!(u.name.as_deref(), Some("Demo"));
    /// ```
    pub fn new(id: impl Into<String>) -> Self {
        User {
            id: id.into(),
            ..Default::default()
        }
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the email.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the image.
    pub fn image(mut self, image: impl Into<String>) -> Self {
        self.image = Some(image.into());
        self
    }
}

/// How an account signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    /// OAuth 2 / OIDC.
    OAuth,
    /// Email magic link.
    Email,
    /// Credentials.
    Credentials,
}

/// The account a sign-in came through. `Debug` redacts the token fields of `extra`
/// (`access_token`, `refresh_token`, `id_token`, anything token- or secret-like).
///
/// ```
/// let mut account = tessera::Account {
///     provider: "github".into(),
///     kind: tessera::AccountType::OAuth,
///     provider_account_id: "42".into(),
///     user_id: None,
///     extra: Default::default(),
/// };
/// account.extra.insert("access_token".into(), "gho_live".into());
/// assert!(!format!("{account:?}").contains("gho_live"));
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// Provider id.
    pub provider: String,
    /// Kind of account.
    #[serde(rename = "type")]
    pub kind: AccountType,
    /// The user's id at the provider.
    #[serde(rename = "providerAccountId")]
    pub provider_account_id: String,
    /// The user this account belongs to, when known.
    #[serde(rename = "userId", default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Token-set fields (`access_token`, `expires_at`, …) and anything else.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("provider", &self.provider)
            .field("kind", &self.kind)
            .field("provider_account_id", &self.provider_account_id)
            .field("user_id", &self.user_id)
            .field("extra", &crate::secret::RedactedMap(&self.extra))
            .finish()
    }
}
