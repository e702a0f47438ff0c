//! Revocations of JWT sessions shared through Redis.

use std::time::{Duration, Instant};

use http::HeaderMap;
use tessera::providers::{Credentials, CredentialsProvider};
use tessera::revocations::Revocation;
use tessera::{Auth, User};
use tessera_redis::Redis;

use crate::browser::Browser;
use crate::common::{OwnRedis, clean_up, connect, init_logs, prefix, redis_url, report};

const COOKIE: &str = "next-auth.session-token";
/// The propagation the issue asks for.
const WITHIN: Duration = Duration::from_millis(200);

fn auth() -> Auth {
    let credentials = CredentialsProvider::new(|c: Credentials| async move {
        Ok((c.get("password") == Some("pw")).then(|| User::new("1").name("Alice").email("alice@example.com")))
    })
    .field("username", "Username", "text")
    .field("password", "Password", "password");
    Auth::builder()
        .url("http://localhost:3000")
        .secret("a tessera redis test secret")
        .provider(credentials)
        .build()
        .expect("valid config")
}

/// A started instance: an engine attached to Redis under `prefix`.
async fn instance(prefix: &str) -> Option<Auth> {
    let redis = connect(prefix).await?;
    let auth = auth();
    redis.attach(&auth).await.expect("attach");
    Some(auth)
}

fn headers(cookie: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("cookie", format!("{COOKIE}={cookie}").parse().unwrap());
    h
}

/// Signs in with credentials through `browser`; returns the session cookie's value.
async fn sign_in(browser: &mut Browser) -> String {
    browser.sign_in().await;
    browser.jar.get(COOKIE).expect("a session cookie").clone()
}

async fn sign_out(browser: &mut Browser) {
    let csrf = browser.csrf().await;
    browser
        .post_form("/api/auth/signout", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    assert!(!browser.jar.contains_key(COOKIE));
}

/// `GET /session` on `auth` with (a copy of) `cookie`.
async fn session(auth: &Auth, cookie: &str) -> String {
    let mut b = Browser::new(auth.clone());
    b.jar.insert(COOKIE.into(), cookie.into());
    b.get("/api/auth/session").await.text().to_owned()
}

/// Waits until `auth` reads `cookie` as signed out; returns how long it took, failing past
/// `WITHIN`.
async fn signed_out_within(auth: &Auth, cookie: &str, since: Instant) -> Duration {
    loop {
        if auth.token(&headers(cookie)).is_none() {
            let latency = since.elapsed();
            assert_eq!(session(auth, cookie).await, "{}");
            return latency;
        }
        assert!(since.elapsed() < WITHIN, "still signed in after {:?}", since.elapsed());
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_on_one_instance_signs_out_everywhere() {
    init_logs();
    let prefix = prefix();
    let Some(a) = instance(&prefix).await else {
        return;
    };
    let b = instance(&prefix).await.expect("Redis still up");
    let mut browser = Browser::new(a.clone());
    let cookie = sign_in(&mut browser).await;
    let other = sign_in(&mut Browser::new(a.clone())).await;
    assert!(session(&b, &cookie).await.contains("Alice"));

    let since = Instant::now();
    sign_out(&mut browser).await;
    let latency = signed_out_within(&b, &cookie, since).await;
    report(&format!("sign-out on A reached B in {latency:?}"));
    // Another session of the same user is untouched, on both.
    assert!(session(&b, &other).await.contains("Alice"));
    assert!(session(&a, &other).await.contains("Alice"));

    // A third instance started afterwards loads it from the stored set.
    let c = instance(&prefix).await.expect("Redis still up");
    assert!(c.token(&headers(&cookie)).is_none());
    assert_eq!(session(&c, &cookie).await, "{}");
    assert!(session(&c, &other).await.contains("Alice"));
    clean_up(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_user_sessions_on_one_instance_reaches_the_others() {
    init_logs();
    let prefix = prefix();
    let Some(a) = instance(&prefix).await else {
        return;
    };
    let b = instance(&prefix).await.expect("Redis still up");
    let laptop = sign_in(&mut Browser::new(a.clone())).await;
    let phone = sign_in(&mut Browser::new(b.clone())).await;
    // Minted the way next-auth mints them: no `sid`.
    let alice = User::new("1").name("Alice");
    let next_auth = a.encode_token(tessera::Token::for_user(&alice), Duration::from_secs(3600));
    let bob = a.encode_token(tessera::Token::for_user(&User::new("2")), Duration::from_secs(3600));
    for cookie in [&laptop, &phone, &next_auth, &bob] {
        assert!(b.token(&headers(cookie)).is_some());
    }

    let since = Instant::now();
    assert_eq!(a.revoke_user_sessions("1", Some(&phone)).await, Ok(0));
    let latency = signed_out_within(&b, &laptop, since).await;
    report(&format!("revoke_user_sessions on A reached B in {latency:?}"));
    assert!(b.token(&headers(&next_auth)).is_none());
    assert!(b.token(&headers(&phone)).is_some(), "the kept session stays");
    assert!(b.token(&headers(&bob)).is_some(), "other users are untouched");

    let c = instance(&prefix).await.expect("Redis still up");
    assert!(c.token(&headers(&laptop)).is_none());
    assert!(c.token(&headers(&next_auth)).is_none());
    assert!(c.token(&headers(&phone)).is_some());
    clean_up(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_message_is_ignored() {
    init_logs();
    let prefix = prefix();
    let Some(redis) = connect(&prefix).await else {
        return;
    };
    let b = auth();
    redis.attach(&b).await.expect("attach");
    assert_eq!(
        redis.attach(&b).await.unwrap_err().to_string(),
        "this engine already has a revocation or invalidation publisher (attached twice?)"
    );

    let client = redis::Client::open(redis_url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let publish = |payload: Vec<u8>| {
        let mut connection = connection.clone();
        let key = redis.revocations_key();
        async move {
            let _: i64 = redis::cmd("PUBLISH")
                .arg(key)
                .arg(payload)
                .query_async(&mut connection)
                .await
                .unwrap();
        }
    };
    publish(b"not json".to_vec()).await;
    publish(br#"{"kind":"session"}"#.to_vec()).await;
    publish(vec![0xff, 0xfe]).await;
    // The subscriber survived them: a valid one still arrives.
    let cookie = sign_in(&mut Browser::new(b.clone())).await;
    let sid = b.token(&headers(&cookie)).unwrap().get_str("sid").unwrap().to_owned();
    let revocation = Revocation::Session {
        sid,
        until: i64::try_from(std::time::SystemTime::UNIX_EPOCH.elapsed().unwrap().as_secs()).unwrap() + 3600,
    };
    let since = Instant::now();
    publish(serde_json::to_vec(&revocation).unwrap()).await;
    signed_out_within(&b, &cookie, since).await;
    assert_eq!(b.revocations().len(), 1);

    // Stored malformed entries are skipped on load too.
    let _: i64 = redis::cmd("ZADD")
        .arg(redis.revocations_key())
        .arg(i64::MAX / 2)
        .arg("garbage")
        .query_async(&mut connection)
        .await
        .unwrap();
    let c = instance(&prefix).await.expect("Redis still up");
    assert!(c.revocations().is_empty());
    clean_up(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stored_set_expires_with_its_last_revocation() {
    init_logs();
    let prefix = prefix();
    let Some(a) = instance(&prefix).await else {
        return;
    };
    let redis = connect(&prefix).await.expect("Redis still up");
    let cookie = sign_in(&mut Browser::new(a.clone())).await;
    let mut b = Browser::new(a.clone());
    b.jar.insert(COOKIE.into(), cookie);
    sign_out(&mut b).await;
    let client = redis::Client::open(redis_url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let ttl: i64 = redis::cmd("TTL")
            .arg(redis.revocations_key())
            .query_async(&mut connection)
            .await
            .unwrap();
        if ttl > 0 {
            // The session's lifetime (30 days by default) plus the clock tolerance, at most.
            assert!(ttl <= 30 * 86_400 + 120, "{ttl}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no expiry on {} (TTL {ttl})",
            redis.revocations_key()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    clean_up(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_survive_redis_stopping_and_catch_up_when_it_returns() {
    init_logs();
    let Some(server) = OwnRedis::start(0) else {
        return;
    };
    let attach = |url: String| async move {
        let redis = Redis::connect(&url, "tessera:").await.expect("connect");
        let auth = auth();
        redis.attach(&auth).await.expect("attach");
        auth
    };
    let (a, b) = (attach(server.url()).await, attach(server.url()).await);
    let mut first = Browser::new(a.clone());
    let first_cookie = sign_in(&mut first).await;
    let second_cookie = sign_in(&mut Browser::new(a.clone())).await;
    let mut second = Browser::new(a.clone());
    second.jar.insert(COOKIE.into(), second_cookie.clone());
    let since = Instant::now();
    sign_out(&mut first).await;
    signed_out_within(&b, &first_cookie, since).await;

    let port = server.stop();
    // Redis down: requests are unaffected, and what each instance knows still holds.
    assert_eq!(session(&b, &first_cookie).await, "{}");
    assert!(session(&b, &second_cookie).await.contains("Alice"));
    // A revocation made meanwhile holds at once where it was made.
    sign_out(&mut second).await;
    assert_eq!(session(&a, &second_cookie).await, "{}");
    assert!(b.token(&headers(&second_cookie)).is_some(), "B cannot know yet");
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Redis returns, empty: A's queued write goes through, B resubscribes and catches up.
    let _server = OwnRedis::start(port).expect("redis-server restarts");
    let back = Instant::now();
    let deadline = back + Duration::from_secs(15);
    while b.token(&headers(&second_cookie)).is_some() {
        assert!(
            Instant::now() < deadline,
            "B never learnt of the revocation made while Redis was down"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    report(&format!(
        "a revocation made while Redis was down reached B {:?} after Redis returned",
        back.elapsed()
    ));
    // And new revocations flow again within the bound.
    let third_cookie = sign_in(&mut Browser::new(a.clone())).await;
    let mut third = Browser::new(a.clone());
    third.jar.insert(COOKIE.into(), third_cookie.clone());
    let since = Instant::now();
    sign_out(&mut third).await;
    let latency = signed_out_within(&b, &third_cookie, since).await;
    report(&format!("after the outage, sign-out on A reached B in {latency:?}"));
}
