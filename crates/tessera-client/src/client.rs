//! [`Client`]: `getSession`, `getCsrfToken`, `getProviders`, `signIn`, `signOut` and
//! `update` of next-auth/react v4 (spec §9.2–§9.5), or of next-auth 5's `next-auth/react`
//! with [`Compat::AuthJsV5`], as plain async methods.

use std::fmt;
use std::sync::Arc;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_json::Value;
use tessera_protocol::{
    Compat, CsrfResponse, DEFAULT_BASE_PATH, ProviderType, Providers, RedirectResponse, Session, SignInResult,
    UpdateSessionRequest,
};

use crate::error::{ClientError, truncate_body};
use crate::platform::{query_param, split_url};
use crate::transport::{HttpRequest, HttpResponse, Method, Transport};

/// Characters escaped in a provider id used as a path segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `segment` escaped for use as one path segment (a provider id).
pub(crate) fn path_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

pub(crate) const JSON: &str = "application/json";
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";
/// The header with which next-auth 5 asks for a redirect as a 200 `{"url": …}` answer
/// (next-auth 4 posts the form field `json=true` instead).
const RETURN_REDIRECT: (&str, &str) = ("X-Auth-Return-Redirect", "1");

/// A base URL split the way next-auth's `parseUrl` does (spec §9.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// `scheme://host[:port]`, without a trailing slash.
    pub origin: String,
    /// The path, `/api/auth` when the URL has none, without its trailing slash.
    pub path: String,
}

impl BaseUrl {
    /// Parses a base URL: `https://` is assumed when the text does not start with `http`;
    /// a path of `/` means `/api/auth`; one trailing `/` is removed.
    ///
    /// ```
    /// use tessera_client::BaseUrl;
    /// let b = BaseUrl::parse("http://localhost:3000").unwrap();
    /// assert_eq!((b.origin.as_str(), b.path.as_str()), ("http://localhost:3000", "/api/auth"));
    /// let b = BaseUrl::parse("example.com/custom/api/auth/").unwrap();
    /// assert_eq!((b.origin.as_str(), b.path.as_str()), ("https://example.com", "/custom/api/auth"));
    /// ```
    pub fn parse(input: &str) -> Result<BaseUrl, ClientError> {
        let text = input.trim();
        let with_scheme = if text.starts_with("http") {
            text.to_owned()
        } else {
            format!("https://{text}")
        };
        let (origin, path) = split_url(input, &with_scheme)?;
        let path = if path == "/" { DEFAULT_BASE_PATH } else { &path };
        let path = path.strip_suffix('/').unwrap_or(path);
        Ok(BaseUrl {
            origin,
            path: path.to_owned(),
        })
    }
}

/// The compact JSON text of `value`: what `Display` of a `Value` writes, through the
/// serializer the client already has (`Display` would add a second copy in wasm). Measured
/// with `scripts/build-leptos-app.sh`: the app is 257,132 bytes raw / 103,743 gzip -9 with
/// this, 259,629 / 104,767 with `value.to_string()`.
fn json_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// `serde_json::from_value`, reading the value in place (no clone).
///
/// It used to write the value out and parse the text back, to keep `serde_json`'s `Value`
/// deserializer out of the wasm build; measured with `scripts/build-leptos-app.sh`, the
/// round trip no longer paid: the app is 257,132 bytes raw / 103,743 gzip with it and
/// 255,603 / 103,726 without.
fn from_value<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, String> {
    T::deserialize(value).map_err(|e| e.to_string())
}

/// The `url` of a `{"url": …}` answer to a POST to `url` (`None` when absent or `null`).
pub(crate) fn read_url(url: &str, response: &HttpResponse) -> Result<Option<String>, ClientError> {
    let data: Value = serde_json::from_slice(&response.body).map_err(|e| {
        ClientError::json(
            url,
            format!(
                "{e} (HTTP {}; a server must answer `json=true` and `X-Auth-Return-Redirect` posts with {{\"url\": …}})",
                response.status
            ),
        )
    })?;
    match data.get("url") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ClientError::json(
            url,
            format!("`url` is not a string: {}", json_text(other)),
        )),
    }
}

/// `/x/y/` → `/x/y`, `x` → `/x`, `/` → the empty string (mounted at the root).
fn normalize_base_path(path: &str) -> String {
    let trimmed = path.trim().trim_end_matches('/');
    if trimmed.is_empty() || trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

/// Options of [`Client::sign_in`]: the `options` object of `signIn(provider, options)`.
///
/// Every entry is sent as a form field, in the order it was first set, before
/// `csrfToken`, `callbackUrl` and `json` (JavaScript object-spread order, spec §9.4 step 6).
/// `redirect` and `callbackUrl` are sent too when they were set, as next-auth 4 does.
/// With [`Compat::AuthJsV5`] the fields are those of next-auth 5: `redirect`,
/// `callbackUrl` and `redirectTo` are not sent as they are; `redirectTo` (else
/// `callbackUrl`, else the location) goes out as `callbackUrl` after `csrfToken`, and
/// there is no `json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInOptions {
    params: Vec<(String, String)>,
}

impl SignInOptions {
    /// No options: redirect after sign-in, callback URL = the client's location.
    pub fn new() -> Self {
        SignInOptions::default()
    }

    /// Where to go after signing in (validated by the server's `redirect` callback).
    pub fn callback_url(self, url: impl Into<String>) -> Self {
        self.field("callbackUrl", url)
    }

    /// `redirect: false` returns a [`SignInResult`] (credentials and email providers only;
    /// OAuth always redirects). The default is `true`.
    pub fn redirect(self, redirect: bool) -> Self {
        self.field("redirect", if redirect { "true" } else { "false" })
    }

    /// Any other form field: `email` for the email provider, the credential fields
    /// (`username`, `password`, …) for a credentials provider. Setting a name again
    /// replaces its value and keeps its position.
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        upsert(&mut self.params, name.into(), value.into());
        self
    }

    /// The value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    fn redirects(&self) -> bool {
        self.get("redirect") != Some("false")
    }
}

fn upsert(params: &mut Vec<(String, String)>, name: String, value: String) {
    match params.iter_mut().find(|(k, _)| *k == name) {
        Some(entry) => entry.1 = value,
        None => params.push((name, value)),
    }
}

/// Options of [`Client::sign_out`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOutOptions {
    /// Where to go after signing out; the client's location when `None`.
    pub callback_url: Option<String>,
    /// `true` (the default): the caller is expected to navigate to the returned URL
    /// (in a browser, the page is reloaded there). `false`: stay and refetch the session.
    pub redirect: bool,
}

impl Default for SignOutOptions {
    fn default() -> Self {
        SignOutOptions {
            callback_url: None,
            redirect: true,
        }
    }
}

impl SignOutOptions {
    /// Defaults: redirect, callback URL = the client's location.
    pub fn new() -> Self {
        SignOutOptions::default()
    }

    /// Sets the callback URL.
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Sets `redirect`.
    pub fn redirect(mut self, redirect: bool) -> Self {
        self.redirect = redirect;
        self
    }
}

/// What [`Client::sign_in`] ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInResponse {
    /// The user agent should go to this URL: `redirect` was true, the provider is OAuth,
    /// the provider is unknown (`<base>/signin?callbackUrl=…`) or none is configured
    /// (`<base>/error`). A browser host navigates there; a native host decides.
    Redirect(String),
    /// `redirect: false` with a credentials or email provider (spec §9.4 step 9).
    Complete(SignInResult),
}

impl SignInResponse {
    /// The URL of a [`SignInResponse::Redirect`].
    pub fn redirect_url(&self) -> Option<&str> {
        match self {
            SignInResponse::Redirect(url) => Some(url),
            SignInResponse::Complete(_) => None,
        }
    }

    /// The result of a [`SignInResponse::Complete`].
    pub fn result(&self) -> Option<&SignInResult> {
        match self {
            SignInResponse::Redirect(_) => None,
            SignInResponse::Complete(result) => Some(result),
        }
    }
}

/// A NextAuth.js client: one per browser profile (on native targets it owns the cookie
/// store; clones share it).
///
/// Every method is one of next-auth/react's functions with the same requests in the same
/// order, but failures are typed: a network error, a non-2xx answer or a body that is not
/// the expected JSON is an `Err`, where next-auth logs and returns `null`.
///
/// It speaks next-auth 4's client protocol unless [`Client::compat`] says
/// [`Compat::AuthJsV5`]: then `sign_in` and `sign_out` send `X-Auth-Return-Redirect: 1`
/// (no `json=true`) and read `{url}` from the answer, `sign_in` reports the answer's
/// `code` too, and `update(None)` is a plain `GET /session`, as next-auth 5 does.
#[derive(Clone)]
pub struct Client {
    transport: Arc<dyn Transport>,
    origin: String,
    base_path: String,
    location: Option<String>,
    compat: Compat,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("origin", &self.origin)
            .field("base_path", &self.base_path)
            .field("location", &self.location)
            .field("compat", &self.compat)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the server at `base_url` (e.g. `http://localhost:3000`), with its own
    /// cookie store. The base path is the URL's path, or `/api/auth` when it has none
    /// (spec §9.1); [`Client::base_path`] overrides it.
    pub fn new(base_url: &str) -> Result<Client, ClientError> {
        Client::with_transport(base_url, crate::transport::default_transport()?)
    }

    /// Like [`Client::new`], over another [`Transport`].
    pub fn with_transport(base_url: &str, transport: impl Transport) -> Result<Client, ClientError> {
        let base = BaseUrl::parse(base_url)?;
        Ok(Client {
            transport: Arc::new(transport),
            origin: base.origin,
            base_path: base.path,
            location: None,
            compat: Compat::NextAuthV4,
        })
    }

    /// The server-side configuration of next-auth/react (spec §9.1): origin from
    /// `NEXTAUTH_URL_INTERNAL`, else `NEXTAUTH_URL`, else `VERCEL_URL`, else
    /// `http://localhost:3000`; base path from `NEXTAUTH_URL_INTERNAL`, else `NEXTAUTH_URL`,
    /// else `/api/auth`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_env() -> Result<Client, ClientError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let configured = var("NEXTAUTH_URL_INTERNAL").or_else(|| var("NEXTAUTH_URL"));
        let default = "http://localhost:3000";
        let origin = BaseUrl::parse(
            configured
                .clone()
                .or_else(|| var("VERCEL_URL"))
                .as_deref()
                .unwrap_or(default),
        )?;
        let path = BaseUrl::parse(configured.as_deref().unwrap_or(default))?;
        Ok(Client::with_transport(&origin.origin, crate::transport::ReqwestTransport::new()?)?.base_path(path.path))
    }

    /// Overrides the base path (`<SessionProvider basePath>`). Normalised to a leading `/`
    /// and no trailing `/`; `/` mounts the API at the root.
    pub fn base_path(mut self, path: impl AsRef<str>) -> Client {
        self.base_path = normalize_base_path(path.as_ref());
        self
    }

    /// The page this client acts for: the default callback URL of `sign_in` and `sign_out`
    /// (`window.location.href` in a browser). Defaults to `<origin>/` (on wasm32: the
    /// page's `window.location.href` at the time of the call).
    pub fn location(mut self, url: impl Into<String>) -> Client {
        self.location = Some(url.into());
        self
    }

    /// The generation of the client protocol to speak: [`Compat::NextAuthV4`] (the
    /// default) or [`Compat::AuthJsV5`] (next-auth 5 / Auth.js v5). It must match the
    /// server's; a [`SessionStore`](crate::SessionStore) follows its client's.
    pub fn compat(mut self, compat: Compat) -> Client {
        self.compat = compat;
        self
    }

    /// The protocol generation (see [`Client::compat`]).
    pub fn compat_mode(&self) -> Compat {
        self.compat
    }

    /// `scheme://host[:port]` of the server.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The base path (e.g. `/api/auth`; empty when mounted at the root).
    pub fn api_path(&self) -> &str {
        &self.base_path
    }

    /// `<origin><base path>`.
    pub fn api_base(&self) -> String {
        format!("{}{}", self.origin, self.base_path)
    }

    /// `<origin><base path>/<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}/{}", self.origin, self.base_path, path)
    }

    /// The current location (see [`Client::location`]).
    pub fn current_location(&self) -> String {
        #[cfg(target_arch = "wasm32")]
        if self.location.is_none()
            && let Some(href) = crate::platform::location_href()
        {
            return href;
        }
        self.location.clone().unwrap_or_else(|| format!("{}/", self.origin))
    }

    /// The transport (to send other requests with the same cookies).
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, ClientError> {
        self.transport.send(request).await
    }

    /// `fetchData` (spec §9.2): GET (or POST with a JSON body) with
    /// `Content-Type: application/json`; non-2xx is an error; `{}` (or `null`) is `None`.
    async fn fetch_data(&self, path: &str, body: Option<String>) -> Result<Option<Value>, ClientError> {
        let url = self.url(path);
        let request = HttpRequest {
            method: if body.is_some() { Method::Post } else { Method::Get },
            url: url.clone(),
            headers: vec![("Content-Type".to_owned(), JSON.to_owned())],
            body,
        };
        let response = self.send(request).await?;
        if !response.ok() {
            return Err(ClientError::Status {
                url,
                status: response.status,
                body: truncate_body(&response.body, 1024),
            });
        }
        let data: Value = serde_json::from_slice(&response.body).map_err(|e| ClientError::json(&url, e))?;
        match data {
            Value::Null => Ok(None),
            Value::Object(ref map) if map.is_empty() => Ok(None),
            Value::Object(_) => Ok(Some(data)),
            other => Err(ClientError::json(
                &url,
                format!("expected an object, got {}", json_text(&other)),
            )),
        }
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, path: &str, value: &Value) -> Result<T, ClientError> {
        from_value(value).map_err(|message| ClientError::json(&self.url(path), message))
    }

    /// `getSession()`: `GET <base>/session`. `Ok(None)` when signed out: `{}` (next-auth 4)
    /// or `null` (next-auth 5), whatever [`Client::compat`] says.
    ///
    /// Unlike next-auth's, this does not post the cross-tab message;
    /// [`SessionStore`](crate::SessionStore) does that, and only when the session changed.
    pub async fn get_session(&self) -> Result<Option<Session>, ClientError> {
        match self.fetch_data("session", None).await? {
            Some(value) => Ok(Some(self.decode("session", &value)?)),
            None => Ok(None),
        }
    }

    /// `getCsrfToken()`: `GET <base>/csrf` → the bare token. Sets the CSRF cookie when the
    /// cookie store has none.
    pub async fn get_csrf_token(&self) -> Result<String, ClientError> {
        match self.fetch_data("csrf", None).await? {
            Some(value) => Ok(self.decode::<CsrfResponse>("csrf", &value)?.csrf_token),
            None => Err(ClientError::json(&self.url("csrf"), "no csrfToken in the answer")),
        }
    }

    /// `getProviders()`: `GET <base>/providers`, in configuration order. `Ok(None)` when
    /// the server has none configured (`{}`).
    pub async fn get_providers(&self) -> Result<Option<Providers>, ClientError> {
        match self.fetch_data("providers", None).await? {
            Some(value) => Ok(Some(self.decode("providers", &value)?)),
            None => Ok(None),
        }
    }

    /// POSTs a form to an absolute URL and reads the `{"url": …}` answer (any status).
    /// With [`Compat::AuthJsV5`] the request carries `X-Auth-Return-Redirect: 1`.
    pub(crate) async fn post_form(
        &self,
        url: &str,
        params: &[(String, String)],
    ) -> Result<(u16, Option<String>), ClientError> {
        let response = self.send_form(url, params).await?;
        Ok((response.status, read_url(url, &response)?))
    }

    /// POSTs a form to an absolute URL, with `X-Auth-Return-Redirect: 1` in
    /// [`Compat::AuthJsV5`] mode, and returns the answer whatever its status.
    pub(crate) async fn send_form(&self, url: &str, params: &[(String, String)]) -> Result<HttpResponse, ClientError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish();
        let mut headers = vec![("Content-Type".to_owned(), FORM.to_owned())];
        if self.compat == Compat::AuthJsV5 {
            headers.push((RETURN_REDIRECT.0.to_owned(), RETURN_REDIRECT.1.to_owned()));
        }
        let request = HttpRequest {
            method: Method::Post,
            url: url.to_owned(),
            headers,
            body: Some(body),
        };
        self.send(request).await
    }

    /// `signIn(provider, options, authorizationParams)` (spec §9.4).
    ///
    /// 1. `GET /providers`; none configured → `Redirect(<base>/error)`; `provider` missing
    ///    or unknown → `Redirect(<base>/signin?callbackUrl=…)`.
    /// 2. Target `<base>/callback/<id>` for credentials, else `<base>/signin/<id>`, plus
    ///    `?<authorization_params>` when there are any.
    /// 3. `GET /csrf`, then POST the form: the options in order, then `csrfToken`,
    ///    `callbackUrl`, `json=true`.
    /// 4. `redirect` (the default) or an OAuth provider → `Redirect(data.url ?? callbackUrl)`;
    ///    otherwise `Complete({error, status, ok, url})`, with `error` taken from the
    ///    `error` query parameter of `data.url` and `url` only when there is no error.
    ///
    /// With [`Compat::AuthJsV5`], next-auth 5's `signIn`: the callback URL is the option
    /// `redirectTo`, else `callbackUrl`, else the location; the form is the other options,
    /// `csrfToken`, `callbackUrl` (no `json`), sent with `X-Auth-Return-Redirect: 1`;
    /// `redirect: false` returns a result for any provider type, with `code` read from
    /// `data.url` too. next-auth 5 answers a failed sign-in with a 200 `{url}`, so a wrong
    /// password is `{error: "CredentialsSignin", code: "credentials", status: 200, ok: true,
    /// url: None}`.
    pub async fn sign_in<'a>(
        &self,
        provider: impl Into<Option<&'a str>>,
        options: SignInOptions,
        authorization_params: &[(&str, &str)],
    ) -> Result<SignInResponse, ClientError> {
        let provider = provider.into();
        let v5 = self.compat == Compat::AuthJsV5;
        let requested = if v5 {
            options.get("redirectTo").or_else(|| options.get("callbackUrl"))
        } else {
            options.get("callbackUrl")
        };
        let callback_url = requested.map(str::to_owned).unwrap_or_else(|| self.current_location());
        let Some(providers) = self.get_providers().await? else {
            return Ok(SignInResponse::Redirect(self.url("error")));
        };
        let Some(info) = provider.and_then(|id| providers.get(id)) else {
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("callbackUrl", &callback_url)
                .finish();
            return Ok(SignInResponse::Redirect(format!("{}?{query}", self.url("signin"))));
        };
        let is_credentials = info.kind == ProviderType::Credentials;
        let supports_return = v5 || is_credentials || info.kind == ProviderType::Email;
        let id = path_segment(&info.id);
        let mut target = self.url(&format!("{}/{id}", if is_credentials { "callback" } else { "signin" }));
        if !authorization_params.is_empty() {
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(authorization_params.iter().copied())
                .finish();
            target = format!("{target}?{query}");
        }
        let csrf_token = self.get_csrf_token().await?;
        let redirect = options.redirects();
        let mut params = options.params;
        if v5 {
            params.retain(|(name, _)| !matches!(name.as_str(), "callbackUrl" | "redirect" | "redirectTo"));
        }
        upsert(&mut params, "csrfToken".into(), csrf_token);
        upsert(&mut params, "callbackUrl".into(), callback_url.clone());
        if !v5 {
            upsert(&mut params, "json".into(), "true".into());
        }
        let (status, url) = self.post_form(&target, &params).await?;
        if redirect || !supports_return {
            return Ok(SignInResponse::Redirect(url.unwrap_or(callback_url)));
        }
        Ok(SignInResponse::Complete(self.sign_in_result(&target, status, url)?))
    }

    /// The result of a sign-in POST to `target` answered with `status` and `{"url": url}`:
    /// `error` (and in next-auth 5 mode `code`) from the URL's query, `url` only without an
    /// error.
    pub(crate) fn sign_in_result(
        &self,
        target: &str,
        status: u16,
        url: Option<String>,
    ) -> Result<SignInResult, ClientError> {
        let url = url.ok_or_else(|| ClientError::json(target, "no `url` in the answer"))?;
        let error = query_param(&url, "error")?;
        let code = if self.compat == Compat::AuthJsV5 {
            query_param(&url, "code")?
        } else {
            None
        };
        let has_error = error.as_deref().is_some_and(|e| !e.is_empty());
        Ok(SignInResult {
            error,
            code,
            status,
            ok: (200..300).contains(&status),
            url: if has_error { None } else { Some(url) },
        })
    }

    /// `signOut({callbackUrl, redirect})` (spec §9.5): `GET /csrf`, then
    /// `POST <base>/signout` with `csrfToken`, `callbackUrl`, `json=true`. Returns
    /// `{url: data.url ?? callbackUrl}` (a CSRF failure gives `<base>/signout?csrf=true`).
    ///
    /// `redirect` does not change the requests; it tells
    /// [`SessionStore::sign_out`](crate::SessionStore::sign_out) and browser hosts whether
    /// to navigate.
    ///
    /// With [`Compat::AuthJsV5`] the form is `csrfToken`, `callbackUrl` (no `json`), sent
    /// with `X-Auth-Return-Redirect: 1`.
    pub async fn sign_out(&self, options: SignOutOptions) -> Result<RedirectResponse, ClientError> {
        let callback_url = options.callback_url.unwrap_or_else(|| self.current_location());
        let csrf_token = self.get_csrf_token().await?;
        let mut params = vec![
            ("csrfToken".to_owned(), csrf_token),
            ("callbackUrl".to_owned(), callback_url.clone()),
        ];
        if self.compat == Compat::NextAuthV4 {
            params.push(("json".to_owned(), "true".to_owned()));
        }
        let (_, url) = self.post_form(&self.url("signout"), &params).await?;
        Ok(RedirectResponse {
            url: url.unwrap_or(callback_url),
        })
    }

    /// `update(data)` of `useSession()` (spec §9.7): `GET /csrf`, then `POST <base>/session`
    /// with JSON `{"csrfToken": …, "data": …}` (`data` left out when `None`). Returns the
    /// new session, `None` when there is none; a CSRF failure is `Err(Status 400)`.
    ///
    /// With [`Compat::AuthJsV5`], `update(None)` is next-auth 5's `update()` without an
    /// argument: a plain `GET /session` (no CSRF token, no POST).
    pub async fn update(&self, data: Option<Value>) -> Result<Option<Session>, ClientError> {
        if data.is_none() && self.compat == Compat::AuthJsV5 {
            return self.get_session().await;
        }
        let csrf_token = self.get_csrf_token().await?;
        let body = UpdateSessionRequest { csrf_token, data };
        let body = serde_json::to_string(&body).map_err(|e| ClientError::json(&self.url("session"), e))?;
        match self.fetch_data("session", Some(body)).await? {
            Some(value) => Ok(Some(self.decode("session", &value)?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        let cases = [
            ("http://localhost:3000", "http://localhost:3000", "/api/auth"),
            ("http://localhost:3000/", "http://localhost:3000", "/api/auth"),
            (
                "https://example.com/custom/api/auth",
                "https://example.com",
                "/custom/api/auth",
            ),
            (
                "https://example.com/custom/api/auth/",
                "https://example.com",
                "/custom/api/auth",
            ),
            ("example.com", "https://example.com", "/api/auth"),
            ("http://EXAMPLE.com:80/x", "http://example.com", "/x"),
        ];
        for (input, origin, path) in cases {
            let b = BaseUrl::parse(input).unwrap();
            assert_eq!((b.origin.as_str(), b.path.as_str()), (origin, path), "{input}");
        }
        assert!(matches!(
            BaseUrl::parse("http://"),
            Err(ClientError::InvalidUrl { url, .. }) if url == "http://"
        ));
        assert!(matches!(
            BaseUrl::parse("httpx://a"),
            Err(ClientError::InvalidUrl { url, reason }) if url == "httpx://a" && reason == "the scheme must be http or https"
        ));
        assert!(matches!(BaseUrl::parse("http//x"), Err(ClientError::InvalidUrl { .. })));
    }

    #[test]
    fn base_path_override() {
        let c = Client::with_transport("http://localhost:3000", NoTransport).unwrap();
        assert_eq!(c.url("session"), "http://localhost:3000/api/auth/session");
        let c = c.base_path("custom/auth/");
        assert_eq!(c.url("csrf"), "http://localhost:3000/custom/auth/csrf");
        let c = c.base_path("/");
        assert_eq!(c.url("csrf"), "http://localhost:3000/csrf");
        assert_eq!(c.current_location(), "http://localhost:3000/");
    }

    #[test]
    fn json_text_is_what_display_writes() {
        let value = serde_json::json!({"a": [1, -2, 1.5, null, true], "b": "x\"\u{e9}\n", "c": {}});
        assert_eq!(json_text(&value), value.to_string());
        assert_eq!(json_text(&Value::from(7)), "7");
    }

    #[test]
    fn from_value_is_serde_json_from_value() {
        use tessera_protocol::CsrfResponse;
        fn same<T: serde::de::DeserializeOwned + PartialEq + fmt::Debug>(value: &Value) {
            let expected = serde_json::from_value::<T>(value.clone()).map_err(|e| e.to_string());
            assert_eq!(from_value::<T>(value), expected, "{value}");
        }
        let values = [
            serde_json::json!({"user": {"name": "A", "email": null, "image": null, "id": 7}, "expires": "x", "n": 1.5, "big": u64::MAX, "neg": -3, "f": 2.0}),
            serde_json::json!({"user": null}),
            serde_json::json!({"user": 1, "expires": "x"}),
            serde_json::json!({"user": {"name": ["x"]}}),
            serde_json::json!({"expires": {"a": "b"}}),
            serde_json::json!({"csrfToken": "t"}),
            serde_json::json!({"csrfToken": 1}),
            serde_json::json!({"csrfToken": "t\u{e9}\"", "other": [true]}),
            serde_json::json!({"a": {"id": "a", "name": "A", "type": "oidc", "signinUrl": "s", "callbackUrl": "c"},
                "b": {"id": "b", "name": "B", "type": "credentials", "signinUrl": "s", "callbackUrl": "c"}}),
            serde_json::json!({"a": {"id": "a", "name": "A", "type": "saml", "signinUrl": "s", "callbackUrl": "c"}}),
            serde_json::json!({"a": {"id": "a", "name": "A", "type": "email", "signinUrl": "s"}}),
            serde_json::json!({"a": 1}),
            serde_json::json!([1, "x"]),
            serde_json::json!("x"),
            serde_json::json!(null),
        ];
        for value in values {
            same::<Session>(&value);
            same::<CsrfResponse>(&value);
            same::<Providers>(&value);
        }
    }

    #[test]
    fn options_keep_javascript_order() {
        let o = SignInOptions::new()
            .field("username", "a")
            .redirect(false)
            .field("password", "b")
            .field("username", "c");
        let fields: Vec<_> = o.fields().collect();
        assert_eq!(fields, [("username", "c"), ("redirect", "false"), ("password", "b")]);
        assert!(!o.redirects());
        assert!(SignInOptions::new().redirects());
    }

    struct NoTransport;
    impl Transport for NoTransport {
        fn send(&self, request: HttpRequest) -> crate::BoxFuture<'_, Result<HttpResponse, ClientError>> {
            Box::pin(async move {
                Err(ClientError::Network {
                    url: request.url,
                    message: "no transport".into(),
                })
            })
        }
    }
}
