//! What every request goes through before its route (spec §1.3): the size limit, the
//! request URL (trust host and allowed hosts), the route and its provider, parsing, the
//! same-origin check for writes, the CSRF cookie and the callback URL. Routes whose answers
//! carry no preamble cookies (`GET /providers`, `POST /_log`) and every refusal are answered
//! here; everything else leaves as a [`Ctx`] for `routes::dispatch`.

use std::borrow::Cow;
use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use tessera_protocol::Action;

use crate::Compat;
use crate::allowed_hosts::HostNotAllowed;
use crate::config::Config;
use crate::csrf::Csrf;
use crate::ctx::Ctx;
use crate::request::{AuthRequest, RequestError};
use crate::response::AuthResponse;
use crate::url::BaseUrl;
use crate::{origin_check, pages, rate_limit, redirect, routes};

/// The outcome of the preamble.
#[expect(
    clippy::large_enum_variant,
    reason = "one value per request, moved once: boxing either variant would add an allocation to every request"
)]
pub(crate) enum Preamble<'a> {
    /// The request was answered here (a refusal, or a route without preamble cookies).
    Answered(http::Response<Bytes>),
    /// The request goes on to its route.
    Ready(Ready<'a>),
}

/// A request ready for its route.
pub(crate) struct Ready<'a> {
    pub ctx: Ctx<'a>,
    /// The preamble's Set-Cookies (a new CSRF cookie, the callback URL).
    pub cookies: Vec<HeaderValue>,
    /// The client asked for redirects as JSON (`json=true`, or Auth.js v5's
    /// `X-Auth-Return-Redirect`, whatever its value: `@auth/core` only asks whether it is there).
    pub json_redirect: bool,
}

/// Runs the preamble for one request.
pub(crate) async fn run(config: &Config, req: http::Request<Bytes>) -> Preamble<'_> {
    let (parts, body) = req.into_parts();
    if body.len() > config.max_body_bytes {
        let msg = format!(
            r#"{{"message":"Request body too large (limit {} bytes)"}}"#,
            config.max_body_bytes
        );
        return answered(AuthResponse::json(msg).status(StatusCode::PAYLOAD_TOO_LARGE));
    }
    let url = match config.request_url(&parts.headers) {
        Ok(url) => url,
        Err(e) => return host_not_allowed(&e),
    };
    let (action, provider_id) = match AuthRequest::route(&parts.method, parts.uri.path(), &url.path) {
        Ok(r) => r,
        Err(e) => return unsupported(&e),
    };
    // Routes whose replies carry no preamble cookies skip the preamble entirely.
    if action == Action::Providers && parts.method == http::Method::GET {
        return answered(routes::providers::get(config, &url));
    }
    if action == Action::Log && parts.method == http::Method::POST {
        return answered(routes::log::post(parts.uri.path(), &body));
    }
    // The provider a path names, resolved once for the route and its flow.
    let provider = match action {
        Action::SignIn | Action::Callback => provider_id
            .as_deref()
            .and_then(|id| config.providers.iter().find(|p| p.id() == id)),
        _ => None,
    };
    if action == Action::Callback && provider.is_none() {
        return unsupported(&RequestError::Unsupported(parts.method.as_str().to_owned()));
    }
    let client = client_ip(config, &parts);
    let req = match AuthRequest::parse(parts, &body, action, provider_id) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    // Same-origin writes (L6): before any flow runs, whatever CSRF pair the request carries.
    let oauth_callback = action == Action::Callback && matches!(provider, Some(crate::providers::Provider::OAuth(_)));
    if origin_check::is_guarded(&req.method, action, oauth_callback)
        && let Err(why) = origin_check::check(&req.headers, &url.origin)
    {
        return Preamble::Answered(origin_check::refusal(&req, &url, config, why));
    }
    let profile = config.profile(&url);

    // The CSRF cookie, then the callback URL (spec §1.3 steps 2 and 3).
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
    let mut cookies = Vec::with_capacity(2);
    cookies.extend(csrf.set_cookie.take());
    if cookie_callback != Some(callback_url.as_str()) {
        cookies.push(profile.cookies.callback_url.set(&callback_url, None));
    }
    let json_redirect = req.body_str("json") == Some("true")
        || (config.compat == Compat::AuthJsV5 && req.headers.contains_key("x-auth-return-redirect"));
    Preamble::Ready(Ready {
        ctx: Ctx {
            config,
            url,
            profile,
            req,
            provider,
            csrf,
            callback_url,
            now: SystemTime::now(),
            client,
        },
        cookies,
        json_redirect,
    })
}

impl Config {
    /// The URL for this request: the configured one, or (trust host) one from the headers,
    /// whose host must be allowed when an allow-list is set (M5).
    pub(crate) fn request_url(&self, headers: &HeaderMap) -> Result<Cow<'_, BaseUrl>, HostNotAllowed> {
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
            _ => Err(HostNotAllowed(host.unwrap_or_default().chars().take(100).collect())),
        }
    }

    /// The callback URL after the `redirect` callback.
    async fn redirect(&self, url: &str, origin: &str) -> String {
        if !self.custom_callbacks {
            // The default callback, without its boxed future (see `Config::custom_callbacks`).
            return redirect::resolve(url, origin);
        }
        // The app's target may leave the origin on purpose (as in NextAuth), but must be
        // an http(s) URL or a path: anything else falls back to the origin.
        let target = self.callbacks.redirect(url, origin).await;
        // The steady state (the callback is the origin, itself a parsed http(s) URL)
        // needs no parse: benches/profile.rs `jwt` (callgrind), 59,464 instructions per
        // GET /session against 61,530 parsing it (+3.5%).
        if target == origin || redirect::is_app_target(&target) {
            target
        } else {
            tracing::warn!(
                "the redirect callback returned a target that is not an http(s) URL or a path; using the origin"
            );
            origin.to_owned()
        }
    }
}

/// The client address: the peer from the framework ([`rate_limit::ClientIp`] in the
/// extensions), or what a trusted proxy reports (see `client_addr`).
fn client_ip(config: &Config, parts: &http::request::Parts) -> Option<std::net::IpAddr> {
    let peer = parts.extensions.get::<rate_limit::ClientIp>().map(|c| c.0);
    config.proxies.client(peer, &parts.headers)
}

/// A response that carries no preamble cookies.
fn answered(response: AuthResponse) -> Preamble<'static> {
    Preamble::Answered(response.without_preamble().finish(Vec::new(), false, ""))
}

fn unsupported(e: &RequestError) -> Preamble<'static> {
    answered(AuthResponse::text(StatusCode::BAD_REQUEST, e.to_string()))
}

/// A request naming a host outside the allow-list (M5): refused before anything is built
/// from it.
fn host_not_allowed(e: &HostNotAllowed) -> Preamble<'static> {
    tracing::warn!(error = %e, "request refused: host not in the allowed hosts");
    let body = serde_json::json!({
        "message": "This host is not allowed: the site's hosts are listed in AUTH_ALLOWED_HOSTS."
    });
    answered(AuthResponse::json_value(&body).status(StatusCode::BAD_REQUEST))
}

fn bad_request(e: &RequestError) -> Preamble<'static> {
    let body = serde_json::json!({ "message": e.to_string() });
    answered(AuthResponse::json_value(&body).status(StatusCode::BAD_REQUEST))
}

/// A query `callbackUrl` that is not a path or http(s) URL. NextAuth answers 500; a
/// client's mistake deserves a 400, with the built-in error page for page routes.
fn invalid_callback(req: &AuthRequest, url: &BaseUrl, config: &Config) -> Preamble<'static> {
    const MESSAGE: &str = "Invalid callbackUrl: use a path starting with '/' or an absolute http(s) URL on this site.";
    let page = matches!(
        req.action,
        Action::SignIn | Action::SignOut | Action::Error | Action::VerifyRequest
    ) && req.method == http::Method::GET;
    answered(if page {
        let html = pages::render_message(&config.theme, url, "Invalid link", MESSAGE);
        AuthResponse::html(StatusCode::BAD_REQUEST, html)
    } else {
        AuthResponse::json_value(&serde_json::json!({ "message": MESSAGE })).status(StatusCode::BAD_REQUEST)
    })
}
