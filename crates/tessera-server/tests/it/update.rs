//! `update(data)` without a `jwt` hook: the configured fields, into the token (JWT
//! sessions) or the stored user (database sessions, `MemoryAdapter`).

use std::sync::Arc;

use http::StatusCode;
use serde_json::json;
use tessera::SessionStrategy;
use tessera::adapter::{Adapter, MemoryAdapter};
use tessera_server::hooks::{Hooks, UpdateField};

use crate::browser::Browser;
use crate::harness::{browser, engine, settings, sign_in, update};
use crate::hook_server::HookServer;

fn fields() -> Vec<UpdateField> {
    vec![UpdateField::new("name", 10), UpdateField::new("image", 100)]
}

#[tokio::test]
async fn jwt_sessions_take_the_fields_into_the_token() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    s.update_fields = fields();
    let mut b = browser(s);
    assert_eq!(sign_in(&mut b, "alice", "pw").await.status, StatusCode::OK);

    let r = update(
        &mut b,
        json!({"name": " Alicia ", "image": "https://img.example/a.png"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let session = r.json();
    assert_eq!(session["user"]["name"], "Alicia");
    assert_eq!(session["user"]["image"], "https://img.example/a.png");
    // Written to the cookie: the next read shows it too.
    let session = b.get("/api/auth/session").await.json();
    assert_eq!(session["user"]["name"], "Alicia");

    // Invalid values and unlisted fields change nothing.
    for data in [
        json!({"name": "far too long a name"}),
        json!({"name": ""}),
        json!({"name": 7}),
        json!({"image": "javascript:alert(1)"}),
        json!({"email": "mallory@example.com"}),
    ] {
        let session = update(&mut b, data.clone()).await.json();
        assert_eq!(session["user"]["name"], "Alicia", "{data}");
        assert_eq!(session["user"]["image"], "https://img.example/a.png", "{data}");
        assert_eq!(session["user"]["email"], "alice@example.com", "{data}");
    }
}

#[tokio::test]
async fn without_update_fields_update_changes_nothing() {
    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    let mut b = browser(s);
    assert_eq!(sign_in(&mut b, "alice", "pw").await.status, StatusCode::OK);
    let session = update(&mut b, json!({"name": "Alicia"})).await.json();
    assert_eq!(session["user"]["name"], "Alice");
}

/// An engine with database sessions in `adapter`, the hooks holding the same adapter.
fn database_browser(server: &HookServer, adapter: &Arc<MemoryAdapter>, session_hook: bool) -> Browser {
    let mut s = settings();
    s.authorize = Some(server.url("/authorize"));
    s.update_fields = fields();
    if session_hook {
        s.session = Some(server.url("/session"));
    }
    let shared: Arc<dyn Adapter> = adapter.clone();
    let hooks = Hooks::new(s).unwrap().with_adapter(shared);
    let adapter = Arc::clone(adapter);
    Browser::new(engine(&hooks, |b| {
        b.adapter(adapter).session_strategy(SessionStrategy::Database)
    }))
}

#[tokio::test]
async fn database_sessions_update_the_stored_user() {
    let server = HookServer::start().await;
    let adapter = Arc::new(MemoryAdapter::new());
    let mut b = database_browser(&server, &adapter, false);
    assert_eq!(sign_in(&mut b, "alice", "pw").await.status, StatusCode::OK);
    let stored = adapter.get_user_by_account("credentials", "1").await.unwrap().unwrap();
    assert_eq!(stored.name.as_deref(), Some("Alice"));

    let session = update(&mut b, json!({"name": "Alicia"})).await.json();
    assert_eq!(session["user"]["name"], "Alicia");
    let user = adapter.get_user(&stored.id).await.unwrap().unwrap();
    assert_eq!(user.name.as_deref(), Some("Alicia"));
    assert_eq!(b.get("/api/auth/session").await.json()["user"]["name"], "Alicia");

    let session = update(&mut b, json!({"name": "far too long a name"})).await.json();
    assert_eq!(session["user"]["name"], "Alicia");
    let user = adapter.get_user(&stored.id).await.unwrap().unwrap();
    assert_eq!(user.name.as_deref(), Some("Alicia"));
}

#[tokio::test]
async fn the_session_hook_sees_the_updated_user_and_the_trigger() {
    let server = HookServer::start().await;
    let adapter = Arc::new(MemoryAdapter::new());
    let mut b = database_browser(&server, &adapter, true);
    assert_eq!(sign_in(&mut b, "alice", "pw").await.status, StatusCode::OK);
    let session = update(&mut b, json!({"name": "Alicia"})).await.json();
    assert_eq!(session["user"]["name"], "Alicia");
    assert_eq!(session["greeting"], "hello");
    let calls = server.bodies("/session");
    let last = calls.last().unwrap();
    assert_eq!(last["trigger"], "update");
    assert_eq!(last["new_session"], json!({"name": "Alicia"}));
    assert_eq!(last["session"]["user"]["name"], "Alicia");
    assert_eq!(last["user"]["email"], "alice@example.com");
    assert!(last.get("token").is_none(), "database sessions have no token");
}
