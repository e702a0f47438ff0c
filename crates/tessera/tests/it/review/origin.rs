//! Hosts, origins and pages: M5 (allowed hosts), L6 (cross-site POSTs), L7 (frame and cache headers), L1, L12.

use bytes::Bytes;
use http::{Request, StatusCode};
use tessera::adapter::MemoryAdapter;
use tessera::callbacks::{CallbackError, Callbacks, SignInArgs, SignInDecision};
use tessera::oauth::{HttpClient, HttpError, HttpRequest, HttpResponse};
use tessera::providers::OAuthProvider;
use tessera::providers::email::EmailProvider;
use tessera::{Auth, AuthBuilder, ConfigError};

use crate::common::outbox::Outbox;
use crate::common::{self, Browser, Reply};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// An OAuth client that must never be reached.
struct NoNetwork;

#[tessera::async_trait]
impl HttpClient for NoNetwork {
    async fn execute(&self, _req: HttpRequest) -> Result<HttpResponse, HttpError> {
        Err(HttpError("no network in this test".into()))
    }
}

fn oauth_provider() -> OAuthProvider {
    OAuthProvider::new("idp")
        .name("IdP")
        .issuer("https://idp.example")
        .authorization("https://idp.example/authorize")
        .token("https://idp.example/token")
        .userinfo("https://idp.example/userinfo")
        .client_id("cid")
        .client_secret("csec")
}

/// Sends a form POST with extra request headers.
async fn post_with(b: &mut Browser, path: &str, form: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut req = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    b.send(req, Bytes::from(body)).await
}

async fn get_with(b: &mut Browser, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = Request::get(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    b.send(req, Bytes::new()).await
}

fn has_session(reply: &Reply) -> bool {
    reply
        .set_cookies()
        .iter()
        .any(|c| c.starts_with("next-auth.session-token=") && !c.contains("Max-Age=0"))
}

fn cookie_value(reply: &Reply, name: &str) -> Option<String> {
    reply.set_cookies().into_iter().find_map(|c| {
        let value = c.strip_prefix(&format!("{name}="))?.split(';').next()?.to_owned();
        Some(
            percent_encoding::percent_decode_str(&value)
                .decode_utf8()
                .unwrap()
                .into_owned(),
        )
    })
}

// ---------------------------------------------------------------------------------------
// M5: allowed hosts in trust-host mode
// ---------------------------------------------------------------------------------------

fn trust_host_email(outbox: &Outbox) -> AuthBuilder {
    Auth::builder()
        .secret(common::SECRET)
        .trust_host(true)
        .adapter(MemoryAdapter::new())
        .provider(EmailProvider::new(outbox.clone()))
}

async fn request_link(b: &mut Browser, host: &str) -> Reply {
    let csrf = get_with(b, "/api/auth/csrf", &[("x-forwarded-host", "app.example.com")]).await;
    assert_eq!(csrf.status, StatusCode::OK);
    let token = csrf.json()["csrfToken"].as_str().unwrap().to_owned();
    post_with(
        b,
        "/api/auth/signin/email",
        &[("csrfToken", &token), ("email", "victim@example.com"), ("json", "true")],
        &[("x-forwarded-host", host)],
    )
    .await
}

#[tokio::test]
async fn m5_a_forged_host_gets_400_and_no_mail() {
    let outbox = Outbox::default();
    let auth = trust_host_email(&outbox)
        .allowed_hosts(["app.example.com"])
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    for forged in [
        "evil.example",
        "app.example.com.evil.example",
        "app.example.com:8443",
        "evil.example@app.example.com",
    ] {
        let reply = request_link(&mut b, forged).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{forged}");
        assert!(reply.location().is_none(), "{forged}");
        assert!(reply.json()["message"].as_str().unwrap().contains("AUTH_ALLOWED_HOSTS"));
        assert!(!reply.text().contains("evil"), "{forged}");
    }
    assert!(outbox.links().is_empty(), "no mail for a forged host");

    // Every route, not only the email one, and the Host header as well as X-Forwarded-Host.
    for path in [
        "/api/auth/providers",
        "/api/auth/signin",
        "/api/auth/session",
        "/api/auth/csrf",
    ] {
        let reply = b
            .send(Request::get(path).header("host", "evil.example"), Bytes::new())
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
    }
    // A request without any host is not silently given a fallback origin either.
    assert_eq!(b.get("/api/auth/providers").await.status, StatusCode::BAD_REQUEST);
    let headers: http::HeaderMap = [(http::header::HOST, "evil.example".parse().unwrap())]
        .into_iter()
        .collect();
    assert!(b.auth.session(&headers).await.is_none());
}

#[tokio::test]
async fn m5_an_allowed_host_works() {
    let outbox = Outbox::default();
    let auth = trust_host_email(&outbox)
        .allowed_hosts(["app.example.com", "www.example.com:8443"])
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    // Case-insensitive, default port normalised.
    for host in ["app.example.com", "APP.Example.com:443"] {
        let reply = request_link(&mut b, host).await;
        assert_eq!(reply.status, StatusCode::OK, "{host}: {}", reply.text());
        assert_eq!(
            reply.json()["url"],
            "https://app.example.com/api/auth/verify-request?provider=email&type=email"
        );
    }
    let links = outbox.links();
    assert_eq!(links.len(), 2);
    assert!(
        links
            .iter()
            .all(|l| l.starts_with("https://app.example.com/api/auth/callback/email?"))
    );

    let providers = get_with(&mut b, "/api/auth/providers", &[("host", "www.example.com:8443")]).await;
    assert_eq!(
        providers.json()["email"]["signinUrl"],
        "https://www.example.com:8443/api/auth/signin/email"
    );
}

#[test]
fn m5_email_under_trust_host_needs_a_url_or_allowed_hosts() {
    let outbox = Outbox::default();
    let err = trust_host_email(&outbox).build().unwrap_err();
    assert_eq!(err, ConfigError::EmailNeedsTrustedHost("email".into()));
    let message = err.to_string();
    assert!(
        message.contains("NEXTAUTH_URL") && message.contains("AUTH_URL"),
        "{message}"
    );
    assert!(message.contains("AUTH_ALLOWED_HOSTS"), "{message}");

    assert!(trust_host_email(&outbox).url("https://app.example.com").build().is_ok());
    assert!(
        trust_host_email(&outbox)
            .allowed_hosts(["app.example.com"])
            .build()
            .is_ok()
    );
    assert_eq!(
        trust_host_email(&outbox)
            .allowed_hosts(["https://app.example.com"])
            .build()
            .unwrap_err(),
        ConfigError::InvalidAllowedHost("https://app.example.com".into())
    );
}

/// The choice for trust-host mode without a list and without an email provider: any host
/// is accepted (NextAuth on Vercel relies on it), and redirects go back to that host.
#[tokio::test]
async fn m5_trust_host_without_a_list_or_email_keeps_answering_any_host() {
    let auth = Auth::builder()
        .secret(common::SECRET)
        .trust_host(true)
        .provider(common::credentials())
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    let reply = get_with(
        &mut b,
        "/api/auth/signin/x",
        &[("x-forwarded-host", "preview-123.vercel.app")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .text()
            .contains("https://preview-123.vercel.app/api/auth/callback/credentials")
    );
}

// ---------------------------------------------------------------------------------------
// L6: cross-site POSTs
// ---------------------------------------------------------------------------------------

/// A CSRF pair minted for an attacker's own browser, planted in the victim's.
async fn planted_pair(auth: &Auth) -> (Browser, String) {
    let mut attacker = Browser::new(auth.clone());
    let token = attacker.csrf().await;
    let mut victim = Browser::new(auth.clone());
    victim.jar = attacker.jar.clone();
    (victim, token)
}

#[tokio::test]
async fn l6_login_csrf_with_a_planted_pair_is_refused_cross_site() {
    let auth = common::auth();
    let cross_site_headers: [&[(&str, &str)]; 3] = [
        &[("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")],
        &[("sec-fetch-site", "cross-site")],
        &[("origin", "https://evil.example")],
    ];
    for headers in cross_site_headers {
        let (mut victim, token) = planted_pair(&auth).await;
        let form = [
            ("username", "attacker"),
            ("password", "pw"),
            ("csrfToken", token.as_str()),
        ];
        let reply = post_with(&mut victim, "/api/auth/callback/credentials", &form, headers).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{headers:?}");
        assert!(!has_session(&reply), "{headers:?}");
        assert!(reply.set_cookies().is_empty(), "{headers:?}");
        assert!(reply.text().contains("Cross-site request refused"));
    }

    // The same request from the site's own page signs in.
    let (mut victim, token) = planted_pair(&auth).await;
    let form = [
        ("username", "attacker"),
        ("password", "pw"),
        ("csrfToken", token.as_str()),
    ];
    let same_origin = [("sec-fetch-site", "same-origin"), ("origin", "http://localhost:3000")];
    let reply = post_with(&mut victim, "/api/auth/callback/credentials", &form, &same_origin).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert!(has_session(&reply));
}

#[tokio::test]
async fn l6_every_state_changing_post_refuses_cross_site() {
    let auth = common::builder().adapter(MemoryAdapter::new()).build().unwrap();
    let (mut b, token) = planted_pair(&auth).await;
    let routes = [
        "/api/auth/signin/credentials",
        "/api/auth/callback/credentials",
        "/api/auth/signout",
        "/api/auth/session",
        "/api/auth/sessions/revoke",
        "/api/auth/sessions/revoke-others",
        "/api/auth/sessions/revoke-all",
    ];
    for path in routes {
        for headers in [
            &[("sec-fetch-site", "cross-site")][..],
            &[("origin", "https://evil.example")],
            &[("origin", "null")],
            &[("sec-fetch-site", "same-site"), ("origin", "http://sub.localhost:3000")],
        ] {
            // As an API call: JSON.
            let form = [("csrfToken", token.as_str()), ("json", "true")];
            let reply = post_with(&mut b, path, &form, headers).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path} {headers:?}");
            assert_eq!(reply.header("content-type"), Some("application/json"));
            assert!(
                reply.json()["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("Cross-site request refused")
            );
            // As a plain form: a page, with the page headers.
            let reply = post_with(&mut b, path, &[("csrfToken", token.as_str())], headers).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path} {headers:?}");
            assert_page_headers(&reply, path);
        }
    }
    // POST /_log only writes a debug line: not guarded.
    let reply = post_with(
        &mut b,
        "/api/auth/_log",
        &[("message", "x")],
        &[("sec-fetch-site", "cross-site")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn l6_the_oauth_callback_post_is_not_refused() {
    let auth = common::builder()
        .http_client(NoNetwork)
        .provider(oauth_provider())
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    // Apple's form_post: a cross-site POST from the identity provider.
    let headers = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://appleid.apple.com"),
    ];
    let reply = post_with(
        &mut b,
        "/api/auth/callback/idp",
        &[("code", "c"), ("state", "s")],
        &headers,
    )
    .await;
    assert_ne!(reply.status, StatusCode::FORBIDDEN);
    // It reaches the flow, which refuses it for its own reason (no state cookie).
    assert_eq!(
        reply.location(),
        Some("http://localhost:3000/api/auth/error?error=OAuthCallback")
    );
}

/// What `next-auth/react` sends: same-origin POSTs with `Origin`, JSON or `json=true` forms.
#[tokio::test]
async fn l6_next_auth_react_requests_still_work() {
    let auth = common::auth();
    let mut b = Browser::new(auth);
    b.extra_headers = vec![
        ("sec-fetch-site".into(), "same-origin".into()),
        ("origin".into(), "http://localhost:3000".into()),
    ];
    let reply = b.sign_in().await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(has_session(&reply));
    let token = b.csrf().await;
    let update = b
        .post_json(
            "/api/auth/session",
            serde_json::json!({ "csrfToken": token, "data": {} }),
        )
        .await;
    assert_eq!(update.status, StatusCode::OK);
    assert_eq!(update.json()["user"]["name"], "Alice");
    let out = b
        .post_form("/api/auth/signout", &[("csrfToken", &token), ("json", "true")])
        .await;
    assert_eq!(out.status, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------
// L7: frame and cache headers
// ---------------------------------------------------------------------------------------

#[track_caller]
fn assert_page_headers(reply: &Reply, what: &str) {
    assert!(reply.header("content-type").unwrap().starts_with("text/html"), "{what}");
    assert_eq!(reply.header("cache-control"), Some("no-store"), "{what}");
    assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{what}");
    let csp = reply.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
    assert!(
        !csp.contains("form-action"),
        "{what}: form-action breaks the redirect to the IdP"
    );
}

#[tokio::test]
async fn l7_every_built_in_page_is_never_framed_or_cached() {
    let outbox = Outbox::default();
    let auth = common::builder()
        .adapter(MemoryAdapter::new())
        .provider(EmailProvider::new(outbox))
        .http_client(NoNetwork)
        .provider(oauth_provider())
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    let pages = [
        ("/api/auth/signin", StatusCode::OK),
        ("/api/auth/signin?error=CredentialsSignin", StatusCode::OK),
        ("/api/auth/signout", StatusCode::OK),
        ("/api/auth/verify-request", StatusCode::OK),
        ("/api/auth/error", StatusCode::OK),
        ("/api/auth/error?error=Configuration", StatusCode::INTERNAL_SERVER_ERROR),
        ("/api/auth/error?error=AccessDenied", StatusCode::FORBIDDEN),
        ("/api/auth/error?error=Verification", StatusCode::FORBIDDEN),
        (
            "/api/auth/signin?callbackUrl=javascript:alert(1)",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/auth/error?callbackUrl=http://%5B", StatusCode::BAD_REQUEST),
    ];
    for (path, status) in pages {
        let reply = b.get(path).await;
        assert_eq!(reply.status, status, "{path}");
        assert_page_headers(&reply, path);
    }
    // The sign-in page still shows the providers' logos (https) and its inline styles.
    let csp = b.get("/api/auth/signin").await;
    let csp = csp.header("content-security-policy").unwrap();
    assert!(csp.contains("img-src 'self' https:") && csp.contains("style-src 'unsafe-inline'"));

    // JSON answers with a CSRF token or a session are not cached either.
    assert!(
        b.get("/api/auth/csrf")
            .await
            .header("cache-control")
            .unwrap()
            .contains("no-store")
    );
    assert!(
        b.get("/api/auth/session")
            .await
            .header("cache-control")
            .unwrap()
            .contains("no-store")
    );
    b.sign_in().await;
    let token = b.csrf().await;
    let update = b
        .post_json("/api/auth/session", serde_json::json!({ "csrfToken": token }))
        .await;
    assert_eq!(update.status, StatusCode::OK);
    assert!(update.header("cache-control").unwrap().contains("no-store"));
}

// ---------------------------------------------------------------------------------------
// L1: normalised same-origin URLs
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn l1_same_origin_callback_urls_are_normalised_everywhere() {
    let auth = Auth::builder()
        .url("http://127.0.0.1:4401")
        .secret(common::SECRET)
        .provider(common::credentials())
        .build()
        .unwrap();
    let cases = [
        ("http://127.0.0.1:4401\\@evil.com/", "http://127.0.0.1:4401/@evil.com/"),
        ("http://evil.com@127.0.0.1:4401/", "http://127.0.0.1:4401/"),
        ("http://2130706433:4401/", "http://127.0.0.1:4401/"),
        ("http://0x7f.1:4401/", "http://127.0.0.1:4401/"),
        ("http://\u{ff10}x7f.0.0.1:4401/", "http://127.0.0.1:4401/"),
        ("http://127.0.0.1:4401/caf\u{e9}", "http://127.0.0.1:4401/caf%C3%A9"),
    ];
    let cookie = "next-auth.callback-url";
    for (input, expected) in cases {
        // The callback-url cookie, from a query `callbackUrl`.
        let mut b = Browser::new(auth.clone());
        let url = format!("/api/auth/signin?callbackUrl={}", urlencode(input));
        let page = b.get(&url).await;
        assert_eq!(
            cookie_value(&page, cookie).as_deref(),
            Some(expected),
            "cookie for {input:?}"
        );

        // The JSON `url` and `Location`, from a body `callbackUrl`.
        for json in [true, false] {
            let mut b = Browser::new(auth.clone());
            let csrf = b.csrf().await;
            let mut form = vec![
                ("username", "a"),
                ("password", "pw"),
                ("csrfToken", csrf.as_str()),
                ("callbackUrl", input),
            ];
            if json {
                form.push(("json", "true"));
            }
            let reply = b.post_form("/api/auth/callback/credentials", &form).await;
            if json {
                assert_eq!(reply.json()["url"], expected, "JSON url for {input:?}");
            } else {
                assert_eq!(reply.location(), Some(expected), "Location for {input:?}");
            }
            assert_eq!(
                cookie_value(&reply, cookie).as_deref(),
                Some(expected),
                "cookie for {input:?}"
            );
        }
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

// ---------------------------------------------------------------------------------------
// L12: app-supplied redirect targets
// ---------------------------------------------------------------------------------------

struct AppTargets {
    redirect: &'static str,
    sign_in: &'static str,
}

#[tessera::async_trait]
impl Callbacks for AppTargets {
    async fn sign_in(&self, _args: SignInArgs<'_>) -> Result<SignInDecision, CallbackError> {
        Ok(SignInDecision::Redirect(self.sign_in.into()))
    }
    async fn redirect(&self, _url: &str, _base_url: &str) -> String {
        self.redirect.into()
    }
}

#[tokio::test]
async fn l12_javascript_targets_from_the_app_fall_back() {
    for bad in [
        "javascript:alert(1)",
        "data:text/html,x",
        "https://elsewhere.example/\r\nSet-Cookie: x=y",
    ] {
        let auth = common::builder()
            .callbacks(AppTargets {
                redirect: bad,
                sign_in: bad,
            })
            .build()
            .unwrap();
        // `Callbacks::redirect`: the callback URL becomes the origin.
        let mut b = Browser::new(auth.clone());
        let page = b.get("/api/auth/signin?callbackUrl=%2Fx").await;
        assert_eq!(
            cookie_value(&page, "next-auth.callback-url").as_deref(),
            Some("http://localhost:3000"),
            "{bad:?}"
        );
        assert!(!page.text().contains("javascript:"));
        // `SignInDecision::Redirect`: a plain refusal (AccessDenied).
        let reply = b.sign_in().await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{bad:?}");
        assert_eq!(
            reply.json()["url"],
            "http://localhost:3000/api/auth/error?error=AccessDenied"
        );
        assert!(!has_session(&reply));
    }
}

#[tokio::test]
async fn l12_http_targets_from_the_app_may_leave_the_origin_on_purpose() {
    let auth = common::builder()
        .callbacks(AppTargets {
            redirect: "https://elsewhere.example/after",
            sign_in: "/blocked",
        })
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    let page = b.get("/api/auth/signin?callbackUrl=%2Fx").await;
    assert_eq!(
        cookie_value(&page, "next-auth.callback-url").as_deref(),
        Some("https://elsewhere.example/after")
    );
    let reply = b.sign_in().await;
    assert_eq!(reply.json()["url"], "/blocked");
}
