//! [`Compat`]: which generation of the protocol to speak.

/// Which generation of the protocol to speak: cookie names, JWE algorithms, the JSON of
/// "no session" and the headers the client may send. Set it with
/// [`AuthBuilder::compat`](crate::AuthBuilder::compat).
///
/// ```
/// let auth = tessera::Auth::builder()
///     .secret("0123456789abcdef")
///     .compat(tessera::Compat::AuthJsV5)
///     .build()
///     .unwrap();
/// assert_eq!(auth.session_cookie_name(), "authjs.session-token");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compat {
    /// next-auth 4.x: `next-auth.*` cookies, `A256GCM`, HKDF with an empty salt.
    #[default]
    NextAuthV4,
    /// Auth.js v5 / `@auth/core`: `authjs.*` cookies, `A256CBC-HS512`, salt = cookie name,
    /// `null` for no session, `X-Auth-Return-Redirect`.
    AuthJsV5,
}

impl Compat {
    /// The name [`Compat::from_str`](std::str::FromStr) reads and `AUTH_COMPAT` takes:
    /// `v4` or `v5`.
    pub fn as_str(self) -> &'static str {
        match self {
            Compat::NextAuthV4 => "v4",
            Compat::AuthJsV5 => "v5",
        }
    }
}

/// A compatibility mode that is neither `v4` nor `v5` (see [`Compat`]'s
/// [`FromStr`](std::str::FromStr)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown compatibility mode {0:?}: use v4 (next-auth 4) or v5 (Auth.js v5, next-auth 5)")]
pub struct UnknownCompat(pub String);

impl std::str::FromStr for Compat {
    type Err = UnknownCompat;

    /// `v4` (next-auth 4) or `v5` (Auth.js v5), as `AUTH_COMPAT` spells them.
    ///
    /// ```
    /// use tessera::Compat;
    /// assert_eq!("v5".parse::<Compat>(), Ok(Compat::AuthJsV5));
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
