//! Bitbucket Cloud (plain OAuth 2), after `next-auth/providers/bitbucket`.

use super::{OAuthProvider, env, required, text};
use crate::providers::{Check, ProfileError, ProviderStyle, TokenSet};
use crate::{Secret, User};
use serde_json::Value;

/// Bitbucket, with `AUTH_BITBUCKET_ID` (the consumer's key) and `AUTH_BITBUCKET_SECRET`
/// from the environment. See [`bitbucket_with`].
pub fn bitbucket() -> OAuthProvider {
    bitbucket_with(env("BITBUCKET", "ID"), env("BITBUCKET", "SECRET"))
}

/// Bitbucket Cloud (id `bitbucket`): an OAuth consumer of a workspace (Workspace settings →
/// OAuth consumers) with the callback URL `<NEXTAUTH_URL>/api/auth/callback/bitbucket` and
/// the permissions Account: Email and Read; its key is the client id.
///
/// Scope `account email`, check `state`, profile from `GET https://api.bitbucket.org/2.0/user`:
/// id = `account_id` (as NextAuth; `uuid` when there is none), name = `display_name` or else
/// `username`, image = `links.avatar.href`.
///
/// **Limitation:** `/2.0/user` has no email address (it is at `/2.0/user/emails`, a second
/// request the synchronous profile mapping cannot make), so the user has no email, as
/// with NextAuth.
///
/// ```
/// let bitbucket = tessera::providers::presets::bitbucket_with("consumer-key", "consumer-secret");
/// let auth = tessera::Auth::builder().secret("0123456789abcdef").provider(bitbucket).build();
/// assert!(auth.is_ok());
/// ```
pub fn bitbucket_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    OAuthProvider::new("bitbucket")
        .name("Bitbucket")
        .authorization("https://bitbucket.org/site/oauth2/authorize")
        .token("https://bitbucket.org/site/oauth2/access_token")
        .userinfo("https://api.bitbucket.org/2.0/user")
        .scope("account email")
        .checks([Check::State])
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(profile)
        .style(ProviderStyle::new().logo("/bitbucket.svg").bg("#fff").text("#205081"))
}

fn profile(p: &Value, _tokens: &TokenSet) -> Result<User, ProfileError> {
    let id = match text(p, "account_id") {
        Some(id) => id,
        None => required(p, "uuid")?,
    };
    Ok(User {
        name: text(p, "display_name").or_else(|| text(p, "username")),
        email: None,
        image: p
            .pointer("/links/avatar/href")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        ..User::new(id)
    })
}
