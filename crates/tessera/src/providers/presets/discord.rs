//! Discord (plain OAuth 2), after `next-auth/providers/discord`.

use super::{OAuthProvider, env, required, text};
use crate::providers::{Check, ProfileError, ProviderStyle, TokenSet};
use crate::{Secret, User};
use serde_json::Value;

/// Discord, with `AUTH_DISCORD_ID` and `AUTH_DISCORD_SECRET` from the environment.
/// See [`discord_with`].
pub fn discord() -> OAuthProvider {
    discord_with(env("DISCORD", "ID"), env("DISCORD", "SECRET"))
}

/// Discord (id `discord`): an application with the OAuth2 redirect
/// `<NEXTAUTH_URL>/api/auth/callback/discord`.
///
/// Scope `identify email`, check `state`, profile from `GET https://discord.com/api/users/@me`:
/// id = `id`, name = `username`, `email`, and image = the avatar on the Discord CDN
/// (`avatars/<id>/<avatar>.png`, `.gif` for animated `a_` avatars, or the default
/// `embed/avatars/<discriminator % 5>.png` without one).
pub fn discord_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    OAuthProvider::new("discord")
        .name("Discord")
        .authorization("https://discord.com/api/oauth2/authorize?scope=identify+email")
        .token("https://discord.com/api/oauth2/token")
        .userinfo("https://discord.com/api/users/@me")
        .checks([Check::State])
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(profile)
        .style(
            ProviderStyle::new()
                .logo("/discord.svg")
                .logo_dark("/discord-dark.svg")
                .bg("#fff")
                .text("#7289DA")
                .bg_dark("#7289DA")
                .text_dark("#fff"),
        )
}

fn profile(p: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    let id = required(p, "id")?;
    let image = match text(p, "avatar") {
        Some(avatar) => {
            let format = if avatar.starts_with("a_") { "gif" } else { "png" };
            format!("https://cdn.discordapp.com/avatars/{id}/{avatar}.{format}")
        }
        None => {
            // NextAuth: parseInt(discriminator) % 5 (NaN for a missing one; 0 here).
            let n = text(p, "discriminator")
                .and_then(|d| d.parse::<u64>().ok())
                .unwrap_or(0);
            format!("https://cdn.discordapp.com/embed/avatars/{}.png", n % 5)
        }
    };
    Ok(User {
        name: text(p, "username"),
        email: text(p, "email"),
        image: Some(image),
        ..User::new(id)
    })
}
