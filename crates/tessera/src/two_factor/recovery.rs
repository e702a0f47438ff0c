//! Recovery codes: ten per set-up, each 60 random bits written as `xxxx-xxxx-xxxx` in
//! lower-case base32, shown once and stored as hashes.
//!
//! The hash is SHA-256 over a domain, the user id and the normalised code, without the
//! server secret: the codes live as long as the set-up, and rotating the secret must not
//! void them. 60 bits per code, ten codes per user and the per-user limit on attempts make
//! a guess hopeless; the domain and the user id keep a stored hash from matching anything
//! else.

use sha2::{Digest, Sha256};

use super::totp::base32;

/// Codes per set-up.
pub(crate) const COUNT: usize = 10;
/// Base32 characters per code (60 bits).
const CHARS: usize = 12;

/// Ten new codes, as shown to the user.
pub(crate) fn generate() -> Vec<String> {
    (0..COUNT)
        .map(|_| {
            let bytes: [u8; 8] = crate::random::bytes();
            let text = base32(&bytes).to_ascii_lowercase();
            let text = &text[..CHARS];
            format!("{}-{}-{}", &text[..4], &text[4..8], &text[8..])
        })
        .collect()
}

/// What a user typed, normalised (hyphens and spaces dropped, lower case): `None` when it
/// cannot be a recovery code.
pub(crate) fn normalize(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let base32 = |c: char| c.is_ascii_lowercase() || ('2'..='7').contains(&c);
    (code.len() == CHARS && code.chars().all(base32)).then_some(code)
}

/// The stored hash of `user_id`'s code (normalised).
pub(crate) fn hash(user_id: &str, normalized: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"tessera recovery code\0");
    h.update(user_id.as_bytes());
    h.update(b"\0");
    h.update(normalized.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_normalise_to_what_is_hashed() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), COUNT);
        for c in &codes {
            assert_eq!(c.len(), 14, "{c}");
            let n = normalize(c).expect("a generated code normalises");
            assert_eq!(normalize(&c.to_uppercase().replace('-', " ")), Some(n.clone()));
            assert_eq!(hash("u1", &n), hash("u1", &normalize(c).expect("again")));
            assert_ne!(hash("u1", &n), hash("u2", &n), "bound to the user");
        }
        assert_eq!(normalize("123456"), None);
        assert_eq!(normalize("abcd-efgh-ijk1"), None, "1 is not base32");
    }
}
