//! Argon2id hashing of passwords (OWASP's Password Storage Cheat Sheet): PHC strings,
//! a random 16-byte salt each, verification in the hash's own parameters, and the check
//! that tells when a stored hash was made with other parameters than the configured ones.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Argon2id's cost. The default is OWASP's first recommendation: 19 MiB of memory, two
/// passes, one lane (`m=19456,t=2,p=1`).
///
/// Sign-in rehashes a stored hash whose parameters differ from these (after the password
/// checked out), so raising them takes effect as users sign in.
///
/// ```
/// use tessera::providers::password::PasswordHashParams;
/// let p = PasswordHashParams::default();
/// assert_eq!((p.memory_kib, p.iterations, p.parallelism), (19 * 1024, 2, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHashParams {
    /// Memory, in KiB (at least 8 × `parallelism`).
    pub memory_kib: u32,
    /// Passes over the memory (at least 1).
    pub iterations: u32,
    /// Lanes (at least 1).
    pub parallelism: u32,
}

impl PasswordHashParams {
    /// OWASP's recommendation for Argon2id: `m=19456` (19 MiB), `t=2`, `p=1`.
    pub const OWASP: PasswordHashParams = PasswordHashParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
}

impl Default for PasswordHashParams {
    fn default() -> Self {
        Self::OWASP
    }
}

/// Parameters Argon2 refuses (too little memory for the lanes, zero passes or lanes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Argon2id parameters: {0}")]
pub struct InvalidHashParams(String);

/// Hashes and verifies with one set of parameters.
#[derive(Clone)]
pub(crate) struct Hasher {
    params: Params,
    /// A hash of a random password with these parameters: what an unknown address is
    /// verified against, so that it costs what a known one does.
    dummy: String,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Hasher {
    /// A hasher for `params`; computes the dummy hash (one hash's time).
    pub(crate) fn new(params: PasswordHashParams) -> Result<Self, InvalidHashParams> {
        let params = Params::new(params.memory_kib, params.iterations, params.parallelism, None)
            .map_err(|e| InvalidHashParams(e.to_string()))?;
        let mut hasher = Hasher {
            params,
            dummy: String::new(),
        };
        hasher.dummy = hasher.hash(&crate::random::hex_token());
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string of `password` with a new random salt.
    pub(crate) fn hash(&self, password: &str) -> String {
        let salt = SaltString::encode_b64(&crate::random::bytes::<16>()).expect("16 bytes are a valid salt");
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .expect("validated parameters and a valid salt hash any input")
            .to_string()
    }

    /// Whether `password` matches the PHC string `stored` (in `stored`'s own parameters).
    /// A string that is not an Argon2 PHC string matches nothing (after the dummy's work,
    /// so that it takes as long).
    pub(crate) fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let parsed = stored.and_then(|s| PasswordHash::new(s).ok());
        match parsed {
            Some(hash) => self.argon2().verify_password(password.as_bytes(), &hash).is_ok(),
            None => {
                let dummy = PasswordHash::new(&self.dummy).expect("the dummy is a PHC string");
                let _ = self.argon2().verify_password(password.as_bytes(), &dummy);
                false
            }
        }
    }

    /// Whether `stored` was made otherwise than this hasher would (another algorithm,
    /// version or cost): it is then rehashed after a successful sign-in.
    pub(crate) fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return true;
        };
        let same_algorithm =
            hash.algorithm == Algorithm::Argon2id.ident() && hash.version == Some(Version::V0x13.into());
        let same_params = Params::try_from(&hash).is_ok_and(|p| {
            p.m_cost() == self.params.m_cost()
                && p.t_cost() == self.params.t_cost()
                && p.p_cost() == self.params.p_cost()
        });
        !(same_algorithm && same_params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHashParams {
        PasswordHashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn hashes_are_argon2id_phc_strings_with_the_configured_cost() {
        let h = Hasher::new(PasswordHashParams::default()).unwrap();
        let phc = h.hash("correct horse battery staple");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(h.verify("correct horse battery staple", Some(&phc)));
        assert!(!h.verify("correct horse battery stapler", Some(&phc)));
        // A new salt each time.
        assert_ne!(phc, h.hash("correct horse battery staple"));
        assert!(!h.needs_rehash(&phc));
    }

    #[test]
    fn other_parameters_verify_and_need_a_rehash() {
        let old = Hasher::new(cheap()).unwrap();
        let new = Hasher::new(PasswordHashParams::default()).unwrap();
        let phc = old.hash("pw-of-old");
        assert!(
            new.verify("pw-of-old", Some(&phc)),
            "verified in the hash's own parameters"
        );
        assert!(new.needs_rehash(&phc));
        assert!(!old.needs_rehash(&phc));
        assert!(new.needs_rehash("$2b$12$notargon"));
    }

    #[test]
    fn nothing_stored_or_garbage_matches_nothing() {
        let h = Hasher::new(cheap()).unwrap();
        assert!(!h.verify("anything", None));
        assert!(!h.verify("anything", Some("not a phc string")));
        assert!(!h.verify("", Some("")));
    }

    #[test]
    fn bad_parameters_are_refused() {
        let bad = PasswordHashParams {
            memory_kib: 1,
            iterations: 0,
            parallelism: 1,
        };
        assert!(Hasher::new(bad).is_err());
    }
}
