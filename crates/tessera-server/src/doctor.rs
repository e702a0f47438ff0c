//! `tessera doctor`: a configuration checked before it goes live. Each finding says what
//! was found and, when something is wrong, how to fix it.
//!
//! It reads and connects, and never writes: the database is inspected, not migrated; SMTP
//! is greeted, no mail is sent; a hook's host is reached, no hook is called.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tessera::SessionStrategy;
use tessera::adapter::{Adapter, MemoryAdapter};
use tessera_sqlx::Schema;

use crate::config::{Config, ProviderConfig};

/// How long each network check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// The secret length `tessera secret` prints, and the least the doctor is happy with.
const GOOD_SECRET_BYTES: usize = 32;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// As it should be.
    Ok,
    /// Works, but is weaker or riskier than it should be.
    Warning,
    /// Will not work, or is unsafe: fix it before going live.
    Error,
}

/// One thing the doctor looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub level: Level,
    /// What was checked (`secret`, `url`, `database`, `providers.corp`, …).
    pub topic: String,
    /// What was found.
    pub message: String,
    /// How to fix it, when there is something to fix.
    pub fix: Option<String>,
}

/// Everything the doctor found, in the order it looked.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let env = |name: &str| (name == "NEXTAUTH_SECRET").then(|| "short-but-16-bytes".to_owned());
/// let config = tessera_server::Config::parse("url = \"http://app.example.com\"", "tessera.toml", &env).unwrap();
/// let report = tessera_server::doctor::check(&config).await;
/// assert!(report.has_errors()); // plain http on a public host
/// println!("{report}");
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct Report {
    findings: Vec<Finding>,
}

impl Report {
    /// The findings.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Whether anything must be fixed before going live.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.level == Level::Error)
    }

    fn push(&mut self, level: Level, topic: impl Into<String>, message: impl Into<String>, fix: Option<String>) {
        self.findings.push(Finding {
            level,
            topic: topic.into(),
            message: message.into(),
            fix,
        });
    }

    fn ok(&mut self, topic: impl Into<String>, message: impl Into<String>) {
        self.push(Level::Ok, topic, message, None);
    }

    fn warn(&mut self, topic: impl Into<String>, message: impl Into<String>, fix: impl Into<String>) {
        self.push(Level::Warning, topic, message, Some(fix.into()));
    }

    fn error(&mut self, topic: impl Into<String>, message: impl Into<String>, fix: impl Into<String>) {
        self.push(Level::Error, topic, message, Some(fix.into()));
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            let level = match finding.level {
                Level::Ok => "ok",
                Level::Warning => "warning",
                Level::Error => "ERROR",
            };
            writeln!(f, "{level:<8} {}: {}", finding.topic, finding.message)?;
            if let Some(fix) = &finding.fix {
                writeln!(f, "{:<8} fix: {fix}", "")?;
            }
        }
        let count = |level| self.findings.iter().filter(|f| f.level == level).count();
        write!(
            f,
            "{} error(s), {} warning(s)",
            count(Level::Error),
            count(Level::Warning)
        )
    }
}

/// Checks `config`: the secret, the URL and cookies, what the engine itself refuses, the
/// database and its tables, Redis, SMTP, OpenID Connect discovery and the hooks' hosts.
pub async fn check(config: &Config) -> Report {
    let mut report = Report::default();
    secrets(config, &mut report);
    url_and_cookies(config, &mut report);
    proxies(config, &mut report);
    engine(config, &mut report);
    database(config, &mut report).await;
    redis(config, &mut report).await;
    providers(config, &mut report).await;
    hooks(config, &mut report).await;
    report
}

fn secrets(config: &Config, report: &mut Report) {
    let Some((current, older)) = config.secrets.split_first() else {
        report.error(
            "secret",
            "no secret",
            "set NEXTAUTH_SECRET (or AUTH_SECRET) to the output of `tessera secret`",
        );
        return;
    };
    for (position, secret) in std::iter::once(current).chain(older).enumerate() {
        let topic = if position == 0 {
            "secret".to_owned()
        } else {
            format!("secret #{position} (older)")
        };
        let bytes = secret.expose().as_bytes();
        let mut distinct: Vec<u8> = bytes.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let placeholder = [
            "secret",
            "changeme",
            "change-me",
            "password",
            "your-secret",
            "supersecret",
            "development",
        ]
        .iter()
        .any(|p| secret.expose().to_ascii_lowercase().contains(p));
        if bytes.len() < 16 {
            report.error(
                &topic,
                format!("{} bytes: too short", bytes.len()),
                "use `tessera secret` (32 random bytes)",
            );
        } else if placeholder || distinct.len() < 8 {
            report.error(
                &topic,
                "guessable (a placeholder word, or too few different characters)",
                "use `tessera secret` (32 random bytes)",
            );
        } else if bytes.len() < GOOD_SECRET_BYTES {
            report.warn(
                &topic,
                format!("{} bytes", bytes.len()),
                "32 random bytes or more: `tessera secret` prints one",
            );
        } else {
            report.ok(&topic, format!("{} bytes", bytes.len()));
        }
    }
}

fn url_and_cookies(config: &Config, report: &mut Report) {
    let Some(raw) = &config.url else {
        if config.trust_host {
            if config.allowed_hosts.is_empty() {
                report.warn(
                    "url",
                    "none: the origin is taken from each request's Host (trust_host) and any host is answered",
                    "list the site's hosts in allowed_hosts (AUTH_ALLOWED_HOSTS), or set url",
                );
            } else {
                report.ok(
                    "url",
                    format!("taken from the request, for {}", config.allowed_hosts.join(", ")),
                );
            }
        } else {
            report.error(
                "url",
                format!(
                    "none: links and redirects would point to http://localhost:{}",
                    config.port
                ),
                "set url (or NEXTAUTH_URL / AUTH_URL) to the app's public URL, e.g. https://app.example.com",
            );
        }
        return;
    };
    let Ok(url) = reqwest::Url::parse(raw) else {
        report.error(
            "url",
            format!("{raw:?} is not a URL"),
            "an absolute URL such as https://app.example.com",
        );
        return;
    };
    let local = url
        .host_str()
        .is_some_and(|h| h == "localhost" || h == "127.0.0.1" || h == "[::1]" || h.ends_with(".localhost"));
    match (url.scheme(), config.use_secure_cookies) {
        ("https", Some(false)) => report.warn(
            "cookies",
            "use_secure_cookies = false on an https site: cookies without the __Secure-/__Host- prefixes",
            "remove use_secure_cookies",
        ),
        ("https", _) => report.ok("url", format!("{url} (https: __Secure-/__Host- cookies)")),
        ("http", Some(true)) => report.error(
            "cookies",
            "use_secure_cookies = true on an http site: browsers drop __Secure- cookies sent over http",
            "serve the site over https, or remove use_secure_cookies",
        ),
        ("http", _) if local => report.warn(
            "url",
            format!("{url} is plain http (fine on this machine, not in production)"),
            "use the https URL in production",
        ),
        (scheme, _) => report.error(
            "url",
            format!("{url} is {scheme}, not https: session cookies would travel in clear"),
            "serve the site over https and set url to its https address",
        ),
    }
}

/// Behind Next.js rewrites (or a load balancer) every request comes from the proxy: without
/// trusted proxies, all visitors are one client to the per-client rate limits. Trusting the
/// Next.js server is right only when something in front of it sets `X-Forwarded-For`:
/// `next start`'s rewrites add none and pass on the browser's own, which would then be
/// believed (a visitor picking a new address per attempt escapes the per-client limits).
fn proxies(config: &Config, report: &mut Report) {
    match &config.trusted_proxies {
        Some(list) if !list.is_empty() => {
            report.ok(
                "trusted_proxies",
                format!(
                    "X-Forwarded-For believed from {} (which must set it themselves or get it from a proxy that does)",
                    list.join(", ")
                ),
            );
        }
        _ => report.warn(
            "trusted_proxies",
            "none: behind Next.js rewrites or a load balancer, every visitor counts as the proxy in the per-client rate limits",
            "when a proxy in front of the app sets X-Forwarded-For (nginx, a load balancer), set trusted_proxies \
             (AUTH_TRUSTED_PROXIES) to the address Tessera's requests come from, e.g. [\"127.0.0.1\"] for a Next.js \
             server on this host; not when browsers reach `next start` directly: its rewrites add no X-Forwarded-For \
             and pass on the browser's own, so every visitor could pick its address (there, raise or turn off the \
             per-client limits instead: [rate_limits] credentials_per_client, email_per_client)",
        ),
    }
}

/// What the engine itself refuses (providers, pages, theme, proxies, lifetimes), with a
/// database stand-in so nothing is opened.
fn engine(config: &Config, report: &mut Report) {
    let stand_in: Arc<dyn Adapter> = Arc::new(MemoryAdapter::new());
    let adapter = config.database.as_ref().map(|_| &stand_in);
    match crate::app::build_auth(config, adapter, None) {
        Ok(auth) => report.ok(
            "settings",
            format!(
                "{} sessions, {} provider(s), next-auth {} protocol, at {}{}",
                match config.strategy {
                    SessionStrategy::Jwt => "JWT",
                    SessionStrategy::Database => "database",
                },
                config.providers.len(),
                config.compat.as_str(),
                auth.origin(),
                auth.base_path()
            ),
        ),
        Err(e) => report.error("settings", e.to_string(), "correct the setting named"),
    }
}

async fn database(config: &Config, report: &mut Report) {
    let Some(db) = &config.database else {
        report.ok("database", "none (JWT sessions; email sign-in needs one)");
        return;
    };
    let url = db.url.expose();
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        match db.schema {
            Schema::Tessera => report.ok(
                "database",
                "SQLite (one process only: use PostgreSQL for several instances)",
            ),
            Schema::PgAdapter => report.error(
                "database",
                format!("the {} schema is PostgreSQL only", db.schema),
                "use a postgres:// URL, or schema = \"tessera\"",
            ),
            // Opening these layouts only reads (the file is not created): it checks the
            // tables and columns.
            schema => match tessera_sqlx::connect_with_schema(url, schema).await {
                Ok(_) => report.ok(
                    "database",
                    format!(
                        "SQLite, next-auth's {schema} tables as expected (one process only: use PostgreSQL for \
                         several instances)"
                    ),
                ),
                Err(e) => report.error(
                    "database",
                    e.to_string(),
                    format!(
                        "create the tables as next-auth's {schema} adapter documents them, or correct schema \
                         (AUTH_DB_SCHEMA)"
                    ),
                ),
            },
        }
        return;
    }
    use tessera_sqlx::sqlx::Connection;
    let url = match tessera_sqlx::sqlx_url(url) {
        Ok(url) => url,
        Err(e) => return report.error("database", e.to_string(), "correct DATABASE_URL"),
    };
    let connected = tokio::time::timeout(CHECK_TIMEOUT, tessera_sqlx::sqlx::PgConnection::connect(&url)).await;
    let mut conn = match connected {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            report.error(
                "database",
                format!("cannot connect: {e}"),
                "check DATABASE_URL (host, port, user, password, database) and that PostgreSQL accepts this host",
            );
            return;
        }
        Err(_) => {
            report.error(
                "database",
                format!("no answer within {CHECK_TIMEOUT:?}"),
                "check the host and port in DATABASE_URL, and the firewall",
            );
            return;
        }
    };
    match db.schema {
        Schema::Tessera => {
            let exists: Result<Option<String>, _> =
                tessera_sqlx::sqlx::query_scalar("SELECT to_regclass('tessera_users')::text")
                    .fetch_one(&mut conn)
                    .await;
            match exists {
                Ok(Some(_)) => report.ok("database", "PostgreSQL, Tessera's tables present (upgraded at start if needed)"),
                Ok(None) => report.warn(
                    "database",
                    "PostgreSQL reachable, Tessera's tables absent",
                    "they are created at the first start; `tessera migrate` creates them now. For next-auth's own tables set schema (AUTH_DB_SCHEMA) to pg-adapter, prisma or drizzle",
                ),
                Err(e) => report.error("database", format!("cannot inspect: {e}"), "grant the user access to the database"),
            }
        }
        schema => {
            // Opening these layouts only reads: it checks the tables and columns.
            match tessera_sqlx::connect_with_schema(&url, schema).await {
                Ok(_) => report.ok("database", format!("PostgreSQL, next-auth's {schema} tables as expected")),
                Err(e) => report.error(
                    "database",
                    e.to_string(),
                    format!("create the tables as next-auth's {schema} adapter documents them, or correct schema (AUTH_DB_SCHEMA)"),
                ),
            }
        }
    }
    let _ = conn.close().await;
}

async fn redis(config: &Config, report: &mut Report) {
    let Some(redis) = &config.redis else {
        if config.database.is_some() {
            report.ok(
                "redis",
                "none: rate limits and revocations are per process (one instance only)",
            );
        }
        return;
    };
    match tokio::time::timeout(
        CHECK_TIMEOUT,
        tessera_redis::Redis::connect(redis.url.expose(), &redis.prefix),
    )
    .await
    {
        Ok(Ok(_)) => report.ok("redis", format!("reachable, keys under {}", redis.prefix)),
        Ok(Err(e)) => report.error(
            "redis",
            format!("cannot connect: {e}"),
            "check REDIS_URL and that Redis runs",
        ),
        Err(_) => report.error(
            "redis",
            format!("no answer within {CHECK_TIMEOUT:?}"),
            "check REDIS_URL",
        ),
    }
}

async fn providers(config: &Config, report: &mut Report) {
    if config.providers.is_empty() {
        report.warn(
            "providers",
            "none: nobody can sign in",
            "add [[providers]] entries, or AUTH_<PROVIDER>_ID / AUTH_<PROVIDER>_SECRET",
        );
    }
    for provider in &config.providers {
        match provider {
            ProviderConfig::OAuth(p) => {
                let topic = format!("providers.{}", p.provider_id());
                match p.discovery_issuer() {
                    Some(issuer) => discovery(issuer, &topic, report).await,
                    None => report.ok(topic, "OAuth endpoints configured"),
                }
            }
            ProviderConfig::Email { id, server, from, .. } => {
                let topic = format!("providers.{id}");
                let mailer = tessera_smtp::SmtpMailer::from_url(server.expose()).and_then(|b| b.from(from).build());
                match mailer {
                    Ok(mailer) => match mailer.check_connection().await {
                        Ok(()) => report.ok(topic, format!("SMTP {}:{} answers", mailer.host(), mailer.port())),
                        Err(e) => report.error(
                            topic,
                            e.to_string(),
                            "check EMAIL_SERVER (host, port, TLS, user, password)",
                        ),
                    },
                    Err(e) => report.error(topic, e.to_string(), "correct EMAIL_SERVER / EMAIL_FROM"),
                }
            }
            ProviderConfig::Credentials { id, .. } => {
                report.ok(format!("providers.{id}"), "credentials, checked by the authorize hook");
            }
            ProviderConfig::Password { id, email_provider, .. } => {
                let through = email_provider.as_deref().unwrap_or("the email provider");
                report.ok(
                    format!("providers.{id}"),
                    format!("password accounts in the database, mails through {through}"),
                );
            }
        }
    }
}

/// Fetches `<issuer>/.well-known/openid-configuration` and checks what sign-in needs.
async fn discovery(issuer: &str, topic: &str, report: &mut Report) {
    let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let fix = "check the issuer URL (it must be the exact `issuer` of the provider's discovery document)";
    let fetched = async {
        let response = http_client()?.get(&url).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        response
            .json::<serde_json::Value>()
            .await
            .map_err(|e| format!("{url}: not JSON: {e}"))
    };
    let document = match tokio::time::timeout(CHECK_TIMEOUT, fetched).await {
        Ok(Ok(document)) => document,
        Ok(Err(e)) => return report.error(topic, format!("discovery failed: {e}"), fix),
        Err(_) => return report.error(topic, format!("{url}: no answer within {CHECK_TIMEOUT:?}"), fix),
    };
    let field = |name: &str| document.get(name).and_then(serde_json::Value::as_str);
    if field("issuer").map(|i| i.trim_end_matches('/')) != Some(issuer.trim_end_matches('/')) {
        return report.error(
            topic,
            format!(
                "the document's issuer is {:?}, not {issuer:?}",
                field("issuer").unwrap_or("")
            ),
            fix,
        );
    }
    let missing: Vec<&str> = ["authorization_endpoint", "token_endpoint", "jwks_uri"]
        .into_iter()
        .filter(|name| field(name).is_none())
        .collect();
    if missing.is_empty() {
        report.ok(topic, format!("OpenID Connect discovery at {issuer} answers"));
    } else {
        report.error(
            topic,
            format!("the discovery document lacks {}", missing.join(", ")),
            fix,
        );
    }
}

fn http_client() -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(CHECK_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())
}

async fn hooks(config: &Config, report: &mut Report) {
    let Some(hooks) = &config.hooks else { return };
    let urls = [
        ("authorize", &hooks.authorize),
        ("sign_in", &hooks.sign_in),
        ("jwt", &hooks.jwt),
        ("session", &hooks.session),
    ];
    for (name, url) in urls {
        let Some(url) = url else { continue };
        let topic = format!("hooks.{name}");
        let Ok(parsed) = reqwest::Url::parse(url) else {
            report.error(topic, format!("{url:?} is not a URL"), "an absolute http(s) URL");
            continue;
        };
        let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default()) else {
            report.error(topic, format!("{url} has no host"), "an absolute http(s) URL");
            continue;
        };
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        match tokio::time::timeout(CHECK_TIMEOUT, tokio::net::TcpStream::connect((host.as_str(), port))).await {
            Ok(Ok(_)) if parsed.scheme() == "https" || is_loopback(&host) => {
                report.ok(topic, format!("{host}:{port} accepts connections"));
            }
            Ok(Ok(_)) => report.warn(
                topic,
                format!("{url} is plain http to another host: requests are signed, but readable on the way"),
                "use https, or keep the app on this host or a private network",
            ),
            Ok(Err(e)) => report.error(
                topic,
                format!("{host}:{port}: {e}"),
                "start the app, or correct the hook's URL",
            ),
            Err(_) => report.error(
                topic,
                format!("{host}:{port}: no answer within {CHECK_TIMEOUT:?}"),
                "correct the hook's URL",
            ),
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
