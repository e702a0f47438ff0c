//! The server's configuration: `tessera.toml`, with the environment variables next-auth
//! reads overriding it ([`Config::load`]).
//!
//! Everything is checked here, before anything is opened or bound: a bad file is refused
//! with the line, the key and what was expected ([`ConfigError`]).
//!
//! ```
//! use tessera_server::Config;
//!
//! let file = r#"
//! url = "https://app.example.com"
//!
//! [session]
//! strategy = "jwt"
//! max_age = "7d"
//!
//! [[providers]]
//! id = "github"
//! client_id = "Iv1.0123"
//! "#;
//! // The environment wins over the file; here it holds the secrets.
//! let env = |name: &str| match name {
//!     "NEXTAUTH_SECRET" => Some("a-secret-of-at-least-16-bytes".to_owned()),
//!     "AUTH_GITHUB_SECRET" => Some("github-client-secret".to_owned()),
//!     _ => None,
//! };
//! let config = Config::parse(file, "tessera.toml", &env).unwrap();
//! assert_eq!(config.port(), 3000);
//!
//! let typo = Config::parse("[session]\nstrategy = \"jwtt\"\n", "tessera.toml", &env).unwrap_err();
//! assert!(typo.to_string().starts_with("tessera.toml:2: session.strategy: unknown variant `jwtt`"));
//! ```

mod duration;
mod file;
mod resolve;

use std::fmt;
use std::path::Path;

pub use file::LogFormat;
pub(crate) use resolve::{DatabaseConfig, ProviderConfig, RedisConfig};

/// The server's configuration, resolved: the file's values, overridden by the environment,
/// checked. Build it with [`Config::load`] (a file path) or [`Config::parse`] (a string).
#[derive(Debug)]
pub struct Config {
    pub(crate) url: Option<String>,
    pub(crate) secrets: Vec<tessera::Secret>,
    pub(crate) compat: tessera::Compat,
    pub(crate) trust_host: bool,
    pub(crate) allowed_hosts: Vec<String>,
    pub(crate) trusted_proxies: Option<Vec<String>>,
    pub(crate) use_secure_cookies: Option<bool>,
    pub(crate) max_body_bytes: Option<usize>,
    pub(crate) address: std::net::IpAddr,
    pub(crate) port: u16,
    pub(crate) log_format: LogFormat,
    pub(crate) log_level: Option<String>,
    pub(crate) strategy: tessera::SessionStrategy,
    pub(crate) session: tessera::SessionOptions,
    pub(crate) cache_ttl: Option<std::time::Duration>,
    pub(crate) jwt_max_age: Option<std::time::Duration>,
    pub(crate) database: Option<DatabaseConfig>,
    pub(crate) redis: Option<RedisConfig>,
    pub(crate) providers: Vec<ProviderConfig>,
    pub(crate) pages: tessera::Pages,
    pub(crate) theme: tessera::pages::Theme,
    pub(crate) rate_limits: tessera::rate_limit::RateLimits,
    /// The hooks, and the `update()` fields (`[session] update`), checked.
    pub(crate) hooks: Option<crate::hooks::HookSettings>,
}

/// The environment as the configuration sees it: a variable's value, `None` when unset or
/// empty. [`Config::load`] callers pass [`process_env`] or a stand-in (tests).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process's environment (empty values count as unset, as next-auth does).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Config {
    /// The default file, in the working directory.
    pub const DEFAULT_PATH: &'static str = "tessera.toml";

    /// Reads `path` and resolves it with `env`. `None` reads [`Config::DEFAULT_PATH`] when
    /// it exists and runs from the environment alone when it does not (as a container
    /// would); a path that was named must exist.
    pub fn load(path: Option<&Path>, env: Env<'_>) -> Result<Config, ConfigError> {
        let (path, required) = match path {
            Some(p) => (p, true),
            None => (Path::new(Self::DEFAULT_PATH), false),
        };
        let origin = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, &origin, env),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Config::parse("", "environment", env),
            Err(e) => Err(ConfigError::new(
                Place::File { origin, line: None },
                "",
                format!("cannot read: {e}"),
            )),
        }
    }

    /// Resolves a file's text (`origin` names it in errors) with `env`.
    pub fn parse(text: &str, origin: &str, env: Env<'_>) -> Result<Config, ConfigError> {
        let file = parse_file(text, origin)?;
        resolve::resolve(file, text, origin, env)
    }

    /// The port to listen on (`[server] port`, `PORT`, default 3000).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address and port to listen on.
    pub fn listen_addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::new(self.address, self.port)
    }

    /// How logs are written (`[server] log_format`, `TESSERA_LOG_FORMAT`).
    pub fn log_format(&self) -> LogFormat {
        self.log_format
    }

    /// The log filter (`[server] log_level`, `RUST_LOG`), if set.
    pub fn log_level(&self) -> Option<&str> {
        self.log_level.as_deref()
    }
}

/// Reads the TOML into [`file::File`], naming the line and the key of any mistake.
fn parse_file(text: &str, origin: &str) -> Result<file::File, ConfigError> {
    let at = |span: Option<std::ops::Range<usize>>| Place::File {
        origin: origin.to_owned(),
        line: span.map(|s| line_of(text, s.start)),
    };
    let deserializer = toml::Deserializer::parse(text).map_err(|e| ConfigError::new(at(e.span()), "", e.message()))?;
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        // `Spanned` (around each provider) shows in the path as a private field: drop it.
        let key = e.path().to_string().replace("$__serde_spanned_private_value.", "");
        let inner = e.into_inner();
        let key = if key == "." { String::new() } else { key };
        ConfigError::new(at(inner.span()), key, inner.message())
    })
}

/// The 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Where a setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Place {
    /// The file (or "environment" when there is none), at a line when known.
    File { origin: String, line: Option<usize> },
    /// An environment variable.
    Env,
}

/// A configuration mistake: where, which key, and what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}{key}{message}", place = PlaceDisplay(&self.place), key = KeyDisplay(&self.key))]
pub struct ConfigError {
    place: Place,
    key: String,
    message: String,
}

impl ConfigError {
    pub(crate) fn new(place: Place, key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            place,
            key: key.into(),
            message: message.into(),
        }
    }

    /// The key (`session.strategy`, `providers[0].client_id`) or environment variable at
    /// fault, empty for a syntax error.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The line of the file, when the mistake is in the file and its line is known.
    pub fn line(&self) -> Option<usize> {
        match self.place {
            Place::File { line, .. } => line,
            Place::Env => None,
        }
    }
}

struct PlaceDisplay<'a>(&'a Place);

impl fmt::Display for PlaceDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Place::File {
                origin,
                line: Some(line),
            } => write!(f, "{origin}:{line}: "),
            Place::File { origin, line: None } => write!(f, "{origin}: "),
            Place::Env => f.write_str("environment: "),
        }
    }
}

struct KeyDisplay<'a>(&'a str);

impl fmt::Display for KeyDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "{}: ", self.0)
        }
    }
}
