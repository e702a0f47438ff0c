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
mod ctx;
pub mod events;
mod log_value;
pub mod oauth;
mod origin_check;
pub mod pages;
mod password;
mod preamble;
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
mod signin;
mod two_factor;
mod url;
mod user;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderMap;

pub use async_trait::async_trait;
pub use compat::{Compat, UnknownCompat};
pub use config::{AuthBuilder, ConfigError, MAX_DURATION_SECS, Pages, SessionOptions, SessionStrategy};
pub use providers::TwoFactor;
pub use refresh::{AccessToken, TokenError};
pub use secret::Secret;
pub use session::cache as session_cache;
/// `Date.toISOString()` of a time, as next-auth writes `expires` (for `tessera-cli` and tests).
#[doc(hidden)]
pub use session::iso8601;
pub use session::jwt;
pub use session::revocations;
pub use session::{RevokeError, Token};
pub use tessera_protocol as protocol;
pub use tessera_protocol::{ErrorCode, Session, SessionUser};
pub use user::{Account, AccountType, User};

use config::Config;
use oauth::TokenSet;
use preamble::{Preamble, Ready};

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
    /// (a session token: the session cookie's value). Returns how many ended.
    ///
    /// With database sessions, deletes the user's session rows but `keep`'s, and counts them.
    ///
    /// With JWT sessions, records a user epoch in the [revocation list](revocations): from
    /// now on every JWT of the user whose session started before this call is refused
    /// (`GET /session` and [`Auth::session`] read it as signed out, and it cannot be
    /// refreshed since it is refused first); a session signed in afterwards is not
    /// affected. A session starts at sign-in (the time in its `sid` claim, kept across
    /// refreshes); a token without a `sid`, as next-auth mints them, started at its `iat`,
    /// and is refused when that is at or before the second of this call. `keep` is honoured
    /// when it is a live, unrevoked JWT of this user carrying a `sid`: every token of that
    /// session (its refreshed copies too) stays valid. A `keep` without a `sid` cannot be
    /// told apart from the user's other tokens and is revoked with them; one of another user,
    /// or not a valid token, is ignored. The server keeps no list of JWTs, so the count is
    /// unknown: it returns 0.
    ///
    /// The revocation is kept in memory until every token it refuses has expired. Without
    /// a shared store it holds only in this process: other instances behind the same load
    /// balancer still accept the tokens, and a restart forgets it.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::time::Duration;
    /// let auth = tessera::Auth::builder().secret("0123456789abcdef").build().unwrap(); // JWT
    /// let user = tessera::User::new("1").name("Alice");
    /// let token = auth.encode_token(tessera::Token::for_user(&user), Duration::from_secs(60));
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("cookie", format!("next-auth.session-token={token}").parse().unwrap());
    /// assert!(auth.token(&headers).is_some());
    /// assert_eq!(auth.revoke_user_sessions("1", None).await, Ok(0));
    /// assert!(auth.token(&headers).is_none()); // revoked
    /// # });
    /// ```
    pub async fn revoke_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<u64, RevokeError> {
        session::revoke::revoke_user_sessions(&self.config, user_id, keep, SystemTime::now()).await
    }

    /// The JWT sessions this process knows to be revoked: what sign-out and
    /// [`revoke_user_sessions`](Self::revoke_user_sessions) record, checked from memory on
    /// every JWT read. A shared store (Redis) learns of those made here through a
    /// [`RevocationPublisher`](revocations::RevocationPublisher) set with
    /// [`set_publisher`](revocations::RevocationList::set_publisher), and feeds it those of
    /// other instances through [`apply`](revocations::RevocationList::apply).
    pub fn revocations(&self) -> &revocations::RevocationList {
        &self.config.revocations
    }

    /// The cache of database-session reads: off until a shared backend (`tessera-redis`)
    /// [enables](session_cache::SessionCache::enable) it while it receives the other
    /// instances' [invalidations](session_cache::Invalidation), which it feeds to
    /// [`apply`](session_cache::SessionCache::apply), and broadcasts this instance's own
    /// through a [publisher](session_cache::SessionCache::set_publisher). With JWT sessions it
    /// is never used. See [`session_cache`].
    pub fn session_cache(&self) -> &session_cache::SessionCache {
        &self.config.session_cache
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
        match preamble::run(&self.config, req).await {
            Preamble::Answered(response) => response,
            Preamble::Ready(Ready {
                ctx,
                cookies,
                json_redirect,
            }) => {
                let mut response = routes::dispatch(&ctx).await;
                if json_redirect && self.config.compat == Compat::AuthJsV5 {
                    response = response.v5_json_redirect();
                }
                response.finish(cookies, json_redirect, &ctx.url.origin)
            }
        }
    }

    /// The session for a request's headers, computed the way `GET /session` does (the
    /// `jwt` and `session` callbacks run) but without writing cookies: the
    /// `getServerSession` of Rust. `None` when signed out or the cookie is invalid (or, in
    /// trust-host mode with [allowed hosts](AuthBuilder::allowed_hosts), the host is not one).
    pub async fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let url = self.config.request_url(headers).ok()?;
        let profile = self.config.profile(&url);
        let cookies = cookies::RequestCookies::from_headers(headers);
        session::read::read(&self.config, profile, &cookies, SystemTime::now()).await
    }

    /// The decoded session token for a request (`getToken`): the session cookie, or else
    /// an `Authorization: Bearer <token>` header. `None` on any error (a host outside the
    /// [allowed hosts](AuthBuilder::allowed_hosts) included), and for a
    /// [revoked](revocations) token.
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
        let now = session::unix(SystemTime::now());
        let claims = profile.session_codec.decode(&raw, now).ok()?;
        if self.config.revocations.is_revoked(&claims, now) {
            return None;
        }
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

    /// A usable access token for a user's account with an OAuth provider: the stored one
    /// while it is valid for at least another
    /// [`EXPIRY_SKEW_SECS`](refresh::EXPIRY_SKEW_SECS) (or has no expiry), else a new one
    /// from the provider's token endpoint (`grant_type=refresh_token`), stored in the
    /// account together with its expiry and, when the provider rotates it, the new refresh
    /// token. Needs an adapter (database sessions, or JWT sessions with an
    /// adapter storing the accounts).
    ///
    /// Single-flight: concurrent calls for one account make one request to the provider
    /// and all receive its result (or its error).
    ///
    /// From an axum handler (`tessera-axum`, whose `with_auth`/`layer` puts the [`Auth`]
    /// in the request extensions):
    ///
    /// ```ignore
    /// use axum::{Extension, http::{HeaderMap, StatusCode}};
    /// use tessera::{Auth, TokenError};
    ///
    /// async fn repos(Extension(auth): Extension<Auth>, headers: HeaderMap) -> Result<String, StatusCode> {
    ///     let session = auth.session(&headers).await.ok_or(StatusCode::UNAUTHORIZED)?;
    ///     // The `session` callback put the user id there (database sessions do by default).
    ///     let user_id = session.user.and_then(|u| u.extra.get("id")?.as_str().map(str::to_owned))
    ///         .ok_or(StatusCode::UNAUTHORIZED)?;
    ///     let token = match auth.access_token(&user_id, "github").await {
    ///         Ok(t) => t,
    ///         // Revoked or already used: the user must sign in with the provider again.
    ///         Err(TokenError::Provider { .. } | TokenError::NoRefreshToken) => {
    ///             return Err(StatusCode::UNAUTHORIZED)
    ///         }
    ///         Err(_) => return Err(StatusCode::BAD_GATEWAY),
    ///     };
    ///     Ok(format!("Bearer {}", token.access_token)) // call the provider's API with it
    /// }
    /// ```
    pub async fn access_token(&self, user_id: &str, provider_id: &str) -> Result<AccessToken, TokenError> {
        let config = &*self.config;
        config
            .refresher
            .access_token(config.adapter.clone(), user_id, provider_id)
            .await
    }

    /// Refreshes a token set kept outside the database (in the JWT, from the `jwt`
    /// callback): POSTs `grant_type=refresh_token` to the provider's token endpoint and
    /// returns the new set, whose `refresh_token` is the rotated one or else
    /// `refresh_token` itself, so it is always the one to keep. Needs no adapter.
    ///
    /// Single-flight by refresh token: concurrent calls with the same refresh token make
    /// one request and all receive its result. Inside the `jwt` callback, use
    /// [`JwtArgs::refresher`](crate::callbacks::JwtArgs::refresher), which does the same.
    pub async fn refresh_token_set(&self, provider_id: &str, refresh_token: &str) -> Result<TokenSet, TokenError> {
        refresh::TokenRefresher::new(&self.config.refresher)
            .refresh_token_set(provider_id, refresh_token)
            .await
    }
}

impl AuthBuilder {
    /// Validates everything and derives the keys.
    pub fn build(self) -> Result<Auth, ConfigError> {
        Ok(Auth {
            config: Arc::new(self.into_config()?),
        })
    }
}
