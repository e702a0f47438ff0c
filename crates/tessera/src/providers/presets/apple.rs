//! Sign in with Apple (OpenID Connect, `response_mode=form_post`), after
//! `next-auth/providers/apple`.

use super::{OAuthProvider, env, required, text};
use crate::providers::{Check, ProfileError, ProviderStyle, TokenSet};
use crate::{Secret, User};
use serde_json::Value;

/// Apple, with `AUTH_APPLE_ID` (the Services ID) and `AUTH_APPLE_SECRET` (the client-secret
/// JWT) from the environment. See [`apple_with`].
pub fn apple() -> OAuthProvider {
    apple_with(env("APPLE", "ID"), env("APPLE", "SECRET"))
}

/// Sign in with Apple (id `apple`): a Services ID with the return URL
/// `<NEXTAUTH_URL>/api/auth/callback/apple` (Apple requires https, also in development).
///
/// OpenID Connect discovery from `https://appleid.apple.com`, scope `name email`,
/// `response_mode=form_post`, check PKCE only; the profile is the ID token's claims
/// (id = `sub`, `email`; Apple sends no name or picture in the ID token, so both stay unset).
///
/// * `client_secret` is not a static secret but an ES256 JWT signed with your Apple key
///   (`iss` = team id, `sub` = Services ID, `aud` = `https://appleid.apple.com`, at most
///   6 months valid); generate it out of band and renew it before it expires.
/// * Apple posts the callback **cross-site** (`form_post`), and browsers send no
///   `SameSite=Lax` cookie with such a POST. Tessera handles it: on https, a `form_post`
///   sign-in sets its check cookies and the callback-URL cookie `SameSite=None; Secure`
///   (the session cookie stays `Lax`). Nothing to configure:
///
/// ```
/// let auth = tessera::Auth::builder()
///     .url("https://app.example.com")
///     .secret("0123456789abcdef")
///     .provider(tessera::providers::presets::apple_with("com.example.web", "eyJhbGciOiJFUzI1NiJ9..."))
///     .build();
/// assert!(auth.is_ok());
/// ```
pub fn apple_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    OAuthProvider::new("apple")
        .name("Apple")
        .issuer("https://appleid.apple.com")
        .scope("name email")
        .authorization_param("response_mode", "form_post")
        .id_token(true)
        .checks([Check::Pkce])
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(profile)
        .style(
            ProviderStyle::new()
                .logo("/apple.svg")
                .logo_dark("/apple-dark.svg")
                .bg("#fff")
                .text("#000")
                .bg_dark("#000")
                .text_dark("#fff"),
        )
}

fn profile(p: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    Ok(User {
        name: text(p, "name"),
        email: text(p, "email"),
        image: None,
        ..User::new(required(p, "sub")?)
    })
}
