//! Configuration: [`AuthBuilder`] collects it and validates it all in [`AuthBuilder::build`],
//! so a misconfigured server refuses to start instead of failing at the first request.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::Compat;
use crate::Secret;
use crate::adapter::Adapter;
use crate::callbacks::Callbacks;
use crate::cookies::{self, CookieSet};
use crate::events::Events;
use crate::oauth::HttpClient;
use crate::pages::theme::Theme;
use crate::providers::Provider;
use crate::session::jwt::JweCodec;
use crate::url::BaseUrl;

/// A configuration mistake, reported by [`AuthBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No secret was configured (`secret(…)`, `NEXTAUTH_SECRET` or `AUTH_SECRET`).
    #[error(
        "no secret configured: set NEXTAUTH_SECRET (or AUTH_SECRET), or call .secret(…); `tessera secret` prints a new one"
    )]
    MissingSecret,
    /// The secret is too short to be safe.
    #[error("the secret is too short ({0} bytes); use at least 16 (`tessera secret` prints a good one)")]
    WeakSecret(usize),
    /// An older secret, still accepted for decoding (rotation), is too short to be safe.
    #[error(
        "older secret #{position} (after the current one, e.g. AUTH_SECRET_{position}) is too short ({len} bytes); every secret needs at least 16"
    )]
    WeakOldSecret {
        /// Its place among the older secrets, from 1.
        position: usize,
        /// Its length in bytes.
        len: usize,
    },
    /// The URL could not be parsed or is not http(s).
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// What was given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// Two providers share an id.
    #[error("two providers have the id {0:?}")]
    DuplicateProvider(String),
    /// A provider id that cannot be a path segment.
    #[error("provider id {0:?} must be non-empty and use only a-z, A-Z, 0-9, '-' and '_'")]
    InvalidProviderId(String),
    /// A cookie name or attribute that cannot be put in a header.
    #[error("invalid cookie setting {0:?}")]
    InvalidCookie(String),
    /// A lifetime that is zero (where that makes no sense) or not a whole number of
    /// seconds (cookies and tokens count in seconds).
    #[error("{0} must be a whole number of seconds, and at least one second")]
    InvalidDuration(&'static str),
    /// A duration longer than [`MAX_DURATION_SECS`] (10 years): such values overflow date
    /// arithmetic and are certainly a mistake.
    #[error("{0} is longer than 10 years ({MAX_DURATION_SECS} seconds)")]
    DurationTooLong(&'static str),
    /// An email provider needs an adapter to store its tokens.
    #[error("the email provider {0:?} needs an adapter (it stores verification tokens): call .adapter(…)")]
    EmailWithoutAdapter(String),
    /// The database strategy needs an adapter.
    #[error("session strategy Database needs an adapter: call .adapter(…)")]
    DatabaseWithoutAdapter,
    /// A page URL that is neither a path nor an http(s) URL.
    #[error("invalid page URL {0:?}: use a path starting with '/' or an absolute http(s) URL")]
    InvalidPage(String),
    /// A theme value that could break out of its CSS or HTML context.
    #[error("invalid theme value {0:?}")]
    InvalidTheme(String),
    /// An OAuth provider is misconfigured.
    #[error("OAuth provider {id:?}: {reason}")]
    InvalidProvider {
        /// The provider's id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// OAuth providers need an HTTP client: enable the `reqwest` feature or call
    /// `.http_client(…)`; or the default one could not be built.
    #[error("no HTTP client for OAuth: {0}")]
    HttpClient(String),
    /// An allowed host that is not `host` or `host:port`.
    #[error(
        "invalid allowed host {0:?}: use host or host:port, without scheme or path (AUTH_ALLOWED_HOSTS=app.example.com,www.example.com:8443)"
    )]
    InvalidAllowedHost(String),
    /// An email provider under trust-host mode with neither a URL nor allowed hosts: its
    /// links would be built from whatever host the request names.
    #[error(
        "the email provider {0:?} would build sign-in links from the request's Host (trust_host / AUTH_TRUST_HOST / VERCEL without a URL): set NEXTAUTH_URL (or AUTH_URL, or call .url(…)), or list the site's hosts in AUTH_ALLOWED_HOSTS (or call .allowed_hosts(…))"
    )]
    EmailNeedsTrustedHost(String),
    /// A trusted proxy (`AUTH_TRUSTED_PROXIES` or `trusted_proxies(…)`) that is neither an IP
    /// address nor a CIDR.
    #[error("invalid trusted proxy {0:?}: use an IP address (127.0.0.1, ::1) or a CIDR (10.0.0.0/8)")]
    InvalidTrustedProxy(String),
    /// The password provider stores its hashes in the adapter.
    #[error("the password provider {0:?} needs an adapter (it stores users and password hashes): call .adapter(…)")]
    PasswordWithoutAdapter(String),
    /// The adapter does not store password hashes ([`Adapter::password_support`]).
    #[error("the password provider {id:?} cannot use this adapter: {reason}")]
    PasswordsUnsupported {
        /// The provider's id.
        id: String,
        /// What the adapter said.
        reason: String,
    },
    /// The password provider sends its mails through an email provider's mailer, and none
    /// is configured.
    #[error(
        "the password provider {0:?} sends verification and reset mails through an email provider: add one, e.g. .provider(EmailProvider::new(mailer))"
    )]
    PasswordWithoutEmail(String),
    /// The password provider's email provider is not one of the configured ones, or
    /// several are configured and it names none.
    #[error(
        "the password provider {id:?} cannot tell which email provider sends its mails ({reason}): call .email_provider(\"<id>\") on it"
    )]
    PasswordEmailProvider {
        /// The provider's id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// More than one password provider: the `/password/*` routes serve one.
    #[error("only one password provider may be configured (the /password/* routes serve one)")]
    DuplicatePasswordProvider,
    /// The password provider is misconfigured (Argon2id parameters Argon2 refuses, a reset
    /// link valid for more than a day).
    #[error("the password provider {id:?}: {reason}")]
    InvalidPasswordProvider {
        /// The provider's id.
        id: String,
        /// Argon2's reason.
        reason: String,
    },
    /// The email provider's one-time codes are misconfigured (a code valid for longer than
    /// the link, a number of tries out of range).
    #[error("the email provider {id:?}: {reason}")]
    InvalidEmailProvider {
        /// The provider's id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// Two-factor sign-in stores its set-ups in the adapter.
    #[error("two-factor sign-in needs an adapter (it stores secrets and recovery codes): call .adapter(…)")]
    TwoFactorWithoutAdapter,
    /// The adapter does not store two-factor set-ups ([`Adapter::two_factor_support`]).
    #[error("two-factor sign-in cannot use this adapter: {0}")]
    TwoFactorUnsupported(String),
    /// `AUTH_COMPAT` is neither `v4` nor `v5`.
    #[error("invalid AUTH_COMPAT {0:?}: use v4 (next-auth 4, the default) or v5 (Auth.js v5, next-auth 5)")]
    InvalidCompat(String),
}

pub use crate::session::MAX_DURATION_SECS;
use crate::session::seconds;

/// The shortest secret accepted, in bytes.
const MIN_SECRET_BYTES: usize = 16;

/// The secret of the spec's test vectors, accepted only after
/// [`AuthBuilder::insecure_test_vector_secret`].
const TEST_VECTOR_SECRET: &str = "secret";

/// Custom page URLs (spec §2.5–2.11). Each replaces a built-in page with a redirect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pages {
    /// Sign-in page.
    pub sign_in: Option<String>,
    /// Sign-out page.
    pub sign_out: Option<String>,
    /// Error page.
    pub error: Option<String>,
    /// "Check your email" page.
    pub verify_request: Option<String>,
    /// Where new users land after their first sign-in.
    pub new_user: Option<String>,
}

/// Where sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStrategy {
    /// An encrypted JWT in the cookie (the default without an adapter).
    Jwt,
    /// An opaque token in the cookie, the session in the adapter (the default with one).
    Database,
}

/// Session lifetimes, in whole seconds (checked by [`AuthBuilder::build`]).
///
/// ```
/// use std::time::Duration;
/// use tessera::SessionOptions;
///
/// let options = SessionOptions { max_age: Duration::from_secs(7 * 24 * 3600), ..Default::default() };
/// let auth = tessera::Auth::builder().secret("0123456789abcdef").session(options).build();
/// assert!(auth.is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionOptions {
    /// How long a session lives without activity (default 30 days; at least one second).
    pub max_age: Duration,
    /// Database strategy: how often to extend a session in the database (default 1 day;
    /// zero extends it at every read).
    pub update_age: Duration,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            max_age: Duration::from_secs(30 * 24 * 60 * 60),
            update_age: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// [`SessionOptions`] as the engine counts them: seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionLifetimes {
    pub max_age: i64,
    pub update_age: i64,
}

/// Everything that depends on whether cookies are secure: names, and keys salted with names.
#[derive(Debug)]
pub(crate) struct CookieProfile {
    pub cookies: CookieSet,
    pub session_codec: JweCodec,
    /// Keys of the OAuth check cookies (salt = each cookie's name).
    pub check_codecs: CheckCodecs,
}

/// One codec per OAuth check cookie.
#[derive(Debug)]
pub(crate) struct CheckCodecs {
    pub state: JweCodec,
    pub pkce: JweCodec,
    pub nonce: JweCodec,
}

impl CookieProfile {
    fn new(compat: Compat, cookies: CookieSet, secrets: &[Secret]) -> Self {
        let session_salt = match compat {
            Compat::NextAuthV4 => "",
            Compat::AuthJsV5 => cookies.session_token.name.as_str(),
        };
        CookieProfile {
            session_codec: JweCodec::new(compat, secrets, session_salt),
            check_codecs: CheckCodecs {
                state: JweCodec::new(compat, secrets, &cookies.state.name),
                pkce: JweCodec::new(compat, secrets, &cookies.pkce_code_verifier.name),
                nonce: JweCodec::new(compat, secrets, &cookies.nonce.name),
            },
            cookies,
        }
    }
}

/// The validated configuration behind an [`Auth`](crate::Auth).
pub(crate) struct Config {
    pub url: BaseUrl,
    /// `AUTH_TRUST_HOST` without a configured URL: the origin comes from the request.
    pub trust_host: bool,
    /// Trust-host mode: the hosts the origin may name (empty: any host).
    pub allowed_hosts: crate::allowed_hosts::AllowedHosts,
    pub secrets: Vec<Secret>,
    pub compat: Compat,
    pub use_secure_cookies: Option<bool>,
    /// Cookie names and codecs for an `http:` origin.
    pub plain_profile: CookieProfile,
    /// Cookie names and codecs for an `https:` origin (`__Secure-`/`__Host-` names).
    pub secure_profile: CookieProfile,
    pub providers: Vec<Provider>,
    pub adapter: Option<Arc<dyn Adapter>>,
    /// When the adapter's expired sessions and tokens were last purged.
    pub purge: crate::adapter::PurgeSchedule,
    /// Outbound HTTP for OAuth (set when an OAuth provider is configured).
    pub http: Option<Arc<dyn HttpClient>>,
    /// Where sessions live: resolved from the strategy and the adapter.
    pub store: crate::session::SessionStore,
    /// The app's callbacks, or [`DefaultCallbacks`](crate::callbacks::DefaultCallbacks).
    pub callbacks: Arc<dyn Callbacks>,
    /// The app's events, or none (each does nothing).
    pub events: Arc<dyn Events>,
    /// Whether the app set callbacks / events. Without them, the session read path (the
    /// preamble's `redirect`, `jwt` and `session` on `GET /session`, the `session` event)
    /// skips the default hooks, which do nothing but cost a boxed future each:
    /// `benches/profile.rs` under callgrind, `GET /session` of an app without callbacks:
    /// 60,640 instructions (JWT) and 34,818 (database) through the defaults, 57,087 and
    /// 30,738 skipping them.
    pub custom_callbacks: bool,
    pub custom_events: bool,
    pub session: SessionLifetimes,
    pub jwt_max_age: i64,
    pub pages: Pages,
    pub theme: Theme,
    pub max_body_bytes: usize,
    pub rate_limits: crate::rate_limit::RateLimits,
    /// The counters: in memory, and in the shared store when one is set.
    pub limits: crate::rate_limit::Limits,
    /// Whose forwarded headers name the client (`AUTH_TRUSTED_PROXIES`).
    pub proxies: crate::client_addr::TrustedProxies,
    /// Provider token refreshes: the OAuth providers, the HTTP client, the flights.
    pub refresher: crate::refresh::Refresher,
    /// The revoked JWT sessions (`session::revocations`).
    pub revocations: Arc<crate::session::revocations::RevocationList>,
    /// Database-session reads kept in memory (`session::cache`).
    pub session_cache: Arc<crate::session::cache::SessionCache>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("url", &self.url)
            .field("trust_host", &self.trust_host)
            .field("compat", &self.compat)
            .field("providers", &self.providers)
            .field("store", &self.store)
            .field("session", &self.session)
            .field("pages", &self.pages)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub(crate) fn profile(&self, url: &BaseUrl) -> &CookieProfile {
        let secure = self.use_secure_cookies.unwrap_or_else(|| url.is_https());
        if secure {
            &self.secure_profile
        } else {
            &self.plain_profile
        }
    }
}

/// Builds an [`Auth`](crate::Auth).
///
/// ```
/// use tessera::{Auth, User};
/// use tessera::providers::{CredentialsProvider, Credentials};
///
/// let auth = Auth::builder()
///     .url("https://app.example.com")
///     .secret("a long random secret, from `tessera secret`")
///     .provider(CredentialsProvider::new(|_c: Credentials| async { Ok(Some(User::new("1"))) }))
///     .build()
///     .expect("valid configuration");
/// assert_eq!(auth.base_path(), "/api/auth");
///
/// assert!(Auth::builder().build().is_err()); // no secret: refuses to start
/// ```
#[must_use]
pub struct AuthBuilder {
    url: Option<String>,
    trust_host: bool,
    allowed_hosts: Vec<String>,
    secrets: Vec<Secret>,
    /// Set in code; wins over `AUTH_COMPAT`.
    compat: Option<Compat>,
    /// `AUTH_COMPAT` as read by `from_env`, parsed (or refused) in `build`.
    compat_env: Option<String>,
    use_secure_cookies: Option<bool>,
    cookies: Option<CookieSet>,
    providers: Vec<Provider>,
    adapter: Option<Arc<dyn Adapter>>,
    http: Option<Arc<dyn HttpClient>>,
    strategy: Option<SessionStrategy>,
    callbacks: Option<Arc<dyn Callbacks>>,
    events: Option<Arc<dyn Events>>,
    session: SessionOptions,
    jwt_max_age: Option<Duration>,
    pages: Pages,
    theme: Theme,
    max_body_bytes: usize,
    rate_limits: crate::rate_limit::RateLimits,
    rate_limit_store: Option<Arc<dyn crate::rate_limit::RateLimitStore>>,
    session_cache_ttl: Duration,
    allow_test_vector_secret: bool,
    trusted_proxies: Option<Vec<String>>,
}

impl std::fmt::Debug for AuthBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthBuilder")
            .field("url", &self.url)
            .field("compat", &self.compat)
            .field("providers", &self.providers)
            .finish_non_exhaustive()
    }
}

impl Default for AuthBuilder {
    fn default() -> Self {
        AuthBuilder {
            url: None,
            trust_host: false,
            allowed_hosts: Vec::new(),
            secrets: Vec::new(),
            compat: None,
            compat_env: None,
            use_secure_cookies: None,
            cookies: None,
            providers: Vec::new(),
            adapter: None,
            http: None,
            strategy: None,
            callbacks: None,
            events: None,
            session: SessionOptions::default(),
            jwt_max_age: None,
            pages: Pages::default(),
            theme: Theme::default(),
            max_body_bytes: 64 * 1024,
            rate_limits: crate::rate_limit::RateLimits::default(),
            rate_limit_store: None,
            session_cache_ttl: crate::session::cache::DEFAULT_TTL,
            allow_test_vector_secret: false,
            trusted_proxies: None,
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl AuthBuilder {
    /// Reads NextAuth's environment variables: `NEXTAUTH_URL` / `AUTH_URL`,
    /// `NEXTAUTH_SECRET` / `AUTH_SECRET` (plus `AUTH_SECRET_1` … `AUTH_SECRET_3`, older
    /// secrets still accepted for decoding), `AUTH_TRUST_HOST` / `VERCEL`, and Tessera's own
    /// `AUTH_ALLOWED_HOSTS` (comma-separated `host[:port]`, see [`AuthBuilder::allowed_hosts`]),
    /// `AUTH_TRUSTED_PROXIES` (comma-separated IPs and CIDRs, see
    /// [`AuthBuilder::trusted_proxies`]) and `AUTH_COMPAT` (`v4` or `v5`, see
    /// [`AuthBuilder::compat`]; any other value fails `build` with
    /// [`ConfigError::InvalidCompat`]).
    /// Values set in code before or after this call win over unset ones.
    pub fn from_env(mut self) -> Self {
        if self.url.is_none() {
            self.url = env("NEXTAUTH_URL").or_else(|| env("AUTH_URL"));
        }
        if self.secrets.is_empty() {
            if let Some(s) = env("NEXTAUTH_SECRET").or_else(|| env("AUTH_SECRET")) {
                self.secrets.push(Secret::new(s));
            }
            for i in 1..=3 {
                if let Some(s) = env(&format!("AUTH_SECRET_{i}")) {
                    self.secrets.push(Secret::new(s));
                }
            }
        }
        if env("AUTH_TRUST_HOST").is_some() || env("VERCEL").is_some() {
            self.trust_host = true;
        }
        if self.allowed_hosts.is_empty()
            && let Some(hosts) = env("AUTH_ALLOWED_HOSTS")
        {
            self.allowed_hosts = split_list(&hosts);
        }
        if self.trusted_proxies.is_none()
            && let Some(list) = env("AUTH_TRUSTED_PROXIES")
        {
            self.trusted_proxies = Some(split_list(&list));
        }
        if self.compat.is_none() {
            self.compat_env = env("AUTH_COMPAT");
        }
        self
    }

    /// The canonical URL of the app, optionally with the base path
    /// (`https://app.example.com` or `https://app.example.com/auth`).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Without a configured URL, take the origin from `X-Forwarded-Host`/`Host` and
    /// `X-Forwarded-Proto`. Only enable this behind a proxy that sets those headers, and
    /// list the site's hosts with [`AuthBuilder::allowed_hosts`]. The scheme is https
    /// unless `X-Forwarded-Proto: http` says otherwise; state-changing POSTs whose `Origin`
    /// differs from the origin so built are refused, so a plain-http proxy must send it.
    pub fn trust_host(mut self, trust: bool) -> Self {
        self.trust_host = trust;
        self
    }

    /// The hosts (`host` or `host:port`) a trust-host deployment answers for; also read from
    /// `AUTH_ALLOWED_HOSTS` by [`AuthBuilder::from_env`]. Hosts compare case-insensitively;
    /// a host without a port means the scheme's default port.
    ///
    /// With [`trust_host`](AuthBuilder::trust_host) and no URL, the origin of links and
    /// redirects comes from `X-Forwarded-Host`/`Host`. With this list set, a request naming
    /// any other host gets `400` before it is routed: no link, redirect or provider URL is
    /// ever built from it. It has no effect when a URL is configured (the URL wins).
    ///
    /// Without the list, trust-host mode answers for any host, as NextAuth does (deployments
    /// on Vercel rely on it): every redirect then goes back to the host the client itself
    /// sent, which a forged header cannot turn against someone else, and `build` logs a
    /// warning. Magic links are different (they are mailed to someone else), so an email
    /// provider under trust-host mode needs a URL or this list, or `build` fails with
    /// [`ConfigError::EmailNeedsTrustedHost`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tessera::Auth;
    /// use tessera::adapter::MemoryAdapter;
    /// use tessera::providers::email::{EmailProvider, Mailer, MailerError, VerificationRequest};
    ///
    /// struct NoMail;
    /// #[tessera::async_trait]
    /// impl Mailer for NoMail {
    ///     async fn send(&self, _r: VerificationRequest<'_>) -> Result<(), MailerError> { Ok(()) }
    /// }
    /// let builder = || Auth::builder()
    ///     .secret("0123456789abcdef")
    ///     .trust_host(true)
    ///     .adapter(MemoryAdapter::new())
    ///     .provider(EmailProvider::new(NoMail));
    /// assert!(builder().build().is_err()); // links would trust any Host
    /// assert!(builder().allowed_hosts(["app.example.com", "www.example.com"]).build().is_ok());
    /// ```
    pub fn allowed_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_hosts = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// The reverse proxies in front of the app, as IP addresses and CIDRs (`127.0.0.1/32`,
    /// `10.0.0.0/8`, `::1`); `AUTH_TRUSTED_PROXIES` in [`AuthBuilder::from_env`]. A malformed
    /// entry fails [`AuthBuilder::build`].
    ///
    /// The per-client rate limits key on the client's address: the connection's peer, or,
    /// when the peer is one of these, the right-most `X-Forwarded-For` entry (or RFC 7239
    /// `Forwarded` `for=`, read only when there is no `X-Forwarded-For`) that is not one of
    /// these. Entries the client wrote itself are never believed. This is independent of
    /// [`AuthBuilder::trust_host`]. The peer comes from the framework integration
    /// ([`crate::rate_limit::ClientIp`]; with `tessera-axum`, serve with
    /// `into_make_service_with_connect_info`).
    ///
    /// ```
    /// let auth = tessera::Auth::builder()
    ///     .secret("0123456789abcdef")
    ///     .trusted_proxies(["127.0.0.1", "10.0.0.0/8"])
    ///     .build()
    ///     .unwrap();
    /// # drop(auth);
    /// let err = tessera::Auth::builder()
    ///     .secret("0123456789abcdef")
    ///     .trusted_proxies(["10.0.0.0/33"])
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err, tessera::ConfigError::InvalidTrustedProxy("10.0.0.0/33".into()));
    /// ```
    pub fn trusted_proxies<I, S>(mut self, proxies: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.trusted_proxies = Some(proxies.into_iter().map(Into::into).collect());
        self
    }

    /// The secret. Call again to add older secrets that are still accepted (rotation).
    pub fn secret(mut self, secret: impl Into<Secret>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    /// **Insecure; for tests only.** Accepts the literal `"secret"` as the current secret,
    /// so the spec's test vectors (and next-auth fixtures made with it) can be replayed.
    /// Every other secret must be at least 16 bytes long. Never call this in an application.
    #[doc(hidden)]
    pub fn insecure_test_vector_secret(mut self) -> Self {
        self.allow_test_vector_secret = true;
        self
    }

    /// Which protocol generation to speak (default next-auth v4); `AUTH_COMPAT=v4|v5` in
    /// [`AuthBuilder::from_env`].
    pub fn compat(mut self, compat: Compat) -> Self {
        self.compat = Some(compat);
        self
    }

    /// Forces `Secure` cookies and prefixed names on or off (default: when the URL is https).
    pub fn use_secure_cookies(mut self, secure: bool) -> Self {
        self.use_secure_cookies = Some(secure);
        self
    }

    /// Replaces the cookie names and attributes.
    pub fn cookies(mut self, cookies: CookieSet) -> Self {
        self.cookies = Some(cookies);
        self
    }

    /// Adds a provider.
    pub fn provider(mut self, provider: impl Into<Provider>) -> Self {
        self.providers.push(provider.into());
        self
    }

    /// Turns on two-factor sign-in ([`TwoFactor`](crate::TwoFactor)): the
    /// `/two-factor/{setup,enable,disable}` routes, and the `two-factor` provider that
    /// finishes the sign-in of a user with a set-up. Needs an adapter that stores set-ups.
    pub fn two_factor(self, two_factor: crate::TwoFactor) -> Self {
        self.provider(Provider::TwoFactor(two_factor))
    }

    /// Stores users, accounts and sessions (and makes database sessions the default).
    /// Takes an adapter, or a shared one (`Arc<dyn Adapter>`, `Arc<MemoryAdapter>`):
    /// `Arc<A>` is an [`Adapter`] too.
    pub fn adapter(mut self, adapter: impl Adapter) -> Self {
        self.adapter = Some(Arc::new(adapter));
        self
    }

    /// Replaces the HTTP client OAuth providers use (default: [`crate::oauth::ReqwestClient`]
    /// with the `reqwest` feature). Tests use this to intercept requests. Takes a client or
    /// a shared one (`Arc<dyn HttpClient>`): `Arc<C>` is an [`HttpClient`] too.
    pub fn http_client(mut self, client: impl HttpClient) -> Self {
        self.http = Some(Arc::new(client));
        self
    }

    /// Chooses the session strategy (default: database with an adapter, else JWT).
    pub fn session_strategy(mut self, strategy: SessionStrategy) -> Self {
        self.strategy = Some(strategy);
        self
    }

    /// Sets the callbacks.
    pub fn callbacks(mut self, callbacks: impl Callbacks) -> Self {
        self.callbacks = Some(Arc::new(callbacks));
        self
    }

    /// Sets the event handlers.
    pub fn events(mut self, events: impl Events) -> Self {
        self.events = Some(Arc::new(events));
        self
    }

    /// Session lifetimes (whole seconds).
    pub fn session(mut self, options: SessionOptions) -> Self {
        self.session = options;
        self
    }

    /// Lifetime of the JWT written at sign-in (default 30 days, like NextAuth's `jwt.maxAge`;
    /// whole seconds, at least one).
    ///
    /// ```
    /// use std::time::Duration;
    /// let auth = tessera::Auth::builder().secret("0123456789abcdef").jwt_max_age(Duration::from_secs(3600)).build();
    /// assert!(auth.is_ok());
    /// let err = tessera::Auth::builder().secret("0123456789abcdef").jwt_max_age(Duration::ZERO).build().unwrap_err();
    /// assert_eq!(err, tessera::ConfigError::InvalidDuration("jwt_max_age"));
    /// ```
    pub fn jwt_max_age(mut self, max_age: Duration) -> Self {
        self.jwt_max_age = Some(max_age);
        self
    }

    /// Custom pages.
    pub fn pages(mut self, pages: Pages) -> Self {
        self.pages = pages;
        self
    }

    /// The look of the built-in pages.
    pub fn theme(mut self, theme: Theme) -> Self {
        self.theme = theme;
        self
    }

    /// The largest request body accepted (default 64 KiB); larger ones get 413.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Abuse limits on email and credentials sign-in (on by default; see [`crate::rate_limit`]).
    pub fn rate_limits(mut self, limits: crate::rate_limit::RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    /// Keeps the rate-limit counts in a store shared by every instance (Redis, with
    /// `tessera-redis`), so that limits hold across a load balancer; without one, each
    /// process counts alone. When the store fails, the engine counts in memory until it
    /// answers again: see [`crate::rate_limit`]'s "Shared across instances".
    pub fn rate_limit_store(mut self, store: impl crate::rate_limit::RateLimitStore) -> Self {
        self.rate_limit_store = Some(Arc::new(store));
        self
    }

    /// How long a database-session read may be served from memory (default 30 s;
    /// `Duration::ZERO` turns the cache off). The cache serves only once enabled, which
    /// `tessera-redis` does while it receives the other instances' invalidations: see
    /// [`SessionCache`](crate::session_cache::SessionCache).
    ///
    /// A single process, whose own writes are the only ones, may turn the cache on itself:
    ///
    /// ```
    /// use std::time::Duration;
    /// use tessera::adapter::MemoryAdapter;
    ///
    /// let auth = tessera::Auth::builder()
    ///     .secret("0123456789abcdef")
    ///     .adapter(MemoryAdapter::new())
    ///     .session_cache_ttl(Duration::from_secs(10))
    ///     .build()
    ///     .expect("valid configuration");
    /// assert!(!auth.session_cache().is_enabled()); // off until enabled
    /// auth.session_cache().enable();
    /// assert_eq!(auth.session_cache().ttl(), Duration::from_secs(10));
    /// ```
    pub fn session_cache_ttl(mut self, ttl: Duration) -> Self {
        self.session_cache_ttl = ttl;
        self
    }

    /// Validates everything and derives the keys: the body of [`AuthBuilder::build`] (in
    /// `lib.rs`, the facade, which owns `Auth`).
    pub(crate) fn into_config(mut self) -> Result<Config, ConfigError> {
        check_secrets(&self.secrets, self.allow_test_vector_secret)?;
        let compat = match (self.compat, self.compat_env.as_deref()) {
            (Some(compat), _) => compat,
            (None, Some(raw)) => raw.parse().map_err(|_| ConfigError::InvalidCompat(raw.to_owned()))?,
            (None, None) => Compat::default(),
        };
        let raw_url = self.url.as_deref().unwrap_or("http://localhost:3000");
        let url = BaseUrl::parse(raw_url).map_err(|reason| ConfigError::InvalidUrl {
            url: raw_url.to_owned(),
            reason,
        })?;
        let trust_host = self.trust_host && self.url.is_none();
        let allowed_hosts = crate::allowed_hosts::AllowedHosts::parse(self.allowed_hosts.iter().map(String::as_str))
            .map_err(|bad| ConfigError::InvalidAllowedHost(bad.to_owned()))?;
        if trust_host && allowed_hosts.is_empty() {
            if let Some(p) = self.providers.iter().find(|p| matches!(p, Provider::Email(_))) {
                return Err(ConfigError::EmailNeedsTrustedHost(p.id().to_owned()));
            }
            tracing::warn!(
                "trust_host without a URL or allowed hosts: the origin comes from any Host the client sends; set AUTH_ALLOWED_HOSTS to restrict it"
            );
        }

        let mut seen = HashSet::new();
        for p in &self.providers {
            let id = p.id();
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                return Err(ConfigError::InvalidProviderId(id.to_owned()));
            }
            if !seen.insert(id) {
                return Err(ConfigError::DuplicateProvider(id.to_owned()));
            }
            match p {
                Provider::OAuth(o) => o.validate().map_err(|reason| ConfigError::InvalidProvider {
                    id: o.id.clone(),
                    reason,
                })?,
                // 0 is allowed: links and codes that expire at once (tests use it).
                Provider::Email(e) => {
                    if e.max_age != 0 {
                        check_duration("EmailProvider::max_age", e.max_age)?;
                    }
                    if let Some(code_max_age) = e.code_max_age.filter(|a| *a != 0) {
                        check_duration("EmailProvider::code_max_age", code_max_age)?;
                    }
                    let invalid = |reason: &str| ConfigError::InvalidEmailProvider {
                        id: e.id.clone(),
                        reason: reason.into(),
                    };
                    if e.code_lifetime() > e.max_age {
                        return Err(invalid(
                            "a code may not be valid for longer than the link (code_max_age)",
                        ));
                    }
                    if !(1..=20).contains(&e.code_tries) {
                        return Err(invalid("code_tries must be from 1 to 20"));
                    }
                }
                Provider::Password(p)
                    if p.reset_max_age != 0
                        && check_duration("PasswordProvider::reset_link_max_age", p.reset_max_age)? > 24 * 60 * 60 =>
                {
                    return Err(ConfigError::InvalidPasswordProvider {
                        id: p.id.clone(),
                        reason: "a reset link may be valid for a day at most (reset_link_max_age)".into(),
                    });
                }
                _ => {}
            }
        }
        let http = match self.http {
            Some(h) => Some(h),
            None if self.providers.iter().any(|p| matches!(p, Provider::OAuth(_))) => Some(default_http_client()?),
            None => None,
        };
        let session = SessionLifetimes {
            max_age: check_duration("session.max_age", seconds(self.session.max_age))?,
            update_age: match seconds(self.session.update_age) {
                0 => 0,
                secs => check_duration("session.update_age", secs)?,
            },
        };
        let jwt_max_age = match self.jwt_max_age {
            Some(d) => check_duration("jwt_max_age", seconds(d))?,
            None => 30 * 24 * 60 * 60,
        };
        for page in [
            &self.pages.sign_in,
            &self.pages.sign_out,
            &self.pages.error,
            &self.pages.verify_request,
            &self.pages.new_user,
        ]
        .into_iter()
        .flatten()
        {
            if !crate::redirect::is_valid_callback_url(page) || page.bytes().any(|b| b.is_ascii_control()) {
                return Err(ConfigError::InvalidPage(page.clone()));
            }
        }
        if let Some(bad) = self.theme.invalid() {
            return Err(ConfigError::InvalidTheme(bad.to_owned()));
        }
        let strategy = self.strategy.unwrap_or(if self.adapter.is_some() {
            SessionStrategy::Database
        } else {
            SessionStrategy::Jwt
        });
        let session_cache = Arc::new(crate::session::cache::SessionCache::new(self.session_cache_ttl));
        let store = match (strategy, &mut self.adapter) {
            (SessionStrategy::Jwt, _) => crate::session::SessionStore::Jwt,
            (SessionStrategy::Database, Some(adapter)) => {
                // Every engine read and write of sessions goes through the cache.
                let cached: Arc<dyn Adapter> = Arc::new(crate::session::cache::CachedSessions {
                    inner: adapter.clone(),
                    cache: session_cache.clone(),
                });
                *adapter = cached.clone();
                crate::session::SessionStore::Database(cached)
            }
            (SessionStrategy::Database, None) => return Err(ConfigError::DatabaseWithoutAdapter),
        };
        if self.adapter.is_none()
            && let Some(p) = self.providers.iter().find(|p| matches!(p, Provider::Email(_)))
        {
            return Err(ConfigError::EmailWithoutAdapter(p.id().to_owned()));
        }

        resolve_password_providers(&mut self.providers, self.adapter.as_deref())?;
        if self.providers.iter().any(|p| matches!(p, Provider::TwoFactor(_))) {
            let adapter = self.adapter.as_deref().ok_or(ConfigError::TwoFactorWithoutAdapter)?;
            adapter.two_factor_support().map_err(|e| {
                ConfigError::TwoFactorUnsupported(match e {
                    crate::adapter::AdapterError::Unsupported(reason) => reason,
                    other => other.to_string(),
                })
            })?;
        }

        let profile = |secure: bool| {
            let set = self
                .cookies
                .clone()
                .unwrap_or_else(|| CookieSet::defaults(compat, secure));
            CookieProfile::new(compat, set, &self.secrets)
        };
        let (plain_profile, secure_profile) = (profile(false), profile(true));
        for p in [&plain_profile, &secure_profile] {
            for def in p.cookies.all() {
                let o = &def.options;
                if !cookies::is_valid_name(&def.name)
                    || !cookies::is_valid_attribute(&o.path)
                    || o.domain.as_deref().is_some_and(|d| !cookies::is_valid_attribute(d))
                    || o.max_age.is_some_and(|m| m > MAX_DURATION_SECS)
                {
                    return Err(ConfigError::InvalidCookie(def.name.clone()));
                }
            }
        }

        let per_client_limits = self.rate_limits.email_per_client.is_some()
            || self.rate_limits.credentials_per_client.is_some()
            || self.rate_limits.two_factor_per_client.is_some();
        let proxies = crate::client_addr::TrustedProxies::parse(
            self.trusted_proxies.as_deref().unwrap_or_default(),
            per_client_limits,
        )
        .map_err(|bad| ConfigError::InvalidTrustedProxy(bad.to_owned()))?;

        let refresher = crate::refresh::Refresher::new(&self.providers, http.clone());
        let config = Config {
            url,
            trust_host,
            allowed_hosts,
            compat,
            use_secure_cookies: self.use_secure_cookies,
            plain_profile,
            secure_profile,
            providers: self.providers,
            adapter: self.adapter,
            purge: Default::default(),
            http,
            store,
            custom_callbacks: self.callbacks.is_some(),
            custom_events: self.events.is_some(),
            callbacks: self
                .callbacks
                .unwrap_or_else(|| Arc::new(crate::callbacks::DefaultCallbacks)),
            events: self.events.unwrap_or_else(|| Arc::new(crate::events::NoEvents)),
            session,
            jwt_max_age,
            pages: self.pages,
            theme: self.theme,
            max_body_bytes: self.max_body_bytes,
            rate_limits: self.rate_limits,
            limits: crate::rate_limit::Limits::new(self.rate_limit_store),
            proxies,
            refresher,
            revocations: Arc::default(),
            session_cache,
            secrets: self.secrets,
        };
        Ok(config)
    }
}

/// Checks the password provider's needs (one provider, an adapter that stores hashes, an
/// email provider) and gives it its hasher and mailer.
fn resolve_password_providers(providers: &mut [Provider], adapter: Option<&dyn Adapter>) -> Result<(), ConfigError> {
    let emails: Vec<(String, Arc<dyn crate::providers::Mailer>)> = providers
        .iter()
        .filter_map(|p| match p {
            Provider::Email(e) => Some((e.id.clone(), e.mailer.clone())),
            _ => None,
        })
        .collect();
    let mut seen = false;
    for p in providers.iter_mut() {
        let Provider::Password(p) = p else { continue };
        if std::mem::replace(&mut seen, true) {
            return Err(ConfigError::DuplicatePasswordProvider);
        }
        let id = p.id.clone();
        let adapter = adapter.ok_or_else(|| ConfigError::PasswordWithoutAdapter(id.clone()))?;
        adapter
            .password_support()
            .map_err(|e| ConfigError::PasswordsUnsupported {
                id: id.clone(),
                reason: match e {
                    crate::adapter::AdapterError::Unsupported(reason) => reason,
                    other => other.to_string(),
                },
            })?;
        let mailer = match (&p.email_provider, emails.as_slice()) {
            (_, []) => return Err(ConfigError::PasswordWithoutEmail(id)),
            (None, [(_, mailer)]) => mailer.clone(),
            (None, _) => {
                return Err(ConfigError::PasswordEmailProvider {
                    id,
                    reason: "several email providers are configured".into(),
                });
            }
            (Some(wanted), all) => match all.iter().find(|(e, _)| e == wanted) {
                Some((_, mailer)) => mailer.clone(),
                None => {
                    return Err(ConfigError::PasswordEmailProvider {
                        id,
                        reason: format!("no email provider has the id {wanted:?}"),
                    });
                }
            },
        };
        let hasher = crate::providers::password::Hasher::new(p.hash_params).map_err(|e| {
            ConfigError::InvalidPasswordProvider {
                id: id.clone(),
                reason: e.to_string(),
            }
        })?;
        p.resolved = Some(crate::providers::password::Resolved {
            hasher: Arc::new(hasher),
            mailer,
        });
    }
    Ok(())
}

/// Every secret needs [`MIN_SECRET_BYTES`]; `"secret"` passes as the current one only
/// with `allow_test_vector` (the spec's test vectors).
fn check_secrets(secrets: &[Secret], allow_test_vector: bool) -> Result<(), ConfigError> {
    let Some((first, older)) = secrets.split_first() else {
        return Err(ConfigError::MissingSecret);
    };
    let test_vector = allow_test_vector && first.expose() == TEST_VECTOR_SECRET;
    if first.expose().len() < MIN_SECRET_BYTES && !test_vector {
        return Err(ConfigError::WeakSecret(first.expose().len()));
    }
    if let Some((i, weak)) = older
        .iter()
        .enumerate()
        .find(|(_, s)| s.expose().len() < MIN_SECRET_BYTES)
    {
        return Err(ConfigError::WeakOldSecret {
            position: i + 1,
            len: weak.expose().len(),
        });
    }
    Ok(())
}

/// A lifetime in seconds: positive, and at most [`MAX_DURATION_SECS`]. Returns it.
fn check_duration(what: &'static str, secs: i64) -> Result<i64, ConfigError> {
    if secs <= 0 {
        return Err(ConfigError::InvalidDuration(what));
    }
    if secs > MAX_DURATION_SECS {
        return Err(ConfigError::DurationTooLong(what));
    }
    Ok(secs)
}

/// The non-empty items of a comma-separated list, trimmed.
fn split_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(feature = "reqwest")]
fn default_http_client() -> Result<Arc<dyn HttpClient>, ConfigError> {
    crate::oauth::ReqwestClient::new()
        .map(|c| Arc::new(c) as Arc<dyn HttpClient>)
        .map_err(|e| ConfigError::HttpClient(e.to_string()))
}

#[cfg(not(feature = "reqwest"))]
fn default_http_client() -> Result<Arc<dyn HttpClient>, ConfigError> {
    Err(ConfigError::HttpClient(
        "the `reqwest` feature is off: call .http_client(…)".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Auth;

    #[test]
    fn build_refuses_bad_configuration() {
        let ok = || Auth::builder().secret("0123456789abcdef");
        assert_eq!(Auth::builder().build().unwrap_err(), ConfigError::MissingSecret);
        assert!(matches!(
            Auth::builder().secret("short").build(),
            Err(ConfigError::WeakSecret(5))
        ));
        assert!(matches!(
            ok().url("nope://x").build(),
            Err(ConfigError::InvalidUrl { .. })
        ));
        let p = || crate::providers::CredentialsProvider::new(|_c: crate::providers::Credentials| async { Ok(None) });
        assert!(matches!(
            ok().provider(p()).provider(p()).build(),
            Err(ConfigError::DuplicateProvider(_))
        ));
        assert!(matches!(
            ok().provider(p().id("a/b")).build(),
            Err(ConfigError::InvalidProviderId(_))
        ));
        let pages = Pages {
            sign_in: Some("javascript:x".into()),
            ..Default::default()
        };
        assert!(matches!(ok().pages(pages).build(), Err(ConfigError::InvalidPage(_))));
        assert!(matches!(
            ok().session(SessionOptions {
                max_age: Duration::ZERO,
                update_age: Duration::ZERO
            })
            .build(),
            Err(ConfigError::InvalidDuration("session.max_age"))
        ));
        assert!(ok().build().is_ok());
    }

    #[test]
    fn auth_compat_from_the_environment_is_parsed_at_build() {
        let ok = || Auth::builder().secret("0123456789abcdef");
        let with_env = |raw: &str| {
            let mut b = ok();
            b.compat_env = Some(raw.to_owned());
            b
        };
        assert_eq!(
            with_env("v5").build().unwrap().session_cookie_name(),
            "authjs.session-token"
        );
        assert_eq!(
            with_env("v4").build().unwrap().session_cookie_name(),
            "next-auth.session-token"
        );
        assert_eq!(
            with_env("V5").build().unwrap_err(),
            ConfigError::InvalidCompat("V5".into())
        );
        assert_eq!(
            with_env("5").build().unwrap_err().to_string(),
            "invalid AUTH_COMPAT \"5\": use v4 (next-auth 4, the default) or v5 (Auth.js v5, next-auth 5)"
        );
        // Set in code, before or after `from_env`, it wins over the environment.
        assert_eq!(
            with_env("nonsense")
                .compat(Compat::AuthJsV5)
                .build()
                .unwrap()
                .session_cookie_name(),
            "authjs.session-token"
        );
        let set_first = ok().compat(Compat::AuthJsV5).from_env();
        assert_eq!(set_first.compat_env, None);
        assert_eq!(set_first.build().unwrap().session_cookie_name(), "authjs.session-token");
        assert_eq!(ok().build().unwrap().session_cookie_name(), "next-auth.session-token");
    }

    #[test]
    fn m2_trusted_proxies_list() {
        assert_eq!(
            split_list(" 127.0.0.1/32, 10.0.0.0/8 ,,"),
            ["127.0.0.1/32", "10.0.0.0/8"]
        );
        let ok = || Auth::builder().secret("0123456789abcdef");
        assert!(
            ok().trusted_proxies(split_list("127.0.0.1/32,10.0.0.0/8,::1"))
                .build()
                .is_ok()
        );
        assert_eq!(
            ok().trusted_proxies(split_list("127.0.0.1/32,localhost"))
                .build()
                .unwrap_err(),
            ConfigError::InvalidTrustedProxy("localhost".into())
        );
    }
}
