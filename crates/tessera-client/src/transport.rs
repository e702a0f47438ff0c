//! The HTTP layer under [`Client`](crate::Client): a small object-safe trait, and its
//! default implementations: `ReqwestTransport` (hyper with a cookie store) on native
//! targets, `FetchTransport` (the browser's `fetch`) on wasm32.
//!
//! The trait exists so that tests can count or alter requests, and so that other hosts
//! (a server forwarding a browser's `Cookie` header, a custom HTTP stack) can plug in.

use std::future::Future;
use std::pin::Pin;

use crate::error::ClientError;

/// `Send` on native targets, nothing on wasm32 (where futures and JS handles are `!Send`).
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}
/// `Send` on native targets, nothing on wasm32 (where futures and JS handles are `!Send`).
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// `Sync` on native targets, nothing on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSync: Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Sync + ?Sized> MaybeSync for T {}
/// `Sync` on native targets, nothing on wasm32.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSync {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSync for T {}

/// A boxed future: `Send` on native targets, not on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
/// A boxed future: `Send` on native targets, not on wasm32.
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// HTTP method of a protocol request (the client only ever uses these two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
}

impl Method {
    /// `"GET"` or `"POST"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One request, fully built by [`Client`](crate::Client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers, in order (the client sets only `Content-Type`).
    pub headers: Vec<(String, String)>,
    /// Body (form-encoded or JSON text), if any.
    pub body: Option<String>,
}

impl HttpRequest {
    /// The value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The part of an answer the protocol uses: the status and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// Raw body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Whether the status is 2xx (`Response.ok` in the Fetch API).
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends requests. Implementations keep cookies the way a browser would (the reqwest one
/// has a cookie store; in the browser, `fetch` uses the page's cookies).
///
/// A network failure must come back as [`ClientError::Network`], never as a panic.
pub trait Transport: MaybeSend + MaybeSync + 'static {
    /// Sends one request and reads the whole answer.
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, ClientError>>;
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, ClientError>> {
        (**self).send(request)
    }
}

/// [`Transport`] on reqwest.
///
/// Hyper with rustls on ring, a cookie store (so one transport behaves like one browser
/// profile), a 10 s connect timeout and a 30 s overall timeout. Native targets only; on
/// wasm32 the default transport is `FetchTransport`.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    http: reqwest::Client,
}

#[cfg(not(target_arch = "wasm32"))]
impl ReqwestTransport {
    /// A transport with its own cookie store.
    ///
    /// This installs rustls' ring provider as the process-wide default
    /// when no provider is installed yet (reqwest is built without a provider of its own,
    /// and rustls refuses to guess when several are compiled in).
    pub fn new() -> Result<Self, ClientError> {
        Ok(ReqwestTransport { http: build_client()? })
    }

    /// Wraps a reqwest client configured by the caller. It should have
    /// `cookie_store(true)`, or the session cookie is lost between requests.
    pub fn from_client(http: reqwest::Client) -> Self {
        ReqwestTransport { http }
    }

    /// The underlying reqwest client.
    pub fn inner(&self) -> &reqwest::Client {
        &self.http
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn build_client() -> Result<reqwest::Client, ClientError> {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another thread installing one is fine: some provider is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    reqwest::Client::builder()
        .cookie_store(true)
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| ClientError::Network {
            url: String::new(),
            message: format!("cannot set up the HTTP client: {}", error_chain(&e)),
        })
}

/// `error: cause: cause…`
#[cfg(not(target_arch = "wasm32"))]
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(not(target_arch = "wasm32"))]
fn reqwest_error(url: &str, error: &reqwest::Error) -> ClientError {
    if error.is_builder() {
        ClientError::invalid_url(url, error_chain(error))
    } else {
        ClientError::Network {
            url: url.to_owned(),
            message: error_chain(error),
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Transport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, ClientError>> {
        Box::pin(async move {
            let method = match request.method {
                Method::Get => reqwest::Method::GET,
                Method::Post => reqwest::Method::POST,
            };
            let mut builder = self.http.request(method, request.url.as_str());
            for (name, value) in &request.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            if let Some(body) = request.body {
                builder = builder.body(body);
            }
            let response = builder.send().await.map_err(|e| reqwest_error(&request.url, &e))?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(|e| reqwest_error(&request.url, &e))?;
            Ok(HttpResponse {
                status,
                body: body.to_vec(),
            })
        })
    }
}

/// The default transport of the target: [`ReqwestTransport`] (native) or `FetchTransport`.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn default_transport() -> Result<ReqwestTransport, ClientError> {
    ReqwestTransport::new()
}

/// The default transport of the target: [`FetchTransport`] (wasm32) or `ReqwestTransport`.
#[cfg(target_arch = "wasm32")]
pub(crate) fn default_transport() -> Result<FetchTransport, ClientError> {
    Ok(FetchTransport)
}

#[cfg(target_arch = "wasm32")]
pub use fetch::FetchTransport;

#[cfg(target_arch = "wasm32")]
mod fetch {
    use wasm_bindgen::{JsCast, JsValue, prelude::wasm_bindgen};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Headers, RequestCredentials, RequestInit, Response};

    use super::{BoxFuture, HttpRequest, HttpResponse, Transport};
    use crate::error::ClientError;

    #[wasm_bindgen]
    extern "C" {
        /// The global `fetch` (a window's or a worker's).
        #[wasm_bindgen(js_name = fetch)]
        fn global_fetch(input: &str, init: &RequestInit) -> js_sys::Promise;
    }

    /// [`Transport`] on the browser's `fetch`, with `credentials: "same-origin"`: the
    /// browser keeps the cookies, so the server must be the page's origin (like
    /// next-auth/react). Reads the status and the body as text. Only on wasm32.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct FetchTransport;

    impl FetchTransport {
        /// The transport (stateless: every instance is the page's `fetch`).
        pub fn new() -> Self {
            FetchTransport
        }
    }

    impl Transport for FetchTransport {
        fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, ClientError>> {
            Box::pin(async move {
                fetch(&request).await.map_err(|error| ClientError::Network {
                    message: js_message(&error),
                    url: request.url,
                })
            })
        }
    }

    async fn fetch(request: &HttpRequest) -> Result<HttpResponse, JsValue> {
        let init = RequestInit::new();
        init.set_method(request.method.as_str());
        init.set_credentials(RequestCredentials::SameOrigin);
        let headers = Headers::new()?;
        for (name, value) in &request.headers {
            headers.append(name, value)?;
        }
        init.set_headers(&headers);
        if let Some(body) = &request.body {
            init.set_body(&JsValue::from_str(body));
        }
        let response: Response = JsFuture::from(global_fetch(&request.url, &init))
            .await?
            .unchecked_into();
        let status = response.status();
        let text = JsFuture::from(response.text()?).await?;
        Ok(HttpResponse {
            status,
            body: text.as_string().unwrap_or_default().into_bytes(),
        })
    }

    /// `error.message` of a JS exception (e.g. `TypeError: Failed to fetch`).
    fn js_message(error: &JsValue) -> String {
        match error.dyn_ref::<js_sys::Error>() {
            Some(error) => String::from(error.message()),
            None => error.as_string().unwrap_or_else(|| "fetch failed".to_owned()),
        }
    }
}
