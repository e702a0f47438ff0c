//! Provider token refresh: [`Auth::access_token`](crate::Auth::access_token) (a stored
//! account's access token, refreshed when expired) and
//! [`Auth::refresh_token_set`](crate::Auth::refresh_token_set) (for tokens kept in the JWT).
//!
//! Both are single-flight: concurrent calls for the same account (or the same refresh
//! token) share one request to the token endpoint and all receive its result. A provider
//! that rotates refresh tokens would otherwise reject all but the first of them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use futures_util::future::{BoxFuture, FutureExt, Shared};
use serde_json::{Map, Value};

use crate::Account;
use crate::adapter::{Adapter, AdapterError};
use crate::config::Config;
use crate::oauth::token::{self, EndpointError, TokenRequest};
use crate::oauth::{HttpClient, TokenSet};
use crate::providers::{OAuthProvider, Provider};
use crate::session::unix;

/// An access token counts as expired this many seconds before its `expires_at`, so it
/// does not expire on its way to the API.
pub const EXPIRY_SKEW_SECS: i64 = 60;

/// A usable access token for a provider account.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessToken {
    /// The token, for `Authorization: Bearer …`.
    pub access_token: String,
    /// Its type (`Bearer`, as the provider spells it), when known.
    pub token_type: Option<String>,
    /// When it expires (Unix seconds); `None` when the provider gave no lifetime.
    pub expires_at: Option<i64>,
    /// Granted scopes, space-separated, when known.
    pub scope: Option<String>,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish()
    }
}

/// Why no access token could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// [`Auth::access_token`](crate::Auth::access_token) needs an adapter (accounts are
    /// stored there).
    #[error("no adapter configured")]
    NoAdapter,
    /// No OAuth provider has this id.
    #[error("no OAuth provider with id {0:?}")]
    UnknownProvider(String),
    /// The user has no account with the provider.
    #[error("the user has no account with provider {provider:?}")]
    NoAccount {
        /// The provider id asked for.
        provider: String,
    },
    /// The access token expired and there is no refresh token to renew it.
    #[error("the access token expired and the account has no refresh token")]
    NoRefreshToken,
    /// The token endpoint refused the refresh (`invalid_grant`: revoked or already used;
    /// the user must sign in again).
    #[error("the provider refused the refresh: {code}")]
    Provider {
        /// The OAuth `error` code.
        code: String,
        /// The `error_description`, when given.
        description: Option<String>,
    },
    /// The refresh request failed (transport, an unusable response, no HTTP client).
    #[error("token refresh failed: {0}")]
    Request(String),
    /// Reading or storing the account failed.
    #[error(transparent)]
    Adapter(#[from] AdapterError),
}

impl From<EndpointError> for TokenError {
    fn from(e: EndpointError) -> Self {
        match e {
            EndpointError::Provider { code, description } => TokenError::Provider { code, description },
            EndpointError::Failed(e) => TokenError::Request(e.0),
        }
    }
}

type Flight<T> = Shared<BoxFuture<'static, Result<T, TokenError>>>;

/// Requests in flight by key; an entry leaves when its request completes.
struct FlightMap<T> {
    next_id: AtomicU64,
    flights: Mutex<HashMap<String, (u64, Flight<T>)>>,
}

impl<T> Default for FlightMap<T> {
    fn default() -> Self {
        FlightMap {
            next_id: AtomicU64::new(0),
            flights: Mutex::new(HashMap::new()),
        }
    }
}

/// Removes its flight's entry when the flight completes (or is dropped unfinished).
struct Leave<T> {
    map: Arc<FlightMap<T>>,
    key: String,
    id: u64,
}

impl<T> Drop for Leave<T> {
    fn drop(&mut self) {
        let mut flights = self.map.lock();
        if flights.get(&self.key).is_some_and(|(id, _)| *id == self.id) {
            flights.remove(&self.key);
        }
    }
}

impl<T> FlightMap<T> {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, (u64, Flight<T>)>> {
        self.flights.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Clone + Send + Sync + 'static> FlightMap<T> {
    /// The flight for `key`: the one in progress, or `start` as a new one.
    fn join<F>(self: &Arc<Self>, key: String, start: impl FnOnce() -> F) -> Flight<T>
    where
        F: Future<Output = Result<T, TokenError>> + Send + 'static,
    {
        let mut flights = self.lock();
        if let Some((_, flight)) = flights.get(&key) {
            return flight.clone();
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let leave = Leave {
            map: Arc::clone(self),
            key: key.clone(),
            id,
        };
        let work = start();
        let flight = async move {
            let out = work.await;
            // Leave before the waiters see the result: a later call starts afresh (and
            // reads the tokens this flight stored).
            drop(leave);
            out
        }
        .boxed()
        .shared();
        flights.insert(key, (id, flight.clone()));
        flight
    }
}

/// The refreshes in flight, shared by clones of an [`Auth`](crate::Auth).
#[derive(Default)]
pub(crate) struct Flights {
    accounts: Arc<FlightMap<AccessToken>>,
    token_sets: Arc<FlightMap<TokenSet>>,
}

impl std::fmt::Debug for Flights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flights")
            .field("accounts", &self.accounts.lock().len())
            .field("token_sets", &self.token_sets.lock().len())
            .finish()
    }
}

fn oauth_provider(config: &Config, id: &str) -> Result<OAuthProvider, TokenError> {
    config
        .providers
        .iter()
        .find_map(|p| match p {
            Provider::OAuth(o) if o.id == id => Some(o.clone()),
            _ => None,
        })
        .ok_or_else(|| TokenError::UnknownProvider(id.to_owned()))
}

fn http_client(config: &Config) -> Result<Arc<dyn HttpClient>, TokenError> {
    config
        .http
        .clone()
        .ok_or_else(|| TokenError::Request("no HTTP client configured".into()))
}

fn text<'a>(extra: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    extra.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The account's access token, unless it is missing or (nearly) expired.
fn fresh(account: &Account, now: i64) -> Option<AccessToken> {
    let access_token = text(&account.extra, "access_token")?;
    let expires_at = account.extra.get("expires_at").and_then(Value::as_i64);
    if expires_at.is_some_and(|at| at <= now + EXPIRY_SKEW_SECS) {
        return None;
    }
    Some(AccessToken {
        access_token: access_token.to_owned(),
        token_type: text(&account.extra, "token_type").map(str::to_owned),
        expires_at,
        scope: text(&account.extra, "scope").map(str::to_owned),
    })
}

/// POSTs `grant_type=refresh_token` with the provider's client authentication.
async fn request_refresh(
    http: &dyn HttpClient,
    provider: &OAuthProvider,
    refresh_token: &str,
) -> Result<TokenSet, TokenError> {
    let meta = provider.metadata(http).await.map_err(|e| TokenError::Request(e.0))?;
    let request = TokenRequest {
        endpoint: &meta.token_endpoint,
        client_id: &provider.client_id,
        client_secret: &provider.client_secret,
        auth: &provider.token_auth,
        params: vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)],
    };
    let mut set = token::request_detailed(http, request, unix(SystemTime::now())).await?;
    if set.access_token.is_none() {
        return Err(TokenError::Request("the refresh response has no access_token".into()));
    }
    // Not rotated: the old refresh token stays valid.
    if set.refresh_token.is_none() {
        set.refresh_token = Some(refresh_token.to_owned());
    }
    Ok(set)
}

async fn find_account(
    adapter: &dyn Adapter,
    user_id: &str,
    provider: &str,
    provider_account_id: Option<&str>,
) -> Result<Account, TokenError> {
    adapter
        .list_accounts(user_id)
        .await?
        .into_iter()
        .find(|a| a.provider == provider && provider_account_id.is_none_or(|id| a.provider_account_id == id))
        .ok_or_else(|| TokenError::NoAccount {
            provider: provider.to_owned(),
        })
}

impl crate::Auth {
    /// A usable access token for a user's account with an OAuth provider: the stored one
    /// while it is valid for at least another [`EXPIRY_SKEW_SECS`] (or has no expiry),
    /// else a new one from the provider's token endpoint (`grant_type=refresh_token`),
    /// stored in the account together with its expiry and, when the provider rotates it,
    /// the new refresh token. Needs an adapter (database sessions, or JWT sessions with an
    /// adapter storing the accounts).
    ///
    /// Single-flight: concurrent calls for one account make one request to the provider
    /// and all receive its result (or its error).
    ///
    /// From an axum handler (`tessera-axum`, whose `with_auth`/`layer` puts the [`Auth`](crate::Auth)
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
        let adapter = config.adapter.clone().ok_or(TokenError::NoAdapter)?;
        let provider = oauth_provider(config, provider_id)?;
        let account = find_account(&*adapter, user_id, provider_id, None).await?;
        if let Some(token) = fresh(&account, unix(SystemTime::now())) {
            return Ok(token);
        }
        let http = http_client(config)?;
        let key = format!("{}\0{}", account.provider, account.provider_account_id);
        let user_id = user_id.to_owned();
        let flight = config.refreshes.accounts.join(key, move || async move {
            // Read again: a refresh that completed since the first read stored new tokens
            // (and may have used up the refresh token read then).
            let mut account = find_account(
                &*adapter,
                &user_id,
                &account.provider,
                Some(&account.provider_account_id),
            )
            .await?;
            if let Some(token) = fresh(&account, unix(SystemTime::now())) {
                return Ok(token);
            }
            let refresh_token = text(&account.extra, "refresh_token")
                .ok_or(TokenError::NoRefreshToken)?
                .to_owned();
            let set = request_refresh(&*http, &provider, &refresh_token).await?;
            if set.expires_at.is_none() {
                account.extra.remove("expires_at");
            }
            account.extra.extend(set.account_fields());
            adapter.update_account(account.clone()).await?;
            Ok(AccessToken {
                access_token: set.access_token.unwrap_or_default(),
                token_type: text(&account.extra, "token_type").map(str::to_owned),
                expires_at: set.expires_at,
                scope: text(&account.extra, "scope").map(str::to_owned),
            })
        });
        flight.await
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
        TokenRefresher::new(&self.config)
            .refresh_token_set(provider_id, refresh_token)
            .await
    }
}

/// Refreshes provider token sets from inside the `jwt` callback, where no [`Auth`](crate::Auth) is at
/// hand: [`JwtArgs::refresher`](crate::callbacks::JwtArgs::refresher). The same
/// single-flight refresh as [`Auth::refresh_token_set`](crate::Auth::refresh_token_set).
///
/// The rotation pattern of NextAuth's guide, without a hand-written token request:
///
/// ```
/// use tessera::callbacks::{CallbackError, Callbacks, JwtArgs};
/// use tessera::Token;
///
/// struct Rotate;
///
/// #[tessera::async_trait]
/// impl Callbacks for Rotate {
///     async fn jwt(&self, args: JwtArgs<'_>) -> Result<Token, CallbackError> {
///         let mut token = args.token;
///         if let Some(account) = args.account {
///             // Sign-in: keep the provider's tokens in the (encrypted) JWT.
///             for key in ["access_token", "refresh_token", "expires_at"] {
///                 if let Some(v) = account.extra.get(key) {
///                     token.set(key, v.clone());
///                 }
///             }
///             return Ok(token);
///         }
///         let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
///         let expired = token.get("expires_at").and_then(|v| v.as_i64()).is_some_and(|at| at - 60 < now);
///         let refresh = token.get("refresh_token").and_then(|v| v.as_str()).map(str::to_owned);
///         if let (true, Some(refresh)) = (expired, refresh) {
///             match args.refresher.refresh_token_set("google", &refresh).await {
///                 Ok(set) => {
///                     token.set("access_token", set.access_token.unwrap_or_default());
///                     token.set("refresh_token", set.refresh_token.unwrap_or_default());
///                     token.set("expires_at", set.expires_at);
///                     token.remove("error");
///                 }
///                 // Revoked: keep the session, tell the client to sign in again.
///                 Err(_) => token.set("error", "RefreshAccessTokenError"),
///             }
///         }
///         Ok(token)
///     }
/// }
/// ```
#[derive(Clone, Copy)]
pub struct TokenRefresher<'a> {
    config: &'a Config,
}

impl std::fmt::Debug for TokenRefresher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRefresher").finish_non_exhaustive()
    }
}

impl<'a> TokenRefresher<'a> {
    pub(crate) fn new(config: &'a Config) -> TokenRefresher<'a> {
        TokenRefresher { config }
    }

    /// See [`Auth::refresh_token_set`](crate::Auth::refresh_token_set).
    pub async fn refresh_token_set(&self, provider_id: &str, refresh_token: &str) -> Result<TokenSet, TokenError> {
        let config = self.config;
        let provider = oauth_provider(config, provider_id)?;
        let http = http_client(config)?;
        let key = format!("{provider_id}\0{refresh_token}");
        let refresh_token = refresh_token.to_owned();
        let flight = config.refreshes.token_sets.join(key, move || async move {
            request_refresh(&*http, &provider, &refresh_token).await
        });
        flight.await
    }
}
