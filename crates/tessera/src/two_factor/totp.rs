//! TOTP (RFC 6238) with HMAC-SHA1, six digits and 30-second steps, as authenticator apps
//! expect from an `otpauth://totp/` URI without parameters of its own; and the base32
//! (RFC 4648, no padding) its secrets are written in.

use std::time::{SystemTime, UNIX_EPOCH};

use ring::hmac;

use crate::secret::ct_eq;

/// Seconds per time step.
pub(crate) const PERIOD_SECS: u64 = 30;
/// Digits per code.
pub(crate) const DIGITS: usize = 6;
/// Bytes of a new secret (160 bits, RFC 4226 §4's recommendation).
pub(crate) const SECRET_BYTES: usize = 20;
/// How many steps before and after the current one are accepted (clock drift).
const WINDOW: i64 = 1;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `bytes` in base32, upper case, without padding.
pub(crate) fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Base32 text back to bytes (case-insensitive, padding and spaces ignored); `None` for
/// any other character.
pub(crate) fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !matches!(c, b'=' | b' ')) {
        let value = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The time step of `now` (whole periods since the Unix epoch).
pub(crate) fn step_at(now: SystemTime) -> i64 {
    let secs = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    i64::try_from(secs / PERIOD_SECS).unwrap_or(i64::MAX)
}

/// The code of `step` (HOTP of the step counter, RFC 4226 §5.3), zero-padded.
pub(crate) fn code(secret: &[u8], step: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let word = u32::from_be_bytes([mac[offset], mac[offset + 1], mac[offset + 2], mac[offset + 3]]) & 0x7fff_ffff;
    format!("{:06}", word % 1_000_000)
}

/// Whether `input` has the shape of a code: exactly [`DIGITS`] ASCII digits.
pub(crate) fn is_code_shaped(input: &str) -> bool {
    input.len() == DIGITS && input.bytes().all(|b| b.is_ascii_digit())
}

/// The step whose code `input` is, among the current step and [`WINDOW`] either side:
/// every candidate is computed and compared in constant time.
pub(crate) fn matching_step(secret: &[u8], input: &str, now: SystemTime) -> Option<i64> {
    if !is_code_shaped(input) {
        return None;
    }
    let current = step_at(now);
    let mut found = None;
    for step in current.saturating_sub(WINDOW)..=current.saturating_add(WINDOW) {
        if ct_eq(&code(secret, step), input) {
            found = Some(step);
        }
    }
    found
}

/// The `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`
/// URI of a secret (Google Authenticator's key URI format), percent-encoded.
pub(crate) fn uri(issuer: &str, account: &str, secret_base32: &str) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    format!(
        "otpauth://totp/{}:{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={PERIOD_SECS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    /// RFC 6238 appendix B, SHA-1, the last six of its eight digits.
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, expected) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            let now = UNIX_EPOCH + Duration::from_secs(t);
            assert_eq!(code(secret, step_at(now)), expected, "T = {t}");
        }
    }

    #[test]
    fn base32_round_trips_rfc4648_vectors() {
        for (raw, text) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(raw.as_bytes()), text);
            assert_eq!(from_base32(text).as_deref(), Some(raw.as_bytes()));
        }
        assert_eq!(from_base32("mzxw 6==").as_deref(), Some(&b"foo"[..]));
        assert_eq!(from_base32("MZ1"), None, "1 is not base32");
    }

    #[test]
    fn one_step_either_side_is_accepted() {
        let secret = b"12345678901234567890";
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let step = step_at(now);
        for s in [step - 1, step, step + 1] {
            assert_eq!(matching_step(secret, &code(secret, s), now), Some(s));
        }
        for s in [step - 2, step + 2] {
            assert_eq!(matching_step(secret, &code(secret, s), now), None, "step {s}");
        }
        assert_eq!(matching_step(secret, "12345", now), None);
        assert_eq!(matching_step(secret, "12345a", now), None);
    }

    #[test]
    fn uri_encodes_its_parts() {
        assert_eq!(
            uri("Example Co", "a@b.c", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Example%20Co:a%40b%2Ec?secret=JBSWY3DPEHPK3PXP&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30"
        );
    }
}
