//! [`HttpClient`]: how the engine talks to identity providers. Replace it with
//! [`crate::AuthBuilder::http_client`] (tests intercept requests this way).

use bytes::Bytes;
use http::header::ACCEPT;
use serde_json::{Map, Value};

use super::FlowError;

/// An outbound request (`http::Request` with the whole body).
pub type HttpRequest = http::Request<Bytes>;
/// An outbound response (`http::Response` with the whole body).
pub type HttpResponse = http::Response<Bytes>;

/// An outbound request failed before a response arrived (connection, TLS, timeout, a
/// body too large).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HTTP request failed: {0}")]
pub struct HttpError(pub String);

/// Sends HTTP requests to identity providers. Dyn-safe: held as `Arc<dyn HttpClient>`.
///
/// Implementations must not follow redirects (a token endpoint that redirects is an error).
///
/// ```
/// use tessera::oauth::{HttpClient, HttpError, HttpRequest, HttpResponse};
///
/// /// Answers every request with `{}`.
/// struct Canned;
///
/// #[tessera::async_trait]
/// impl HttpClient for Canned {
///     async fn execute(&self, _req: HttpRequest) -> Result<HttpResponse, HttpError> {
///         Ok(http::Response::new(bytes::Bytes::from_static(b"{}")))
///     }
/// }
/// let auth = tessera::Auth::builder().secret("0123456789abcdef").http_client(Canned).build();
/// assert!(auth.is_ok());
/// ```
#[async_trait::async_trait]
pub trait HttpClient: Send + Sync + 'static {
    /// Sends one request and returns the whole response.
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
}

/// `GET url` with `Accept: application/json` (and a bearer token), expecting a JSON object.
pub(crate) async fn get_json(
    http: &dyn HttpClient,
    url: &str,
    bearer: Option<&str>,
) -> Result<Map<String, Value>, FlowError> {
    match get_json_value(http, url, bearer).await? {
        Value::Object(m) => Ok(m),
        _ => Err(FlowError::new(format!("GET {url}: the response is not a JSON object"))),
    }
}

/// `GET url` with `Accept: application/json` (and a bearer token): any JSON value.
pub(crate) async fn get_json_value(http: &dyn HttpClient, url: &str, bearer: Option<&str>) -> Result<Value, FlowError> {
    let mut req = http::Request::get(url).header(ACCEPT, "application/json");
    if let Some(token) = bearer {
        req = req.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let req = req
        .body(Bytes::new())
        .map_err(|e| FlowError::new(format!("GET {url}: {e}")))?;
    let res = http.execute(req).await?;
    if !res.status().is_success() {
        return Err(FlowError::new(format!("GET {url}: HTTP {}", res.status())));
    }
    serde_json::from_slice(res.body()).map_err(|_| FlowError::new(format!("GET {url}: the response is not JSON")))
}

/// A shared client is a client, so an `Arc<dyn HttpClient>` (or an `Arc` the app keeps a
/// clone of) can be given to [`crate::AuthBuilder::http_client`].
#[async_trait::async_trait]
impl<C: HttpClient + ?Sized> HttpClient for std::sync::Arc<C> {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        (**self).execute(request).await
    }
}

/// The largest response body read from an identity provider.
#[cfg(feature = "reqwest")]
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

#[cfg(feature = "reqwest")]
pub use self::reqwest_client::ReqwestClient;

#[cfg(feature = "reqwest")]
mod reqwest_client {
    use std::time::Duration;

    use super::{HttpClient, HttpError, HttpRequest, HttpResponse, MAX_RESPONSE_BYTES};

    /// The default [`HttpClient`]: reqwest over rustls (ring), no redirects, no proxy
    /// from the environment, 10 s timeouts, response bodies capped at 1 MiB.
    #[derive(Debug, Clone)]
    pub struct ReqwestClient {
        client: reqwest::Client,
    }

    impl ReqwestClient {
        /// Builds the client. Installs rustls' ring provider as the process default when
        /// none is installed yet.
        pub fn new() -> Result<Self, HttpError> {
            // Fails only when a provider is installed already, which is what we need.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                // Not HTTP(S)_PROXY/ALL_PROXY: they would see client secrets, codes and PKCE
                // verifiers. Use `from_client` for a proxy.
                .no_proxy()
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(10))
                .user_agent(concat!("tessera/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| HttpError(e.to_string()))?;
            Ok(ReqwestClient { client })
        }

        /// Wraps a reqwest client configured elsewhere (proxies, roots, timeouts). Make
        /// sure it does not follow redirects.
        pub fn from_client(client: reqwest::Client) -> Self {
            ReqwestClient { client }
        }
    }

    #[async_trait::async_trait]
    impl HttpClient for ReqwestClient {
        async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
            let request = reqwest::Request::try_from(request).map_err(|e| HttpError(e.to_string()))?;
            let mut response = self
                .client
                .execute(request)
                .await
                .map_err(|e| HttpError(e.to_string()))?;
            let mut builder = http::Response::builder().status(response.status());
            if let Some(h) = builder.headers_mut() {
                *h = std::mem::take(response.headers_mut());
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| HttpError(e.to_string()))? {
                if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(HttpError("response body too large".into()));
                }
                body.extend_from_slice(&chunk);
            }
            builder.body(body.into()).map_err(|e| HttpError(e.to_string()))
        }
    }
}
