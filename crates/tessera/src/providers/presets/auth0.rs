//! Auth0 (OpenID Connect with discovery), after `next-auth/providers/auth0`.

use super::{OAuthProvider, env, required, text};
use crate::providers::{Check, ProfileError, ProviderStyle, TokenSet};
use crate::{Secret, User};
use serde_json::Value;

/// Auth0, with `AUTH_AUTH0_ID`, `AUTH_AUTH0_SECRET` and `AUTH_AUTH0_ISSUER` from the
/// environment. See [`auth0_with`].
pub fn auth0() -> OAuthProvider {
    auth0_with(env("AUTH0", "ISSUER"), env("AUTH0", "ID"), env("AUTH0", "SECRET"))
}

/// Auth0 (id `auth0`): a Regular Web Application; the issuer is the tenant domain as a URL, e.g. `https://example.eu.auth0.com` (Auth0's own issuer has a trailing slash, which is fine), with the redirect (callback) URL
/// `<NEXTAUTH_URL>/api/auth/callback/auth0`.
///
/// OpenID Connect discovery from `<issuer>/.well-known/openid-configuration`, scope
/// `openid email profile`, checks PKCE and `state`; the profile is the ID token's claims: id = `sub`,
/// name = `nickname`, `email`, image = `picture`.
pub fn auth0_with(
    issuer: impl Into<String>,
    client_id: impl Into<String>,
    client_secret: impl Into<Secret>,
) -> OAuthProvider {
    super::oidc("auth0", "Auth0", issuer, client_id, client_secret)
        .checks([Check::Pkce, Check::State])
        .profile(profile)
        .style(
            ProviderStyle::new()
                .logo("/auth0.svg")
                .logo_dark("/auth0-dark.svg")
                .bg("#fff")
                .text("#EB5424")
                .bg_dark("#EB5424")
                .text_dark("#fff"),
        )
}

fn profile(p: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    Ok(User {
        name: text(p, "nickname"),
        email: text(p, "email"),
        image: text(p, "picture"),
        ..User::new(required(p, "sub")?)
    })
}
