//! [`Compat`]: which generation of the protocol a server or a client speaks.

use std::fmt;

/// Which generation of the protocol to speak: next-auth 4 or Auth.js v5 (next-auth 5).
///
/// The server (`tessera`) takes it for its cookie names, JWE algorithms, the JSON of "no
/// session" and the headers the client may send; the client (`tessera-client`) for the
/// requests of `signIn`/`signOut`/`update`, the reading of their answers and the cross-tab
/// channel. It lives here so that the wasm client does not depend on the server crate.
///
/// ```
/// use tessera_protocol::Compat;
/// assert_eq!(Compat::default(), Compat::NextAuthV4);
/// assert_eq!("v5".parse::<Compat>(), Ok(Compat::AuthJsV5));
/// assert_eq!(Compat::AuthJsV5.as_str(), "v5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compat {
    /// next-auth 4.x: `next-auth.*` cookies, `A256GCM`, HKDF with an empty salt; the client
    /// posts `json=true` and syncs tabs through `localStorage["nextauth.message"]`.
    #[default]
    NextAuthV4,
    /// Auth.js v5 / `@auth/core` / next-auth 5: `authjs.*` cookies, `A256CBC-HS512`, salt =
    /// cookie name, `null` for no session; the client sends `X-Auth-Return-Redirect: 1` and
    /// syncs tabs through `BroadcastChannel("next-auth")`.
    AuthJsV5,
}

impl Compat {
    /// The name [`Compat::from_str`](std::str::FromStr) reads and `AUTH_COMPAT` takes:
    /// `v4` or `v5`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Compat::NextAuthV4 => "v4",
            Compat::AuthJsV5 => "v5",
        }
    }
}

impl fmt::Display for Compat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compatibility mode that is neither `v4` nor `v5` (see [`Compat`]'s
/// [`FromStr`](std::str::FromStr)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCompat(pub String);

impl fmt::Display for UnknownCompat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown compatibility mode {:?}: use v4 (next-auth 4) or v5 (Auth.js v5, next-auth 5)",
            self.0
        )
    }
}

impl std::error::Error for UnknownCompat {}

impl std::str::FromStr for Compat {
    type Err = UnknownCompat;

    /// `v4` (next-auth 4) or `v5` (Auth.js v5), as `AUTH_COMPAT` spells them.
    ///
    /// ```
    /// use tessera_protocol::Compat;
    /// assert_eq!("v4".parse::<Compat>(), Ok(Compat::NextAuthV4));
    /// assert!("5".parse::<Compat>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "v4" => Ok(Compat::NextAuthV4),
            "v5" => Ok(Compat::AuthJsV5),
            other => Err(UnknownCompat(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_errors_say_what_is_accepted() {
        for compat in [Compat::NextAuthV4, Compat::AuthJsV5] {
            assert_eq!(compat.as_str().parse::<Compat>(), Ok(compat));
            assert_eq!(compat.to_string(), compat.as_str());
        }
        let err = "V5".parse::<Compat>().unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"unknown compatibility mode "V5": use v4 (next-auth 4) or v5 (Auth.js v5, next-auth 5)"#
        );
    }
}
