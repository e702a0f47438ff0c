//! # Tessera
//!
//! Authentication for Rust web applications: the NextAuth.js v4 REST protocol (sessions,
//! CSRF, providers, callbacks, built-in pages), as a sans-IO engine over `http` types.
//! Framework crates (`tessera-axum`) mount it; the unmodified `next-auth/react` client
//! talks to it; its cookies interoperate with next-auth given the same secret.
//!
//! ```
//! use bytes::Bytes;
//! use tessera::{Auth, User};
//! use tessera::providers::{Credentials, CredentialsProvider};
//!
//! # tokio_test();
//! # fn tokio_test() { tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let auth = Auth::builder()
//!     .url("http://localhost:3000")
//!     .secret("use `tessera secret` to make one")
//!     .provider(CredentialsProvider::new(|c: Credentials| async move {
//!         Ok((c.get("password") == Some("demo")).then(|| User::new("1").name("Demo")))
//!     }))
//!     .build()?;
//!
//! let req = http::Request::get("/api/auth/session").body(Bytes::new())?;
//! let res = auth.handle(req).await;
//! assert_eq!(res.status(), 200);
//! assert_eq!(res.body().as_ref(), b"{}"); // not signed in
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! # }).unwrap() }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adapter;
mod allowed_hosts;
pub mod callbacks;
mod client_addr;
mod compat;
mod config;
pub mod cookies;
// Public only for the integration tests and benchmarks (`csrf::hash` builds CSRF pairs).
#[doc(hidden)]
pub mod csrf;
pub mod events;
mod log_value;
pub mod oauth;
mod origin_check;
pub mod pages;
pub mod providers;
mod random;
pub mod rate_limit;
pub mod redirect;
pub mod refresh;
mod request;
mod response;
mod routes;
mod secret;
mod session;
mod user;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

pub use async_trait::async_trait;
pub use compat::Compat;
pub use config::{AuthBuilder, ConfigError, MAX_DURATION_SECS, Pages, SessionOptions, SessionStrategy};
pub use refresh::{AccessToken, TokenError};
pub use secret::Secret;
/// `Date.toISOString()` of a time, as next-auth writes `expires` (for `tessera-cli` and tests).
#[doc(hidden)]
pub use session::iso8601;
pub use session::jwt;
pub use session::{RevokeError, Token};
pub use tessera_protocol as protocol;
pub use tessera_protocol::{ErrorCode, Session, SessionUser};
pub use user::{Account, AccountType, User};

use config::{BaseUrl, Config, CookieProfile};
use csrf::Csrf;
use request::{AuthRequest, RequestError};
use response::AuthResponse;
use tessera_protocol::Action;

/// The authentication engine. Cheap to clone (an `Arc` inside); build one with
/// [`Auth::builder`] and share it.
#[derive(Clone)]
pub struct Auth {
    config: Arc<Config>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").field("config", &self.config).finish()
    }
}

/// The state one request carries through its route.
pub(crate) struct Ctx<'a> {
    pub config: &'a Config,
    pub url: Cow<'a, BaseUrl>,
    pub profile: &'a CookieProfile,
    pub req: AuthRequest,
    pub csrf: Csrf,
    /// The validated callback URL (spec §1.3 step 3).
    pub callback_url: String,
    pub now: SystemTime,
    /// The client's address, when known (its rate-limit key is computed only when needed).
    pub client: Option<std::net::IpAddr>,
}

impl Ctx<'_> {
    /// `<base>/<path>`.
    pub(crate) fn base_url(&self, path: &str) -> String {
        format!("{}/{path}", self.url.base)
    }

    /// `<base>/error?error=<code>`.
    pub(crate) fn error_url(&self, code: &str) -> String {
        redirect::with_param(&self.base_url("error"), "error", code)
    }

    pub(crate) fn csrf_verified(&self) -> bool {
        self.csrf.verify(self.req.body_str("csrfToken"))
    }
}

impl Auth {
    /// Starts a configuration.
    pub fn builder() -> AuthBuilder {
        AuthBuilder::default()
    }

    /// The base path the REST API is served under (default `/api/auth`).
    pub fn base_path(&self) -> &str {
        &self.config.url.path
    }

    /// The canonical origin (`scheme://host[:port]`).
    pub fn origin(&self) -> &str {
        &self.config.url.origin
    }

    /// The adapter, when one is configured: for user management from the app (deleting a
    /// user through it deletes their accounts and sessions too).
    pub fn adapter(&self) -> Option<&Arc<dyn adapter::Adapter>> {
        self.config.adapter.as_ref()
    }

    /// Ends every session of a user (for example after a password change), except `keep`
    /// (a session token). Returns how many ended.
    ///
    /// Needs database sessions: with the JWT strategy it fails with
    /// [`RevokeError::JwtSessions`], since a JWT stays valid until it expires and the
    /// server keeps no list of them (`GET /session` even extends them while they are
    /// used). Where revocation matters (password changes, banned or deleted users), use
    /// database sessions, or keep `session.max_age` short.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let auth = tessera::Auth::builder().secret("0123456789abcdef").build().unwrap(); // JWT
    /// let err = auth.revoke_user_sessions("1", None).await.unwrap_err();
    /// assert_eq!(err, tessera::RevokeError::JwtSessions);
    /// # });
    /// ```
    pub async fn revoke_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<u64, RevokeError> {
        if self.config.strategy == SessionStrategy::Jwt {
            return Err(RevokeError::JwtSessions);
        }
        match &self.config.adapter {
            Some(a) => Ok(a.delete_user_sessions(user_id, keep).await?),
            None => Err(RevokeError::NoAdapter),
        }
    }

    /// The largest request body the engine accepts.
    pub fn max_body_bytes(&self) -> usize {
        self.config.max_body_bytes
    }

    /// The URL of the sign-in page with a `callbackUrl` (a path or same-origin URL).
    ///
    /// ```
    /// let auth = tessera::Auth::builder().secret("0123456789abcdef").build().unwrap();
    /// assert_eq!(auth.sign_in_url("/protected?x=1"), "/api/auth/signin?callbackUrl=%2Fprotected%3Fx%3D1");
    /// ```
    pub fn sign_in_url(&self, callback_url: &str) -> String {
        let page = self
            .config
            .pages
            .sign_in
            .clone()
            .unwrap_or_else(|| format!("{}/signin", self.config.url.path));
        redirect::with_param(&page, "callbackUrl", callback_url)
    }

    /// Handles one request under the base path.
    pub async fn handle(&self, req: http::Request<Bytes>) -> http::Response<Bytes> {
        let config = &*self.config;
        let (parts, body) = req.into_parts();
        if body.len() > config.max_body_bytes {
            let msg = format!(
                r#"{{"message":"Request body too large (limit {} bytes)"}}"#,
                config.max_body_bytes
            );
            return AuthResponse::json(msg)
                .status(StatusCode::PAYLOAD_TOO_LARGE)
                .without_preamble()
                .finish(Vec::new(), false, "");
        }
        let url = match config.request_url(&parts.headers) {
            Ok(url) => url,
            Err(e) => return host_not_allowed(&e),
        };
        let route = AuthRequest::route(&parts.method, parts.uri.path(), &url.path);
        let (action, provider_id) = match route {
            Ok(r) => r,
            Err(e) => return unsupported(&e),
        };
        // Routes whose replies carry no preamble cookies skip the preamble entirely.
        if action == Action::Providers && parts.method == http::Method::GET {
            return routes::providers::get(config, &url);
        }
        if action == Action::Log && parts.method == http::Method::POST {
            return routes::log::post(&parts, &body);
        }
        if action == Action::Callback
            && !provider_id
                .as_deref()
                .is_some_and(|id| config.providers.iter().any(|p| p.id() == id))
        {
            return unsupported(&RequestError::Unsupported(parts.method.as_str().to_owned()));
        }
        let client = client_ip(config, &parts);
        let req = match AuthRequest::parse(parts, &body, action, provider_id) {
            Ok(r) => r,
            Err(e) => return bad_request(&e),
        };
        // Same-origin writes (L6): before any flow runs, whatever CSRF pair the request carries.
        let oauth_callback = action == Action::Callback
            && req.provider_id.as_deref().is_some_and(|id| {
                config
                    .providers
                    .iter()
                    .any(|p| p.id() == id && matches!(p, providers::Provider::OAuth(_)))
            });
        if origin_check::is_guarded(&req.method, action, oauth_callback)
            && let Err(why) = origin_check::check(&req.headers, &url.origin)
        {
            return origin_check::refusal(&req, &url, config, why);
        }
        let profile = config.profile(&url);

        // The preamble (spec §1.3): CSRF cookie, then the callback URL.
        let mut csrf = Csrf::from_cookie(
            req.cookies.get(&profile.cookies.csrf_token.name),
            &config.secrets,
            &profile.cookies.csrf_token,
        );
        let cookie_callback = req.cookies.get(&profile.cookies.callback_url.name);
        let query_callback = req.query("callbackUrl");
        if query_callback.is_some_and(|q| !redirect::is_valid_callback_url(q)) {
            return invalid_callback(&req, &url, config);
        }
        let param = req.body_str("callbackUrl").or(query_callback);
        // A stale or forged cookie is ignored rather than locking the browser out.
        let cookie = cookie_callback.filter(|c| *c == url.origin || redirect::is_valid_callback_url(c));
        let callback_url = match param.or(cookie) {
            Some(u) => config.redirect(u, &url.origin).await,
            None => url.origin.clone(),
        };
        let mut preamble = Vec::with_capacity(2);
        preamble.extend(csrf.set_cookie.take());
        if cookie_callback != Some(callback_url.as_str()) {
            preamble.push(profile.cookies.callback_url.set(&callback_url, None));
        }
        let json_redirect = req.body_str("json") == Some("true")
            || (config.compat == jwt::Compat::AuthJsV5
                && req.headers.get("x-auth-return-redirect").is_some_and(|v| v == "1"));
        let mut ctx = Ctx {
            config,
            url,
            profile,
            req,
            csrf,
            callback_url,
            now: SystemTime::now(),
            client,
        };
        let response = routes::dispatch(&mut ctx).await;
        response.finish(preamble, json_redirect, &ctx.url.origin)
    }

    /// The session for a request's headers, computed the way `GET /session` does (the
    /// `jwt` and `session` callbacks run) but without writing cookies: the
    /// `getServerSession` of Rust. `None` when signed out or the cookie is invalid (or, in
    /// trust-host mode with [allowed hosts](AuthBuilder::allowed_hosts), the host is not one).
    pub async fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let url = self.config.request_url(headers).ok()?;
        let profile = self.config.profile(&url);
        let cookies = cookies::RequestCookies::from_headers(headers);
        routes::session::read(&self.config, profile, &cookies, SystemTime::now()).await
    }

    /// The decoded session token for a request (`getToken`): the session cookie, or else
    /// an `Authorization: Bearer <token>` header. `None` on any error (a host outside the
    /// [allowed hosts](AuthBuilder::allowed_hosts) included).
    pub fn token(&self, headers: &HeaderMap) -> Option<Token> {
        let url = self.config.request_url(headers).ok()?;
        let profile = self.config.profile(&url);
        let cookies = cookies::RequestCookies::from_headers(headers);
        let raw = cookies.chunked(&profile.cookies.session_token.name).or_else(|| {
            let h = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
            let t = h.strip_prefix("Bearer ")?;
            percent_encoding::percent_decode_str(t)
                .decode_utf8()
                .ok()
                .map(Cow::into_owned)
        })?;
        let claims = profile
            .session_codec
            .decode(&raw, session::unix(SystemTime::now()))
            .ok()?;
        Some(Token::from_claims(claims))
    }

    /// Encodes a token as a session cookie value (for tests, migrations and tools), valid
    /// for `max_age` (whole seconds; a fraction is dropped).
    pub fn encode_token(&self, mut token: Token, max_age: std::time::Duration) -> String {
        let profile = self.config.profile(&self.config.url);
        let max_age = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
        profile
            .session_codec
            .encode_claims(token.claims_mut(), max_age, session::unix(SystemTime::now()))
    }

    /// The name of the session cookie for the configured URL.
    pub fn session_cookie_name(&self) -> &str {
        &self.config.profile(&self.config.url).cookies.session_token.name
    }
}

impl Config {
    /// The URL for this request: the configured one, or (trust host) one from the headers,
    /// whose host must be allowed when an allow-list is set (M5).
    fn request_url(&self, headers: &HeaderMap) -> Result<Cow<'_, BaseUrl>, allowed_hosts::HostNotAllowed> {
        if !self.trust_host {
            return Ok(Cow::Borrowed(&self.url));
        }
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let host = header("x-forwarded-host").or_else(|| header("host"));
        let proto = if header("x-forwarded-proto") == Some("http") {
            "http"
        } else {
            "https"
        };
        let parsed = host
            .filter(|h| !h.is_empty() && !h.contains(['/', '\\', '@', '?', '#']))
            .and_then(|host| BaseUrl::parse(&format!("{proto}://{host}{}", self.url.path)).ok());
        if self.allowed_hosts.is_empty() {
            return Ok(parsed.map_or(Cow::Borrowed(&self.url), Cow::Owned));
        }
        match parsed {
            Some(u) if self.allowed_hosts.allows(&u) => Ok(Cow::Owned(u)),
            _ => Err(allowed_hosts::HostNotAllowed(
                host.unwrap_or_default().chars().take(100).collect(),
            )),
        }
    }

    async fn redirect(&self, url: &str, origin: &str) -> String {
        match &self.callbacks {
            // The app's target may leave the origin on purpose (as in NextAuth), but must be
            // an http(s) URL or a path: anything else falls back to the origin.
            Some(cb) => {
                let target = cb.redirect(url, origin).await;
                if redirect::is_app_target(&target) {
                    target
                } else {
                    tracing::warn!(
                        "the redirect callback returned a target that is not an http(s) URL or a path; using the origin"
                    );
                    origin.to_owned()
                }
            }
            // The steady state (the cookie holds the origin) needs no parsing.
            None if url == origin => url.to_owned(),
            None => redirect::resolve(url, origin),
        }
    }
}

/// The client address: the peer from the framework ([`rate_limit::ClientIp`] in the
/// extensions), or what a trusted proxy reports (see `client_addr`).
fn client_ip(config: &Config, parts: &http::request::Parts) -> Option<std::net::IpAddr> {
    let peer = parts.extensions.get::<rate_limit::ClientIp>().map(|c| c.0);
    config.proxies.client(peer, &parts.headers)
}

fn unsupported(e: &RequestError) -> http::Response<Bytes> {
    AuthResponse::text(StatusCode::BAD_REQUEST, e.to_string())
        .without_preamble()
        .finish(Vec::new(), false, "")
}

/// A request naming a host outside the allow-list (M5): refused before anything is built
/// from it.
fn host_not_allowed(e: &allowed_hosts::HostNotAllowed) -> http::Response<Bytes> {
    tracing::warn!(error = %e, "request refused: host not in the allowed hosts");
    let body = serde_json::json!({
        "message": "This host is not allowed: the site's hosts are listed in AUTH_ALLOWED_HOSTS."
    });
    AuthResponse::json_value(&body)
        .status(StatusCode::BAD_REQUEST)
        .without_preamble()
        .finish(Vec::new(), false, "")
}

fn bad_request(e: &RequestError) -> http::Response<Bytes> {
    let body = serde_json::json!({ "message": e.to_string() });
    AuthResponse::json_value(&body)
        .status(StatusCode::BAD_REQUEST)
        .without_preamble()
        .finish(Vec::new(), false, "")
}

/// A query `callbackUrl` that is not a path or http(s) URL. NextAuth answers 500; a
/// client's mistake deserves a 400, with the built-in error page for page routes.
fn invalid_callback(req: &AuthRequest, url: &BaseUrl, config: &Config) -> http::Response<Bytes> {
    const MESSAGE: &str = "Invalid callbackUrl: use a path starting with '/' or an absolute http(s) URL on this site.";
    let page = matches!(
        req.action,
        Action::SignIn | Action::SignOut | Action::Error | Action::VerifyRequest
    ) && req.method == http::Method::GET;
    let res = if page {
        let html = pages::render_message(&config.theme, url, "Invalid link", MESSAGE);
        AuthResponse::html(StatusCode::BAD_REQUEST, html)
    } else {
        AuthResponse::json_value(&serde_json::json!({ "message": MESSAGE })).status(StatusCode::BAD_REQUEST)
    };
    res.without_preamble().finish(Vec::new(), false, "")
}
