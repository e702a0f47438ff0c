//! From the file's shape to a checked [`Config`]: the environment overrides the file, and
//! each setting is checked against the others (a credentials provider needs an `authorize`
//! hook, hooks need a secret, …).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use tessera::providers::OAuthProvider;
use tessera::providers::presets;
use tessera::rate_limit::{Limit, RateLimits};
use tessera::{Compat, Pages, Secret, SessionOptions, SessionStrategy};
use tessera_sqlx::Schema;

use crate::hooks::{HookConfigError, HookSettings, Hooks, UpdateField};

use super::file::{self, File, LogFormat, ProviderKind, ProviderSection, RateLimitSetting};
use super::{Config, ConfigError, Env, Place, line_of};

/// The database: where, and whose tables.
#[derive(Debug)]
pub(crate) struct DatabaseConfig {
    pub url: Secret,
    pub schema: Schema,
}

/// Redis, shared with the other instances.
#[derive(Debug)]
pub(crate) struct RedisConfig {
    pub url: Secret,
    pub prefix: String,
}

/// One provider, ready for the builder (OAuth) or for the pieces the server adds (the
/// credentials provider's hook, the email provider's mailer).
#[derive(Debug)]
pub(crate) enum ProviderConfig {
    OAuth(Box<OAuthProvider>),
    Credentials {
        id: String,
        name: Option<String>,
        /// `(name, label, input type)` of each input.
        fields: Vec<(String, String, String)>,
    },
    Email {
        id: String,
        name: Option<String>,
        server: Secret,
        from: String,
        max_age: Option<Duration>,
    },
    /// Password accounts, mailing through an email provider of the file.
    Password {
        id: String,
        name: Option<String>,
        require_verified_email: Option<bool>,
        email_provider: Option<String>,
        reset_link_max_age: Option<Duration>,
    },
}

/// The longest a reset link may be valid (the engine's limit).
const MAX_RESET_LINK_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest value `[session.update]` may allow.
const MAX_UPDATE_CHARS: usize = 2048;

/// Resolves `file` (whose text is `text`) with `env`.
pub(super) fn resolve(file: File, text: &str, origin: &str, env: Env<'_>) -> Result<Config, ConfigError> {
    let in_file = |key: &str, message: String| {
        ConfigError::new(
            Place::File {
                origin: origin.to_owned(),
                line: None,
            },
            key,
            message,
        )
    };
    let in_env = |var: &str, message: String| ConfigError::new(Place::Env, var, message);

    let url = env("NEXTAUTH_URL").or_else(|| env("AUTH_URL")).or(file.url);

    let mut secrets = Vec::new();
    match env("NEXTAUTH_SECRET").or_else(|| env("AUTH_SECRET")) {
        Some(s) => secrets.push(Secret::new(s)),
        None => secrets.extend(file.secret),
    }
    let old_from_env: Vec<Secret> = (1..=3)
        .filter_map(|i| env(&format!("AUTH_SECRET_{i}")))
        .map(Secret::new)
        .collect();
    secrets.extend(if old_from_env.is_empty() {
        file.old_secrets
    } else {
        old_from_env
    });

    let compat = match env("AUTH_COMPAT") {
        Some(v) => v.parse::<Compat>().map_err(|e| in_env("AUTH_COMPAT", e.to_string()))?,
        None => file.compat.unwrap_or_default(),
    };
    let trust_host = match (env("AUTH_TRUST_HOST"), env("VERCEL")) {
        (Some(v), _) => {
            parse_bool(&v).ok_or_else(|| in_env("AUTH_TRUST_HOST", format!("{v:?} is not true or false")))?
        }
        (None, Some(_)) => true,
        (None, None) => file.trust_host.unwrap_or(false),
    };
    let allowed_hosts = env("AUTH_ALLOWED_HOSTS")
        .map(|v| split_list(&v))
        .or(file.allowed_hosts)
        .unwrap_or_default();
    let trusted_proxies = env("AUTH_TRUSTED_PROXIES")
        .map(|v| split_list(&v))
        .or(file.trusted_proxies);

    let port = match env("PORT") {
        Some(p) => p
            .parse()
            .map_err(|_| in_env("PORT", format!("{p:?} is not a port number (1 to 65535)")))?,
        None => file.server.port.unwrap_or(3000),
    };
    let log_format = match env("TESSERA_LOG_FORMAT") {
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "json" => LogFormat::Json,
            "text" => LogFormat::Text,
            _ => return Err(in_env("TESSERA_LOG_FORMAT", format!("{v:?} is neither text nor json"))),
        },
        None => file.server.log_format.unwrap_or_default(),
    };
    let log_level = env("RUST_LOG").or(file.server.log_level);

    let database = match (env("DATABASE_URL"), file.database) {
        (Some(url), section) => Some((Secret::new(url), section.and_then(|s| s.schema))),
        (None, Some(section)) => match section.url {
            Some(url) => Some((url, section.schema)),
            None => {
                return Err(in_file(
                    "database.url",
                    "missing: set it here or in DATABASE_URL".into(),
                ));
            }
        },
        (None, None) => None,
    };
    let database = match database {
        Some((url, schema)) => {
            let schema = match env(Schema::ENV) {
                Some(v) => v.parse::<Schema>().map_err(|e| in_env(Schema::ENV, e.to_string()))?,
                None => schema.unwrap_or_default(),
            };
            Some(DatabaseConfig { url, schema })
        }
        None => None,
    };
    let redis = match (env("REDIS_URL"), file.redis) {
        (Some(url), section) => Some(RedisConfig {
            url: Secret::new(url),
            prefix: env("REDIS_PREFIX")
                .or(section.and_then(|s| s.prefix))
                .unwrap_or_else(|| "tessera:".into()),
        }),
        (None, Some(section)) => {
            let url = section
                .url
                .ok_or_else(|| in_file("redis.url", "missing: set it here or in REDIS_URL".into()))?;
            let prefix = env("REDIS_PREFIX")
                .or(section.prefix)
                .unwrap_or_else(|| "tessera:".into());
            Some(RedisConfig { url, prefix })
        }
        (None, None) => None,
    };

    let strategy = match file.session.strategy {
        Some(file::Strategy::Jwt) => SessionStrategy::Jwt,
        Some(file::Strategy::Database) => SessionStrategy::Database,
        None if database.is_some() => SessionStrategy::Database,
        None => SessionStrategy::Jwt,
    };
    if strategy == SessionStrategy::Database && database.is_none() {
        return Err(in_file(
            "session.strategy",
            "\"database\" needs a database: add [database] url, or set DATABASE_URL".into(),
        ));
    }
    let mut session = SessionOptions::default();
    if let Some(d) = file.session.max_age {
        session.max_age = d.0;
    }
    if let Some(d) = file.session.update_age {
        session.update_age = d.0;
    }
    let mut update_fields = Vec::new();
    for (name, max) in file.session.update {
        if max > MAX_UPDATE_CHARS {
            return Err(in_file(
                &format!("session.update.{name}"),
                format!("at most {MAX_UPDATE_CHARS} characters"),
            ));
        }
        update_fields.push(UpdateField::new(name, max));
    }
    let mut hooks = match file.hooks {
        Some(h) => {
            let secret = env("TESSERA_HOOK_SECRET")
                .map(Secret::new)
                .or(h.secret)
                .ok_or_else(|| in_file("hooks.secret", "missing: set it here or in TESSERA_HOOK_SECRET".into()))?;
            let mut settings = HookSettings::new(secret);
            if let Some(timeout) = h.timeout {
                settings.timeout = timeout.0;
            }
            settings.authorize = h.authorize;
            settings.sign_in = h.sign_in;
            settings.jwt = h.jwt;
            settings.session = h.session;
            settings.send_provider_tokens = h.send_provider_tokens.unwrap_or(false);
            Some(settings)
        }
        None => None,
    };
    if !update_fields.is_empty() {
        // Without [hooks], the fields alone: no request is ever signed, the key is a formality.
        hooks
            .get_or_insert_with(|| HookSettings::new(Secret::generate()))
            .update_fields = update_fields;
    }
    if let Some(settings) = &hooks {
        // The hooks' own checks, each named by its key in the file.
        Hooks::new(settings.clone()).map_err(|e| {
            let key = match &e {
                HookConfigError::SecretTooShort(_) => "hooks.secret".to_owned(),
                HookConfigError::ZeroTimeout => "hooks.timeout".to_owned(),
                HookConfigError::InvalidUrl { hook, .. } => format!("hooks.{hook}"),
                HookConfigError::UnknownUpdateField(name)
                | HookConfigError::DuplicateUpdateField(name)
                | HookConfigError::ZeroMaxChars(name) => format!("session.update.{name}"),
                HookConfigError::UpdateFieldsWithJwtHook => "session.update".to_owned(),
                _ => "hooks".to_owned(),
            };
            in_file(&key, e.to_string())
        })?;
    }

    let mut providers = Vec::new();
    let mut places = Vec::new();
    for (index, spanned) in file.providers.into_iter().enumerate() {
        let line = line_of(text, spanned.span().start);
        let section = spanned.into_inner();
        let place = Place::File {
            origin: origin.to_owned(),
            line: Some(line),
        };
        let provider = provider(section, index, env, hooks.as_ref())
            .map_err(|(key, message)| ConfigError::new(place.clone(), key, message))?;
        providers.push(provider);
        places.push(place);
    }
    for (index, (provider, place)) in providers.iter().zip(&places).enumerate() {
        check_password_provider(provider, &providers, database.as_ref())
            .map_err(|(key, message)| ConfigError::new(place.clone(), format!("providers[{index}].{key}"), message))?;
    }
    if providers.is_empty() {
        // No providers in the file: every preset the environment configures, as next-auth
        // apps commonly do with AUTH_<PROVIDER>_ID / _SECRET, and email when EMAIL_SERVER is set.
        providers.extend(
            presets::from_vars(env)
                .into_iter()
                .map(|p| ProviderConfig::OAuth(Box::new(p))),
        );
        if let (Some(server), Some(from)) = (env("EMAIL_SERVER"), env("EMAIL_FROM")) {
            providers.push(ProviderConfig::Email {
                id: "email".into(),
                name: None,
                server: Secret::new(server),
                from,
                max_age: None,
            });
        }
    }

    let pages = Pages {
        sign_in: file.pages.sign_in,
        sign_out: file.pages.sign_out,
        error: file.pages.error,
        verify_request: file.pages.verify_request,
        new_user: file.pages.new_user,
    };
    let theme = tessera::pages::Theme {
        color_scheme: match file.theme.color_scheme {
            None | Some(file::ColorScheme::Auto) => tessera::pages::ColorScheme::Auto,
            Some(file::ColorScheme::Light) => tessera::pages::ColorScheme::Light,
            Some(file::ColorScheme::Dark) => tessera::pages::ColorScheme::Dark,
        },
        brand_color: file.theme.brand_color,
        logo: file.theme.logo,
        button_text: file.theme.button_text,
    };
    let mut rate_limits = RateLimits::default();
    let section = file.rate_limits;
    for (name, setting, slot) in [
        (
            "email_per_address",
            section.email_per_address,
            &mut rate_limits.email_per_address,
        ),
        (
            "email_per_client",
            section.email_per_client,
            &mut rate_limits.email_per_client,
        ),
        (
            "credentials_per_client",
            section.credentials_per_client,
            &mut rate_limits.credentials_per_client,
        ),
        (
            "credentials_per_identifier",
            section.credentials_per_identifier,
            &mut rate_limits.credentials_per_identifier,
        ),
        (
            "credentials_per_client_identifier",
            section.credentials_per_client_identifier,
            &mut rate_limits.credentials_per_client_identifier,
        ),
    ] {
        *slot = match setting {
            None => continue,
            Some(RateLimitSetting::Off(_)) => None,
            Some(RateLimitSetting::Limit { max, window }) if max > 0 && window.0 >= Duration::from_secs(1) => {
                Some(Limit::new(max, window.0))
            }
            Some(RateLimitSetting::Limit { .. }) => {
                return Err(in_file(
                    &format!("rate_limits.{name}"),
                    "max must be at least 1 and window at least 1s (use false to turn a limit off)".into(),
                ));
            }
        };
    }

    Ok(Config {
        url,
        secrets,
        compat,
        trust_host,
        allowed_hosts,
        trusted_proxies,
        use_secure_cookies: file.use_secure_cookies,
        max_body_bytes: file.max_body_bytes,
        address: file.server.address.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        port,
        log_format,
        log_level,
        strategy,
        session,
        cache_ttl: file.session.cache_ttl.map(|d| d.0),
        jwt_max_age: file.session.jwt_max_age.map(|d| d.0),
        database,
        redis,
        providers,
        pages,
        theme,
        rate_limits,
        hooks,
    })
}

/// A `[[providers]]` entry, or the key at fault and why.
fn provider(
    section: ProviderSection,
    index: usize,
    env: Env<'_>,
    hooks: Option<&HookSettings>,
) -> Result<ProviderConfig, (String, String)> {
    let key = |name: &str| format!("providers[{index}].{name}");
    let id = section.id.clone();
    let var = |suffix: &str| format!("AUTH_{}_{suffix}", id.to_ascii_uppercase().replace('-', "_"));
    let kind = match (section.kind, &section.preset) {
        (Some(kind), None) => kind,
        (Some(_), Some(_)) => return Err((key("preset"), "a preset has no type: remove one of the two".into())),
        (None, _) => ProviderKind::Oauth,
    };
    // The keys that mean something for this kind of provider; any other present is a mistake.
    let present: [(&str, bool); 17] = [
        ("preset", section.preset.is_some()),
        ("client_id", section.client_id.is_some()),
        ("client_secret", section.client_secret.is_some()),
        ("issuer", section.issuer.is_some()),
        ("tenant_id", section.tenant_id.is_some()),
        ("authorization", section.authorization.is_some()),
        ("token", section.token.is_some()),
        ("userinfo", section.userinfo.is_some()),
        ("scope", section.scope.is_some()),
        (
            "allow_dangerous_email_account_linking",
            section.allow_dangerous_email_account_linking.is_some(),
        ),
        ("fields", !section.fields.is_empty()),
        ("server", section.server.is_some()),
        ("from", section.from.is_some()),
        ("max_age", section.max_age.is_some()),
        ("require_verified_email", section.require_verified_email.is_some()),
        ("email_provider", section.email_provider.is_some()),
        ("reset_link_max_age", section.reset_link_max_age.is_some()),
    ];
    let allowed: &[&str] = match kind {
        ProviderKind::Oauth if section.kind.is_none() => &[
            "preset",
            "client_id",
            "client_secret",
            "issuer",
            "tenant_id",
            "scope",
            "allow_dangerous_email_account_linking",
        ],
        ProviderKind::Oauth | ProviderKind::Oidc => &[
            "preset",
            "client_id",
            "client_secret",
            "issuer",
            "tenant_id",
            "authorization",
            "token",
            "userinfo",
            "scope",
            "allow_dangerous_email_account_linking",
        ],
        ProviderKind::Credentials => &["fields"],
        ProviderKind::Email => &["server", "from", "max_age"],
        ProviderKind::Password => &["require_verified_email", "email_provider", "reset_link_max_age"],
    };
    if let Some((name, _)) = present.iter().find(|(name, set)| *set && !allowed.contains(name)) {
        return Err((
            key(name),
            format!("not a setting of a provider of type {}", kind_name(kind, &section)),
        ));
    }
    match kind {
        ProviderKind::Credentials => {
            if hooks.is_none_or(|h| h.authorize.is_none()) {
                return Err((
                    key("type"),
                    "a credentials provider checks passwords through the app: set [hooks] authorize".into(),
                ));
            }
            let fields = if section.fields.is_empty() {
                vec![
                    ("username".into(), "Username".into(), "text".into()),
                    ("password".into(), "Password".into(), "password".into()),
                ]
            } else {
                section
                    .fields
                    .into_iter()
                    .map(|f| {
                        let label = f.label.unwrap_or_else(|| f.name.clone());
                        (f.name, label, f.input_type.unwrap_or_else(|| "text".into()))
                    })
                    .collect()
            };
            Ok(ProviderConfig::Credentials {
                id,
                name: section.name,
                fields,
            })
        }
        ProviderKind::Email => {
            let server = env("EMAIL_SERVER").map(Secret::new).or(section.server).ok_or_else(|| {
                (
                    key("server"),
                    "missing: the SMTP server URL (smtp://user:password@host:587), here or in EMAIL_SERVER".into(),
                )
            })?;
            let from = env("EMAIL_FROM")
                .or(section.from)
                .ok_or_else(|| (key("from"), "missing: the sender address, here or in EMAIL_FROM".into()))?;
            Ok(ProviderConfig::Email {
                id,
                name: section.name,
                server,
                from,
                max_age: section.max_age.map(|d| d.0),
            })
        }
        ProviderKind::Password => {
            let reset_link_max_age = section.reset_link_max_age.map(|d| d.0);
            if reset_link_max_age.is_some_and(|age| age > MAX_RESET_LINK_AGE || age.subsec_nanos() != 0) {
                return Err((
                    key("reset_link_max_age"),
                    "whole seconds, at most a day (\"1h\" is the default; OWASP advises short)".into(),
                ));
            }
            Ok(ProviderConfig::Password {
                id,
                name: section.name,
                require_verified_email: section.require_verified_email,
                email_provider: section.email_provider,
                reset_link_max_age,
            })
        }
        ProviderKind::Oauth | ProviderKind::Oidc => {
            let client_id = env(&var("ID")).or(section.client_id);
            let client_secret = env(&var("SECRET")).map(Secret::new).or(section.client_secret);
            let issuer = env(&var("ISSUER")).or(section.issuer);
            let named_preset = section.preset.is_some();
            let preset = match (&section.kind, section.preset) {
                (Some(_), _) => None,
                (None, Some(name)) => Some(name),
                (None, None) => Some(id.clone()),
            };
            let mut provider = match preset {
                Some(name) => {
                    let prefix = name.to_ascii_uppercase().replace('-', "_");
                    if !presets::ENV_PREFIXES.contains(&prefix.as_str()) {
                        let names: Vec<String> = presets::ENV_PREFIXES
                            .iter()
                            .map(|p| p.to_ascii_lowercase().replace('_', "-"))
                            .collect();
                        return Err((
                            key(if named_preset { "preset" } else { "id" }),
                            format!(
                                "{name:?} is not a preset ({}); for another provider set type = \"oidc\" or \"oauth\"",
                                names.join(", ")
                            ),
                        ));
                    }
                    let tenant = env(&var("TENANT_ID")).or(section.tenant_id);
                    let secret = client_secret.as_ref().map(|s| s.expose().to_owned());
                    let lookup = |name: &str| -> Option<String> {
                        let suffix = name.strip_prefix("AUTH_")?.strip_prefix(prefix.as_str())?;
                        match suffix {
                            "_ID" => client_id.clone(),
                            "_SECRET" => secret.clone(),
                            "_ISSUER" => issuer.clone(),
                            "_TENANT_ID" => tenant.clone(),
                            _ => None,
                        }
                    };
                    let Some(provider) = presets::from_vars(lookup).into_iter().next() else {
                        let needs = if ["AUTH0", "OKTA", "KEYCLOAK", "ZITADEL", "AUTHENTIK", "COGNITO"]
                            .contains(&prefix.as_str())
                        {
                            format!(
                                "client_id, client_secret and issuer (or {}, {}, {})",
                                var("ID"),
                                var("SECRET"),
                                var("ISSUER")
                            )
                        } else if prefix.ends_with("AZURE_AD") || prefix == "MICROSOFT_ENTRA_ID" {
                            format!(
                                "client_id, client_secret and tenant_id (or {}, {}, {})",
                                var("ID"),
                                var("SECRET"),
                                var("TENANT_ID")
                            )
                        } else {
                            format!("client_id and client_secret (or {}, {})", var("ID"), var("SECRET"))
                        };
                        return Err((key("client_id"), format!("the {name} preset needs {needs}")));
                    };
                    let provider = provider.id(id.clone());
                    match section.name {
                        Some(display) => provider.name(display),
                        None => provider,
                    }
                }
                None => {
                    let client_id =
                        client_id.ok_or_else(|| (key("client_id"), format!("missing (or {})", var("ID"))))?;
                    let mut p = OAuthProvider::new(id.clone())
                        .name(section.name.unwrap_or_else(|| id.clone()))
                        .client_id(client_id);
                    if let Some(secret) = client_secret {
                        p = p.client_secret(secret);
                    }
                    if kind == ProviderKind::Oidc {
                        let issuer =
                            issuer.ok_or_else(|| (key("issuer"), format!("missing (or {})", var("ISSUER"))))?;
                        p = p.issuer(issuer);
                        if section.scope.is_none() {
                            p = p.scope("openid email profile");
                        }
                    } else {
                        if let Some(issuer) = issuer {
                            p = p.issuer(issuer);
                        }
                        let authorization = section.authorization.clone().ok_or_else(|| {
                            (key("authorization"), "missing: the authorization endpoint's URL".into())
                        })?;
                        let token = section
                            .token
                            .clone()
                            .ok_or_else(|| (key("token"), "missing: the token endpoint's URL".into()))?;
                        p = p.authorization(authorization).token(token);
                        if let Some(userinfo) = section.userinfo.clone() {
                            p = p.userinfo(userinfo);
                        }
                    }
                    p
                }
            };
            if let Some(scope) = section.scope {
                provider = provider.scope(scope);
            }
            if let Some(allow) = section.allow_dangerous_email_account_linking {
                provider = provider.allow_dangerous_email_account_linking(allow);
            }
            Ok(ProviderConfig::OAuth(Box::new(provider)))
        }
    }
}

fn kind_name(kind: ProviderKind, section: &ProviderSection) -> &'static str {
    match kind {
        _ if section.kind.is_none() => "preset",
        ProviderKind::Oauth => "oauth",
        ProviderKind::Oidc => "oidc",
        ProviderKind::Credentials => "credentials",
        ProviderKind::Email => "email",
        ProviderKind::Password => "password",
    }
}

/// What a password provider needs of the rest of the file: a database with Tessera's own
/// tables (which store the hashes), and an email provider to mail through (the one
/// `email_provider` names, else the only one). `Err((key, reason))` for the provider's
/// entry; other providers pass.
fn check_password_provider(
    provider: &ProviderConfig,
    all: &[ProviderConfig],
    database: Option<&DatabaseConfig>,
) -> Result<(), (&'static str, String)> {
    let ProviderConfig::Password { email_provider, .. } = provider else {
        return Ok(());
    };
    match database {
        None => {
            return Err((
                "type",
                "password accounts are kept in the database: add [database] url, or set DATABASE_URL".into(),
            ));
        }
        Some(db) if db.schema != Schema::Tessera => {
            return Err((
                "type",
                format!(
                    "password accounts need Tessera's own tables (schema \"tessera\"): the {} tables are the app's, and have no place for password hashes",
                    db.schema
                ),
            ));
        }
        Some(_) => {}
    }
    let emails: Vec<&str> = all
        .iter()
        .filter_map(|p| match p {
            ProviderConfig::Email { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    match (email_provider, emails.as_slice()) {
        (Some(wanted), _) if emails.contains(&wanted.as_str()) => Ok(()),
        (Some(wanted), _) => Err((
            "email_provider",
            format!(
                "{wanted:?} is not an email provider of this file (email providers: {})",
                if emails.is_empty() { "none".to_owned() } else { emails.join(", ") }
            ),
        )),
        (None, [_]) => Ok(()),
        (None, []) => Err((
            "type",
            "password accounts mail verification and reset links: add a provider of type \"email\" (its SMTP server sends them)".into(),
        )),
        (None, _) => Err((
            "email_provider",
            format!("missing: which email provider sends the mails ({})", emails.join(", ")),
        )),
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" => Some(true),
        "0" | "false" | "no" => Some(false),
        _ => None,
    }
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
