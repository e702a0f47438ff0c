//! A hook server of the tests' own on 127.0.0.1: it verifies every request's signature
//! with `hooks::verify`, records what it received, and answers as its path says (a good
//! hook, or one of the ways a hook can misbehave).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tessera::Secret;
use tessera_server::hooks::{DEFAULT_TOLERANCE, SIGNATURE_HEADER, verify};

/// The secret Tessera and the hook server share.
pub(crate) const HOOK_SECRET: &str = "the hooks' shared test secret";

/// How long `/authorize/slow` takes to answer.
pub(crate) const SLOW: Duration = Duration::from_secs(3);

/// A request the server received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub path: String,
    pub body: Value,
    /// The method was POST, the content type JSON and the signature valid.
    pub verified: bool,
}

#[derive(Clone)]
struct Shared {
    secret: Secret,
    received: Arc<Mutex<Vec<Received>>>,
}

/// The running server; stopped when dropped.
pub(crate) struct HookServer {
    base: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HookServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HookServer {
    pub(crate) async fn start() -> Self {
        let shared = Shared {
            secret: Secret::new(HOOK_SECRET),
            received: Arc::default(),
        };
        let received = Arc::clone(&shared.received);
        let app = Router::new().fallback(handle).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        HookServer { base, received, task }
    }

    /// The URL of `path` on this server.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What it received so far.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The bodies it received at `path`, each checked to be verified.
    pub(crate) fn bodies(&self, path: &str) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|r| r.path == path)
            .map(|r| {
                assert!(r.verified, "a request to {path} without a valid signature");
                r.body
            })
            .collect()
    }
}

async fn handle(State(shared): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let verified = method == Method::POST
        && headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == "application/json")
        && verify(&shared.secret, signature, &body, now, DEFAULT_TOLERANCE).is_ok();
    let path = uri.path().to_owned();
    let call: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.received.lock().unwrap().push(Received {
        path: path.clone(),
        body: call.clone(),
        verified,
    });
    if !verified {
        // The answer a naive client might take for a sign-in.
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"user": {"id": "1"}}))).into_response();
    }
    answer(&path, call).await
}

fn ok(value: Value) -> Response {
    axum::Json(value).into_response()
}

/// Adds `fields` to the object at `call[key]`.
fn with(call: &Value, key: &str, fields: Value) -> Value {
    let Value::Object(fields) = fields else {
        panic!("fields must be an object");
    };
    let mut object = call[key].as_object().cloned().unwrap_or_default();
    object.extend(fields);
    Value::Object(object)
}

async fn answer(path: &str, call: Value) -> Response {
    let alice = json!({"id": "1", "name": "Alice", "email": "alice@example.com"});
    match path {
        // A good `authorize`: alice/pw; bob/pw has a numeric id; `locked` is refused with a code.
        "/authorize" => {
            let credentials = &call["credentials"];
            match (credentials["username"].as_str(), credentials["password"].as_str()) {
                (Some("alice"), Some("pw")) => ok(json!({"user": alice})),
                (Some("bob"), Some("pw")) => ok(json!({"user": {"id": 42, "name": "Bob"}})),
                (_, Some("locked")) => ok(json!({"error": "AccountLocked"})),
                _ => ok(json!({"user": null})),
            }
        }
        // Each answers alice's user if the client were to take it.
        "/authorize/slow" => {
            tokio::time::sleep(SLOW).await;
            ok(json!({"user": alice}))
        }
        "/authorize/not-json" => ([(header::CONTENT_TYPE, "application/json")], "user=1").into_response(),
        "/authorize/wrong-shape" => ok(json!({"users": [alice]})),
        "/authorize/user-5" => ok(json!({"user": 5})),
        "/authorize/array" => ok(json!([{"user": alice}])),
        "/authorize/empty-id" => ok(json!({"user": {"id": ""}})),
        "/authorize/oversized" => ok(json!({"user": {"id": "1", "pad": "x".repeat(70 * 1024)}})),
        "/authorize/status-500" => {
            (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({"user": alice}))).into_response()
        }
        "/authorize/redirect" => (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, "/authorize")]).into_response(),
        "/authorize/bad-code" => ok(json!({"error": "no spaces <b>allowed</b>"})),

        "/sign-in/allow" => ok(json!({"allow": true})),
        "/sign-in/deny" => ok(json!({"allow": false})),
        "/sign-in/redirect" => ok(json!({"redirect": "/blocked"})),
        "/sign-in/ambiguous" => ok(json!({"allow": true, "redirect": "/blocked"})),

        // Adds `role` and records the trigger it saw.
        "/jwt" => ok(json!({"token": with(&call, "token", json!({
            "role": "admin",
            "trigger_seen": call.get("trigger").cloned().unwrap_or(Value::Null),
        }))})),
        "/jwt/not-an-object" => ok(json!({"token": 5})),

        // Adds `greeting`, and `role` from the token when there is one.
        "/session" => {
            let role = call["token"]["role"].clone();
            let mut session = with(&call, "session", json!({"greeting": "hello"}));
            if !role.is_null() {
                session["role"] = role;
            }
            ok(json!({"session": session}))
        }
        "/session/no-expires" => ok(json!({"session": {"user": {"name": "Shown"}}})),
        "/session/user-5" => ok(json!({"session": {"user": 5, "expires": "x"}})),

        _ => (StatusCode::INTERNAL_SERVER_ERROR, "no such hook").into_response(),
    }
}
