//! The server secret: a newtype whose `Debug` never shows the value.

use std::fmt;

use subtle::ConstantTimeEq;

/// A secret string (the HKDF input key material, CSRF and email-token pepper).
///
/// ```
/// let s = tessera::Secret::new("hunter2");
/// assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
/// ```
#[derive(Clone)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().into_boxed_str())
    }

    /// Generates 32 random bytes, base64 encoded (what `tessera secret` prints).
    pub fn generate() -> Self {
        use base64::Engine;
        let bytes: [u8; 32] = crate::random::bytes();
        Secret::new(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// The secret's value. Handle with care: never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}
