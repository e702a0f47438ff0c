//! A deterministic driver of `GET /api/auth/session` for instruction counting, shaped like
//! the demo (callbacks that add the user id, a credentials provider, an adapter).
//!
//! ```text
//! cargo bench -p tessera --bench profile --no-run
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/deps/profile-<hash> jwt 2000
//! callgrind_annotate --inclusive=yes cg.out | head -60
//! ```
//!
//! Arguments: the strategy (`jwt` or `database`, with the in-memory adapter) and the number
//! of requests (default 1000). Run it twice with different counts and divide the
//! difference of the totals by the difference of the counts for instructions per request.
//! Run without arguments (as `cargo bench` does) it makes a few requests and checks them.

#![allow(clippy::unwrap_used, reason = "a benchmark: a failed setup step should stop it")]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tessera::adapter::{Adapter, AdapterSession, MemoryAdapter, NewUser};
use tessera::callbacks::{CallbackError, Callbacks, SessionArgs};
use tessera::providers::{Credentials, CredentialsProvider};
use tessera::{Auth, Secret, Session, SessionStrategy, Token, User};

const SECRET: &str = "load-test-secret-0123456789abcdef";
const MAX_AGE: i64 = 2_592_000;

/// The demo's callbacks on the read path: the session gets the user's id.
struct DemoLike;

#[tessera::async_trait]
impl Callbacks for DemoLike {
    async fn session(&self, mut args: SessionArgs<'_>) -> Result<Session, CallbackError> {
        let id = args
            .token
            .and_then(Token::sub)
            .or(args.user.map(|u| u.id.as_str()))
            .map(str::to_owned);
        if let (Some(user), Some(id)) = (args.session.user.as_mut(), id) {
            user.extra.insert("id".into(), id.into());
        }
        Ok(args.session)
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let mode = args.next();
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let modes: Vec<&str> = match mode.as_deref() {
        Some(m) => vec![if m == "database" { "database" } else { "jwt" }],
        None => vec!["jwt", "database"],
    };
    let n = if mode.is_none() { 3 } else { n };
    for mode in modes {
        let (auth, cookie) = rt.block_on(setup(mode == "database"));
        let req = || {
            http::Request::get("/api/auth/session")
                .header(http::header::HOST, "127.0.0.1:3917")
                .header(http::header::COOKIE, &cookie)
                .body(Bytes::new())
                .unwrap()
        };
        let first = rt.block_on(auth.handle(req()));
        assert_eq!(first.status(), 200);
        assert!(std::str::from_utf8(first.body()).unwrap().contains("\"id\""));
        assert_eq!(first.headers().get_all(http::header::SET_COOKIE).iter().count(), 1);
        for _ in 0..n {
            black_box(rt.block_on(auth.handle(black_box(req()))));
        }
        eprintln!("profile: {mode}: {n} requests");
    }
}

async fn setup(database: bool) -> (Auth, String) {
    let adapter = Arc::new(MemoryAdapter::new());
    let credentials = CredentialsProvider::new(|c: Credentials| {
        let user = (c.get("password") == Some("demo")).then(|| User::new("1").name("Demo User"));
        async move { Ok(user) }
    });
    let strategy = if database {
        SessionStrategy::Database
    } else {
        SessionStrategy::Jwt
    };
    let auth = Auth::builder()
        .url("http://localhost:3917")
        .secret(SECRET)
        .adapter(adapter.clone())
        .session_strategy(strategy)
        .provider(credentials)
        .callbacks(DemoLike)
        .build()
        .unwrap();
    let session = if database {
        let user = adapter
            .create_user(NewUser {
                name: Some("Demo User".into()),
                email: Some("demo@example.com".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let row = AdapterSession {
            session_token: "6f1c2a52-7f0e-4c55-9d0b-8f5d3c1e2a77".into(),
            user_id: user.id,
            expires: SystemTime::now() + Duration::from_secs(MAX_AGE as u64),
        };
        adapter.create_session(row).await.unwrap().session_token
    } else {
        let user = User::new("1").name("Demo User").email("demo@example.com");
        auth.encode_token(Token::for_user(&user), Duration::from_secs(MAX_AGE as u64))
    };
    let t = "0123456789abcdef".repeat(4);
    let csrf = format!("{t}%7C{}", tessera::csrf::hash(&t, &Secret::new(SECRET)));
    let cookie = format!(
        "next-auth.csrf-token={csrf}; next-auth.callback-url=http%3A%2F%2Flocalhost%3A3917; next-auth.session-token={session}"
    );
    (auth, cookie)
}
