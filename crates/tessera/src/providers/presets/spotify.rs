//! Spotify (plain OAuth 2), after `next-auth/providers/spotify`.

use super::{OAuthProvider, env, required, text};
use crate::providers::{Check, ProfileError, ProviderStyle, TokenSet};
use crate::{Secret, User};
use serde_json::Value;

/// Spotify, with `AUTH_SPOTIFY_ID` and `AUTH_SPOTIFY_SECRET` from the environment.
/// See [`spotify_with`].
pub fn spotify() -> OAuthProvider {
    spotify_with(env("SPOTIFY", "ID"), env("SPOTIFY", "SECRET"))
}

/// Spotify (id `spotify`): an app with the redirect URI
/// `<NEXTAUTH_URL>/api/auth/callback/spotify`.
///
/// Scope `user-read-email`, check `state`, profile from `GET https://api.spotify.com/v1/me`:
/// id = `id`, name = `display_name`, `email`, image = the first of `images[].url`.
pub fn spotify_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    OAuthProvider::new("spotify")
        .name("Spotify")
        .authorization("https://accounts.spotify.com/authorize?scope=user-read-email")
        .token("https://accounts.spotify.com/api/token")
        .userinfo("https://api.spotify.com/v1/me")
        .checks([Check::State])
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(profile)
        .style(
            ProviderStyle::new()
                .logo("/spotify.svg")
                .logo_dark("/spotify.svg")
                .bg("#fff")
                .text("#2ebd59")
                .bg_dark("#fff")
                .text_dark("#2ebd59"),
        )
}

fn profile(p: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    Ok(User {
        name: text(p, "display_name"),
        email: text(p, "email"),
        image: p.pointer("/images/0/url").and_then(Value::as_str).map(str::to_owned),
        ..User::new(required(p, "id")?)
    })
}
