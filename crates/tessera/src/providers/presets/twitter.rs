//! Twitter / X with OAuth 2.0 (PKCE), after `next-auth/providers/twitter` with
//! `version: "2.0"`.

use super::{OAuthProvider, env, required, text};
use crate::providers::{Check, ProfileError, ProviderStyle, TokenSet};
use crate::{Secret, User};
use serde_json::Value;

/// Twitter, with `AUTH_TWITTER_ID` and `AUTH_TWITTER_SECRET` (the OAuth 2.0 client id and
/// secret) from the environment. See [`twitter_with`].
pub fn twitter() -> OAuthProvider {
    twitter_with(env("TWITTER", "ID"), env("TWITTER", "SECRET"))
}

/// Twitter / X (id `twitter`): a confidential OAuth 2.0 client ("Web App") with the callback
/// URI `<NEXTAUTH_URL>/api/auth/callback/twitter`. Only OAuth 2.0 is supported, not the
/// OAuth 1.0a flow that is NextAuth's default for this provider.
///
/// Scope `users.read tweet.read offline.access`, checks PKCE and `state`, profile from
/// `GET https://api.twitter.com/2/users/me?user.fields=profile_image_url`:
/// id = `data.id`, name = `data.name`, email = `data.email` (Twitter does not return one),
/// image = `data.profile_image_url`.
pub fn twitter_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    OAuthProvider::new("twitter")
        .name("Twitter")
        .authorization("https://twitter.com/i/oauth2/authorize")
        .token("https://api.twitter.com/2/oauth2/token")
        .userinfo("https://api.twitter.com/2/users/me?user.fields=profile_image_url")
        .scope("users.read tweet.read offline.access")
        .checks([Check::Pkce, Check::State])
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(profile)
        .style(
            ProviderStyle::new()
                .logo("/twitter.svg")
                .logo_dark("/twitter-dark.svg")
                .bg("#fff")
                .text("#1da1f2")
                .bg_dark("#1da1f2")
                .text_dark("#fff"),
        )
}

fn profile(p: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    let data = p
        .get("data")
        .ok_or_else(|| ProfileError("the profile has no `data`".into()))?;
    Ok(User {
        name: text(data, "name"),
        email: text(data, "email"),
        image: text(data, "profile_image_url"),
        ..User::new(required(data, "id")?)
    })
}
