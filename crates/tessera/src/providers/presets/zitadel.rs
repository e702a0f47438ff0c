//! ZITADEL (OpenID Connect with discovery), after `next-auth/providers/zitadel`.

use super::{OAuthProvider, env, oidc_profile};
use crate::Secret;
use crate::providers::{Check, ProviderStyle};

/// ZITADEL, with `AUTH_ZITADEL_ID`, `AUTH_ZITADEL_SECRET` and `AUTH_ZITADEL_ISSUER` from the
/// environment. See [`zitadel_with`].
pub fn zitadel() -> OAuthProvider {
    zitadel_with(env("ZITADEL", "ISSUER"), env("ZITADEL", "ID"), env("ZITADEL", "SECRET"))
}

/// ZITADEL (id `zitadel`): a Web application (authentication method "Code") in a project;
/// the issuer is the instance URL, e.g. `https://example-abc123.zitadel.cloud` or your
/// custom domain, with the redirect URI `<NEXTAUTH_URL>/api/auth/callback/zitadel` (ZITADEL
/// accepts an `http://localhost` one only with the application's development mode on).
///
/// OpenID Connect discovery from `<issuer>/.well-known/openid-configuration`, scope
/// `openid email profile`, checks PKCE and `state`. The profile is the ID token's claims
/// merged with the userinfo response, as ZITADEL puts the profile and email claims in the
/// ID token only when the application's "User Info inside ID Token" setting is on:
/// id = `sub`, `name`, `email`, image = `picture`. ZITADEL's `email_verified` claim is not
/// copied to the user, but it is honoured: with `email_verified: false` the user signs in
/// without an email, and only `email_verified: true` may link to an existing user by email
/// (with [`OAuthProvider::allow_dangerous_email_account_linking`]). To refuse unverified
/// addresses altogether, check `profile["email_verified"]` in the `sign_in` callback.
///
/// ```
/// let zitadel = tessera::providers::presets::zitadel_with(
///     "https://example-abc123.zitadel.cloud",
///     "263171962358310915",
///     "s3cr3t",
/// );
/// let auth = tessera::Auth::builder().secret("0123456789abcdef").provider(zitadel).build();
/// assert!(auth.is_ok());
/// ```
pub fn zitadel_with(
    issuer: impl Into<String>,
    client_id: impl Into<String>,
    client_secret: impl Into<Secret>,
) -> OAuthProvider {
    super::oidc("zitadel", "ZITADEL", issuer, client_id, client_secret)
        .checks([Check::Pkce, Check::State])
        .fetch_userinfo(true)
        .profile(oidc_profile)
        .style(
            ProviderStyle::new()
                .logo("/zitadel-black.svg")
                .logo_dark("/zitadel-white.svg")
                .bg("#fff")
                .text("#000")
                .bg_dark("#000")
                .text_dark("#fff"),
        )
}
