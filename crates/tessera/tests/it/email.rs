//! Email sign-in (spec §7.2) with the `MemoryAdapter` and a mailer that records what it sends.

use crate::common;
use std::sync::Arc;

use crate::common::outbox::Outbox;
use crate::common::{Browser, builder};
use http::StatusCode;
use serde_json::json;
use tessera::adapter::{Adapter, MemoryAdapter};
use tessera::providers::email::EmailProvider;
use tessera::{Pages, SessionStrategy};

fn setup(outbox: &Outbox) -> (Browser, Arc<MemoryAdapter>) {
    let db = Arc::new(MemoryAdapter::new());
    let auth = builder()
        .adapter(db.clone())
        .provider(EmailProvider::new(outbox.clone()))
        .build()
        .unwrap();
    (Browser::new(auth), db)
}

async fn request_link(b: &mut Browser, email: &str) -> common::Reply {
    let csrf = b.csrf().await;
    b.post_form(
        "/api/auth/signin/email",
        &[
            ("csrfToken", &csrf),
            ("email", email),
            ("callbackUrl", "/welcome"),
            ("json", "true"),
        ],
    )
    .await
}

fn path_of(link: &str) -> String {
    link.strip_prefix("http://localhost:3000").unwrap().to_owned()
}

#[tokio::test]
async fn the_transcript_flow() {
    let outbox = Outbox::default();
    let (mut b, db) = setup(&outbox);
    let r = request_link(&mut b, "  Bob@Example.COM ").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json(),
        json!({"url": "http://localhost:3000/api/auth/verify-request?provider=email&type=email"})
    );
    assert!(r.set_cookies().contains(
        &"next-auth.callback-url=http%3A%2F%2Flocalhost%3A3000%2Fwelcome; Path=/; HttpOnly; SameSite=Lax".to_owned()
    ));
    let (to, link) = outbox.sent()[0].clone();
    assert_eq!(to, "bob@example.com");
    let prefix =
        "http://localhost:3000/api/auth/callback/email?callbackUrl=http%3A%2F%2Flocalhost%3A3000%2Fwelcome&token=";
    assert!(link.starts_with(prefix), "{link}");
    let token = link[prefix.len()..].split('&').next().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    assert!(link.ends_with("&email=bob%40example.com"));
    // Only the hash is stored.
    assert!(
        db.use_verification_token("bob@example.com", &token)
            .await
            .unwrap()
            .is_none()
    );

    let mut fresh = Browser::new(b.auth.clone());
    let r = fresh.get(&path_of(&link)).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("http://localhost:3000/welcome"));
    let session_token = fresh.jar["next-auth.session-token"].clone();
    assert_eq!(session_token.len(), 36, "database session by default with an adapter");
    let s = fresh.get("/api/auth/session").await.json();
    assert_eq!(s["user"]["email"], "bob@example.com");
    let user = db.get_user_by_email("bob@example.com").await.unwrap().unwrap();
    assert!(user.email_verified.is_some());

    // The same link again: Verification.
    let r = Browser::new(b.auth.clone()).get(&path_of(&link)).await;
    assert_eq!(
        r.location(),
        Some("http://localhost:3000/api/auth/error?error=Verification")
    );
    assert_eq!(
        Browser::new(b.auth.clone())
            .get("/api/auth/error?error=Verification")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn v5_a_bad_or_incomplete_link_is_verification_or_configuration() {
    // `@auth/core`'s email callback: no token is an error named `Configuration`, a token
    // that does not match is `Verification` (`lib/actions/callback/index.ts`).
    let outbox = Outbox::default();
    let db = Arc::new(MemoryAdapter::new());
    let auth = builder()
        .compat(tessera::Compat::AuthJsV5)
        .adapter(db)
        .provider(EmailProvider::new(outbox.clone()))
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    request_link(&mut b, "a@example.com").await;
    let link = outbox.last_link();
    let r = b.get("/api/auth/callback/email?email=a%40example.com").await;
    assert_eq!(
        r.location(),
        Some("http://localhost:3000/api/auth/error?error=Configuration")
    );
    let wrong = link.replace("token=", "token=0");
    assert_eq!(
        b.get(&path_of(&wrong)).await.location(),
        Some("http://localhost:3000/api/auth/error?error=Verification")
    );
    let r = b.get(&path_of(&link)).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(b.jar.contains_key("authjs.session-token"));
}

#[tokio::test]
async fn tokens_are_bound_to_their_address_and_checked() {
    let outbox = Outbox::default();
    let (mut b, _) = setup(&outbox);
    request_link(&mut b, "a@example.com").await;
    let link_a = outbox.last_link();
    let with_b = link_a.replace("email=a%40example.com", "email=b%40example.com");
    let r = b.get(&path_of(&with_b)).await;
    assert_eq!(
        r.location(),
        Some("http://localhost:3000/api/auth/error?error=Verification")
    );
    let wrong = link_a.replace("token=", "token=0");
    assert_eq!(
        b.get(&path_of(&wrong)).await.location(),
        Some("http://localhost:3000/api/auth/error?error=Verification")
    );
    let r = b.get("/api/auth/callback/email?email=a%40example.com").await;
    assert_eq!(
        r.location(),
        Some("http://localhost:3000/api/auth/error?error=configuration")
    );
    let no_email = link_a.split("&email=").next().unwrap().to_owned();
    assert_eq!(
        b.get(&path_of(&no_email)).await.location(),
        Some("http://localhost:3000/api/auth/error?error=Verification")
    );
    // The untouched link still works once (the failed attempts did not consume it).
    let r = b.get(&path_of(&link_a)).await;
    assert_eq!(r.location(), Some("http://localhost:3000/welcome"));
}

#[tokio::test]
async fn two_clicks_at_once_sign_in_exactly_once() {
    let outbox = Outbox::default();
    let (mut b, db) = setup(&outbox);
    request_link(&mut b, "race@example.com").await;
    let path = path_of(&outbox.last_link());
    let req = || http::Request::get(path.as_str()).body(bytes::Bytes::new()).unwrap();
    let (r1, r2) = tokio::join!(b.auth.handle(req()), b.auth.handle(req()));
    let ok = [&r1, &r2]
        .iter()
        .filter(|r| r.headers()["location"] == "http://localhost:3000/welcome")
        .count();
    assert_eq!(ok, 1);
    let user = db.get_user_by_email("race@example.com").await.unwrap().unwrap();
    assert_eq!(db.list_sessions(&user.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn hostile_addresses_are_refused_before_anything_happens() {
    let outbox = Outbox::default();
    let (mut b, db) = setup(&outbox);
    for bad in [
        "a@x.com,victim@y.com",
        "\"a@x.com\"@y.com",
        "victim@y.com\u{FF20}attacker.com",
        "victim@y.com\u{FE6B}attacker.com",
        "<img src=x onerror=alert(1)>@x.com",
        "",
    ] {
        let r = request_link(&mut b, bad).await;
        assert_eq!(
            r.json(),
            json!({"url": "http://localhost:3000/api/auth/error?error=EmailSignin"}),
            "{bad:?}"
        );
    }
    assert_eq!(outbox.count(), 0, "no mail sent");
    assert!(db.get_user_by_email("victim@y.com").await.unwrap().is_none());
    // A missing email field too.
    let csrf = b.csrf().await;
    let r = b
        .post_form("/api/auth/signin/email", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    assert_eq!(
        r.json()["url"],
        "http://localhost:3000/api/auth/error?error=EmailSignin"
    );
    // Forged CSRF: the sign-in page, and nothing sent.
    let r = b
        .post_form(
            "/api/auth/signin/email",
            &[("csrfToken", "x"), ("email", "a@b.co"), ("json", "true")],
        )
        .await;
    assert_eq!(r.json()["url"], "http://localhost:3000/api/auth/signin?csrf=true");
    assert_eq!(outbox.count(), 0);
}

#[tokio::test]
async fn a_failed_send_leaves_no_usable_token() {
    let outbox = Outbox::failing();
    let (mut b, _) = setup(&outbox);
    let r = request_link(&mut b, "a@example.com").await;
    assert_eq!(
        r.json()["url"],
        "http://localhost:3000/api/auth/error?error=EmailSignin"
    );
    let link = outbox.last_link();
    assert_eq!(
        b.get(&path_of(&link)).await.location(),
        Some("http://localhost:3000/api/auth/error?error=Verification")
    );
}

#[tokio::test]
async fn expired_links_fail() {
    let outbox = Outbox::default();
    let db = Arc::new(MemoryAdapter::new());
    let auth = builder()
        .adapter(db)
        .provider(EmailProvider::new(outbox.clone()).max_age(std::time::Duration::ZERO))
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    request_link(&mut b, "a@example.com").await;
    let r = b.get(&path_of(&outbox.last_link())).await;
    assert_eq!(
        r.location(),
        Some("http://localhost:3000/api/auth/error?error=Verification")
    );
}

#[tokio::test]
async fn new_users_see_the_new_user_page_and_jwt_sessions_carry_the_adapter_id() {
    let outbox = Outbox::default();
    let db = Arc::new(MemoryAdapter::new());
    let pages = Pages {
        new_user: Some("/hello".into()),
        ..Default::default()
    };
    let auth = builder()
        .adapter(db.clone())
        .session_strategy(SessionStrategy::Jwt)
        .pages(pages)
        .provider(EmailProvider::new(outbox.clone()))
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    request_link(&mut b, "new@example.com").await;
    let r = b.get(&path_of(&outbox.last_link())).await;
    assert_eq!(
        r.location(),
        Some("/hello?callbackUrl=http%3A%2F%2Flocalhost%3A3000%2Fwelcome")
    );
    let user = db.get_user_by_email("new@example.com").await.unwrap().unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("cookie", b.cookie_header().parse().unwrap());
    assert_eq!(b.auth.token(&headers).unwrap().sub(), Some(user.id.as_str()));
    // Second time: an existing user, straight to the callback URL.
    request_link(&mut b, "new@example.com").await;
    let r = b.get(&path_of(&outbox.last_link())).await;
    assert_eq!(r.location(), Some("http://localhost:3000/welcome"));
}

#[tokio::test]
async fn pages_and_configuration() {
    let outbox = Outbox::default();
    let (mut b, _) = setup(&outbox);
    let html = b.get("/api/auth/signin").await.text().to_owned();
    assert!(html.contains(r#"action="http://localhost:3000/api/auth/signin/email" method="POST""#));
    assert!(html.contains(r#"name="email" type="email""#));
    let providers = b.get("/api/auth/providers").await.json();
    assert_eq!(providers["email"]["type"], "email");
    let err = builder().provider(EmailProvider::new(outbox)).build().unwrap_err();
    assert!(matches!(err, tessera::ConfigError::EmailWithoutAdapter(_)));
}
