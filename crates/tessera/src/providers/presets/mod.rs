//! Ready-made [`OAuthProvider`]s for well-known identity providers, after the NextAuth.js v4
//! provider definitions (`next-auth/providers/<name>`): id, name, endpoints (or the issuer
//! for OpenID Connect discovery), scopes, checks, profile mapping, and the button's
//! [`style`](super::ProviderStyle) on the built-in sign-in page (NextAuth's logo, from
//! `https://authjs.dev/img/providers`, and brand colours).
//!
//! Each preset comes in two forms:
//!
//! * `presets::<name>()` reads the client credentials from the environment,
//!   `AUTH_<PROVIDER>_ID` and `AUTH_<PROVIDER>_SECRET` (e.g. `AUTH_GITHUB_ID`), plus the
//!   issuer or tenant for the issuer-parameterised ones (e.g. `AUTH_KEYCLOAK_ISSUER`).
//!   A missing variable leaves the value empty, and [`crate::AuthBuilder::build`] then
//!   reports the provider as misconfigured;
//! * `presets::<name>_with(…)` takes them as arguments.
//!
//! Every builder method of [`OAuthProvider`] still applies on top, e.g. to widen the scope
//! or replace the profile mapping. Register `<NEXTAUTH_URL>/api/auth/callback/<id>` as the
//! redirect (callback) URL at the provider.
//!
//! [`from_env`] returns every preset whose environment variables are present:
//!
//! ```
//! use tessera::providers::presets;
//!
//! let github = presets::github_with("client-id", "client-secret");
//! let keycloak = presets::keycloak_with("https://sso.example.com/realms/main", "tessera", "s3cr3t");
//! let auth = tessera::Auth::builder()
//!     .secret("0123456789abcdef")
//!     .provider(github)
//!     .provider(keycloak)
//!     .build();
//! assert!(auth.is_ok());
//!
//! // Or every preset configured in the environment (AUTH_GITHUB_ID, …):
//! let mut builder = tessera::Auth::builder().secret("0123456789abcdef");
//! for provider in presets::from_env() {
//!     builder = builder.provider(provider);
//! }
//! ```
//!
//! The variables looked at by [`from_env`] are listed in [`ENV_PREFIXES`].

mod apple;
mod auth0;
mod authentik;
mod azure_ad;
mod bitbucket;
mod cognito;
mod discord;
mod facebook;
mod github;
mod gitlab;
mod google;
mod keycloak;
mod linkedin;
mod okta;
mod reddit;
mod slack;
mod spotify;
mod twitch;
mod twitter;
mod zitadel;

pub use apple::{apple, apple_with};
pub use auth0::{auth0, auth0_with};
pub use authentik::{authentik, authentik_with};
pub use azure_ad::{azure_ad, azure_ad_with, microsoft_entra_id, microsoft_entra_id_with};
pub use bitbucket::{bitbucket, bitbucket_with};
pub use cognito::{cognito, cognito_with};
pub use discord::{discord, discord_with};
pub use facebook::{facebook, facebook_with};
pub use github::{github, github_with};
pub use gitlab::{gitlab, gitlab_with};
pub use google::{google, google_with};
pub use keycloak::{keycloak, keycloak_with};
pub use linkedin::{linkedin, linkedin_with};
pub use okta::{okta, okta_with};
pub use reddit::{reddit, reddit_with};
pub use slack::{slack, slack_with};
pub use spotify::{spotify, spotify_with};
pub use twitch::{twitch, twitch_with};
pub use twitter::{twitter, twitter_with};
pub use zitadel::{zitadel, zitadel_with};

use serde_json::Value;

use super::OAuthProvider;

/// Looks up an environment variable (or a stand-in, see [`from_vars`]).
type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// One preset in the [`from_env`] table: the variable prefix, and how to build it from
/// the variables (`None` when a required one is missing).
struct Entry {
    prefix: &'static str,
    build: fn(Lookup<'_>) -> Option<OAuthProvider>,
}

/// The presets [`from_env`] knows, in this order. Each is included when
/// `AUTH_<PREFIX>_ID` and `AUTH_<PREFIX>_SECRET` are set (and non-empty), plus, for
/// Auth0, Keycloak, Okta, ZITADEL, authentik and Cognito, `AUTH_<PREFIX>_ISSUER`, and for
/// Azure AD / Microsoft Entra ID, `AUTH_<PREFIX>_TENANT_ID`.
pub const ENV_PREFIXES: &[&str] = &[
    "GITHUB",
    "GOOGLE",
    "DISCORD",
    "GITLAB",
    "MICROSOFT_ENTRA_ID",
    "AZURE_AD",
    "APPLE",
    "AUTH0",
    "OKTA",
    "KEYCLOAK",
    "SLACK",
    "TWITCH",
    "LINKEDIN",
    "FACEBOOK",
    "TWITTER",
    "SPOTIFY",
    "ZITADEL",
    "AUTHENTIK",
    "COGNITO",
    "BITBUCKET",
    "REDDIT",
];

const TABLE: &[Entry] = &[
    Entry {
        prefix: "GITHUB",
        build: |get| plain(get, "GITHUB", github_with),
    },
    Entry {
        prefix: "GOOGLE",
        build: |get| plain(get, "GOOGLE", google_with),
    },
    Entry {
        prefix: "DISCORD",
        build: |get| plain(get, "DISCORD", discord_with),
    },
    Entry {
        prefix: "GITLAB",
        build: |get| plain(get, "GITLAB", gitlab_with),
    },
    Entry {
        prefix: "MICROSOFT_ENTRA_ID",
        build: |get| with_extra(get, "MICROSOFT_ENTRA_ID", "TENANT_ID", microsoft_entra_id_with),
    },
    Entry {
        prefix: "AZURE_AD",
        build: |get| with_extra(get, "AZURE_AD", "TENANT_ID", azure_ad_with),
    },
    Entry {
        prefix: "APPLE",
        build: |get| plain(get, "APPLE", apple_with),
    },
    Entry {
        prefix: "AUTH0",
        build: |get| with_extra(get, "AUTH0", "ISSUER", auth0_with),
    },
    Entry {
        prefix: "OKTA",
        build: |get| with_extra(get, "OKTA", "ISSUER", okta_with),
    },
    Entry {
        prefix: "KEYCLOAK",
        build: |get| with_extra(get, "KEYCLOAK", "ISSUER", keycloak_with),
    },
    Entry {
        prefix: "SLACK",
        build: |get| plain(get, "SLACK", slack_with),
    },
    Entry {
        prefix: "TWITCH",
        build: |get| plain(get, "TWITCH", twitch_with),
    },
    Entry {
        prefix: "LINKEDIN",
        build: |get| plain(get, "LINKEDIN", linkedin_with),
    },
    Entry {
        prefix: "FACEBOOK",
        build: |get| plain(get, "FACEBOOK", facebook_with),
    },
    Entry {
        prefix: "TWITTER",
        build: |get| plain(get, "TWITTER", twitter_with),
    },
    Entry {
        prefix: "SPOTIFY",
        build: |get| plain(get, "SPOTIFY", spotify_with),
    },
    Entry {
        prefix: "ZITADEL",
        build: |get| with_extra(get, "ZITADEL", "ISSUER", zitadel_with),
    },
    Entry {
        prefix: "AUTHENTIK",
        build: |get| with_extra(get, "AUTHENTIK", "ISSUER", authentik_with),
    },
    Entry {
        prefix: "COGNITO",
        build: |get| with_extra(get, "COGNITO", "ISSUER", cognito_with),
    },
    Entry {
        prefix: "BITBUCKET",
        build: |get| plain(get, "BITBUCKET", bitbucket_with),
    },
    Entry {
        prefix: "REDDIT",
        build: |get| plain(get, "REDDIT", reddit_with),
    },
];

/// Every preset whose credentials (and issuer or tenant, where needed) are set in the
/// process environment, in the order of [`ENV_PREFIXES`].
pub fn from_env() -> Vec<OAuthProvider> {
    from_vars(|name| std::env::var(name).ok())
}

/// [`from_env`] with another source of variables (a config file, a map in tests).
///
/// ```
/// use std::collections::HashMap;
/// let vars = HashMap::from([
///     ("AUTH_GITHUB_ID", "id"),
///     ("AUTH_GITHUB_SECRET", "secret"),
///     ("AUTH_KEYCLOAK_ID", "id"), // no secret: left out
/// ]);
/// let providers = tessera::providers::presets::from_vars(|k| vars.get(k).map(|v| v.to_string()));
/// assert_eq!(providers.len(), 1);
/// ```
pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Vec<OAuthProvider> {
    debug_assert!(TABLE.iter().map(|e| e.prefix).eq(ENV_PREFIXES.iter().copied()));
    TABLE.iter().filter_map(|entry| (entry.build)(&lookup)).collect()
}

/// A non-empty variable.
fn var(get: Lookup<'_>, name: &str) -> Option<String> {
    get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `AUTH_<prefix>_<suffix>` from the process environment, or empty.
fn env(prefix: &str, suffix: &str) -> String {
    var(&|k| std::env::var(k).ok(), &format!("AUTH_{prefix}_{suffix}")).unwrap_or_default()
}

fn plain(get: Lookup<'_>, prefix: &str, with: fn(String, String) -> OAuthProvider) -> Option<OAuthProvider> {
    let id = var(get, &format!("AUTH_{prefix}_ID"))?;
    let secret = var(get, &format!("AUTH_{prefix}_SECRET"))?;
    Some(with(id, secret))
}

fn with_extra(
    get: Lookup<'_>,
    prefix: &str,
    extra: &str,
    with: fn(String, String, String) -> OAuthProvider,
) -> Option<OAuthProvider> {
    let value = var(get, &format!("AUTH_{prefix}_{extra}"))?;
    let id = var(get, &format!("AUTH_{prefix}_ID"))?;
    let secret = var(get, &format!("AUTH_{prefix}_SECRET"))?;
    Some(with(value, id, secret))
}

/// An OpenID Connect client with discovery from `issuer` (a trailing `/` removed), the ID
/// token validated, and scope `openid email profile`: the shared part of the OIDC presets.
fn oidc(
    id: &str,
    name: &str,
    issuer: impl Into<String>,
    client_id: impl Into<String>,
    client_secret: impl Into<crate::Secret>,
) -> OAuthProvider {
    OAuthProvider::new(id)
        .name(name)
        .issuer(issuer.into().trim_end_matches('/').to_owned())
        .scope("openid email profile")
        .id_token(true)
        .client_id(client_id)
        .client_secret(client_secret)
}

/// A profile field as text: a non-empty string, or a number (ids are often numbers).
fn text(profile: &Value, key: &str) -> Option<String> {
    match profile.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The profile's id field, required.
fn required(profile: &Value, key: &str) -> Result<String, super::ProfileError> {
    text(profile, key).ok_or_else(|| super::ProfileError(format!("the profile has no `{key}`")))
}

/// The common OpenID Connect mapping: `sub`, `name`, `email`, `picture`.
fn oidc_profile(profile: &Value, _tokens: &super::TokenSet) -> Result<crate::User, super::ProfileError> {
    Ok(crate::User {
        name: text(profile, "name"),
        email: text(profile, "email"),
        image: text(profile, "picture"),
        ..crate::User::new(required(profile, "sub")?)
    })
}

/// The OpenID Connect mapping of Keycloak, Okta and authentik: as [`oidc_profile`], with
/// `preferred_username` when there is no `name`.
fn oidc_profile_or_username(profile: &Value, tokens: &super::TokenSet) -> Result<crate::User, super::ProfileError> {
    let mut user = oidc_profile(profile, tokens)?;
    user.name = user.name.or_else(|| text(profile, "preferred_username"));
    Ok(user)
}
