//! The TOTP secret at rest: a compact JWE (`dir`, A256GCM) under a key derived with HKDF
//! from the server secret (salt [`SALT`], so no other Tessera key is this one), its
//! plaintext naming the user. A database dump alone gives no secret, and a sealed secret
//! copied to another user's row does not open there. Rotation works as for sessions: the
//! current secret seals, every configured secret opens (a set-up sealed under a secret
//! that has been dropped no longer opens: its user signs in with a recovery code and sets
//! two-factor sign-in up again). The key derivation is next-auth 4's whatever the
//! compatibility mode, so changing the mode does not lose the secrets.

use serde::{Deserialize, Serialize};

use super::totp::{base32, from_base32};
use crate::Compat;
use crate::config::Config;
use crate::session::jwt::JweCodec;

/// The HKDF salt of the at-rest key.
const SALT: &str = "tessera two-factor secret";

#[derive(Serialize, Deserialize)]
struct Plain {
    /// The user the secret belongs to.
    sub: String,
    /// The secret, base32.
    key: String,
}

fn codec(config: &Config) -> JweCodec {
    JweCodec::new(Compat::NextAuthV4, &config.secrets, SALT)
}

/// `secret` of `user_id`, sealed.
pub(crate) fn seal(config: &Config, user_id: &str, secret: &[u8]) -> String {
    let plain = Plain {
        sub: user_id.to_owned(),
        key: base32(secret),
    };
    codec(config).encrypt(serde_json::to_vec(&plain).expect("two strings serialize"))
}

/// The secret sealed in `sealed`, when it opens and belongs to `user_id`.
pub(crate) fn open(config: &Config, user_id: &str, sealed: &str) -> Option<Vec<u8>> {
    let plaintext = codec(config).decrypt(sealed).ok()?;
    let plain: Plain = serde_json::from_slice(&plaintext).ok()?;
    if plain.sub != user_id {
        tracing::error!(user_id = %user_id, "a two-factor secret sealed for another user was found in this user's row");
        return None;
    }
    from_base32(&plain.key)
}
