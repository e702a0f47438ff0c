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
