//! Client addresses and rate limits: M2 (trusted proxies), M3 (bounded limiter), M4 (atomic reservation).
//! The limiter's own M3 tests (fixed-size keys, the cap, expiry) are unit tests in
//! `src/rate_limit.rs`; the header parsing's are in `src/client_addr.rs`.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use tessera::providers::{Credentials, CredentialsProvider};
use tessera::rate_limit::{ClientIp, Limit, RateLimits};
use tessera::{Auth, User};

use crate::common::{self, Browser, builder};

/// A CSRF cookie and token, reusable for many posts.
async fn csrf(auth: &Auth) -> (String, String) {
    let mut b = Browser::new(auth.clone());
    let token = b.csrf().await;
    (b.cookie_header(), token)
}

/// `POST /callback/credentials` from `peer` (None: no peer known) with extra headers.
async fn attempt(
    auth: &Auth,
    (cookie, token): &(String, String),
    peer: Option<&str>,
    headers: &[(&str, &str)],
    username: &str,
    password: &str,
) -> StatusCode {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("username", username),
            ("password", password),
            ("csrfToken", token.as_str()),
            ("json", "true"),
        ])
        .finish();
    let mut req = http::Request::post("/api/auth/callback/credentials")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Bytes::from(body)).unwrap();
    if let Some(peer) = peer {
        req.extensions_mut().insert(ClientIp(peer.parse::<IpAddr>().unwrap()));
    }
    auth.handle(req).await.status()
}

/// Only the per-client limit (`per_client` failures a minute), and the pair limit off.
fn per_client_only(per_client: u32) -> RateLimits {
    RateLimits {
        credentials_per_client: Some(Limit::new(per_client, Duration::from_secs(60))),
        ..RateLimits::disabled()
    }
}

const PROXY: &str = "127.0.0.1";

fn behind_proxy(limits: RateLimits) -> Auth {
    builder()
        .trusted_proxies(["127.0.0.1/32"])
        .rate_limits(limits)
        .build()
        .unwrap()
}

#[tokio::test]
async fn m2_clients_behind_a_trusted_proxy_have_their_own_buckets() {
    let auth = behind_proxy(per_client_only(3));
    let csrf = csrf(&auth).await;
    let a = [("x-forwarded-for", "192.0.2.1")];
    for i in 0..3 {
        let s = attempt(&auth, &csrf, Some(PROXY), &a, &format!("u{i}"), "wrong").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let s = attempt(&auth, &csrf, Some(PROXY), &a, "alice", "pw").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "client A is limited");
    // Before: every request had the proxy's address, so B was locked out too.
    let b = [("x-forwarded-for", "192.0.2.2")];
    let s = attempt(&auth, &csrf, Some(PROXY), &b, "alice", "pw").await;
    assert_eq!(s, StatusCode::OK, "client B signs in");
    // nginx's `$proxy_add_x_forwarded_for` appends to what the client sent.
    let b = [("x-forwarded-for", "192.0.2.1, 192.0.2.2")];
    let s = attempt(&auth, &csrf, Some(PROXY), &b, "alice", "pw").await;
    assert_eq!(s, StatusCode::OK, "the right-most entry is the client");
}

#[tokio::test]
async fn m2_forged_left_most_entries_stay_in_one_bucket() {
    for trust_host in [false, true] {
        let auth = builder()
            .trust_host(trust_host)
            .trusted_proxies(["127.0.0.1/32"])
            .rate_limits(per_client_only(3))
            .build()
            .unwrap();
        let csrf = csrf(&auth).await;
        let mut statuses = Vec::new();
        for i in 0..6 {
            let xff = format!("203.0.113.{i}, x{i}, 192.0.2.1");
            let h = [("x-forwarded-for", xff.as_str())];
            statuses.push(attempt(&auth, &csrf, Some(PROXY), &h, &format!("u{i}"), "wrong").await);
        }
        let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert_eq!(limited, 3, "trust_host {trust_host}: {statuses:?}");
    }
}

#[tokio::test]
async fn m2_forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let auth = behind_proxy(per_client_only(2));
    let csrf = csrf(&auth).await;
    for i in 0..2 {
        let xff = format!("192.0.2.{i}");
        let h = [("x-forwarded-for", xff.as_str()), ("forwarded", "for=192.0.2.99")];
        let s = attempt(&auth, &csrf, Some("198.51.100.7"), &h, "u", "wrong").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let h = [("x-forwarded-for", "192.0.2.50")];
    let s = attempt(&auth, &csrf, Some("198.51.100.7"), &h, "alice", "pw").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "the peer is the client");
}

#[tokio::test]
async fn m2_garbage_where_the_client_should_be_is_never_unlimited() {
    // Before: under trust_host, `X-Forwarded-For: x` gave no client, and no per-client limit.
    let auth = behind_proxy(per_client_only(2));
    let csrf = csrf(&auth).await;
    let mut statuses = Vec::new();
    for (i, xff) in ["x", "unknown", "_hidden", "999.1.1.1", "[::1"].iter().enumerate() {
        let h = [("x-forwarded-for", *xff)];
        statuses.push(attempt(&auth, &csrf, Some(PROXY), &h, &format!("u{i}"), "wrong").await);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "keyed on the proxy that reported them"
    );
}

#[tokio::test]
async fn m2_forwarded_for_is_read_when_there_is_no_x_forwarded_for() {
    let auth = behind_proxy(per_client_only(1));
    let csrf = csrf(&auth).await;
    let a = [("forwarded", r#"for="[2001:db8::1]:4711";proto=https, for=127.0.0.1"#)];
    assert_eq!(
        attempt(&auth, &csrf, Some(PROXY), &a, "u", "wrong").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        attempt(&auth, &csrf, Some(PROXY), &a, "u", "wrong").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let b = [("forwarded", "for=192.0.2.2")];
    assert_eq!(
        attempt(&auth, &csrf, Some(PROXY), &b, "alice", "pw").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn m2_one_client_cannot_lock_an_identifier_out_for_everyone() {
    // The defaults: 5 failures per (client, identifier), 10 per identifier.
    let auth = builder().build().unwrap();
    let csrf = csrf(&auth).await;
    for _ in 0..5 {
        let s = attempt(&auth, &csrf, Some("192.0.2.1"), &[], "alice", "wrong").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let s = attempt(&auth, &csrf, Some("192.0.2.1"), &[], "alice", "wrong").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "the noisy client is stopped on alice");
    let s = attempt(&auth, &csrf, Some("198.51.100.1"), &[], "alice", "pw").await;
    assert_eq!(s, StatusCode::OK, "alice signs in from elsewhere");
    let s = attempt(&auth, &csrf, Some("192.0.2.1"), &[], "bob", "pw").await;
    assert_eq!(s, StatusCode::OK, "the noisy client may still try other identifiers");
}

#[tokio::test]
async fn m2_a_missing_peer_turns_only_the_per_client_limits_off() {
    let auth = builder()
        .trusted_proxies(["0.0.0.0/0"])
        .rate_limits(RateLimits {
            credentials_per_identifier: Some(Limit::new(2, Duration::from_secs(60))),
            ..per_client_only(1)
        })
        .build()
        .unwrap();
    let csrf = csrf(&auth).await;
    // Without a peer, forwarded headers cannot be checked, so they are not read.
    let h = [("x-forwarded-for", "192.0.2.1")];
    let statuses = [
        attempt(&auth, &csrf, None, &h, "alice", "wrong").await,
        attempt(&auth, &csrf, None, &h, "alice", "wrong").await,
        attempt(&auth, &csrf, None, &h, "alice", "wrong").await,
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

/// An `authorize` that counts its calls and takes a while (as bcrypt behind a database
/// lookup does); `pw` is the right password.
fn slow_auth(calls: Arc<AtomicUsize>, limits: RateLimits) -> Auth {
    let provider = CredentialsProvider::new(move |c: Credentials| {
        let calls = calls.clone();
        async move {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok((c.get("password") == Some("pw")).then(|| User::new("1")))
        }
    });
    Auth::builder()
        .url("http://localhost:3000")
        .secret(common::SECRET)
        .provider(provider)
        .rate_limits(limits)
        .build()
        .unwrap()
}

async fn concurrently(auth: &Auth, n: usize, password: &'static str) -> Vec<StatusCode> {
    let csrf = Arc::new(csrf(auth).await);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (auth, csrf) = (auth.clone(), csrf.clone());
        // Each from its own address: only the identifier's bucket is shared.
        let peer = format!("10.0.{}.{}", i / 250, i % 250 + 1);
        tasks.spawn(async move { attempt(&auth, &csrf, Some(&peer), &[], "alice", password).await });
    }
    tasks.join_all().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m4_concurrent_failures_are_counted_before_authorize_runs() {
    let calls = Arc::new(AtomicUsize::new(0));
    let limits = RateLimits {
        credentials_per_identifier: Some(Limit::new(10, Duration::from_secs(60))),
        ..RateLimits::disabled()
    };
    let auth = slow_auth(calls.clone(), limits);
    let statuses = concurrently(&auth, 100, "wrong").await;
    // Before: all 100 passed the check before the first failure was counted.
    assert_eq!(calls.load(Ordering::SeqCst), 10, "authorize calls");
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(limited, 90);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m4_successes_give_their_reservation_back() {
    let calls = Arc::new(AtomicUsize::new(0));
    let limits = RateLimits {
        credentials_per_identifier: Some(Limit::new(3, Duration::from_secs(60))),
        ..RateLimits::disabled()
    };
    let auth = slow_auth(calls.clone(), limits);
    // Concurrent right passwords: at most 3 at a time, and each is refunded.
    let statuses = concurrently(&auth, 20, "pw").await;
    assert!(statuses.contains(&StatusCode::OK));
    let csrf = csrf(&auth).await;
    for _ in 0..3 {
        let s = attempt(&auth, &csrf, Some("192.0.2.1"), &[], "alice", "wrong").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "successes left the whole budget");
    }
    let s = attempt(&auth, &csrf, Some("192.0.2.1"), &[], "alice", "pw").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}
