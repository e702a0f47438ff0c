//! Reddit (plain OAuth 2), after `next-auth/providers/reddit`.

use super::{OAuthProvider, env, required, text};
use crate::providers::{Check, ProfileError, ProviderStyle, TokenAuthMethod, TokenSet};
use crate::{Secret, User};
use serde_json::Value;

/// Reddit, with `AUTH_REDDIT_ID` and `AUTH_REDDIT_SECRET` from the environment.
/// See [`reddit_with`].
pub fn reddit() -> OAuthProvider {
    reddit_with(env("REDDIT", "ID"), env("REDDIT", "SECRET"))
}

/// Reddit (id `reddit`): a "web app" at <https://www.reddit.com/prefs/apps> with the
/// redirect URI `<NEXTAUTH_URL>/api/auth/callback/reddit` (Reddit allows one per app).
///
/// Scope `identity`, `duration=permanent` (so that the token response has a refresh token,
/// as NextAuth's documentation suggests; `.authorization_param("duration", "temporary")`
/// asks for a one-hour access token without one),
/// check `state`, client credentials in a Basic `Authorization` header
/// (`client_secret_basic`, which Reddit requires), profile from
/// `GET https://oauth.reddit.com/api/v1/me`: id = `id`, `name`, image = `icon_img` without
/// its query string (Reddit HTML-escapes the `&`s in it), and no email (Reddit has none to
/// give).
///
/// Reddit refuses API requests without a descriptive `User-Agent`; the default HTTP client
/// sends `tessera/<version>`. Pass your own client with
/// [`crate::AuthBuilder::http_client`] to send another.
///
/// ```
/// let reddit = tessera::providers::presets::reddit_with("client-id", "s3cr3t");
/// let auth = tessera::Auth::builder().secret("0123456789abcdef").provider(reddit).build();
/// assert!(auth.is_ok());
/// ```
pub fn reddit_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    OAuthProvider::new("reddit")
        .name("Reddit")
        .authorization("https://www.reddit.com/api/v1/authorize?scope=identity")
        .token("https://www.reddit.com/api/v1/access_token")
        .userinfo("https://oauth.reddit.com/api/v1/me")
        .authorization_param("duration", "permanent")
        .checks([Check::State])
        .token_auth_method(TokenAuthMethod::ClientSecretBasic)
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(profile)
        .style(
            ProviderStyle::new()
                .logo("/reddit.svg")
                .logo_dark("/reddit.svg")
                .bg("#fff")
                .text("#000")
                .bg_dark("#000")
                .text_dark("#fff"),
        )
}

fn profile(p: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    let image = text(p, "icon_img")
        .map(|url| url.split_once('?').map_or(url.as_str(), |(base, _)| base).to_owned())
        .filter(|url| !url.is_empty());
    Ok(User {
        name: text(p, "name"),
        email: None,
        image,
        ..User::new(required(p, "id")?)
    })
}
