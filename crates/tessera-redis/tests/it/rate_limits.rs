//! Rate limits counted in Redis: shared by every instance, atomic, refunded, and falling
//! back to each instance's own counts while Redis is down.

use std::time::Duration;

use tessera::providers::{Credentials, CredentialsProvider};
use tessera::rate_limit::{Bucket, Limit, RateLimitStore, RateLimits};
use tessera::{Auth, User};
use tessera_redis::{Redis, RedisRateLimits};

use crate::browser::Browser;
use crate::common::{OwnRedis, clean_up, connect, init_logs, prefix};

/// Failed attempts allowed per identifier in these tests.
const MAX: u32 = 4;

/// An instance whose limits are kept in `store`: `MAX` failed attempts per identifier per
/// quarter of an hour (the other limits off: these engines see no client address).
fn instance(store: RedisRateLimits) -> Auth {
    let credentials = CredentialsProvider::new(|c: Credentials| async move {
        Ok((c.get("password") == Some("pw")).then(|| User::new("1").name("Alice")))
    })
    .field("username", "Username", "text")
    .field("password", "Password", "password");
    Auth::builder()
        .url("http://localhost:3000")
        .secret("a tessera redis test secret")
        .provider(credentials)
        .rate_limits(RateLimits {
            credentials_per_identifier: Some(Limit::new(MAX, Duration::from_secs(900))),
            ..RateLimits::disabled()
        })
        .rate_limit_store(store)
        .build()
        .expect("valid config")
}

/// One credentials attempt for `username`; the status (302/401 wrong, 200 right, 429 limited).
async fn attempt(auth: &Auth, username: &str, password: &str) -> u16 {
    let mut b = Browser::new(auth.clone());
    let csrf = b.csrf().await;
    b.post_form(
        "/api/auth/callback/credentials",
        &[
            ("username", username),
            ("password", password),
            ("csrfToken", &csrf),
            ("json", "true"),
        ],
    )
    .await
    .status
    .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_spread_over_three_instances_reach_the_limit_as_on_one() {
    init_logs();
    let prefix = prefix();
    let Some(redis) = connect(&prefix).await else {
        return;
    };
    let instances: Vec<Auth> = (0..3).map(|_| instance(redis.rate_limits())).collect();
    // A right password gives its count back: it does not eat into the limit.
    assert_eq!(attempt(&instances[0], "alice", "pw").await, 200);
    for i in 0..MAX as usize {
        let status = attempt(&instances[i % 3], "alice", "wrong").await;
        assert_eq!(status, 401, "attempt {i} is counted, not refused");
    }
    // Every instance now refuses, the right password included, for alice only.
    for auth in &instances {
        assert_eq!(attempt(auth, "alice", "pw").await, 429);
    }
    assert_eq!(attempt(&instances[1], "bob", "wrong").await, 401);
    // Without Redis, each instance alone would have allowed MAX: a fresh instance under
    // another prefix (its own buckets) still does.
    let other = connect(&format!("{prefix}other:")).await.expect("Redis still up");
    assert_eq!(attempt(&instance(other.rate_limits()), "alice", "wrong").await, 401);
    clean_up(&prefix).await;
}

fn bucket(key: &str, max: u32, window: Duration) -> Bucket {
    Bucket {
        key: format!("{key:0>32}"),
        limit: Limit::new(max, window),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_attempts_cannot_all_pass_one_check() {
    init_logs();
    let prefix = prefix();
    let Some(redis) = connect(&prefix).await else {
        return;
    };
    let store = redis.rate_limits();
    let buckets = [
        bucket("a", 10, Duration::from_secs(60)),
        bucket("b", 1000, Duration::from_secs(60)),
    ];
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (store, buckets) = (store.clone(), buckets.clone());
            tokio::spawn(async move { store.acquire(&buckets).await.expect("Redis answers") })
        })
        .collect();
    let mut counted = 0;
    for task in tasks {
        if task.await.expect("task").is_ok() {
            counted += 1;
        }
    }
    assert_eq!(counted, 10, "exactly the limit of the tighter bucket");
    // All or nothing: the refused ones did not count against `b`.
    let refused = store
        .acquire(&buckets[..1])
        .await
        .expect("answer")
        .expect_err("a is full");
    assert!(refused.retry_after > Duration::from_secs(55) && refused.retry_after <= Duration::from_secs(60));
    let taken = store.acquire(&buckets[1..]).await.expect("answer").expect("b has room");
    assert_eq!(taken.len(), 1);

    // A refund gives one count back to the window it was taken in, and never below zero.
    let c = [bucket("c", 1, Duration::from_secs(60))];
    let taken = store.acquire(&c).await.expect("answer").expect("room");
    assert!(store.acquire(&c).await.expect("answer").is_err());
    store.refund(&taken).await.expect("refund");
    store.refund(&taken).await.expect("a second refund is harmless");
    let again = store.acquire(&c).await.expect("answer").expect("refunded");
    assert!(store.acquire(&c).await.expect("answer").is_err(), "not below zero");
    // A refund into a window that has since ended changes nothing in the next one.
    let d = [bucket("d", 1, Duration::from_millis(50))];
    let old = store.acquire(&d).await.expect("answer").expect("room");
    tokio::time::sleep(Duration::from_millis(80)).await;
    store.acquire(&d).await.expect("answer").expect("a new window");
    store.refund(&old).await.expect("refund");
    assert!(
        store.acquire(&d).await.expect("answer").is_err(),
        "the new window stays full"
    );
    drop(again);
    clean_up(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_down_each_instance_counts_alone_and_sharing_resumes() {
    init_logs();
    let Some(server) = OwnRedis::start(0) else {
        return;
    };
    let redis = Redis::connect(&server.url(), "tessera:").await.expect("connect");
    let (a, b) = (instance(redis.rate_limits()), instance(redis.rate_limits()));
    // Shared: two failures on A, two on B reach the limit of four.
    for auth in [&a, &a, &b, &b] {
        assert_eq!(attempt(auth, "carol", "wrong").await, 401);
    }
    assert_eq!(attempt(&a, "carol", "wrong").await, 429);

    let port = server.stop();
    // Down: no error, no 5xx: each instance counts in memory, from zero, up to the limit.
    for auth in [&a, &b] {
        for _ in 0..MAX {
            assert_eq!(attempt(auth, "dave", "wrong").await, 401);
        }
        assert_eq!(attempt(auth, "dave", "wrong").await, 429, "limited per process");
    }

    // Redis returns (empty): once the connection is back and the engine's one-second pause
    // has passed, counts are shared again.
    let _server = OwnRedis::start(port).expect("redis-server restarts");
    let probe = [bucket("probe", 1_000_000, Duration::from_secs(60))];
    let store = redis.rate_limits();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while store.acquire(&probe).await.is_err() {
        assert!(std::time::Instant::now() < deadline, "the connection never came back");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for auth in [&a, &b, &a, &b] {
        assert_eq!(attempt(auth, "erin", "wrong").await, 401);
    }
    assert_eq!(attempt(&b, "erin", "wrong").await, 429, "shared again");
}
