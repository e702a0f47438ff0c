//! The shape of `tessera.toml`: every table and key, as serde reads them. Unknown keys are
//! refused (`deny_unknown_fields`), so a typo never silently falls back to a default.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;
use tessera::Secret;

use super::duration::FileDuration;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    /// The app's canonical URL (`NEXTAUTH_URL` / `AUTH_URL`).
    pub url: Option<String>,
    /// The secret (`NEXTAUTH_SECRET` / `AUTH_SECRET`); better kept in the environment.
    #[serde(default, deserialize_with = "secret")]
    pub secret: Option<Secret>,
    /// Older secrets still accepted for decoding (`AUTH_SECRET_1` … `_3`).
    #[serde(default, deserialize_with = "secrets")]
    pub old_secrets: Vec<Secret>,
    /// `v4` (next-auth 4) or `v5` (Auth.js v5) (`AUTH_COMPAT`).
    #[serde(default, deserialize_with = "parsed")]
    pub compat: Option<tessera::Compat>,
    /// Take the origin from the request (`AUTH_TRUST_HOST`).
    pub trust_host: Option<bool>,
    /// Hosts a trust-host deployment answers for (`AUTH_ALLOWED_HOSTS`).
    pub allowed_hosts: Option<Vec<String>>,
    /// Proxies whose `X-Forwarded-For` is believed (`AUTH_TRUSTED_PROXIES`).
    pub trusted_proxies: Option<Vec<String>>,
    /// Force `__Secure-` cookies on or off (default: on for an https URL).
    pub use_secure_cookies: Option<bool>,
    /// The largest request body accepted.
    pub max_body_bytes: Option<usize>,
    #[serde(default)]
    pub server: ServerSection,
    #[serde(default)]
    pub session: SessionSection,
    pub database: Option<DatabaseSection>,
    pub redis: Option<RedisSection>,
    #[serde(default)]
    pub providers: Vec<toml::Spanned<ProviderSection>>,
    #[serde(default)]
    pub pages: PagesSection,
    #[serde(default)]
    pub theme: ThemeSection,
    #[serde(default)]
    pub rate_limits: RateLimitsSection,
    pub hooks: Option<HooksSection>,
}

/// `[server]`: how this process listens and logs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerSection {
    /// The port (`PORT`, default 3000).
    pub port: Option<u16>,
    /// The address to bind (default `0.0.0.0`).
    pub address: Option<IpAddr>,
    /// `text` (default) or `json` (`TESSERA_LOG_FORMAT`).
    pub log_format: Option<LogFormat>,
    /// A `tracing` filter such as `info` or `tessera=debug` (`RUST_LOG`).
    pub log_level: Option<String>,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// `[session]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SessionSection {
    /// `jwt` or `database` (default: `database` with a database, as next-auth).
    pub strategy: Option<Strategy>,
    /// How long a session lives without activity.
    pub max_age: Option<FileDuration>,
    /// Database strategy: how often a session's expiry is extended.
    pub update_age: Option<FileDuration>,
    /// How long a JWT is valid (next-auth's `jwt.maxAge`; default: `max_age`).
    pub jwt_max_age: Option<FileDuration>,
    /// How long a database session read is cached in memory (with Redis).
    pub cache_ttl: Option<FileDuration>,
    /// The fields `update()` may change when there is no `jwt` hook: `name = 64` allows a
    /// `name` of up to 64 characters.
    #[serde(default)]
    pub update: BTreeMap<String, usize>,
}

/// `[session] strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Strategy {
    Jwt,
    Database,
}

/// `[database]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DatabaseSection {
    /// `postgres://…`, or a SQLite file (`DATABASE_URL`).
    #[serde(default, deserialize_with = "secret")]
    pub url: Option<Secret>,
    /// `tessera`, `pg-adapter`, `prisma` or `drizzle` (`AUTH_DB_SCHEMA`).
    #[serde(default, deserialize_with = "parsed")]
    pub schema: Option<tessera_sqlx::Schema>,
}

/// `[redis]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RedisSection {
    /// `redis://host:6379` (`REDIS_URL`).
    #[serde(default, deserialize_with = "secret")]
    pub url: Option<Secret>,
    /// Key prefix (`REDIS_PREFIX`, default `tessera:`).
    pub prefix: Option<String>,
}

/// One `[[providers]]` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProviderSection {
    /// The provider's id (the `/signin/<id>` path segment).
    pub id: String,
    /// `oauth`, `oidc`, `credentials`, `email` or `password`; absent for a preset.
    #[serde(rename = "type")]
    pub kind: Option<ProviderKind>,
    /// A preset's name (`github`, `google`, `keycloak`, …); defaults to the id when the
    /// id names one and `type` is absent.
    pub preset: Option<String>,
    /// The name on the sign-in page.
    pub name: Option<String>,
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "secret")]
    pub client_secret: Option<Secret>,
    pub issuer: Option<String>,
    pub tenant_id: Option<String>,
    pub authorization: Option<String>,
    pub token: Option<String>,
    pub userinfo: Option<String>,
    pub scope: Option<String>,
    pub allow_dangerous_email_account_linking: Option<bool>,
    /// Credentials: the sign-in form's inputs.
    #[serde(default)]
    pub fields: Vec<CredentialField>,
    /// Email: the SMTP server URL (`EMAIL_SERVER`).
    #[serde(default, deserialize_with = "secret")]
    pub server: Option<Secret>,
    /// Email: the sender (`EMAIL_FROM`).
    pub from: Option<String>,
    /// Email: how long a sign-in link is valid.
    pub max_age: Option<FileDuration>,
    /// Password: whether sign-in waits until the address is verified (default `true`).
    pub require_verified_email: Option<bool>,
    /// Password: the id of the email provider whose SMTP server sends its mails (default:
    /// the only one).
    pub email_provider: Option<String>,
    /// Password: how long a reset link is valid (default one hour, at most a day).
    pub reset_link_max_age: Option<FileDuration>,
}

/// A provider's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ProviderKind {
    Oauth,
    Oidc,
    Credentials,
    Email,
    Password,
}

/// One input of a credentials form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CredentialField {
    pub name: String,
    pub label: Option<String>,
    #[serde(rename = "type")]
    pub input_type: Option<String>,
}

/// `[pages]`: custom page URLs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PagesSection {
    pub sign_in: Option<String>,
    pub sign_out: Option<String>,
    pub error: Option<String>,
    pub verify_request: Option<String>,
    pub new_user: Option<String>,
}

/// `[theme]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ThemeSection {
    pub color_scheme: Option<ColorScheme>,
    pub brand_color: Option<String>,
    pub logo: Option<String>,
    pub button_text: Option<String>,
}

/// `[theme] color_scheme`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ColorScheme {
    Auto,
    Light,
    Dark,
}

/// `[rate_limits]`: each limit as `{ max, window }`, or `false` for none; an absent one keeps
/// its default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateLimitsSection {
    pub email_per_address: Option<RateLimitSetting>,
    pub email_per_client: Option<RateLimitSetting>,
    pub credentials_per_client: Option<RateLimitSetting>,
    pub credentials_per_identifier: Option<RateLimitSetting>,
    pub credentials_per_client_identifier: Option<RateLimitSetting>,
}

/// One limit: `{ max = 5, window = "1h" }`, or `false` to turn it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged, expecting = "false, or a table such as { max = 5, window = \"1h\" }")]
pub(crate) enum RateLimitSetting {
    Off(Off),
    Limit { max: u32, window: FileDuration },
}

/// `false`, and only `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Off;

impl<'de> Deserialize<'de> for Off {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match bool::deserialize(deserializer)? {
            false => Ok(Off),
            true => Err(serde::de::Error::custom(
                "use false to turn a limit off, or { max, window }",
            )),
        }
    }
}

/// `[hooks]`: the app's own logic over HTTP.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HooksSection {
    /// The shared HMAC key (`TESSERA_HOOK_SECRET`).
    #[serde(default, deserialize_with = "secret")]
    pub secret: Option<Secret>,
    /// How long a hook may take (default 5 s).
    pub timeout: Option<FileDuration>,
    pub authorize: Option<String>,
    pub sign_in: Option<String>,
    pub jwt: Option<String>,
    pub session: Option<String>,
    /// Send the provider's tokens in the `account` of hooks (off by default).
    pub send_provider_tokens: Option<bool>,
}

/// A secret: read as a string, kept as a [`Secret`] (never printed).
fn secret<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Secret>, D::Error> {
    Option::<String>::deserialize(deserializer).map(|s| s.map(Secret::new))
}

fn secrets<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Secret>, D::Error> {
    Vec::<String>::deserialize(deserializer).map(|v| v.into_iter().map(Secret::new).collect())
}

/// A value read through its [`FromStr`](std::str::FromStr), whose error says what is expected.
fn parsed<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match Option::<String>::deserialize(deserializer)? {
        Some(s) => s.parse().map(Some).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}
