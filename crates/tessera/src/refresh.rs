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

/// What provider token refreshes need: the OAuth providers, the outbound HTTP client,
/// and the refreshes in flight. Built with the configuration (which owns it), so clones of
/// an [`Auth`](crate::Auth) share the flights.
pub(crate) struct Refresher {
    providers: Vec<OAuthProvider>,
    http: Option<Arc<dyn HttpClient>>,
    accounts: Arc<FlightMap<AccessToken>>,
    token_sets: Arc<FlightMap<TokenSet>>,
}

impl std::fmt::Debug for Refresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresher")
            .field("accounts", &self.accounts.lock().len())
            .field("token_sets", &self.token_sets.lock().len())
            .finish_non_exhaustive()
    }
}

impl Refresher {
    /// The refresher of a configuration: its OAuth providers (clones share their
    /// discovery and JWKS caches) and its HTTP client.
    pub(crate) fn new(providers: &[Provider], http: Option<Arc<dyn HttpClient>>) -> Refresher {
        Refresher {
            providers: providers
                .iter()
                .filter_map(|p| match p {
                    Provider::OAuth(o) => Some(o.clone()),
                    _ => None,
                })
                .collect(),
            http,
            accounts: Arc::default(),
            token_sets: Arc::default(),
        }
    }

    fn oauth_provider(&self, id: &str) -> Result<OAuthProvider, TokenError> {
        self.providers
            .iter()
            .find(|o| o.id == id)
            .cloned()
            .ok_or_else(|| TokenError::UnknownProvider(id.to_owned()))
    }

    fn http_client(&self) -> Result<Arc<dyn HttpClient>, TokenError> {
        self.http
            .clone()
            .ok_or_else(|| TokenError::Request("no HTTP client configured".into()))
    }
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

impl Refresher {
    /// [`Auth::access_token`](crate::Auth::access_token), with the configuration's adapter.
    pub(crate) async fn access_token(
        &self,
        adapter: Option<Arc<dyn Adapter>>,
        user_id: &str,
        provider_id: &str,
    ) -> Result<AccessToken, TokenError> {
        let adapter = adapter.ok_or(TokenError::NoAdapter)?;
        let provider = self.oauth_provider(provider_id)?;
        let account = find_account(&*adapter, user_id, provider_id, None).await?;
        if let Some(token) = fresh(&account, unix(SystemTime::now())) {
            return Ok(token);
        }
        let http = self.http_client()?;
        let key = format!("{}\0{}", account.provider, account.provider_account_id);
        let user_id = user_id.to_owned();
        let flight = self.accounts.join(key, move || async move {
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
    refresher: &'a Refresher,
}

impl std::fmt::Debug for TokenRefresher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRefresher").finish_non_exhaustive()
    }
}

impl<'a> TokenRefresher<'a> {
    pub(crate) fn new(refresher: &'a Refresher) -> TokenRefresher<'a> {
        TokenRefresher { refresher }
    }

    /// See [`Auth::refresh_token_set`](crate::Auth::refresh_token_set).
    pub async fn refresh_token_set(&self, provider_id: &str, refresh_token: &str) -> Result<TokenSet, TokenError> {
        let refresher = self.refresher;
        let provider = refresher.oauth_provider(provider_id)?;
        let http = refresher.http_client()?;
        let key = format!("{provider_id}\0{refresh_token}");
        let refresh_token = refresh_token.to_owned();
        let flight = refresher.token_sets.join(key, move || async move {
            request_refresh(&*http, &provider, &refresh_token).await
        });
        flight.await
    }
}
