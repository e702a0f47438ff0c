//! Keycloak (OpenID Connect with discovery), after `next-auth/providers/keycloak`.

use super::{OAuthProvider, env, required, text};
use crate::providers::{Check, ProfileError, ProviderStyle, TokenSet};
use crate::{Secret, User};
use serde_json::Value;

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
        .profile(profile)
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

fn profile(p: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    Ok(User {
        name: text(p, "name").or_else(|| text(p, "preferred_username")),
        email: text(p, "email"),
        image: text(p, "picture"),
        ..User::new(required(p, "sub")?)
    })
}
