//! Twitch (OpenID Connect), after `next-auth/providers/twitch`.

use super::{OAuthProvider, env, required, text};
use crate::providers::{Check, ProfileError, ProviderStyle, TokenAuthMethod, TokenSet};
use crate::{Secret, User};
use serde_json::Value;

/// Twitch, with `AUTH_TWITCH_ID` and `AUTH_TWITCH_SECRET` from the environment.
/// See [`twitch_with`].
pub fn twitch() -> OAuthProvider {
    twitch_with(env("TWITCH", "ID"), env("TWITCH", "SECRET"))
}

/// Twitch (id `twitch`): an application with the OAuth redirect URL
/// `<NEXTAUTH_URL>/api/auth/callback/twitch`.
///
/// OpenID Connect discovery from `https://id.twitch.tv/oauth2`, scope
/// `openid user:read:email`, and the `claims` parameter
/// `{"id_token":{"email":null,"picture":null,"preferred_username":null}}` (Twitch puts
/// those claims in the ID token only when asked); check `state`; the client credentials go
/// in the token request body (`client_secret_post`, the only method Twitch's discovery
/// document lists). The profile is the ID token's claims: id = `sub`,
/// name = `preferred_username`, `email`, image = `picture`.
///
/// Twitch's quirk, answering `scope` in the token response as a JSON list, is absorbed by
/// [`TokenSet`] (it becomes the usual space-separated string).
pub fn twitch_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    OAuthProvider::new("twitch")
        .name("Twitch")
        .issuer("https://id.twitch.tv/oauth2")
        .scope("openid user:read:email")
        .authorization_param(
            "claims",
            r#"{"id_token":{"email":null,"picture":null,"preferred_username":null}}"#,
        )
        .id_token(true)
        .checks([Check::State])
        .token_auth_method(TokenAuthMethod::ClientSecretPost)
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(profile)
        .style(
            ProviderStyle::new()
                .logo("/twitch.svg")
                .logo_dark("/twitch-dark.svg")
                .bg("#fff")
                .text("#65459B")
                .bg_dark("#65459B")
                .text_dark("#fff"),
        )
}

fn profile(p: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    Ok(User {
        name: text(p, "preferred_username"),
        email: text(p, "email"),
        image: text(p, "picture"),
        ..User::new(required(p, "sub")?)
    })
}
