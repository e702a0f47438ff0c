//! Amazon Cognito user pools (OpenID Connect with discovery), after
//! `next-auth/providers/cognito`.

use super::{OAuthProvider, env, oidc_profile};
use crate::Secret;
use crate::providers::{Check, ProviderStyle};

/// Cognito, with `AUTH_COGNITO_ID`, `AUTH_COGNITO_SECRET` and `AUTH_COGNITO_ISSUER` from the
/// environment. See [`cognito_with`].
pub fn cognito() -> OAuthProvider {
    cognito_with(env("COGNITO", "ISSUER"), env("COGNITO", "ID"), env("COGNITO", "SECRET"))
}

/// Amazon Cognito (id `cognito`): an app client with a client secret in a user pool with a
/// domain (the managed login or hosted UI); the issuer is the user pool's,
/// `https://cognito-idp.<region>.amazonaws.com/<user pool id>`, e.g.
/// `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI`, with the allowed
/// callback URL `<NEXTAUTH_URL>/api/auth/callback/cognito` and the OAuth scopes `openid`,
/// `profile` and `email` allowed for the app client.
///
/// OpenID Connect discovery from `<issuer>/.well-known/openid-configuration`, scope
/// `openid profile email`, check `state` (as NextAuth v4; add PKCE with
/// `.checks([Check::Pkce, Check::State])`); the profile is the ID token's claims: id = `sub`,
/// `name`, `email`, image = `picture` (each only when the user pool has that attribute).
///
/// ```
/// let cognito = tessera::providers::presets::cognito_with(
///     "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI",
///     "1example23456789",
///     "s3cr3t",
/// );
/// let auth = tessera::Auth::builder().secret("0123456789abcdef").provider(cognito).build();
/// assert!(auth.is_ok());
/// ```
pub fn cognito_with(
    issuer: impl Into<String>,
    client_id: impl Into<String>,
    client_secret: impl Into<Secret>,
) -> OAuthProvider {
    super::oidc("cognito", "Cognito", issuer, client_id, client_secret)
        .scope("openid profile email")
        .checks([Check::State])
        .profile(oidc_profile)
        .style(
            ProviderStyle::new()
                .logo("/cognito.svg")
                .logo_dark("/cognito.svg")
                .bg("#fff")
                .text("#C17B9E")
                .bg_dark("#fff")
                .text_dark("#C17B9E"),
        )
}
