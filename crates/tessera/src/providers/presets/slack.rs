//! Slack ("Sign in with Slack", OpenID Connect), after `next-auth/providers/slack`.

use super::{OAuthProvider, env, oidc_profile};
use crate::Secret;
use crate::providers::{Check, ProviderStyle};

/// Slack, with `AUTH_SLACK_ID` and `AUTH_SLACK_SECRET` from the environment.
/// See [`slack_with`].
pub fn slack() -> OAuthProvider {
    slack_with(env("SLACK", "ID"), env("SLACK", "SECRET"))
}

/// Slack (id `slack`): a Slack app with the redirect URL
/// `<NEXTAUTH_URL>/api/auth/callback/slack` (Slack requires https).
///
/// OpenID Connect discovery from `https://slack.com`, scope `openid profile email`, check
/// `state`; the profile is the ID token's claims (id = `sub`, `name`, `email`,
/// image = `picture`).
pub fn slack_with(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> OAuthProvider {
    OAuthProvider::new("slack")
        .name("Slack")
        .issuer("https://slack.com")
        .scope("openid profile email")
        .id_token(true)
        .checks([Check::State])
        .client_id(client_id)
        .client_secret(client_secret)
        .profile(oidc_profile)
        .style(
            ProviderStyle::new()
                .logo("/slack.svg")
                .logo_dark("/slack.svg")
                .bg("#fff")
                .text("#000")
                .bg_dark("#000")
                .text_dark("#fff"),
        )
}
