//! The server secret: a newtype whose `Debug` never shows the value; and the helpers other
//! `Debug` impls use to keep credentials (passwords, tokens, magic links) out of logs.

use std::fmt;

use serde_json::{Map, Value};

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

/// Constant-time equality of two strings (the length is not secret): for state, nonce,
/// `at_hash` and other values an attacker may probe byte by byte.
pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
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

/// What `Debug` prints instead of a credential.
pub(crate) const REDACTED: &str = "[redacted]";

/// Whether a field name suggests a credential (`access_token`, `refresh_token`, `id_token`,
/// `client_secret`, `password`, `code_verifier`, …), so its value must not be printed.
/// `token_type` is the one `…token…` name that is not secret.
pub(crate) fn is_sensitive_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key != "token_type"
        && [
            "token",
            "secret",
            "passw",
            "pwd",
            "code",
            "verifier",
            "assertion",
            "key",
            "credential",
            "cookie",
        ]
        .iter()
        .any(|word| key.contains(word))
}

/// `Debug` of a JSON object with the values of [sensitive](is_sensitive_key) keys replaced
/// by [`REDACTED`].
pub(crate) struct RedactedMap<'a>(pub &'a Map<String, Value>);

impl fmt::Debug for RedactedMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in self.0 {
            if is_sensitive_key(key) {
                map.entry(key, &format_args!("{REDACTED}"));
            } else {
                map.entry(key, value);
            }
        }
        map.finish()
    }
}

/// `Debug` of names only (form fields, cookies), never their values.
pub(crate) struct Names<I>(pub I);

impl<'a, I> fmt::Debug for Names<I>
where
    I: Iterator<Item = &'a str> + Clone,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.clone()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l4_sensitive_keys() {
        for key in [
            "access_token",
            "refresh_token",
            "id_token",
            "oauth_token_secret",
            "Password",
            "code_verifier",
        ] {
            assert!(is_sensitive_key(key), "{key}");
        }
        for key in ["token_type", "expires_at", "scope", "provider", "name", "sub"] {
            assert!(!is_sensitive_key(key), "{key}");
        }
        let m = serde_json::json!({"access_token": "at-value", "scope": "read"});
        let shown = format!("{:?}", RedactedMap(m.as_object().unwrap()));
        assert_eq!(shown, r#"{"access_token": [redacted], "scope": String("read")}"#);
    }
}
