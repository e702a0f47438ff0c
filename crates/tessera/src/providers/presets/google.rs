//! Google (OpenID Connect), after `next-auth/providers/google`.

use super::{OAuthProvider, env, oidc_profile};
use crate::Secret;
use crate::providers::{Check, ProviderStyle};

/// Google, with `AUTH_GOOGLE_ID` and `AUTH_GOOGLE_SECRET` from the environment.
/// See [`google_with`].
pub fn google() -> OAuthProvider {
    google_with(env("GOOGLE", "ID"), env("GOOGLE", "SECRET"))
}

/// Google (id `google`): an OAuth client of type "Web application" with the authorized
/// redirect URI `<NEXTAUTH_URL>/api/auth/callback/google`.
///
/// OpenID Connect discovery from `https://accounts.google.com`, scope
/// `openid email profile`, checks PKCE and `state`; the profile is the ID token's claims
/// (id = `sub`, `name`, `email`, image = `picture`). Add
/// `.authorization_param("prompt", "consent").authorization_param("access_type", "offline")`
/// to get a refresh token every time.
pub fn google_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    super::oidc(
        "google",
        "Google",
        "https://accounts.google.com",
        client_id,
        client_secret,
    )
    .checks([Check::Pkce, Check::State])
    .profile(oidc_profile)
    .style(
        ProviderStyle::new()
            .logo("/google.svg")
            .logo_dark("/google.svg")
            .bg("#fff")
            .text("#000")
            .bg_dark("#fff")
            .text_dark("#000"),
    )
}
