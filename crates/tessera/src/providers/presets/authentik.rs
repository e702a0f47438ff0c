//! authentik (OpenID Connect with discovery), after `next-auth/providers/authentik`.

use super::{OAuthProvider, env, oidc_profile_or_username};
use crate::Secret;
use crate::providers::{Check, ProviderStyle};

/// authentik, with `AUTH_AUTHENTIK_ID`, `AUTH_AUTHENTIK_SECRET` and `AUTH_AUTHENTIK_ISSUER`
/// from the environment. See [`authentik_with`].
pub fn authentik() -> OAuthProvider {
    authentik_with(
        env("AUTHENTIK", "ISSUER"),
        env("AUTHENTIK", "ID"),
        env("AUTHENTIK", "SECRET"),
    )
}

/// authentik (id `authentik`): a confidential OAuth2/OpenID provider bound to an
/// application; the issuer is the application's URL, `https://<host>/application/o/<slug>/`
/// (with or without the trailing slash), with the redirect URI
/// `<NEXTAUTH_URL>/api/auth/callback/authentik`.
///
/// OpenID Connect discovery from `<issuer>/.well-known/openid-configuration`, scope
/// `openid email profile`, checks PKCE and `state`; the profile is the ID token's claims:
/// id = `sub`, name = `name` or else `preferred_username`, `email`, image = `picture`.
/// authentik puts those claims in the ID token unless the provider's "Include claims in
/// `id_token`" setting is off; then add [`OAuthProvider::fetch_userinfo`].
///
/// ```
/// let authentik = tessera::providers::presets::authentik_with(
///     "https://auth.example.com/application/o/tessera/",
///     "client-id",
///     "s3cr3t",
/// );
/// let auth = tessera::Auth::builder().secret("0123456789abcdef").provider(authentik).build();
/// assert!(auth.is_ok());
/// ```
pub fn authentik_with(
    issuer: impl Into<String>,
    client_id: impl Into<String>,
    client_secret: impl Into<Secret>,
) -> OAuthProvider {
    super::oidc("authentik", "Authentik", issuer, client_id, client_secret)
        .checks([Check::Pkce, Check::State])
        .profile(oidc_profile_or_username)
        .style(ProviderStyle::new().logo("/authentik.svg").bg("#fff").text("#fd4b2d"))
}
