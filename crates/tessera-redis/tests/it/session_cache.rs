//! Database sessions read from each instance's memory, evicted everywhere through Redis when
//! a session ends or its user changes, and read from the database while Redis is down.
//! The instances share one adapter (the database) and one Redis.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tessera::adapter::{Adapter, AdapterSession, NewUser, UserUpdate};
use tessera::{Auth, SessionStrategy};
use tessera_redis::Redis;

use crate::browser::Browser;
use crate::common::{OwnRedis, clean_up, connect, init_logs, prefix, report};
use crate::counting::Counting;

const COOKIE: &str = "next-auth.session-token";
/// The propagation the issue asks for.
const WITHIN: Duration = Duration::from_millis(200);

fn instance(database: &Arc<Counting>) -> Auth {
    Auth::builder()
        .url("http://localhost:3000")
        .secret("a tessera redis test secret")
        .adapter(database.clone())
        .session_strategy(SessionStrategy::Database)
        .build()
        .expect("valid config")
}

/// `n` instances sharing `database`, attached to `redis`.
async fn instances(redis: &Redis, database: &Arc<Counting>, n: usize) -> Vec<Auth> {
    let mut out = Vec::new();
    for _ in 0..n {
        let auth = instance(database);
        redis.attach(&auth).await.expect("attach");
        assert!(auth.session_cache().is_enabled());
        out.push(auth);
    }
    out
}

/// A session's lifetime (the default `max_age`, 30 days): a session written with it is not
/// due for extension, so reading it does not write (and evict) it.
const LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

/// A user named `name` and a fresh session of theirs, written straight to the database;
/// returns (user id, session token).
async fn session_of(database: &Counting, name: &str) -> (String, String) {
    let user = database
        .inner
        .create_user(NewUser {
            name: Some(name.into()),
            email: Some(format!("{name}@example.com")),
            ..Default::default()
        })
        .await
        .expect("user");
    let token = uuid::Uuid::new_v4().to_string();
    database
        .inner
        .create_session(AdapterSession {
            session_token: token.clone(),
            user_id: user.id.clone(),
            expires: SystemTime::now() + LIFETIME,
        })
        .await
        .expect("session");
    (user.id, token)
}

async fn session(auth: &Auth, token: &str) -> String {
    let mut b = Browser::new(auth.clone());
    b.jar.insert(COOKIE.into(), token.into());
    b.get("/api/auth/session").await.text().to_owned()
}

/// How many session reads reached the database since the last call.
fn reads(database: &Counting) -> usize {
    database.take().iter().filter(|m| **m == "get_session_and_user").count()
}

/// Waits until `auth` answers `expected` (a substring) for `token`; fails past `WITHIN`.
async fn answers_within(auth: &Auth, token: &str, expected: &str, since: Instant) -> Duration {
    loop {
        if session(auth, token).await.contains(expected) {
            return since.elapsed();
        }
        assert!(since.elapsed() < WITHIN, "not {expected:?} after {:?}", since.elapsed());
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_read_from_memory_and_writes_on_one_instance_evict_them_everywhere() {
    init_logs();
    let prefix = prefix();
    let Some(redis) = connect(&prefix).await else {
        return;
    };
    let database = Arc::new(Counting::default());
    let all = instances(&redis, &database, 3).await;
    let (a, b, c) = (&all[0], &all[1], &all[2]);
    let (alice, token) = session_of(&database, "alice").await;
    database.take();

    // One database read per instance, then memory.
    for auth in &all {
        for _ in 0..5 {
            assert!(session(auth, &token).await.contains("alice@example.com"));
        }
    }
    assert_eq!(reads(&database), 3);

    // A user update on A: every instance shows it within the bound.
    let since = Instant::now();
    a.adapter()
        .expect("an adapter")
        .update_user(UserUpdate {
            id: alice.clone(),
            name: Some(Some("Alice Liddell".into())),
            ..Default::default()
        })
        .await
        .expect("update");
    for auth in [b, c] {
        let latency = answers_within(auth, &token, "Alice Liddell", since).await;
        report(&format!(
            "a user update on A reached another instance's cache in {latency:?}"
        ));
    }

    // Sign-out on B: A and C answer signed out within the bound, a kept copy of the cookie
    // included.
    let mut browser = Browser::new(b.clone());
    browser.jar.insert(COOKIE.into(), token.clone());
    let csrf = browser.csrf().await;
    let since = Instant::now();
    browser
        .post_form("/api/auth/signout", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    for auth in [a, c] {
        let latency = answers_within(auth, &token, "{}", since).await;
        report(&format!(
            "a sign-out on B reached another instance's cache in {latency:?}"
        ));
    }

    // revoke_user_sessions on C ends the user's other sessions everywhere.
    let second = uuid::Uuid::new_v4().to_string();
    database
        .inner
        .create_session(AdapterSession {
            session_token: second.clone(),
            user_id: alice.clone(),
            expires: SystemTime::now() + LIFETIME,
        })
        .await
        .expect("session");
    for auth in [a, b] {
        assert!(session(auth, &second).await.contains("Alice Liddell"));
    }
    let since = Instant::now();
    assert_eq!(c.revoke_user_sessions(&alice, None).await, Ok(1));
    for auth in [a, b] {
        answers_within(auth, &second, "{}", since).await;
    }
    clean_up(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_down_sessions_are_read_from_the_database() {
    init_logs();
    let Some(server) = OwnRedis::start(0) else {
        return;
    };
    let redis = Redis::connect(&server.url(), "tessera:").await.expect("connect");
    let database = Arc::new(Counting::default());
    let all = instances(&redis, &database, 2).await;
    let (a, b) = (&all[0], &all[1]);
    let (_, token) = session_of(&database, "bob").await;
    assert!(session(b, &token).await.contains("bob@example.com"));

    let port = server.stop();
    // The subscription drops: B's cache goes off at once (no invalidation can reach it).
    let deadline = Instant::now() + Duration::from_secs(5);
    while b.session_cache().is_enabled() {
        assert!(Instant::now() < deadline, "the cache stayed on without Redis");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    database.take();
    assert!(session(b, &token).await.contains("bob@example.com"));
    assert_eq!(reads(&database), 1, "read from the database");
    // A sign-out on A while Redis is down holds on B at once: B reads the database.
    let mut browser = Browser::new(a.clone());
    browser.jar.insert(COOKIE.into(), token.clone());
    let csrf = browser.csrf().await;
    browser
        .post_form("/api/auth/signout", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    assert_eq!(session(b, &token).await, "{}");

    // Redis returns: the cache comes back on, empty, and serves again.
    let _server = OwnRedis::start(port).expect("redis-server restarts");
    let back = Instant::now();
    while !b.session_cache().is_enabled() {
        assert!(back.elapsed() < Duration::from_secs(15), "the cache never came back");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    report(&format!(
        "the session cache was back on {:?} after Redis returned",
        back.elapsed()
    ));
    let (_, token) = session_of(&database, "carol").await;
    database.take();
    for _ in 0..3 {
        assert!(session(b, &token).await.contains("carol@example.com"));
    }
    assert_eq!(reads(&database), 1, "cached again");
}
