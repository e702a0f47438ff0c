//! Facebook (plain OAuth 2), after `next-auth/providers/facebook`.

use super::{OAuthProvider, env, required, text};
use crate::providers::{Check, ProfileError, ProviderStyle, TokenSet};
use crate::{Secret, User};
use serde_json::Value;

/// Facebook, with `AUTH_FACEBOOK_ID` and `AUTH_FACEBOOK_SECRET` from the environment.
/// See [`facebook_with`].
pub fn facebook() -> OAuthProvider {
    facebook_with(env("FACEBOOK", "ID"), env("FACEBOOK", "SECRET"))
}

/// Facebook (id `facebook`): an app with "Facebook Login" and the valid OAuth redirect URI
/// `<NEXTAUTH_URL>/api/auth/callback/facebook`.
///
/// Authorization at `https://www.facebook.com/v11.0/dialog/oauth` with scope `email`,
/// check `state`, profile from
/// `GET https://graph.facebook.com/me?fields=id,name,email,picture`: id = `id`, `name`,
/// `email`, image = `picture.data.url`.
pub fn facebook_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    OAuthProvider::new("facebook")
        .name("Facebook")
        .authorization("https://www.facebook.com/v11.0/dialog/oauth?scope=email")
        .token("https://graph.facebook.com/oauth/access_token")
        .userinfo("https://graph.facebook.com/me?fields=id%2Cname%2Cemail%2Cpicture")
        .checks([Check::State])
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(profile)
        .style(
            ProviderStyle::new()
                .logo("/facebook.svg")
                .logo_dark("/facebook-dark.svg")
                .bg("#fff")
                .text("#006aff")
                .bg_dark("#006aff")
                .text_dark("#fff"),
        )
}

fn profile(p: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    Ok(User {
        name: text(p, "name"),
        email: text(p, "email"),
        image: p
            .pointer("/picture/data/url")
            .and_then(Value::as_str)
            .map(str::to_owned),
        ..User::new(required(p, "id")?)
    })
}
