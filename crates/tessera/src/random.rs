//! Randomness from the operating system's CSPRNG.

/// `N` random bytes. The OS generator failing is unrecoverable for an auth server,
/// so this aborts loudly rather than hand out predictable tokens.
pub(crate) fn bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the operating system's random number generator works");
    buf
}

/// 32 random bytes as 64 lower-case hex characters.
pub(crate) fn hex_token() -> String {
    hex::encode(bytes::<32>())
}

/// A random UUID v4 string (the `jti` claim, database session tokens).
pub(crate) fn uuid_v4() -> String {
    uuid::Builder::from_random_bytes(bytes::<16>())
        .into_uuid()
        .hyphenated()
        .to_string()
}
