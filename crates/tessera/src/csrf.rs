//! Double-submit CSRF protection (spec §4): the cookie holds `token|sha256hex(token ‖ secret)`,
//! and a POST is trusted only when its body's `csrfToken` equals the token of a cookie
//! whose hash verifies.

use http::HeaderValue;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::Secret;
use crate::cookies::CookieDef;
use crate::random;

/// `sha256hex(token ‖ secret)` (public for the integration tests and benchmarks).
///
/// ```
/// let hash = tessera::csrf::hash(&"a".repeat(64), &tessera::Secret::new("secret"));
/// assert_eq!(hash, "903c1490e042a075338b0e597cd889260f671063edb09ab070d2634e8277cf9c");
/// ```
pub fn hash(token: &str, secret: &Secret) -> String {
    let mut h = Sha256::new();
    h.update(token.as_bytes());
    h.update(secret.expose().as_bytes());
    hex::encode(h.finalize())
}

/// Whether `given` equals [`hash`]`(token, secret)` (constant time, no allocation).
fn hash_matches(token: &str, secret: &Secret, given: &str) -> bool {
    let mut h = Sha256::new();
    h.update(token.as_bytes());
    h.update(secret.expose().as_bytes());
    let mut hex = [0u8; 64];
    // 32 bytes always fit 64 hex digits.
    if hex::encode_to_slice(h.finalize(), &mut hex).is_err() {
        return false;
    }
    bool::from(hex.ct_eq(given.as_bytes()))
}

/// The CSRF state of one request.
#[derive(Debug)]
pub(crate) struct Csrf {
    /// The bare token (from a verified cookie, or freshly minted).
    pub token: String,
    /// Whether the request carried a cookie whose hash verifies.
    pub from_cookie: bool,
    /// The Set-Cookie to send when the token was minted.
    pub set_cookie: Option<HeaderValue>,
}

impl Csrf {
    /// Reads the cookie value (already percent-decoded); mints a new token when it is
    /// missing, malformed or signed with an unknown secret.
    pub(crate) fn from_cookie(value: Option<&str>, secrets: &[Secret], def: &CookieDef) -> Self {
        if let Some((token, given)) = value.and_then(|v| v.split_once('|')) {
            let ok = secrets.iter().any(|s| hash_matches(token, s, given));
            if ok && !token.is_empty() {
                return Csrf {
                    token: token.to_owned(),
                    from_cookie: true,
                    set_cookie: None,
                };
            }
        }
        let token = random::hex_token();
        let secret = secrets.first().expect("an Auth always has a secret (checked at build)");
        let value = format!("{token}|{}", hash(&token, secret));
        Csrf {
            set_cookie: Some(def.set(&value, None)),
            token,
            from_cookie: false,
        }
    }

    /// `csrfTokenVerified`: the cookie verified and the submitted token equals it
    /// (compared in constant time). A freshly minted token never verifies.
    pub(crate) fn verify(&self, submitted: Option<&str>) -> bool {
        match submitted {
            Some(s) if self.from_cookie => s.as_bytes().ct_eq(self.token.as_bytes()).into(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Compat;
    use crate::cookies::CookieSet;

    fn def() -> CookieDef {
        CookieSet::defaults(Compat::NextAuthV4, false).csrf_token
    }

    #[test]
    fn spec_vectors() {
        let s = Secret::new("secret");
        assert_eq!(
            hash("64216acdcb8c607b9d3c50a6295b29706b88d9cf917d27a79bd6e5efa10fde72", &s),
            "7f8af73ec3b9ef79499a6b35c1902d636df1c62bf502edde1c14a4564cec69eb"
        );
    }

    #[test]
    fn hash_matches_only_the_lowercase_hex_hash() {
        let s = Secret::new("secret");
        let t = "64216acdcb8c607b9d3c50a6295b29706b88d9cf917d27a79bd6e5efa10fde72";
        let h = hash(t, &s);
        assert!(hash_matches(t, &s, &h));
        assert!(!hash_matches(t, &s, &h.to_uppercase()));
        assert!(!hash_matches(t, &s, &h[..63]));
        assert!(!hash_matches(t, &s, &format!("{h}0")));
        assert!(!hash_matches(t, &s, ""));
    }

    #[test]
    fn valid_cookie_is_reused_and_verifies() {
        let secrets = [Secret::new("secret")];
        let t = "64216acdcb8c607b9d3c50a6295b29706b88d9cf917d27a79bd6e5efa10fde72";
        let cookie = format!("{t}|7f8af73ec3b9ef79499a6b35c1902d636df1c62bf502edde1c14a4564cec69eb");
        let c = Csrf::from_cookie(Some(&cookie), &secrets, &def());
        assert!(c.from_cookie && c.set_cookie.is_none());
        assert_eq!(c.token, t);
        assert!(c.verify(Some(t)));
        assert!(!c.verify(Some("x")));
        assert!(!c.verify(None));
    }

    #[test]
    fn forged_or_missing_cookie_mints_a_new_token() {
        let secrets = [Secret::new("secret")];
        for bad in [
            None,
            Some(""),
            Some("abc"),
            Some("abc|def"),
            Some("|"),
            Some(&*format!(
                "{}|{}",
                "a".repeat(64),
                hash(&"a".repeat(64), &Secret::new("other"))
            )),
        ] {
            let c = Csrf::from_cookie(bad, &secrets, &def());
            assert!(!c.from_cookie, "{bad:?}");
            assert_eq!(c.token.len(), 64);
            assert!(c.set_cookie.is_some());
            // A minted token cannot verify in the same request.
            assert!(!c.verify(Some(&c.token.clone())));
        }
    }
}
