//! GitHub (plain OAuth 2), after `next-auth/providers/github`.

use super::{OAuthProvider, env, required, text};
use crate::providers::{Check, ProfileError, ProviderStyle, TokenSet};
use crate::{Secret, User};
use serde_json::Value;

/// GitHub, with `AUTH_GITHUB_ID` and `AUTH_GITHUB_SECRET` from the environment.
/// See [`github_with`].
pub fn github() -> OAuthProvider {
    github_with(env("GITHUB", "ID"), env("GITHUB", "SECRET"))
}

/// GitHub (id `github`): an OAuth App or GitHub App with the callback URL
/// `<NEXTAUTH_URL>/api/auth/callback/github`.
///
/// Scope `read:user user:email`, check `state`, profile from `GET https://api.github.com/user`:
/// id = `id`, name = `name` or else `login`, email = `email`, image = `avatar_url`.
///
/// **Limitation:** NextAuth also calls `GET /user/emails` when `/user` has no public email
/// and takes the primary address. The profile mapping here is synchronous and cannot make
/// that second request, so a user without a public email signs in with no email (and,
/// with an adapter, gets a user record without one).
pub fn github_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    OAuthProvider::new("github")
        .name("GitHub")
        .authorization("https://github.com/login/oauth/authorize")
        .token("https://github.com/login/oauth/access_token")
        .userinfo("https://api.github.com/user")
        .scope("read:user user:email")
        .checks([Check::State])
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(profile)
        .style(
            ProviderStyle::new()
                .logo("/github.svg")
                .logo_dark("/github-dark.svg")
                .bg("#fff")
                .text("#000")
                .bg_dark("#000")
                .text_dark("#fff"),
        )
}

fn profile(p: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    Ok(User {
        name: text(p, "name").or_else(|| text(p, "login")),
        email: text(p, "email"),
        image: text(p, "avatar_url"),
        ..User::new(required(p, "id")?)
    })
}
