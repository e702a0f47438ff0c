//! Okta (OpenID Connect with discovery), after `next-auth/providers/okta`.

use super::{OAuthProvider, env, oidc_profile_or_username};
use crate::Secret;
use crate::providers::{Check, ProviderStyle};

/// Okta, with `AUTH_OKTA_ID`, `AUTH_OKTA_SECRET` and `AUTH_OKTA_ISSUER` from the
/// environment. See [`okta_with`].
pub fn okta() -> OAuthProvider {
    okta_with(env("OKTA", "ISSUER"), env("OKTA", "ID"), env("OKTA", "SECRET"))
}

/// Okta (id `okta`): an OIDC Web application; the issuer is the authorization server, e.g. `https://example.okta.com` or `https://example.okta.com/oauth2/default`, with the redirect (callback) URL
/// `<NEXTAUTH_URL>/api/auth/callback/okta`.
///
/// OpenID Connect discovery from `<issuer>/.well-known/openid-configuration`, scope
/// `openid email profile`, checks `state` (as NextAuth v4; add PKCE with `.checks([Check::Pkce, Check::State])`); the profile is the ID token's claims: id = `sub`,
/// name = `name` or else `preferred_username`, `email`, image = `picture`.
pub fn okta_with(
    issuer: impl Into<String>,
    client_id: impl Into<String>,
    client_secret: impl Into<Secret>,
) -> OAuthProvider {
    super::oidc("okta", "Okta", issuer, client_id, client_secret)
        .checks([Check::State])
        .profile(oidc_profile_or_username)
        .style(
            ProviderStyle::new()
                .logo("/okta.svg")
                .logo_dark("/okta-dark.svg")
                .bg("#fff")
                .text("#000")
                .bg_dark("#000")
                .text_dark("#fff"),
        )
}
