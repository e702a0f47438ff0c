//! The `sign_in`, `jwt` and `session` hooks, through the engine.

use http::StatusCode;
use serde_json::json;

use crate::harness::{browser, error_url, settings, sign_in, signed_in};
use crate::hook_server::HookServer;

async fn with_sign_in(path: &str) -> (HookServer, crate::browser::Browser) {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    s.sign_in = Some(server.url(path));
    (server, browser(s))
}

fn token(b: &crate::browser::Browser) -> tessera::Token {
    let headers = http::HeaderMap::from_iter([(http::header::COOKIE, b.cookie_header().parse().unwrap())]);
    b.auth.token(&headers).expect("a session token")
}

#[tokio::test]
async fn sign_in_allow_signs_in_and_the_hook_sees_user_and_account_not_credentials() {
    let (server, mut b) = with_sign_in("/sign-in/allow").await;
    let r = sign_in(&mut b, "alice", "pw").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(signed_in(&b));
    assert_eq!(
        server.bodies("/sign-in/allow"),
        [json!({
            "hook": "sign_in",
            "user": {"id": "1", "name": "Alice", "email": "alice@example.com", "image": null},
            "account": {"provider": "credentials", "type": "credentials", "providerAccountId": "1"},
        })]
    );
}

#[tokio::test]
async fn sign_in_deny_is_access_denied() {
    let (server, mut b) = with_sign_in("/sign-in/deny").await;
    let r = sign_in(&mut b, "alice", "pw").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json(), json!({"url": error_url("AccessDenied")}));
    assert!(!signed_in(&b));
    assert_eq!(server.bodies("/sign-in/deny").len(), 1);
}

#[tokio::test]
async fn sign_in_redirect_sends_the_browser_there() {
    let (_server, mut b) = with_sign_in("/sign-in/redirect").await;
    let r = sign_in(&mut b, "alice", "pw").await;
    // As next-auth: the app's target as it is (a path here).
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({"url": "/blocked"}));
    assert!(!signed_in(&b));
}

#[tokio::test]
async fn a_failing_or_ambiguous_sign_in_hook_is_access_denied() {
    for path in ["/sign-in/ambiguous", "/sign-in/missing"] {
        let (server, mut b) = with_sign_in(path).await;
        let r = sign_in(&mut b, "alice", "pw").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(r.json(), json!({"url": error_url("AccessDenied")}), "{path}");
        assert!(!signed_in(&b), "{path}");
        assert_eq!(server.bodies(path).len(), 1, "{path}");
    }
}

#[tokio::test]
async fn jwt_adds_a_claim_at_sign_in_and_on_every_read() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    s.jwt = Some(server.url("/jwt"));
    let mut b = browser(s);
    assert_eq!(sign_in(&mut b, "alice", "pw").await.status, StatusCode::OK);
    let t = token(&b);
    assert_eq!(t.get_str("role"), Some("admin"));
    assert_eq!(t.get_str("trigger_seen"), Some("signIn"));
    assert_eq!(t.sub(), Some("1"));

    let session = b.get("/api/auth/session").await.json();
    assert_eq!(session["user"]["name"], "Alice");
    let t = token(&b);
    assert_eq!(t.get("trigger_seen"), Some(&json!(null)), "a plain read has no trigger");

    let calls = server.bodies("/jwt");
    assert_eq!(calls.len(), 2);
    let first = &calls[0];
    assert_eq!(first["trigger"], "signIn");
    assert_eq!(first["is_new_user"], false);
    assert_eq!(first["user"]["id"], "1");
    assert_eq!(first["account"]["provider"], "credentials");
    assert_eq!(first["token"]["sub"], "1");
    assert!(first.get("session").is_none() && first.get("profile").is_none());
    let second = &calls[1];
    assert_eq!(second["token"]["role"], "admin", "the hook gets its own claims back");
    assert!(second.get("trigger").is_none() && second.get("user").is_none());
}

#[tokio::test]
async fn a_failing_jwt_hook_fails_the_sign_in_with_configuration() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    s.jwt = Some(server.url("/jwt/not-an-object"));
    let mut b = browser(s);
    let r = sign_in(&mut b, "alice", "pw").await;
    assert_eq!(r.json(), json!({"url": error_url("Configuration")}));
    assert!(!signed_in(&b));
    assert_eq!(server.bodies("/jwt/not-an-object").len(), 1);
}

#[tokio::test]
async fn session_adds_a_field_and_sees_the_token() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    s.jwt = Some(server.url("/jwt"));
    s.session = Some(server.url("/session"));
    let mut b = browser(s);
    assert_eq!(sign_in(&mut b, "alice", "pw").await.status, StatusCode::OK);
    let session = b.get("/api/auth/session").await.json();
    assert_eq!(session["greeting"], "hello");
    assert_eq!(session["role"], "admin", "from the token the jwt hook shaped");
    assert_eq!(session["user"]["name"], "Alice");
    assert!(session["expires"].as_str().is_some_and(|e| e.ends_with('Z')));
    let calls = server.bodies("/session");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["token"]["sub"], "1");
    assert_eq!(calls[0]["session"]["user"]["email"], "alice@example.com");
    assert!(calls[0].get("user").is_none(), "JWT sessions have no stored user");
}

#[tokio::test]
async fn a_session_answer_without_expires_keeps_the_engines() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    s.session = Some(server.url("/session/no-expires"));
    let mut b = browser(s);
    assert_eq!(sign_in(&mut b, "alice", "pw").await.status, StatusCode::OK);
    let session = b.get("/api/auth/session").await.json();
    assert_eq!(session["user"]["name"], "Shown");
    assert!(session["expires"].as_str().is_some_and(|e| e.ends_with('Z')));
}

#[tokio::test]
async fn a_failing_session_hook_is_no_session() {
    for path in ["/session/user-5", "/session/missing"] {
        let server = HookServer::start().await;
        let mut s = settings();
        s.authorize = Some(server.url("/authorize"));
        s.session = Some(server.url(path));
        let mut b = browser(s);
        assert_eq!(sign_in(&mut b, "alice", "pw").await.status, StatusCode::OK, "{path}");
        let r = b.get("/api/auth/session").await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.json(), json!({}), "{path}");
        // JWT sessions: the engine clears the cookie when a callback fails (as next-auth).
        assert!(!signed_in(&b), "{path}");
        assert_eq!(server.bodies(path).len(), 1, "{path}");
    }
}

#[tokio::test]
async fn unconfigured_hooks_keep_the_defaults() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    let mut b = browser(s);
    assert_eq!(sign_in(&mut b, "alice", "pw").await.status, StatusCode::OK);
    let session = b.get("/api/auth/session").await.json();
    assert_eq!(
        session["user"],
        json!({"name": "Alice", "email": "alice@example.com", "image": null})
    );
    assert_eq!(session.as_object().unwrap().len(), 2, "user and expires: {session}");
    assert_eq!(server.received().len(), 1, "only authorize was called");
}
