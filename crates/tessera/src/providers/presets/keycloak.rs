//! Keycloak (OpenID Connect with discovery), after `next-auth/providers/keycloak`.

use super::{OAuthProvider, env, oidc_profile_or_username};
use crate::Secret;
use crate::providers::{Check, ProviderStyle};

/// Keycloak, with `AUTH_KEYCLOAK_ID`, `AUTH_KEYCLOAK_SECRET` and `AUTH_KEYCLOAK_ISSUER` from the
/// environment. See [`keycloak_with`].
pub fn keycloak() -> OAuthProvider {
    keycloak_with(
        env("KEYCLOAK", "ISSUER"),
        env("KEYCLOAK", "ID"),
        env("KEYCLOAK", "SECRET"),
    )
}

/// Keycloak (id `keycloak`): a confidential OpenID Connect client of a realm; the issuer is the realm URL, e.g. `https://sso.example.com/realms/main`, with the redirect (callback) URL
/// `<NEXTAUTH_URL>/api/auth/callback/keycloak`.
///
/// OpenID Connect discovery from `<issuer>/.well-known/openid-configuration`, scope
/// `openid email profile`, checks PKCE and `state`; the profile is the ID token's claims: id = `sub`,
/// name = `name` or else `preferred_username`, `email`, image = `picture`.
pub fn keycloak_with(
    issuer: impl Into<String>,
    client_id: impl Into<String>,
    client_secret: impl Into<Secret>,
) -> OAuthProvider {
    super::oidc("keycloak", "Keycloak", issuer, client_id, client_secret)
        .checks([Check::Pkce, Check::State])
        .profile(oidc_profile_or_username)
        .style(
            ProviderStyle::new()
                .logo("/keycloak.svg")
                .logo_dark("/keycloak.svg")
                .bg("#fff")
                .text("#000")
                .bg_dark("#fff")
                .text_dark("#000"),
        )
}
