//! GitLab (plain OAuth 2), after `next-auth/providers/gitlab`.

use super::{OAuthProvider, env, required, text};
use crate::providers::{Check, ProfileError, ProviderStyle, TokenSet};
use crate::{Secret, User};
use serde_json::Value;

/// GitLab, with `AUTH_GITLAB_ID` and `AUTH_GITLAB_SECRET` from the environment.
/// See [`gitlab_with`].
pub fn gitlab() -> OAuthProvider {
    gitlab_with(env("GITLAB", "ID"), env("GITLAB", "SECRET"))
}

/// GitLab.com (id `gitlab`): an application with the redirect URI
/// `<NEXTAUTH_URL>/api/auth/callback/gitlab` and the `read_user` scope.
///
/// Scope `read_user`, checks PKCE and `state`, profile from
/// `GET https://gitlab.com/api/v4/user`: id = `id`, name = `name` or else `username`,
/// `email`, image = `avatar_url`. For a self-managed instance, override the three
/// endpoints with [`OAuthProvider::authorization`], [`OAuthProvider::token`] and
/// [`OAuthProvider::userinfo`].
pub fn gitlab_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    OAuthProvider::new("gitlab")
        .name("GitLab")
        .authorization("https://gitlab.com/oauth/authorize")
        .token("https://gitlab.com/oauth/token")
        .userinfo("https://gitlab.com/api/v4/user")
        .scope("read_user")
        .checks([Check::Pkce, Check::State])
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(profile)
        .style(
            ProviderStyle::new()
                .logo("/gitlab.svg")
                .logo_dark("/gitlab-dark.svg")
                .bg("#fff")
                .text("#FC6D26")
                .bg_dark("#FC6D26")
                .text_dark("#fff"),
        )
}

fn profile(p: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    Ok(User {
        name: text(p, "name").or_else(|| text(p, "username")),
        email: text(p, "email"),
        image: text(p, "avatar_url"),
        ..User::new(required(p, "id")?)
    })
}
