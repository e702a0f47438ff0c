//! The `authorize` hook behind a credentials provider: what it is sent, and how each
//! answer (or failure) reaches the client.

use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;

use crate::harness::{WRONG_CREDENTIALS, browser, error_url, settings, sign_in, signed_in};
use crate::hook_server::{HookServer, SLOW};

#[tokio::test]
async fn good_credentials_sign_in_and_the_hook_gets_only_the_form() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    let mut b = browser(s);
    let r = sign_in(&mut b, "alice", "pw").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"url": "http://localhost:3000/dashboard"}));
    assert!(signed_in(&b));
    let session = b.get("/api/auth/session").await.json();
    assert_eq!(session["user"]["name"], "Alice");
    assert_eq!(session["user"]["email"], "alice@example.com");
    // Signed, and without the fields next-auth's client adds (csrfToken, callbackUrl, json).
    assert_eq!(
        server.bodies("/authorize"),
        [json!({
            "hook": "authorize",
            "provider": "credentials",
            "credentials": {"username": "alice", "password": "pw"},
        })]
    );
}

#[tokio::test]
async fn an_integer_id_is_taken_as_a_string() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    let mut b = browser(s);
    assert_eq!(sign_in(&mut b, "bob", "pw").await.status, StatusCode::OK);
    let headers = http::HeaderMap::from_iter([(http::header::COOKIE, b.cookie_header().parse().unwrap())]);
    assert_eq!(b.auth.token(&headers).unwrap().sub(), Some("42"));
}

#[tokio::test]
async fn user_null_is_wrong_credentials() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    let mut b = browser(s);
    let r = sign_in(&mut b, "alice", "wrong").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"url": WRONG_CREDENTIALS}));
    assert!(!signed_in(&b));
    assert_eq!(server.bodies("/authorize").len(), 1);
}

#[tokio::test]
async fn an_error_code_is_passed_on_as_authorize_errors_are() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    let mut b = browser(s);
    let r = sign_in(&mut b, "alice", "locked").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"url": error_url("AccountLocked")}));
    assert!(!signed_in(&b));
}

#[tokio::test]
async fn a_slow_hook_fails_closed_after_the_timeout() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize/slow"));
    s.timeout = Duration::from_millis(300);
    let mut b = browser(s);
    let csrf = b.csrf().await;
    let started = Instant::now();
    let r = b
        .post_form(
            "/api/auth/callback/credentials",
            &[
                ("username", "alice"),
                ("password", "pw"),
                ("csrfToken", &csrf),
                ("json", "true"),
            ],
        )
        .await;
    let took = started.elapsed();
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"url": WRONG_CREDENTIALS}));
    assert!(!signed_in(&b));
    assert!(
        took >= Duration::from_millis(300) && took < SLOW / 2,
        "failed after {took:?}, not about the 300 ms timeout"
    );
    assert_eq!(server.bodies("/authorize/slow").len(), 1, "the hook was called");
}

/// Each of these answers carries alice's user somewhere, so a client that took it would
/// sign her in.
#[tokio::test]
async fn malformed_answers_fail_closed_as_wrong_credentials() {
    let server = HookServer::start().await;
    for path in [
        "/authorize/not-json",
        "/authorize/wrong-shape",
        "/authorize/user-5",
        "/authorize/array",
        "/authorize/empty-id",
        "/authorize/oversized",
        "/authorize/status-500",
        "/authorize/redirect",
        "/authorize/bad-code",
    ] {
        let mut s = settings();
        s.authorize = Some(server.url(path));
        let mut b = browser(s);
        let r = sign_in(&mut b, "alice", "pw").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.json(), json!({"url": WRONG_CREDENTIALS}), "{path}");
        assert!(!signed_in(&b), "{path}");
        assert_eq!(server.bodies(path).len(), 1, "{path}: the hook was called once");
    }
    // The redirect was not followed.
    assert!(server.bodies("/authorize").is_empty());
}

#[tokio::test]
async fn an_unreachable_hook_fails_closed() {
    // A port nothing listens on: bound, then released.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut s = settings();
    s.authorize = Some(format!("http://{addr}/authorize"));
    let mut b = browser(s);
    let r = sign_in(&mut b, "alice", "pw").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"url": WRONG_CREDENTIALS}));
    assert!(!signed_in(&b));
}

#[tokio::test]
async fn a_hook_that_refuses_the_signature_is_a_failure() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    s.secret = tessera::Secret::new("not the secret the hook server has");
    let mut b = browser(s);
    let r = sign_in(&mut b, "alice", "pw").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"url": WRONG_CREDENTIALS}));
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert!(!received[0].verified, "the server's verify refused the signature");
}

/// A hook that streams a long answer without announcing its length (chunked): the cap
/// applies while reading. A raw server, as axum would send a length.
#[tokio::test]
async fn a_long_chunked_answer_fails_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        // Read the request (headers, then the announced body) before answering.
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request).to_lowercase();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if request.len() >= end + 4 + length {
                    break;
                }
            }
            assert!(n > 0, "the client closed early");
        }
        let mut answer =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        let mut chunk = |data: &[u8]| {
            answer.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
            answer.extend_from_slice(data);
            answer.extend_from_slice(b"\r\n");
        };
        chunk(br#"{"user": {"id": "1", "pad": ""#);
        for _ in 0..70 {
            chunk(&[b'x'; 1024]);
        }
        chunk(br#""}}"#);
        answer.extend_from_slice(b"0\r\n\r\n");
        // The client may hang up once it has read enough.
        let _ = socket.write_all(&answer).await;
    });
    let mut s = settings();
    s.authorize = Some(format!("http://{addr}/authorize"));
    let mut b = browser(s);
    let r = sign_in(&mut b, "alice", "pw").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({"url": WRONG_CREDENTIALS}));
    assert!(!signed_in(&b));
    server.await.unwrap();
}

/// Auth.js 5 (`signIn("credentials", {redirect: false})` asks for JSON with a header): a
/// failed hook is its wrong-credentials answer, an `error` answer the `code`.
#[tokio::test]
async fn auth_js_5_sees_the_code_or_credentials() {
    use tessera::Compat;
    use tessera_server::hooks::Hooks;

    let server = HookServer::start().await;
    for (path, password, code) in [
        ("/authorize", "locked", "AccountLocked"),
        ("/authorize", "wrong", "credentials"),
        ("/authorize/status-500", "pw", "credentials"),
    ] {
        let mut s = settings();
        s.authorize = Some(server.url(path));
        let hooks = Hooks::new(s).unwrap();
        let mut b = crate::browser::Browser::new(crate::harness::engine(&hooks, |b| b.compat(Compat::AuthJsV5)));
        b.extra_headers.push(("x-auth-return-redirect".into(), "1".into()));
        let csrf = b.csrf().await;
        let r = b
            .post_form(
                "/api/auth/callback/credentials",
                &[("username", "alice"), ("password", password), ("csrfToken", &csrf)],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path} {password}");
        assert_eq!(
            r.json(),
            json!({"url": format!("http://localhost:3000/api/auth/signin?error=CredentialsSignin&code={code}")}),
            "{path} {password}"
        );
        assert!(!b.jar.contains_key("authjs.session-token"));
    }
}
