//! The `Tessera-Signature` header: HMAC-SHA256 over the timestamp and the body, in the
//! shape Stripe's webhooks use (`t=<unix seconds>,v1=<hex>`).
//!
//! The key is the hook secret's UTF-8 bytes, as configured (not base64-decoded); the signed
//! message is the decimal timestamp, a dot, then the request body byte for byte:
//!
//! ```text
//! Tessera-Signature: t=1767225600,v1=hex(HMAC-SHA256(secret, "1767225600." + body))
//! ```
//!
//! [`verify`] accepts a header with several `v1=` entries (any may match) and ignores
//! entries of other schemes, so a hook server keeps working when a later version adds one.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tessera::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Tessera-Signature";

/// The tolerance Tessera suggests for [`verify`]: five minutes, as Stripe's libraries use.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Why [`verify`] refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The header is not `t=<unix seconds>,v1=<64 hex digits>[,…]`.
    #[error("malformed {SIGNATURE_HEADER} header")]
    Malformed,
    /// The timestamp is further from `now` than the tolerance (a replay, or a clock off).
    #[error("the signature's timestamp is outside the tolerance")]
    Timestamp,
    /// No `v1` signature matches the body under this secret.
    #[error("no signature matches the body")]
    Mismatch,
}

fn mac(secret: &Secret, timestamp: u64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Tessera-Signature` value of `body` sent at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`.
///
/// ```
/// use tessera_server::hooks::{sign, verify};
/// let secret = tessera::Secret::new("a hook secret of some length");
/// let header = sign(&secret, 1_767_225_600, br#"{"hook":"jwt"}"#);
/// assert!(header.starts_with("t=1767225600,v1="));
/// let tolerance = std::time::Duration::from_secs(300);
/// assert!(verify(&secret, &header, br#"{"hook":"jwt"}"#, 1_767_225_610, tolerance).is_ok());
/// ```
pub fn sign(secret: &Secret, timestamp: u64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

/// Checks a `Tessera-Signature` header against the body, for a hook server written in Rust:
/// the timestamp must be within `tolerance` of `now` (Unix seconds; either side, for clock
/// skew) and one `v1` entry must be the HMAC of the body (compared in constant time).
///
/// ```
/// use std::time::Duration;
/// use tessera_server::hooks::{VerifyError, sign, verify};
/// let secret = tessera::Secret::new("a hook secret of some length");
/// let header = sign(&secret, 1_000, b"{}");
/// let tolerance = Duration::from_secs(300);
/// assert_eq!(verify(&secret, &header, b"{ }", 1_000, tolerance), Err(VerifyError::Mismatch));
/// assert_eq!(verify(&secret, &header, b"{}", 2_000, tolerance), Err(VerifyError::Timestamp));
/// assert_eq!(verify(&secret, "v1=00", b"{}", 1_000, tolerance), Err(VerifyError::Malformed));
/// ```
pub fn verify(secret: &Secret, header: &str, body: &[u8], now: u64, tolerance: Duration) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut tags = Vec::new();
    for item in header.split(',') {
        let (key, value) = item.trim().split_once('=').ok_or(VerifyError::Malformed)?;
        match key {
            "t" if timestamp.is_none() && !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                timestamp = Some(value.parse::<u64>().map_err(|_| VerifyError::Malformed)?);
            }
            "t" => return Err(VerifyError::Malformed),
            "v1" => {
                let tag = hex::decode(value).map_err(|_| VerifyError::Malformed)?;
                if tag.len() != 32 {
                    return Err(VerifyError::Malformed);
                }
                tags.push(tag);
            }
            // Another scheme: not ours to check.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(VerifyError::Malformed)?;
    if tags.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if now.abs_diff(timestamp) > tolerance.as_secs() {
        return Err(VerifyError::Timestamp);
    }
    let expected = mac(secret, timestamp, body);
    // `verify_slice` compares in constant time.
    if tags.iter().any(|tag| expected.clone().verify_slice(tag).is_ok()) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}
