//! LinkedIn ("Sign In with LinkedIn using OpenID Connect"), after
//! `next-auth/providers/linkedin`.

use super::{OAuthProvider, env, oidc_profile};
use crate::Secret;
use crate::providers::{Check, ProviderStyle, TokenAuthMethod};

/// LinkedIn, with `AUTH_LINKEDIN_ID` and `AUTH_LINKEDIN_SECRET` from the environment.
/// See [`linkedin_with`].
pub fn linkedin() -> OAuthProvider {
    linkedin_with(env("LINKEDIN", "ID"), env("LINKEDIN", "SECRET"))
}

/// LinkedIn (id `linkedin`): an app with the "Sign In with LinkedIn using OpenID Connect"
/// product and the authorized redirect URL `<NEXTAUTH_URL>/api/auth/callback/linkedin`.
///
/// OpenID Connect with LinkedIn's endpoints set statically (issuer
/// `https://www.linkedin.com/oauth`, JWKS `https://www.linkedin.com/oauth/openid/jwks`),
/// scope `openid profile email`, check `state`, client credentials in the token request
/// body (`client_secret_post`, which LinkedIn requires); the profile is the ID token's
/// claims (id = `sub`, `name`, `email`, image = `picture`).
pub fn linkedin_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    OAuthProvider::new("linkedin")
        .name("LinkedIn")
        .issuer("https://www.linkedin.com/oauth")
        .authorization("https://www.linkedin.com/oauth/v2/authorization")
        .token("https://www.linkedin.com/oauth/v2/accessToken")
        .userinfo("https://api.linkedin.com/v2/userinfo")
        .jwks_uri("https://www.linkedin.com/oauth/openid/jwks")
        .scope("openid profile email")
        .id_token(true)
        .checks([Check::State])
        .token_auth_method(TokenAuthMethod::ClientSecretPost)
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(oidc_profile)
        .style(
            ProviderStyle::new()
                .logo("/linkedin.svg")
                .logo_dark("/linkedin-dark.svg")
                .bg("#fff")
                .text("#069")
                .bg_dark("#069")
                .text_dark("#fff"),
        )
}
