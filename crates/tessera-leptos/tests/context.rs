//! The context on native targets (no browser: the store is not started): initial state,
//! signals following the store, required-session URL.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures_util::FutureExt;
use leptos::prelude::*;
use tessera_client::{BoxFuture, ClientError, HttpRequest, HttpResponse, Transport};
use tessera_leptos::{
    Client, Session, SessionContext, SessionStore, Status, StoreOptions, sign_in_required_url, use_session,
};

/// Answers `GET /session` with a fixed body, at once.
struct Fixed(&'static str);

impl Transport for Fixed {
    fn send(&self, _request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, ClientError>> {
        let body = self.0.as_bytes().to_vec();
        Box::pin(async move { Ok(HttpResponse { status: 200, body }) })
    }
}

fn session(name: &str) -> Session {
    serde_json::from_value(serde_json::json!({
        "user": { "name": name }, "expires": "2099-01-01T00:00:00.000Z"
    }))
    .unwrap()
}

fn with_context<T>(body: &'static str, options: StoreOptions, f: impl FnOnce() -> T) -> T {
    let owner = Owner::new();
    owner.with(|| {
        let client = Client::with_transport("http://localhost:3000", Fixed(body)).unwrap();
        provide_context(SessionContext::new(SessionStore::new(client, options)));
        f()
    })
}

#[test]
fn initial_session_means_no_loading_state() {
    with_context("{}", StoreOptions::new().initial(Some(session("Ada"))), || {
        let s = use_session();
        assert_eq!(s.status.get_untracked(), Status::Authenticated);
        assert_eq!(s.data.get_untracked(), Some(session("Ada")));
    });
    with_context("{}", StoreOptions::new().initial(None), || {
        assert_eq!(use_session().status.get_untracked(), Status::Unauthenticated);
    });
}

#[test]
fn signals_follow_the_store() {
    let body = r#"{"user":{"name":"Bob"},"expires":"2099-01-01T00:00:00.000Z"}"#;
    with_context(body, StoreOptions::new(), || {
        let s = use_session();
        assert_eq!(s.status.get_untracked(), Status::Loading);
        let fetched = s
            .refresh()
            .now_or_never()
            .expect("fixed transport is immediate")
            .unwrap();
        assert_eq!(fetched, Some(session("Bob")));
        assert_eq!(s.status.get_untracked(), Status::Authenticated);
        assert_eq!(s.data.get_untracked(), Some(session("Bob")));
    });
}

#[test]
fn required_session_url() {
    assert_eq!(
        sign_in_required_url("/api/auth", "http://localhost:3000/me?x=1#top"),
        "/api/auth/signin?error=SessionRequired&callbackUrl=http%3A%2F%2Flocalhost%3A3000%2Fme%3Fx%3D1%23top"
    );
}
