//! From a [`Config`] to the running pieces: the database, Redis, the engine ([`Auth`]) and
//! the router that serves it.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tessera::adapter::Adapter;
use tessera::providers::email::EmailProvider;
use tessera::providers::{CredentialsProvider, PasswordProvider};
use tessera::{Auth, SessionStrategy};
use tessera_axum::RouterExt;

use crate::config::{Config, ProviderConfig};
use crate::hooks::Hooks;

/// Why the server could not start (after the configuration was read).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The database could not be opened, or its tables are not what the schema expects.
    #[error("database: {0}")]
    Database(String),
    /// Redis could not be reached.
    #[error("Redis: {0}")]
    Redis(String),
    /// An email provider's SMTP settings are wrong.
    #[error("providers: {id}: {message}")]
    Email {
        /// The provider's id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// The hooks are misconfigured.
    #[error("hooks: {0}")]
    Hooks(String),
    /// The engine refused the configuration.
    #[error("{0}")]
    Auth(#[from] tessera::ConfigError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The engine and what it runs on, ready to serve.
#[derive(Debug)]
pub struct App {
    pub(crate) auth: Auth,
}

impl App {
    /// Opens the database and Redis, and builds the engine.
    pub async fn start(config: &Config) -> Result<App, StartError> {
        let adapter = match &config.database {
            Some(db) => Some(
                tessera_sqlx::connect_with_schema(db.url.expose(), db.schema)
                    .await
                    .map_err(|e| StartError::Database(e.to_string()))?,
            ),
            None => None,
        };
        let redis = match &config.redis {
            Some(r) => Some(
                tessera_redis::Redis::connect(r.url.expose(), &r.prefix)
                    .await
                    .map_err(|e| StartError::Redis(e.to_string()))?,
            ),
            None => None,
        };
        let auth = build_auth(config, adapter.as_ref(), redis.as_ref())?;
        if let Some(redis) = &redis {
            redis
                .attach(&auth)
                .await
                .map_err(|e| StartError::Redis(format!("cannot share revocations and invalidations: {e}")))?;
        }
        Ok(App { auth })
    }

    /// The engine.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The router: the auth API under its base path, and `GET /healthz`.
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/healthz",
                get(|| async {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        r#"{"status":"ok"}"#,
                    )
                }),
            )
            .with_auth(self.auth.clone())
    }
}

/// The engine, configured as the file says.
pub(crate) fn build_auth(
    config: &Config,
    adapter: Option<&Arc<dyn Adapter>>,
    redis: Option<&tessera_redis::Redis>,
) -> Result<Auth, StartError> {
    let mut builder = Auth::builder()
        .compat(config.compat)
        .trust_host(config.trust_host)
        .session_strategy(config.strategy)
        .session(config.session)
        .pages(config.pages.clone())
        .theme(config.theme.clone())
        .rate_limits(config.rate_limits);
    match &config.url {
        Some(url) => builder = builder.url(url),
        None if !config.trust_host => {
            let url = format!("http://localhost:{}", config.port);
            tracing::warn!(%url, "no url (NEXTAUTH_URL) set: links and redirects use {url}");
            builder = builder.url(url);
        }
        None => {}
    }
    for secret in &config.secrets {
        builder = builder.secret(secret.clone());
    }
    if !config.allowed_hosts.is_empty() {
        builder = builder.allowed_hosts(&config.allowed_hosts);
    }
    if let Some(proxies) = &config.trusted_proxies {
        builder = builder.trusted_proxies(proxies);
    }
    if let Some(secure) = config.use_secure_cookies {
        builder = builder.use_secure_cookies(secure);
    }
    if let Some(limit) = config.max_body_bytes {
        builder = builder.max_body_bytes(limit);
    }
    if let Some(max_age) = config.jwt_max_age {
        builder = builder.jwt_max_age(max_age);
    }
    if let Some(ttl) = config.cache_ttl {
        builder = builder.session_cache_ttl(ttl);
    }
    if let Some(redis) = redis {
        builder = builder.rate_limit_store(redis.rate_limits());
    }
    if let Some(adapter) = adapter {
        builder = builder.adapter(adapter.clone());
    }
    let hooks = hooks(config, adapter)?;
    if let Some(hooks) = &hooks {
        builder = builder.callbacks(hooks.clone());
    }
    for provider in &config.providers {
        builder = match provider {
            ProviderConfig::OAuth(p) => builder.provider((**p).clone()),
            ProviderConfig::Email {
                id,
                name,
                server,
                from,
                max_age,
            } => {
                let email_error = |e: tessera_smtp::SmtpConfigError| StartError::Email {
                    id: id.clone(),
                    message: e.to_string(),
                };
                let mailer = tessera_smtp::SmtpMailer::from_url(server.expose())
                    .map_err(email_error)?
                    .from(from)
                    .build()
                    .map_err(email_error)?;
                let mut email = EmailProvider::new(mailer).id(id);
                if let Some(name) = name {
                    email = email.name(name);
                }
                if let Some(max_age) = max_age {
                    email = email.max_age(*max_age);
                }
                builder.provider(email)
            }
            ProviderConfig::Password {
                id,
                name,
                require_verified_email,
                email_provider,
                reset_link_max_age,
            } => {
                let mut password = PasswordProvider::new().id(id);
                if let Some(name) = name {
                    password = password.name(name);
                }
                if let Some(wait) = require_verified_email {
                    password = password.require_verified_email(*wait);
                }
                if let Some(email) = email_provider {
                    password = password.email_provider(email);
                }
                if let Some(max_age) = reset_link_max_age {
                    password = password.reset_link_max_age(*max_age);
                }
                builder.provider(password)
            }
            ProviderConfig::Credentials { id, name, fields } => {
                let authorize = hooks.as_ref().and_then(|h| h.authorizer(id.clone())).ok_or_else(|| {
                    StartError::Hooks(format!("the credentials provider {id:?} needs the authorize hook"))
                })?;
                let mut credentials = CredentialsProvider::new(authorize).id(id);
                if let Some(name) = name {
                    credentials = credentials.name(name);
                }
                for (field, label, input_type) in fields {
                    credentials = credentials.field(field, label, input_type);
                }
                builder.provider(credentials)
            }
        };
    }
    if config.strategy == SessionStrategy::Database && adapter.is_none() {
        return Err(StartError::Database("the database strategy needs a database".into()));
    }
    Ok(builder.build()?)
}

/// The hooks (`[hooks]` and `[session] update`), given the adapter database sessions
/// update users through.
fn hooks(config: &Config, adapter: Option<&Arc<dyn Adapter>>) -> Result<Option<Hooks>, StartError> {
    let Some(settings) = &config.hooks else { return Ok(None) };
    let hooks = Hooks::new(settings.clone()).map_err(|e| StartError::Hooks(e.to_string()))?;
    Ok(Some(match adapter {
        Some(adapter) => hooks.with_adapter(adapter.clone()),
        None => hooks,
    }))
}
