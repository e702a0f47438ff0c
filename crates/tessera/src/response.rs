//! [`AuthResponse`]: what a route produces, and how it becomes HTTP. The `json=true`
//! convention (spec §1.4) and the headers every HTML page carries (security invariant 12)
//! live here and nowhere else.

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, EXPIRES, LOCATION, PRAGMA, X_FRAME_OPTIONS};
use http::{HeaderName, HeaderValue, StatusCode};

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// Pages carry CSRF tokens and one-click forms: never cached (by a CDN or the browser).
const PAGE_CACHE: HeaderValue = HeaderValue::from_static("no-store");
/// Pages are never framed (clickjacking): `X-Frame-Options` for old browsers, CSP for new.
const PAGE_FRAMES: HeaderValue = HeaderValue::from_static("DENY");
/// What the built-in pages need and nothing more: no scripts at all; inline styles (the
/// layout's `<style>` and the provider buttons' `style` attributes); images over http(s)
/// and `data:` (the theme's and the providers' logos); never framed. There is no
/// `form-action`: the sign-in forms POST here and are then redirected to the identity
/// provider, and Chrome applies `form-action` to that redirect too.
const PAGE_CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: http: data:; base-uri 'none'; frame-ancestors 'none'",
);

#[derive(Debug)]
pub(crate) enum Body {
    Empty,
    Json(Bytes),
    Html(String),
    Text(String),
}

/// A route's result, before the preamble cookies and the redirect convention are applied.
#[derive(Debug)]
pub(crate) struct AuthResponse {
    pub status: Option<StatusCode>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub cookies: Vec<HeaderValue>,
    pub body: Body,
    pub redirect: Option<String>,
    /// For a browser's navigation (no JSON redirect asked), this page answers, with the
    /// response's status, instead of the redirect.
    pub browser_page: Option<String>,
    /// Whether the preamble's Set-Cookies go out with this response.
    pub preamble_cookies: bool,
}

impl AuthResponse {
    fn new(body: Body) -> Self {
        AuthResponse {
            status: None,
            headers: Vec::new(),
            cookies: Vec::new(),
            body,
            redirect: None,
            browser_page: None,
            preamble_cookies: true,
        }
    }

    pub(crate) fn json(bytes: impl Into<Bytes>) -> Self {
        Self::new(Body::Json(bytes.into()))
    }

    pub(crate) fn json_value(value: &impl serde::Serialize) -> Self {
        // Room for a session body, so the buffer does not grow three times on the way:
        // benches/profile.rs `jwt` (callgrind), 61,494 instructions per GET /session,
        // 65,224 starting from an empty Vec (+6.1%); CPU 5.45-5.60 µs against 5.80-5.90 µs.
        let mut buf = Vec::with_capacity(256);
        match serde_json::to_writer(&mut buf, value) {
            Ok(()) => Self::json(buf),
            Err(_) => Self::json(&b"{}"[..]),
        }
    }

    pub(crate) fn html(status: StatusCode, html: String) -> Self {
        Self::new(Body::Html(html)).status(status)
    }

    pub(crate) fn text(status: StatusCode, text: impl Into<String>) -> Self {
        Self::new(Body::Text(text.into())).status(status)
    }

    pub(crate) fn redirect(url: impl Into<String>) -> Self {
        AuthResponse {
            redirect: Some(url.into()),
            ..Self::new(Body::Empty)
        }
    }

    /// For a redirect: a browser's navigation gets `html` with the response's status
    /// instead (an error page whose status matters, such as a 503); a client that asked
    /// for JSON still gets `{"url": …}`.
    pub(crate) fn or_page(mut self, html: String) -> Self {
        self.browser_page = Some(html);
        self
    }

    pub(crate) fn status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub(crate) fn cookies(mut self, cookies: impl IntoIterator<Item = HeaderValue>) -> Self {
        self.cookies.extend(cookies);
        self
    }

    /// `Cache-Control: private, no-cache, no-store`, `Pragma: no-cache`, `Expires: 0`.
    pub(crate) fn no_cache(self) -> Self {
        self.header(CACHE_CONTROL, HeaderValue::from_static("private, no-cache, no-store"))
            .header(PRAGMA, HeaderValue::from_static("no-cache"))
            .header(EXPIRES, HeaderValue::from_static("0"))
    }

    /// Auth.js v5 answers a redirect asked for as JSON (`X-Auth-Return-Redirect`) with
    /// `{"url": …}` and status 200, refusals included (`Response.json({ url })` in
    /// `@auth/core`'s `Auth()`): the 401/403 next-auth 4 gives them go. Tessera's own
    /// statuses stay, so that a client can tell them: 429 (rate limited, with
    /// `Retry-After`) and 5xx (the database is unavailable).
    pub(crate) fn v5_json_redirect(mut self) -> Self {
        if self.redirect.is_some()
            && self
                .status
                .is_some_and(|s| s.is_client_error() && s != StatusCode::TOO_MANY_REQUESTS)
        {
            self.status = None;
        }
        self
    }

    pub(crate) fn without_preamble(mut self) -> Self {
        self.preamble_cookies = false;
        self
    }

    /// Materialises the response. `json_redirect`: the request asked for redirects as
    /// `{"url": …}` (body `json` = `"true"`, or v5's `X-Auth-Return-Redirect`).
    /// `fallback` replaces a redirect target that cannot be a header value.
    pub(crate) fn finish(
        mut self,
        preamble: Vec<HeaderValue>,
        json_redirect: bool,
        fallback: &str,
    ) -> http::Response<Bytes> {
        if !json_redirect
            && self.redirect.is_some()
            && let Some(html) = self.browser_page.take()
        {
            self.redirect = None;
            self.body = Body::Html(html);
        }
        let page = self.redirect.is_none() && matches!(self.body, Body::Html(_));
        let mut builder = http::Response::builder();
        let mut headers = builder.headers_mut();
        let (status, body) = match (self.redirect, json_redirect) {
            (Some(url), true) => {
                if let Some(h) = headers.as_deref_mut() {
                    h.insert(CONTENT_TYPE, JSON);
                }
                let body = serde_json::to_vec(&tessera_protocol::RedirectResponse { url })
                    .expect("a struct of one string serializes");
                (self.status.unwrap_or(StatusCode::OK), Bytes::from(body))
            }
            (Some(url), false) => {
                let location = HeaderValue::try_from(url)
                    .or_else(|_| HeaderValue::try_from(fallback))
                    .unwrap_or(HeaderValue::from_static("/"));
                if let Some(h) = headers.as_deref_mut() {
                    h.insert(LOCATION, location);
                }
                (StatusCode::FOUND, Bytes::new())
            }
            (None, _) => {
                let (ct, body) = match self.body {
                    Body::Empty => (None, Bytes::new()),
                    Body::Json(b) => (Some(JSON), b),
                    Body::Html(s) => (Some(HTML), Bytes::from(s)),
                    Body::Text(s) => (Some(TEXT), Bytes::from(s)),
                };
                if let (Some(ct), Some(h)) = (ct, headers.as_deref_mut()) {
                    h.insert(CONTENT_TYPE, ct);
                }
                (self.status.unwrap_or(StatusCode::OK), body)
            }
        };
        if let Some(h) = headers {
            for (name, value) in self.headers {
                h.append(name, value);
            }
            if page {
                h.insert(CACHE_CONTROL, PAGE_CACHE);
                h.insert(X_FRAME_OPTIONS, PAGE_FRAMES);
                h.insert(CONTENT_SECURITY_POLICY, PAGE_CSP);
            }
            let preamble = if self.preamble_cookies { preamble } else { Vec::new() };
            for c in preamble.into_iter().chain(self.cookies) {
                h.append(http::header::SET_COOKIE, c);
            }
        }
        builder
            .status(status)
            .body(body)
            .unwrap_or_else(|_| http::Response::new(Bytes::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_becomes_302_or_json() {
        let r = AuthResponse::redirect("http://x/y").status(StatusCode::UNAUTHORIZED);
        let res = r.finish(vec![], false, "http://x");
        assert_eq!(res.status(), StatusCode::FOUND);
        assert_eq!(res.headers()[LOCATION], "http://x/y");

        let r = AuthResponse::redirect("http://x/y").status(StatusCode::UNAUTHORIZED);
        let res = r.finish(vec![HeaderValue::from_static("a=b")], true, "http://x");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().get(LOCATION).is_none());
        assert_eq!(res.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(res.headers()[http::header::SET_COOKIE], "a=b");
        assert_eq!(res.body().as_ref(), br#"{"url":"http://x/y"}"#);
    }

    #[test]
    fn a_redirect_with_a_page_is_the_page_for_a_browser_and_json_for_a_client() {
        let r = || {
            AuthResponse::redirect("http://x/error?error=E")
                .or_page("<p>down</p>".into())
                .status(StatusCode::SERVICE_UNAVAILABLE)
        };
        let res = r().finish(vec![], false, "http://x");
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(res.headers().get(LOCATION).is_none());
        assert_eq!(res.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(res.headers()[X_FRAME_OPTIONS], "DENY");
        assert_eq!(res.body().as_ref(), b"<p>down</p>");

        let res = r().finish(vec![], true, "http://x");
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(res.body().as_ref(), br#"{"url":"http://x/error?error=E"}"#);
    }

    #[test]
    fn l7_pages_are_never_framed_or_cached() {
        let res = AuthResponse::html(StatusCode::OK, "<p>hi</p>".into())
            .no_cache()
            .finish(vec![], false, "");
        assert_eq!(res.headers().get_all(CACHE_CONTROL).iter().count(), 1);
        assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
        assert_eq!(res.headers()[X_FRAME_OPTIONS], "DENY");
        assert!(
            res.headers()[CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        // Only pages: JSON keeps its own headers.
        let res = AuthResponse::json(&b"{}"[..]).finish(vec![], false, "");
        assert!(res.headers().get(X_FRAME_OPTIONS).is_none());
    }

    #[test]
    fn unsafe_location_falls_back() {
        let res = AuthResponse::redirect("http://x/\n").finish(vec![], false, "http://x");
        assert_eq!(res.headers()[LOCATION], "http://x");
    }
}
