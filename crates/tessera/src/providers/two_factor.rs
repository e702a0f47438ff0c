//! Two-factor sign-in's configuration ([`TwoFactor`]) and its names on the wire. The flows
//! are the engine's (`two_factor`, `signin::two_factor`).

/// The id of the two-factor provider (`signIn('two-factor', {code})`).
pub const PROVIDER_ID: &str = "two-factor";

/// The `?error=` of a first factor that needs the second: `signIn` returns it as `error`.
pub const TWO_FACTOR_REQUIRED: &str = "TwoFactorRequired";

/// Two-factor sign-in: TOTP codes (RFC 6238: SHA-1, six digits, 30 seconds, as every
/// authenticator app reads an `otpauth://` URI) and ten single-use recovery codes. Listed
/// by `GET /providers` as a `credentials` provider with the id `two-factor`.
///
/// Needs an adapter that stores set-ups ([`Adapter::two_factor_support`](crate::adapter::Adapter::two_factor_support)): `build()`
/// refuses it otherwise.
///
/// ```
/// use tessera::TwoFactor;
/// use tessera::adapter::MemoryAdapter;
///
/// let auth = tessera::Auth::builder()
///     .secret("0123456789abcdef")
///     .adapter(MemoryAdapter::new())
///     .two_factor(TwoFactor::new().issuer("Example"))
///     .build();
/// assert!(auth.is_ok());
///
/// // Without an adapter, the configuration is refused.
/// let refused = tessera::Auth::builder().secret("0123456789abcdef").two_factor(TwoFactor::new()).build();
/// assert!(matches!(refused, Err(tessera::ConfigError::TwoFactorWithoutAdapter)));
/// ```
#[derive(Debug, Clone, Default)]
pub struct TwoFactor {
    pub(crate) issuer: Option<String>,
    pub(crate) name: Option<String>,
}

impl TwoFactor {
    /// Two-factor sign-in with the defaults: the issuer is the site's host.
    pub fn new() -> Self {
        Self::default()
    }

    /// The issuer authenticator apps show beside the account (`otpauth://totp/<issuer>:…`);
    /// default: the host of the site's URL.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The display name in `GET /providers` (default `Two-factor code`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The display name.
    pub(crate) fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("Two-factor code")
    }
}
