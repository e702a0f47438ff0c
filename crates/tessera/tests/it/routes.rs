//! Route tests: the transcripts of spec §13 replayed against the engine, in process.

use crate::common;
use crate::common::{Browser, auth, builder};
use http::StatusCode;
use serde_json::json;
use tessera::Pages;

const NO_CACHE: [(&str, &str); 4] = [
    ("content-type", "application/json"),
    ("cache-control", "private, no-cache, no-store"),
    ("pragma", "no-cache"),
    ("expires", "0"),
];

#[tokio::test]
async fn fresh_session_sets_preamble_cookies_and_answers_empty_object() {
    let mut b = Browser::new(auth());
    let r = b.get("/api/auth/session").await;
    assert_eq!(r.status, StatusCode::OK);
    for (k, v) in NO_CACHE {
        assert_eq!(r.header(k), Some(v), "{k}");
    }
    assert_eq!(r.text(), "{}");
    let cookies = r.set_cookies();
    assert_eq!(cookies.len(), 2);
    let csrf = &cookies[0];
    assert!(csrf.starts_with("next-auth.csrf-token="));
    assert!(csrf.ends_with("; Path=/; HttpOnly; SameSite=Lax"));
    let value = csrf.split(';').next().unwrap().split_once('=').unwrap().1;
    let (token, hash) = value.split_once("%7C").unwrap();
    assert_eq!(token.len(), 64);
    assert_eq!(hash, tessera::csrf::hash(token, &tessera::Secret::new(common::SECRET)));
    assert_eq!(
        cookies[1],
        "next-auth.callback-url=http%3A%2F%2Flocalhost%3A3000; Path=/; HttpOnly; SameSite=Lax"
    );
}

#[tokio::test]
async fn csrf_with_cookies_sets_nothing_and_returns_the_bare_token() {
    let mut b = Browser::new(auth());
    b.get("/api/auth/session").await;
    let r = b.get("/api/auth/csrf").await;
    for (k, v) in NO_CACHE {
        assert_eq!(r.header(k), Some(v), "{k}");
    }
    assert!(r.set_cookies().is_empty());
    let token = r.json()["csrfToken"].as_str().unwrap().to_owned();
    assert!(b.jar["next-auth.csrf-token"].starts_with(&format!("{token}%7C")));
    assert!(token.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
}

#[tokio::test]
async fn credentials_failure_is_401_with_absolute_error_url() {
    let mut b = Browser::new(auth());
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/callback/credentials",
            &[
                ("username", "a"),
                ("password", "nope"),
                ("csrfToken", &csrf),
                ("callbackUrl", "/dash"),
                ("json", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json(),
        json!({"url": "http://localhost:3000/api/auth/error?error=CredentialsSignin&provider=credentials"})
    );
    assert_eq!(
        r.set_cookies(),
        ["next-auth.callback-url=http%3A%2F%2Flocalhost%3A3000%2Fdash; Path=/; HttpOnly; SameSite=Lax"]
    );
    assert!(r.location().is_none());
}

#[tokio::test]
async fn credentials_with_bad_csrf_answers_200_with_signin_csrf_url() {
    let mut b = Browser::new(auth());
    b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/callback/credentials",
            &[("password", "pw"), ("csrfToken", "bad"), ("json", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"url": "http://localhost:3000/api/auth/signin?csrf=true"})
    );
    assert!(!b.jar.contains_key("next-auth.session-token"));
}

#[tokio::test]
async fn credentials_success_with_foreign_callback_redirects_to_origin() {
    let mut b = Browser::new(auth());
    // As in the transcript, the previous request left `/dash` in the callback cookie.
    b.get("/api/auth/session?callbackUrl=%2Fdash").await;
    assert_eq!(b.jar["next-auth.callback-url"], "http%3A%2F%2Flocalhost%3A3000%2Fdash");
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/callback/credentials",
            &[
                ("username", "a"),
                ("password", "pw"),
                ("csrfToken", &csrf),
                ("callbackUrl", "https://evil.com/x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("http://localhost:3000"));
    let cookies = r.set_cookies();
    assert_eq!(
        cookies[0],
        "next-auth.callback-url=http%3A%2F%2Flocalhost%3A3000; Path=/; HttpOnly; SameSite=Lax"
    );
    assert!(cookies[1].starts_with("next-auth.session-token=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0.."));
    assert!(cookies[1].contains("; Path=/; Expires="));
    assert!(cookies[1].ends_with(" GMT; HttpOnly; SameSite=Lax"));
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn signed_in_session_is_returned_and_rotated() {
    let mut b = Browser::new(auth());
    let r = b.sign_in().await;
    assert_eq!(r.json(), json!({"url": "http://localhost:3000"}));
    let first = b.jar["next-auth.session-token"].clone();
    let r = b.get("/api/auth/session").await;
    for (k, v) in NO_CACHE {
        assert_eq!(r.header(k), Some(v), "{k}");
    }
    let body = r.json();
    assert_eq!(
        body["user"],
        json!({"name": "Alice", "email": "alice@example.com", "image": null})
    );
    let expires = body["expires"].as_str().unwrap();
    assert_eq!(expires.len(), 24, "{expires}");
    assert!(expires.ends_with('Z'));
    // Key order of the default session.
    assert!(
        r.text()
            .starts_with(r#"{"user":{"name":"Alice","email":"alice@example.com","image":null},"expires":""#)
    );
    let cookies = r.set_cookies();
    assert_eq!(cookies.len(), 1);
    assert!(cookies[0].starts_with("next-auth.session-token="));
    assert_ne!(
        b.jar["next-auth.session-token"], first,
        "re-encrypted with a new IV and jti"
    );
}

#[tokio::test]
async fn update_needs_csrf_and_reaches_the_jwt_callback() {
    use tessera::callbacks::{CallbackError, Callbacks, JwtArgs, JwtTrigger};
    struct Cb;
    #[tessera::async_trait]
    impl Callbacks for Cb {
        async fn jwt(&self, mut args: JwtArgs<'_>) -> Result<tessera::Token, CallbackError> {
            if args.trigger == Some(JwtTrigger::Update) {
                let name = args.session.and_then(|s| s["name"].as_str()).unwrap_or("?").to_owned();
                args.token.set("name", name);
            }
            Ok(args.token)
        }
    }
    let mut b = Browser::new(builder().callbacks(Cb).build().unwrap());
    b.sign_in().await;
    let r = b.post_json("/api/auth/session", json!({"csrfToken": "x"})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.text(), "{}");

    let csrf = b.csrf().await;
    let r = b
        .post_json("/api/auth/session", json!({"csrfToken": csrf, "data": {"name": "Bob"}}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["user"]["name"], "Bob");
    assert_eq!(r.header("content-type"), Some("application/json"));
    // Unlike NextAuth, the update's answer (a session) is never cached, like `GET /session` (L7).
    assert_eq!(r.header("cache-control"), Some("private, no-cache, no-store"));
    // The new name sticks in the cookie.
    assert_eq!(b.get("/api/auth/session").await.json()["user"]["name"], "Bob");
}

#[tokio::test]
async fn update_without_session_is_empty_object() {
    let mut b = Browser::new(auth());
    let csrf = b.csrf().await;
    let r = b.post_json("/api/auth/session", json!({"csrfToken": csrf})).await;
    assert_eq!((r.status, r.text()), (StatusCode::OK, "{}"));
}

#[tokio::test]
async fn error_route_statuses_and_bounces() {
    let mut b = Browser::new(auth());
    let r = b.get("/api/auth/error?error=CredentialsSignin").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        r.location(),
        Some("http://localhost:3000/api/auth/signin?error=CredentialsSignin")
    );
    for (code, status) in [
        ("Verification", 403),
        ("AccessDenied", 403),
        ("Configuration", 500),
        ("configuration", 500),
        ("Bad%20thing", 200),
        ("", 200),
    ] {
        let r = b.get(&format!("/api/auth/error?error={code}")).await;
        assert_eq!(r.status.as_u16(), status, "{code}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    }
    let r = b.get("/api/auth/error?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert!(
        !r.text().contains("<script>"),
        "the error value is never echoed unescaped"
    );
}

#[tokio::test]
async fn unknown_actions_are_400_without_cookies() {
    let mut b = Browser::new(auth());
    for (method, path) in [
        ("GET", "/api/auth/foo"),
        ("GET", "/api/auth"),
        ("GET", "/api/auth/callback/nope"),
        ("DELETE", "/api/auth/session"),
        ("GET", "/api/auth/_log"),
    ] {
        let r = b
            .send(http::Request::builder().method(method).uri(path), bytes::Bytes::new())
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{method} {path}");
        assert_eq!(
            r.text(),
            format!("Error: This action with HTTP {method} is not supported by NextAuth.js")
        );
        assert!(r.set_cookies().is_empty());
    }
}

#[tokio::test]
async fn providers_and_log_set_no_cookies() {
    let mut b = Browser::new(auth());
    let r = b.get("/api/auth/providers").await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.set_cookies().is_empty());
    assert_eq!(
        r.json(),
        json!({"credentials": {"id": "credentials", "name": "Credentials", "type": "credentials",
            "signinUrl": "http://localhost:3000/api/auth/signin/credentials",
            "callbackUrl": "http://localhost:3000/api/auth/callback/credentials"}})
    );
    let r = b
        .post_form(
            "/api/auth/_log",
            &[("level", "error"), ("code", "CLIENT_FETCH_ERROR"), ("client", "true")],
        )
        .await;
    assert_eq!((r.status, r.text()), (StatusCode::OK, "{}"));
    assert!(r.set_cookies().is_empty());
}

#[tokio::test]
async fn json_boolean_true_does_not_count() {
    let mut b = Browser::new(auth());
    let csrf = b.csrf().await;
    let r = b
        .post_json(
            "/api/auth/callback/credentials",
            json!({"password": "pw", "csrfToken": csrf, "json": true}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FOUND,
        "JSON bodies are accepted, but only the string \"true\" asks for JSON"
    );
    assert!(b.jar.contains_key("next-auth.session-token"));
}

#[tokio::test]
async fn sign_out_flow() {
    let mut b = Browser::new(auth());
    b.sign_in().await;
    let r = b
        .post_form("/api/auth/signout", &[("csrfToken", "bad"), ("json", "true")])
        .await;
    assert_eq!(
        r.json(),
        json!({"url": "http://localhost:3000/api/auth/signout?csrf=true"})
    );
    assert!(b.jar.contains_key("next-auth.session-token"));

    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/signout",
            &[
                ("csrfToken", &csrf),
                ("callbackUrl", "http://localhost:3000/bye"),
                ("json", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"url": "http://localhost:3000/bye"}));
    assert_eq!(
        r.set_cookies(),
        [
            "next-auth.callback-url=http%3A%2F%2Flocalhost%3A3000%2Fbye; Path=/; HttpOnly; SameSite=Lax",
            "next-auth.session-token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
        ]
    );
    assert_eq!(b.get("/api/auth/session").await.text(), "{}");
    // The CSRF and callback cookies survive sign-out.
    assert!(b.jar.contains_key("next-auth.csrf-token"));

    // Signed out already: redirect, nothing cleared.
    let r = b
        .post_form("/api/auth/signout", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    assert!(r.set_cookies().iter().all(|c| !c.contains("session-token")));
}

#[tokio::test]
async fn pages_render_and_custom_pages_redirect() {
    let mut b = Browser::new(auth());
    let r = b.get("/api/auth/signin?error=CredentialsSignin").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains(r#"action="http://localhost:3000/api/auth/callback/credentials" method="POST""#));
    assert!(
        html.contains(r#"name="csrfToken""#)
            && html.contains(r#"name="username""#)
            && html.contains(r#"name="password""#)
    );
    assert!(html.contains("Sign in failed. Check the details you provided are correct."));
    assert!(
        b.get("/api/auth/signout")
            .await
            .text()
            .contains(r#"action="http://localhost:3000/api/auth/signout""#)
    );
    let r = b.get("/api/auth/verify-request").await;
    assert!(r.text().contains("Check your email") && r.text().contains(">localhost:3000<"));

    let pages = Pages {
        sign_in: Some("/login".into()),
        sign_out: Some("/bye".into()),
        error: Some("/oops?x=1".into()),
        verify_request: Some("/check".into()),
        new_user: None,
    };
    let mut b = Browser::new(builder().pages(pages).build().unwrap());
    let r = b.get("/api/auth/signin/github?callbackUrl=%2Fdash").await;
    assert_eq!(
        r.location(),
        Some("/login?callbackUrl=http%3A%2F%2Flocalhost%3A3000%2Fdash&error=github")
    );
    assert_eq!(b.get("/api/auth/signout").await.location(), Some("/bye"));
    assert_eq!(
        b.get("/api/auth/verify-request?provider=email").await.location(),
        Some("/check")
    );
    assert_eq!(
        b.get("/api/auth/error?error=Verification").await.location(),
        Some("/oops?x=1&error=Verification")
    );
    assert_eq!(
        b.get("/api/auth/error?error=OAuthSignin").await.location(),
        Some("http://localhost:3000/api/auth/signin?error=OAuthSignin")
    );
}

#[tokio::test]
async fn signin_post_rules() {
    let mut b = Browser::new(auth());
    let csrf = b.csrf().await;
    let r = b
        .post_form("/api/auth/signin/nope", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    assert_eq!(
        r.json(),
        json!({"url": "http://localhost:3000/api/auth/signin?csrf=true"})
    );
    let r = b
        .post_form(
            "/api/auth/signin/credentials",
            &[("csrfToken", "forged"), ("json", "true")],
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"url": "http://localhost:3000/api/auth/signin?csrf=true"})
    );
    let r = b
        .post_form(
            "/api/auth/signin/credentials",
            &[("csrfToken", &csrf), ("json", "true")],
        )
        .await;
    assert_eq!(r.json(), json!({"url": "http://localhost:3000/api/auth/signin"}));
    let r = b.get("/api/auth/callback/credentials").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow"), Some("POST"));
}

#[tokio::test]
async fn authorize_errors_and_sign_in_refusals() {
    use tessera::callbacks::{CallbackError, Callbacks, SignInArgs, SignInDecision};
    let mut b = Browser::new(auth());
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/callback/credentials",
            &[("password", "throw"), ("csrfToken", &csrf), ("json", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json(),
        json!({"url": "http://localhost:3000/api/auth/error?error=Bad%20thing"})
    );

    struct Refuse;
    #[tessera::async_trait]
    impl Callbacks for Refuse {
        async fn sign_in(&self, args: SignInArgs<'_>) -> Result<SignInDecision, CallbackError> {
            assert_eq!(
                args.credentials.unwrap()["username"],
                "a",
                "the whole body reaches sign_in"
            );
            Ok(SignInDecision::Deny)
        }
    }
    let mut b = Browser::new(builder().callbacks(Refuse).build().unwrap());
    let r = b.sign_in().await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.json(),
        json!({"url": "http://localhost:3000/api/auth/error?error=AccessDenied"})
    );
    assert!(!b.jar.contains_key("next-auth.session-token"));
}

#[tokio::test]
async fn large_sessions_are_chunked_and_shrink_back() {
    use tessera::callbacks::{CallbackError, Callbacks, JwtArgs, JwtTrigger};
    struct Big;
    #[tessera::async_trait]
    impl Callbacks for Big {
        async fn jwt(&self, mut args: JwtArgs<'_>) -> Result<tessera::Token, CallbackError> {
            match args.trigger {
                Some(JwtTrigger::SignIn) => args.token.set("blob", "x".repeat(5000)),
                Some(JwtTrigger::Update) => {
                    args.token.remove("blob");
                }
                _ => {}
            }
            Ok(args.token)
        }
    }
    let mut b = Browser::new(builder().callbacks(Big).build().unwrap());
    let r = b.sign_in().await;
    let names: Vec<String> = r
        .set_cookies()
        .iter()
        .map(|c| c.split('=').next().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["next-auth.session-token.0", "next-auth.session-token.1"]);
    assert_eq!(b.jar["next-auth.session-token.0"].len(), 3933);
    assert_eq!(b.get("/api/auth/session").await.json()["user"]["name"], "Alice");

    let csrf = b.csrf().await;
    let r = b.post_json("/api/auth/session", json!({"csrfToken": csrf})).await;
    let cookies = r.set_cookies();
    assert!(cookies[0].starts_with("next-auth.session-token.0=; Max-Age=0"));
    assert!(cookies[1].starts_with("next-auth.session-token.1=; Max-Age=0"));
    assert!(cookies[2].starts_with("next-auth.session-token=eyJ"));
    assert_eq!(b.jar.keys().filter(|k| k.contains("session-token")).count(), 1);
    assert_eq!(
        b.get("/api/auth/session").await.json()["user"]["email"],
        "alice@example.com"
    );
}

#[tokio::test]
async fn secure_url_uses_prefixed_cookie_names() {
    let auth = tessera::Auth::builder()
        .url("https://app.example.com")
        .secret(common::SECRET)
        .provider(common::credentials())
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    let r = b.get("/api/auth/session").await;
    let cookies = r.set_cookies();
    assert!(cookies[0].starts_with("__Host-next-auth.csrf-token="));
    assert!(cookies[0].ends_with("; Path=/; HttpOnly; Secure; SameSite=Lax"));
    assert!(cookies[1].starts_with("__Secure-next-auth.callback-url=https%3A%2F%2Fapp.example.com;"));
    let r = b.sign_in().await;
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("__Secure-next-auth.session-token=") && c.contains("; Secure;"))
    );
    assert_eq!(b.get("/api/auth/session").await.json()["user"]["name"], "Alice");
}

#[tokio::test]
async fn custom_base_path_from_url() {
    let auth = tessera::Auth::builder()
        .url("http://localhost:3000/auth")
        .secret(common::SECRET)
        .build()
        .unwrap();
    assert_eq!(auth.base_path(), "/auth");
    let mut b = Browser::new(auth);
    assert_eq!(b.get("/auth/session").await.text(), "{}");
    assert_eq!(b.get("/api/auth/session").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn session_callback_shapes_the_response_and_server_side_access_matches() {
    use tessera::callbacks::{CallbackError, Callbacks, SessionArgs};
    struct AddRole;
    #[tessera::async_trait]
    impl Callbacks for AddRole {
        async fn session(&self, mut args: SessionArgs<'_>) -> Result<tessera::Session, CallbackError> {
            args.session.extra.insert("role".into(), "admin".into());
            if let (Some(u), Some(sub)) = (args.session.user.as_mut(), args.token.and_then(|t| t.sub())) {
                u.extra.insert("id".into(), sub.into());
            }
            Ok(args.session)
        }
    }
    let mut b = Browser::new(builder().callbacks(AddRole).build().unwrap());
    b.sign_in().await;
    let body = b.get("/api/auth/session").await.json();
    assert_eq!(body["role"], "admin");
    assert_eq!(body["user"]["id"], "1");

    let mut headers = http::HeaderMap::new();
    headers.insert("cookie", b.cookie_header().parse().unwrap());
    let s = b.auth.session(&headers).await.expect("server-side session");
    assert_eq!(s.extra["role"], "admin");
    let token = b.auth.token(&headers).expect("token");
    assert_eq!(token.sub(), Some("1"));
    assert!(b.auth.session(&http::HeaderMap::new()).await.is_none());
}

#[tokio::test]
async fn auth_js_v5_mode_speaks_the_v5_client_side() {
    let auth = builder().compat(tessera::Compat::AuthJsV5).build().unwrap();
    let mut b = Browser::new(auth);
    let r = b.get("/api/auth/session").await;
    assert_eq!(r.text(), "null", "v5 answers null for no session");
    assert!(r.set_cookies()[0].starts_with("authjs.csrf-token="));
    let csrf = b.csrf().await;
    b.extra_headers.push(("x-auth-return-redirect".into(), "1".into()));
    let r = b
        .post_form(
            "/api/auth/callback/credentials",
            &[("username", "a"), ("password", "pw"), ("csrfToken", &csrf)],
        )
        .await;
    assert_eq!(r.json(), json!({"url": "http://localhost:3000"}));
    let token = b.jar["authjs.session-token"].clone();
    assert!(
        !token.starts_with("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0"),
        "A256CBC-HS512 with kid"
    );
    assert_eq!(b.get("/api/auth/session").await.json()["user"]["name"], "Alice");
    let r = b.post_json("/api/auth/session", json!({"csrfToken": "bad"})).await;
    assert_eq!((r.status, r.text()), (StatusCode::BAD_REQUEST, "null"));
}

#[tokio::test]
async fn trust_host_takes_the_origin_from_forwarded_headers() {
    let auth = tessera::Auth::builder()
        .trust_host(true)
        .secret(common::SECRET)
        .provider(common::credentials())
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    b.extra_headers
        .push(("x-forwarded-host".into(), "proxy.example.com".into()));
    let r = b.get("/api/auth/providers").await;
    assert_eq!(
        r.json()["credentials"]["signinUrl"],
        "https://proxy.example.com/api/auth/signin/credentials"
    );
    let r = b.get("/api/auth/session").await;
    assert!(
        r.set_cookies()[0].starts_with("__Host-next-auth.csrf-token="),
        "https from the forwarded origin"
    );
}

#[tokio::test]
async fn events_fire_for_sign_in_session_and_sign_out() {
    use std::sync::{Arc, Mutex};
    use tessera::events::{Events, SessionEvent, SignInEvent, SignOutEvent};
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<String>>>);
    #[tessera::async_trait]
    impl Events for Log {
        async fn sign_in(&self, e: SignInEvent<'_>) {
            self.0
                .lock()
                .unwrap()
                .push(format!("sign_in {} via {}", e.user.id, e.account.provider));
        }
        async fn session(&self, e: SessionEvent<'_>) {
            let name = e.session.user.as_ref().and_then(|u| u.name.clone()).unwrap_or_default();
            self.0.lock().unwrap().push(format!(
                "session {name} sub={}",
                e.token.and_then(|t| t.sub()).unwrap_or("?")
            ));
        }
        async fn sign_out(&self, e: SignOutEvent<'_>) {
            self.0
                .lock()
                .unwrap()
                .push(format!("sign_out sub={}", e.token.and_then(|t| t.sub()).unwrap_or("?")));
        }
    }
    let log = Log::default();
    let mut b = Browser::new(builder().events(log.clone()).build().unwrap());
    b.get("/api/auth/session").await; // signed out: no event
    b.sign_in().await;
    b.get("/api/auth/session").await;
    let csrf = b.csrf().await;
    b.post_form("/api/auth/signout", &[("csrfToken", &csrf)]).await;
    assert_eq!(
        *log.0.lock().unwrap(),
        ["sign_in 1 via credentials", "session Alice sub=1", "sign_out sub=1"]
    );
}

#[tokio::test]
async fn the_theme_reaches_the_pages_and_bad_values_are_refused() {
    use tessera::pages::{ColorScheme, Theme};
    let theme = Theme {
        color_scheme: ColorScheme::Dark,
        brand_color: Some("#7c3aed".into()),
        logo: Some("https://cdn.example.com/logo.svg".into()),
        button_text: Some("#fffff0".into()),
    };
    let mut b = Browser::new(builder().theme(theme.clone()).build().unwrap());
    for path in [
        "/api/auth/signin",
        "/api/auth/signout",
        "/api/auth/error",
        "/api/auth/verify-request",
    ] {
        let html = b.get(path).await.text().to_owned();
        assert!(html.contains(r#"data-theme="dark""#), "{path}");
        assert!(
            html.contains("--brand:#7c3aed") && html.contains("--brand-text:#fffff0"),
            "{path}"
        );
        assert!(
            html.contains(r#"<img class="logo" src="https://cdn.example.com/logo.svg""#),
            "{path}"
        );
    }
    // Values that could escape their CSS or HTML context are refused at build.
    for bad in [
        Theme {
            brand_color: Some("red;}body{display:none".into()),
            ..theme.clone()
        },
        Theme {
            button_text: Some("</style><script>".into()),
            ..theme.clone()
        },
        Theme {
            logo: Some("javascript:alert(1)".into()),
            ..theme.clone()
        },
    ] {
        assert!(matches!(
            builder().theme(bad).build(),
            Err(tessera::ConfigError::InvalidTheme(_))
        ));
    }
}

#[tokio::test]
async fn the_signin_page_shows_oauth_providers_with_their_brand_style() {
    use tessera::providers::{OAuthProvider, presets};
    let plain = OAuthProvider::new("plain")
        .name("Plain <IdP>")
        .issuer("https://idp.example")
        .client_id("id")
        .client_secret("secret");
    let auth = builder()
        .provider(presets::github_with("fake-id", "fake-secret"))
        .provider(plain)
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    let r = b.get("/api/auth/signin").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();

    // GitHub: next-auth 4.24's button, custom properties, logos from authjs.dev.
    assert!(html.contains(r#"action="http://localhost:3000/api/auth/signin/github" method="POST""#));
    assert!(
        html.contains(
            r#"<button type="submit" class="button" style="--provider-bg: #fff; --provider-dark-bg: #000; --provider-color: #000; --provider-dark-color: #fff; --provider-bg-hover: rgba(255, 255, 255, 0.8); --provider-dark-bg-hover: rgba(0, 0, 0, 0.8)">"#
        ),
        "{html}"
    );
    assert!(html.contains(
        r#"<img loading="lazy" height="24" width="24" id="provider-logo" src="https://authjs.dev/img/providers/github.svg" alt="">"#
    ));
    assert!(html.contains(
        r#"<img loading="lazy" height="24" width="24" id="provider-logo-dark" src="https://authjs.dev/img/providers/github-dark.svg" alt="">"#
    ));
    assert!(html.contains("<span>Sign in with GitHub</span>"));
    // The CSS that applies them, light and dark.
    assert!(html.contains("background:var(--provider-bg,var(--brand))"));
    assert!(html.contains("html[data-theme=dark] button.button{background:var(--provider-dark-bg,var(--brand))"));
    assert!(html.contains("html[data-theme=dark] #provider-logo-dark{display:block}"));

    // Without a style: the plain button with just the (escaped) name, as before.
    assert!(html.contains(r#"<button type="submit">Sign in with Plain &#60;IdP&#62;</button>"#));
    assert_eq!(html.matches(r#"id="provider-logo""#).count(), 1);
    assert!(html.contains(r#"<button type="submit">Sign in with Credentials</button>"#));
}

#[test]
fn a_hostile_provider_style_is_refused_at_build() {
    use tessera::providers::{ProviderStyle, presets};
    let github = || presets::github_with("fake-id", "fake-secret");
    for (field, style) in [
        ("bg", ProviderStyle::new().bg("red;}body{display:none")),
        (
            "bg_dark",
            ProviderStyle::new().bg_dark("#000\"><script>alert(1)</script>"),
        ),
        ("text", ProviderStyle::new().text("url(https://evil.example/x)")),
        (
            "text_dark",
            ProviderStyle::new().text_dark("rgb(0,0,0);background:url(x)"),
        ),
        ("logo", ProviderStyle::new().logo("javascript:alert(1)")),
        (
            "logo",
            ProviderStyle::new().logo("https://cdn.example/x.svg\" onerror=\"alert(1)"),
        ),
        ("logo", ProviderStyle::new().logo("http://cdn.example/x.svg")),
        (
            "logo_dark",
            ProviderStyle::new().logo_dark("data:text/html,<script>alert(1)</script>"),
        ),
        (
            "logo_dark",
            ProviderStyle::new().logo_dark("data:image/svg+xml,<svg onload=alert(1)>"),
        ),
    ] {
        match builder().provider(github().style(style)).build() {
            Err(tessera::ConfigError::InvalidProvider { id, reason }) => {
                assert_eq!(id, "github");
                assert!(reason.starts_with(&format!("style.{field} ")), "{reason}");
            }
            other => panic!("{field}: {other:?}"),
        }
    }
    // Safe forms pass.
    let ok = ProviderStyle::new()
        .logo("data:image/svg+xml;base64,PHN2Zy8+")
        .logo_dark("https://cdn.example/dark.svg")
        .bg("rgb(36 41 47)")
        .text("white")
        .bg_dark("hsl(210 12% 16%)")
        .text_dark("#ffffffcc");
    assert!(builder().provider(github().style(ok)).build().is_ok());
}

#[tokio::test]
async fn every_preset_has_a_valid_style_with_a_logo() {
    use std::collections::HashMap;
    use tessera::providers::presets;
    let mut vars = HashMap::new();
    for prefix in presets::ENV_PREFIXES {
        vars.insert(format!("AUTH_{prefix}_ID"), "fake-id".to_owned());
        vars.insert(format!("AUTH_{prefix}_SECRET"), "fake-secret".to_owned());
        vars.insert(format!("AUTH_{prefix}_ISSUER"), "https://idp.example".to_owned());
        vars.insert(format!("AUTH_{prefix}_TENANT_ID"), "tenant".to_owned());
    }
    let providers = presets::from_vars(|k| vars.get(k).cloned());
    assert_eq!(providers.len(), presets::ENV_PREFIXES.len());
    let mut builder = builder();
    for p in providers {
        builder = builder.provider(p);
    }
    let mut b = Browser::new(builder.build().expect("every preset style is valid"));
    let html = b.get("/api/auth/signin").await.text().to_owned();
    assert_eq!(
        html.matches(r#"id="provider-logo" src="https://authjs.dev/img/providers/"#)
            .count(),
        presets::ENV_PREFIXES.len()
    );
    assert_eq!(
        html.matches(r#"id="provider-logo-dark" src="https://authjs.dev/img/providers/"#)
            .count(),
        presets::ENV_PREFIXES.len()
    );
    assert!(html.contains("<span>Sign in with Discord</span>") && html.contains("--provider-color: #7289DA"));
    assert!(
        html.contains("https://authjs.dev/img/providers/gitlab.svg") && html.contains("--provider-dark-bg: #FC6D26")
    );
}
