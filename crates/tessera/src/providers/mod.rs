//! Providers: the ways to sign in.

pub mod credentials;
pub mod email;
pub mod oauth;
pub mod password;
pub mod presets;
pub mod style;
pub mod two_factor;
pub(crate) mod wire;

pub use credentials::{Authorize, AuthorizeError, CredentialField, Credentials, CredentialsProvider};
pub use email::{CodeMode, DevMailer, EmailProvider, MailPurpose, Mailer};
pub use oauth::{Check, Checks, ClientKey, ClientKeyError, OAuthProvider, ProfileError, TokenAuthMethod, TokenSet};
pub use password::PasswordProvider;
pub use style::ProviderStyle;
use tessera_protocol::ProviderType;
pub use two_factor::TwoFactor;

/// A configured provider.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[expect(
    clippy::large_enum_variant,
    reason = "providers are built once into the configuration; boxing OAuth would only change the public enum"
)]
pub enum Provider {
    /// Sign-in with an `authorize` check (username/password, …).
    Credentials(CredentialsProvider),
    /// Sign-in by a link sent by email (needs an adapter).
    Email(EmailProvider),
    /// OAuth 2 or OpenID Connect.
    OAuth(OAuthProvider),
    /// Accounts with a password kept by Tessera (a `credentials` provider on the wire).
    Password(PasswordProvider),
    /// The second factor of two-factor sign-in (a `credentials` provider on the wire, id
    /// `two-factor`); added by [`AuthBuilder::two_factor`](crate::AuthBuilder::two_factor).
    TwoFactor(TwoFactor),
}

impl Provider {
    /// The id (path segment of `signin/:id`, `callback/:id`).
    pub fn id(&self) -> &str {
        match self {
            Provider::Credentials(p) => &p.id,
            Provider::Email(p) => &p.id,
            Provider::OAuth(p) => &p.id,
            Provider::Password(p) => &p.id,
            Provider::TwoFactor(_) => two_factor::PROVIDER_ID,
        }
    }

    /// The display name.
    pub fn name(&self) -> &str {
        match self {
            Provider::Credentials(p) => &p.name,
            Provider::Email(p) => &p.name,
            Provider::OAuth(p) => &p.name,
            Provider::Password(p) => &p.name,
            Provider::TwoFactor(t) => t.display_name(),
        }
    }

    /// The kind reported by `GET /providers`.
    pub fn kind(&self) -> ProviderType {
        match self {
            Provider::Credentials(_) | Provider::Password(_) | Provider::TwoFactor(_) => ProviderType::Credentials,
            Provider::Email(_) => ProviderType::Email,
            Provider::OAuth(_) => ProviderType::OAuth,
        }
    }
}

impl From<CredentialsProvider> for Provider {
    fn from(p: CredentialsProvider) -> Self {
        Provider::Credentials(p)
    }
}

impl From<EmailProvider> for Provider {
    fn from(p: EmailProvider) -> Self {
        Provider::Email(p)
    }
}

impl From<OAuthProvider> for Provider {
    fn from(p: OAuthProvider) -> Self {
        Provider::OAuth(p)
    }
}

impl From<PasswordProvider> for Provider {
    fn from(p: PasswordProvider) -> Self {
        Provider::Password(p)
    }
}
