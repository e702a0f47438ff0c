//! GitHub (plain OAuth 2), after `next-auth/providers/github`.

use super::{OAuthProvider, env, required, text};
use crate::oauth::HttpClient;
use crate::oauth::http_client::get_json_value;
use crate::providers::oauth::ProfileHook;
use crate::providers::{Check, ProfileError, ProviderStyle, TokenSet};
use crate::{Secret, User};
use serde_json::{Map, Value};

const EMAILS_URL: &str = "https://api.github.com/user/emails";

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
/// When `/user` has no public email, `GET https://api.github.com/user/emails` (scope
/// `user:email`) supplies the primary address, as in NextAuth, but only a **verified**
/// one (NextAuth takes the primary address even unverified), and marks the profile
/// `email_verified: true` so that
/// [`allow_dangerous_email_account_linking`](OAuthProvider::allow_dangerous_email_account_linking)
/// may link by it. If that request fails, the user signs in without an email.
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
        .profile_hook(PrimaryEmail)
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

/// Fills a missing `email` with the primary verified address of `GET /user/emails`.
struct PrimaryEmail;

#[async_trait::async_trait]
impl ProfileHook for PrimaryEmail {
    async fn complete(
        &self,
        profile: &mut Map<String, Value>,
        tokens: &TokenSet,
        http: &dyn HttpClient,
    ) -> Result<(), ProfileError> {
        if profile
            .get("email")
            .and_then(Value::as_str)
            .is_some_and(|e| !e.is_empty())
        {
            return Ok(());
        }
        let Some(token) = tokens.access_token.as_deref() else {
            return Ok(());
        };
        let emails = match get_json_value(http, EMAILS_URL, Some(token)).await {
            Ok(Value::Array(emails)) => emails,
            Ok(_) => Vec::new(),
            Err(e) => {
                tracing::warn!(error = %e.0, "GitHub /user/emails failed; signing in without an email");
                Vec::new()
            }
        };
        let primary = emails.into_iter().find(|e| {
            e.get("primary").and_then(Value::as_bool) == Some(true)
                && e.get("verified").and_then(Value::as_bool) == Some(true)
        });
        if let Some(email) = primary.as_ref().and_then(|e| e.get("email")).and_then(Value::as_str) {
            profile.insert("email".into(), Value::String(email.to_owned()));
            // GitHub said so: the only address that may link by email.
            profile.insert("email_verified".into(), Value::Bool(true));
        }
        Ok(())
    }
}
