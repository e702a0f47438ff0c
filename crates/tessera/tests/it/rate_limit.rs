//! Abuse limits: failed credentials and email requests, keyed by canonical client address
//! and by target.

use crate::common;
use std::net::IpAddr;
use std::time::Duration;

use crate::common::{Browser, builder};
use http::StatusCode;
use tessera::adapter::MemoryAdapter;
use tessera::providers::EmailProvider;
use tessera::providers::email::DevMailer;
use tessera::rate_limit::{ClientIp, Limit, RateLimits};

async fn attempt(b: &Browser, ip: &str, username: &str, password: &str) -> common::Reply {
    let mut b2 = Browser::new(b.auth.clone());
    b2.jar = b.jar.clone();
    let csrf = b2.csrf().await;
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("username", username),
            ("password", password),
            ("csrfToken", &csrf),
            ("json", "true"),
        ])
        .finish();
    let mut req = http::Request::post("/api/auth/callback/credentials")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", b2.cookie_header())
        .body(bytes::Bytes::from(body))
        .unwrap();
    req.extensions_mut().insert(ClientIp(ip.parse::<IpAddr>().unwrap()));
    let res = b.auth.handle(req).await;
    let (parts, body) = res.into_parts();
    common::Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

fn limits(per_client: u32, per_identifier: u32) -> RateLimits {
    let window = Duration::from_secs(60);
    RateLimits {
        credentials_per_client: Some(Limit::new(per_client, window)),
        credentials_per_identifier: Some(Limit::new(per_identifier, window)),
        credentials_per_client_identifier: None,
        email_per_address: Some(Limit::new(2, window)),
        email_per_client: Some(Limit::new(3, window)),
        ..RateLimits::disabled()
    }
}

#[tokio::test]
async fn failed_credentials_are_limited_per_identifier_and_client() {
    let b = Browser::new(builder().rate_limits(limits(5, 3)).build().unwrap());
    for _ in 0..3 {
        assert_eq!(
            attempt(&b, "192.0.2.1", "Alice", "wrong").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // The identifier is locked, even with the right password and from elsewhere.
    let r = attempt(&b, "198.51.100.7", "alice", "pw").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.header("retry-after"), Some("60"));
    assert_eq!(
        r.json()["url"],
        "http://localhost:3000/api/auth/error?error=CredentialsSignin&provider=credentials"
    );
    // Another identifier from the first client still works until the client limit.
    assert_eq!(attempt(&b, "192.0.2.1", "bob", "pw").await.status, StatusCode::OK);
    assert_eq!(
        attempt(&b, "192.0.2.1", "bob", "x").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        attempt(&b, "::ffff:192.0.2.1", "carol", "x").await.status,
        StatusCode::UNAUTHORIZED,
        "mapped = same client"
    );
    assert_eq!(
        attempt(&b, "192.0.2.1", "dave", "pw").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn rotating_ipv6_addresses_in_one_64_share_a_bucket() {
    let b = Browser::new(builder().rate_limits(limits(3, 100)).build().unwrap());
    for (i, ip) in ["2001:db8:1:1::1", "2001:db8:1:1::2", "2001:db8:1:1:ffff::3"]
        .iter()
        .enumerate()
    {
        let r = attempt(&b, ip, &format!("user{i}"), "wrong").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        attempt(&b, "2001:db8:1:1:abcd::9", "new", "pw").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        attempt(&b, "2001:db8:1:2::1", "new", "pw").await.status,
        StatusCode::OK,
        "another /64"
    );
}

#[tokio::test]
async fn email_requests_are_limited_per_address() {
    let auth = builder()
        .adapter(MemoryAdapter::new())
        .provider(EmailProvider::new(DevMailer))
        .rate_limits(limits(10, 10))
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    let mut send = async |email: &str| {
        let csrf = b.csrf().await;
        b.post_form(
            "/api/auth/signin/email",
            &[("csrfToken", &csrf), ("email", email), ("json", "true")],
        )
        .await
    };
    assert_eq!(send("a@example.com").await.status, StatusCode::OK);
    assert_eq!(send("A@Example.com ").await.status, StatusCode::OK);
    let r = send("a@example.com").await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the normalised address is the key"
    );
    assert_eq!(
        r.json()["url"],
        "http://localhost:3000/api/auth/error?error=EmailSignin"
    );
    assert_eq!(send("b@example.com").await.status, StatusCode::OK);
}

#[tokio::test]
async fn limits_can_be_turned_off() {
    let b = Browser::new(builder().rate_limits(RateLimits::disabled()).build().unwrap());
    for _ in 0..30 {
        assert_eq!(
            attempt(&b, "192.0.2.1", "alice", "wrong").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}
