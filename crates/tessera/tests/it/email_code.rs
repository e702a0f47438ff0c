//! One-time email codes (issue 12, item 2): `EmailProvider::code`, the code in the mail,
//! `POST /callback/email` with `email` and `code`, and the verify-request page's form;
//! with the `MemoryAdapter` and a mailer that records what it sends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode};
use serde_json::json;
use tessera::adapter::{Adapter, MemoryAdapter};
use tessera::providers::email::{CodeMode, EmailProvider, MailPurpose};
use tessera::rate_limit::{Bucket, ClientIp, Limit, RateLimitStore, RateLimits, Refused, StoreError, Taken};
use tessera::{Auth, AuthBuilder, Compat, SessionStrategy};

use crate::common::outbox::Outbox;
use crate::common::{Browser, Reply, builder};

const ADDRESS: &str = "bob@example.com";
const WELCOME: &str = "http://localhost:3000/welcome";
const VERIFICATION: &str = "http://localhost:3000/api/auth/error?error=Verification";

fn with_codes(outbox: &Outbox, mode: CodeMode) -> (AuthBuilder, Arc<MemoryAdapter>) {
    let db = Arc::new(MemoryAdapter::new());
    let b = builder()
        .adapter(db.clone())
        .provider(EmailProvider::new(outbox.clone()).code(mode));
    (b, db)
}

fn setup(outbox: &Outbox, mode: CodeMode) -> (Browser, Arc<MemoryAdapter>) {
    let (b, db) = with_codes(outbox, mode);
    (Browser::new(b.build().unwrap()), db)
}

/// `POST /signin/email` as `signIn('email', {email, callbackUrl: '/welcome'})` does.
async fn request_code(b: &mut Browser, email: &str) -> Reply {
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/signin/email",
            &[
                ("csrfToken", &csrf),
                ("email", email),
                ("callbackUrl", "/welcome"),
                ("json", "true"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r
}

/// `POST /callback/email` with the address and a code, as a form (a browser's, or the
/// app's with `json=true`).
async fn submit(b: &mut Browser, email: &str, code: &str, json: bool) -> Reply {
    let csrf = b.csrf().await;
    let mut form = vec![("csrfToken", csrf.as_str()), ("email", email), ("code", code)];
    if json {
        form.push(("json", "true"));
    }
    b.post_form("/api/auth/callback/email", &form).await
}

fn path_of(link: &str) -> String {
    link.strip_prefix("http://localhost:3000").unwrap().to_owned()
}

/// Another code than `code`.
fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn session_email(b: &mut Browser) -> serde_json::Value {
    b.get("/api/auth/session").await.json()["user"]["email"].clone()
}

#[tokio::test]
async fn a_code_signs_in_once_and_burns_its_link() {
    let outbox = Outbox::default();
    let (mut b, db) = setup(&outbox, CodeMode::WithLink);
    request_code(&mut b, "  Bob@Example.COM ").await;
    let mail = outbox.last_mail();
    let code = mail.code.clone().expect("a code is mailed");
    assert_eq!(mail.purpose, MailPurpose::SignIn);
    assert!(mail.url.starts_with("http://localhost:3000/api/auth/callback/email?"));
    // The code is not stored as itself.
    assert!(db.use_verification_token(ADDRESS, &code).await.unwrap().is_none());

    let r = submit(&mut b, "bob@example.com", &code, false).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some(WELCOME));
    assert_eq!(b.jar["next-auth.session-token"].len(), 36, "a database session");
    assert_eq!(session_email(&mut b).await, ADDRESS);
    let user = db.get_user_by_email(ADDRESS).await.unwrap().unwrap();
    assert!(user.email_verified.is_some(), "the code proves the address");

    // Replayed: refused, from this browser and from another.
    let r = submit(&mut b, ADDRESS, &code, false).await;
    assert_eq!(r.location(), Some(VERIFICATION));
    let r = submit(&mut Browser::new(b.auth.clone()), ADDRESS, &code, true).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({ "url": VERIFICATION }));
    // The link of the same mail is burned with it.
    let r = Browser::new(b.auth.clone()).get(&path_of(&mail.url)).await;
    assert_eq!(r.location(), Some(VERIFICATION));
}

#[tokio::test]
async fn the_link_burns_the_code() {
    let outbox = Outbox::default();
    let (mut b, _) = setup(&outbox, CodeMode::WithLink);
    request_code(&mut b, ADDRESS).await;
    let mail = outbox.last_mail();
    let mut other = Browser::new(b.auth.clone());
    let r = other.get(&path_of(&mail.url)).await;
    assert_eq!(r.location(), Some(WELCOME), "the link still works on its own");
    assert_eq!(session_email(&mut other).await, ADDRESS);
    let r = submit(&mut b, ADDRESS, &mail.code.unwrap(), false).await;
    assert_eq!(r.location(), Some(VERIFICATION));
    assert!(!b.jar.contains_key("next-auth.session-token"));
}

#[tokio::test]
async fn wrong_codes_burn_the_code_and_the_right_one_then_fails() {
    let outbox = Outbox::default();
    let (mut b, _) = setup(&outbox, CodeMode::WithLink);
    request_code(&mut b, ADDRESS).await;
    let mail = outbox.last_mail();
    let code = mail.code.clone().unwrap();
    // Five wrong codes (the default), from several clients: the budget is the address's.
    for i in 0..5 {
        let mut client = Browser::new(b.auth.clone());
        let r = submit(&mut client, ADDRESS, &wrong(&code), true).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "try {i}");
        assert_eq!(r.json(), json!({ "url": VERIFICATION }));
    }
    let r = submit(&mut b, ADDRESS, &code, true).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "burned: the right code fails");
    assert_eq!(r.json(), json!({ "url": VERIFICATION }));
    assert!(!b.jar.contains_key("next-auth.session-token"));
    // Presenting it deleted it, and its link with it.
    let r = Browser::new(b.auth.clone()).get(&path_of(&mail.url)).await;
    assert_eq!(r.location(), Some(VERIFICATION));

    // Another address has its own budget.
    request_code(&mut b, "carol@example.com").await;
    let r = submit(&mut b, "carol@example.com", &outbox.last_code(), false).await;
    assert_eq!(r.location(), Some(WELCOME));
}

#[tokio::test]
async fn fewer_wrong_codes_than_the_budget_leave_the_code_usable() {
    let outbox = Outbox::default();
    let (mut b, _) = setup(&outbox, CodeMode::Only);
    request_code(&mut b, ADDRESS).await;
    let code = outbox.last_code();
    for _ in 0..4 {
        assert_eq!(
            submit(&mut b, ADDRESS, &wrong(&code), false).await.location(),
            Some(VERIFICATION)
        );
    }
    assert_eq!(submit(&mut b, ADDRESS, &code, false).await.location(), Some(WELCOME));
}

#[tokio::test]
async fn the_number_of_tries_is_a_setting() {
    let outbox = Outbox::default();
    let db = Arc::new(MemoryAdapter::new());
    let auth = builder()
        .adapter(db)
        .provider(EmailProvider::new(outbox.clone()).code(CodeMode::Only).code_tries(1))
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    request_code(&mut b, ADDRESS).await;
    let code = outbox.last_code();
    submit(&mut b, ADDRESS, &wrong(&code), false).await;
    assert_eq!(
        submit(&mut b, ADDRESS, &code, false).await.location(),
        Some(VERIFICATION)
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let outbox = Outbox::default();
    let db = Arc::new(MemoryAdapter::new());
    let auth = builder()
        .adapter(db)
        .provider(
            EmailProvider::new(outbox.clone())
                .code(CodeMode::WithLink)
                .code_max_age(Duration::ZERO),
        )
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    request_code(&mut b, ADDRESS).await;
    let mail = outbox.last_mail();
    let r = submit(&mut b, ADDRESS, &mail.code.unwrap(), true).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json(), json!({ "url": VERIFICATION }));
}

#[tokio::test]
async fn codes_are_six_digits_differ_and_are_in_the_mail() {
    let outbox = Outbox::default();
    let (mut b, _) = setup(&outbox, CodeMode::WithLink);
    let mut codes = Vec::new();
    for i in 0..4 {
        request_code(&mut b, &format!("user{i}@example.com")).await;
        let mail = outbox.last_mail();
        let code = mail.code.clone().unwrap();
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|c| c.is_ascii_digit()), "{code}");
        assert!(
            mail.text.contains(&format!("Your sign-in code: {code}\n")),
            "{}",
            mail.text
        );
        assert!(mail.text.contains(&mail.url), "the link too");
        assert!(mail.html.contains(&format!(">{code}</td>")), "{}", mail.html);
        assert!(
            mail.html
                .contains("href=\"http://localhost:3000/api/auth/callback/email?")
        );
        codes.push(code);
    }
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 4, "codes differ");
}

#[tokio::test]
async fn code_only_mails_no_link_and_the_code_signs_in() {
    let outbox = Outbox::default();
    let (mut b, _) = setup(&outbox, CodeMode::Only);
    let r = request_code(&mut b, ADDRESS).await;
    assert_eq!(
        r.json(),
        json!({"url": "http://localhost:3000/api/auth/verify-request?provider=email&type=email"})
    );
    let mail = outbox.last_mail();
    assert_eq!(mail.purpose, MailPurpose::SignInCode);
    assert!(!mail.text.contains("http"), "{}", mail.text);
    assert!(!mail.html.contains("href="), "{}", mail.html);
    let code = mail.code.unwrap();
    assert!(mail.text.contains(&code));
    let r = submit(&mut b, ADDRESS, &code, true).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({ "url": WELCOME }));
    assert_eq!(session_email(&mut b).await, ADDRESS);
}

#[tokio::test]
async fn links_only_by_default_and_a_post_is_not_a_code() {
    let outbox = Outbox::default();
    let db = Arc::new(MemoryAdapter::new());
    let auth = builder()
        .adapter(db)
        .provider(EmailProvider::new(outbox.clone()))
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    request_code(&mut b, ADDRESS).await;
    let mail = outbox.last_mail();
    assert_eq!(mail.code, None);
    assert!(!mail.text.contains("code"), "{}", mail.text);
    let html = b.get("/api/auth/verify-request?provider=email&type=email").await;
    assert!(!html.text().contains("name=\"code\""));
}

/// The hidden `csrfToken` of a page's form.
fn form_csrf(html: &str) -> String {
    const FIELD: &str = r#"name="csrfToken" value=""#;
    let start = html.find(FIELD).expect("a CSRF field") + FIELD.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn the_built_in_page_takes_the_code_without_javascript() {
    let outbox = Outbox::default();
    let (mut b, _) = setup(&outbox, CodeMode::WithLink);
    // The sign-in page's email form, as a browser posts it (no `json`).
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/signin/email",
            &[("csrfToken", &csrf), ("email", ADDRESS), ("callbackUrl", "/welcome")],
        )
        .await;
    let page = r.location().unwrap().to_owned();
    assert_eq!(
        page,
        "http://localhost:3000/api/auth/verify-request?provider=email&type=email"
    );
    let r = b.get(&path_of(&page)).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text().to_owned();
    assert!(
        html.contains(r#"<form action="http://localhost:3000/api/auth/callback/email" method="POST">"#),
        "{html}"
    );
    assert!(html.contains(r#"name="email" type="email""#));
    assert!(
        html.contains(r#"name="code" type="text" value="" autocomplete="one-time-code" required inputmode="numeric""#),
        "{html}"
    );
    assert!(!html.contains("<script"), "no script");
    assert_eq!(
        r.header("content-security-policy")
            .map(|c| c.contains("default-src 'none'")),
        Some(true)
    );

    let code = outbox.last_code();
    let csrf = form_csrf(&html);
    let r = b
        .post_form(
            "/api/auth/callback/email",
            &[("csrfToken", &csrf), ("email", ADDRESS), ("code", &code)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some(WELCOME), "back to the callback URL of the request");
    assert_eq!(session_email(&mut b).await, ADDRESS);
}

#[tokio::test]
async fn the_code_form_needs_the_csrf_token() {
    let outbox = Outbox::default();
    let (mut b, _) = setup(&outbox, CodeMode::WithLink);
    request_code(&mut b, ADDRESS).await;
    let code = outbox.last_code();
    let r = b
        .post_form(
            "/api/auth/callback/email",
            &[("csrfToken", "forged"), ("email", ADDRESS), ("code", &code)],
        )
        .await;
    assert_eq!(r.location(), Some("http://localhost:3000/api/auth/signin?csrf=true"));
    // Not used up by the refused attempt.
    assert_eq!(submit(&mut b, ADDRESS, &code, false).await.location(), Some(WELCOME));
}

#[tokio::test]
async fn json_bodies_and_jwt_sessions() {
    let outbox = Outbox::default();
    let (b, _) = with_codes(&outbox, CodeMode::WithLink);
    let mut b = Browser::new(b.session_strategy(SessionStrategy::Jwt).build().unwrap());
    request_code(&mut b, ADDRESS).await;
    let code = outbox.last_code();
    let csrf = b.csrf().await;
    let r = b
        .post_json(
            "/api/auth/callback/email",
            json!({"csrfToken": csrf, "email": ADDRESS, "code": code, "json": "true"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json(), json!({ "url": WELCOME }));
    assert!(b.jar["next-auth.session-token"].len() > 100, "a JWT session");
    assert_eq!(session_email(&mut b).await, ADDRESS);
}

#[tokio::test]
async fn v5_answers_with_the_url_and_status_200() {
    let outbox = Outbox::default();
    let (b, _) = with_codes(&outbox, CodeMode::WithLink);
    let mut b = Browser::new(b.compat(Compat::AuthJsV5).build().unwrap());
    request_code(&mut b, ADDRESS).await;
    let code = outbox.last_code();
    b.extra_headers.push(("x-auth-return-redirect".into(), "1".into()));
    let r = submit(&mut b, ADDRESS, &wrong(&code), false).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({ "url": VERIFICATION }));
    let r = submit(&mut b, ADDRESS, &code, false).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json(), json!({ "url": WELCOME }));
    assert!(b.jar.contains_key("authjs.session-token"), "{:?}", b.jar.keys());
}

#[tokio::test]
async fn malformed_input_is_verification_never_a_500() {
    let outbox = Outbox::default();
    let (mut b, _) = setup(&outbox, CodeMode::WithLink);
    request_code(&mut b, ADDRESS).await;
    for (email, code) in [
        (ADDRESS, ""),
        (ADDRESS, "12345"),
        (ADDRESS, "abcdef"),
        (ADDRESS, "9".repeat(10_000).as_str()),
        ("not an address", "123456"),
        ("", "123456"),
    ] {
        let r = submit(&mut b, email, code, true).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{email:?} {code:?}");
        assert_eq!(r.json(), json!({ "url": VERIFICATION }));
    }
    let csrf = b.csrf().await;
    let r = b
        .post_form("/api/auth/callback/email", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    assert_eq!(r.json(), json!({ "url": VERIFICATION }));
    // A malformed code does not count against the address: the code still works.
    assert_eq!(
        submit(&mut b, ADDRESS, &outbox.last_code(), false).await.location(),
        Some(WELCOME)
    );
}

async fn submit_from(b: &mut Browser, ip: &str, code: &str) -> Reply {
    let csrf = b.csrf().await;
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("csrfToken", csrf.as_str()),
            ("email", ADDRESS),
            ("code", code),
            ("json", "true"),
        ])
        .finish();
    let req = Request::post("/api/auth/callback/email")
        .header("content-type", "application/x-www-form-urlencoded")
        .extension(ClientIp(ip.parse::<IpAddr>().unwrap()));
    b.send(req, Bytes::from(body)).await
}

#[tokio::test]
async fn the_per_client_limit_applies() {
    let outbox = Outbox::default();
    let (b, _) = with_codes(&outbox, CodeMode::WithLink);
    let limits = RateLimits {
        credentials_per_client: Some(Limit::new(2, Duration::from_secs(900))),
        ..RateLimits::default()
    };
    let mut b = Browser::new(b.rate_limits(limits).build().unwrap());
    request_code(&mut b, ADDRESS).await;
    let code = outbox.last_code();
    for _ in 0..2 {
        assert_eq!(
            submit_from(&mut b, "203.0.113.9", &wrong(&code)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = submit_from(&mut b, "203.0.113.9", &code).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.header("retry-after").is_some());
    assert_eq!(r.json(), json!({ "url": VERIFICATION }));
    // Refused before it was looked at: from another client, the code still works.
    let r = submit_from(&mut b, "198.51.100.7", &code).await;
    assert_eq!(r.json(), json!({ "url": WELCOME }));
}

/// A rate-limit store shared by two instances, as Redis is (fixed windows, atomic).
#[derive(Clone, Default)]
struct SharedStore(Arc<Mutex<HashMap<String, (u32, Instant)>>>);

#[tessera::async_trait]
impl RateLimitStore for SharedStore {
    async fn acquire(&self, buckets: &[Bucket]) -> Result<Result<Vec<Taken>, Refused>, StoreError> {
        let mut map = self.0.lock().unwrap();
        let now = Instant::now();
        for b in buckets {
            if let Some((count, ends)) = map.get(&b.key)
                && *ends > now
                && *count >= b.limit.max
            {
                return Ok(Err(Refused {
                    retry_after: *ends - now,
                }));
            }
        }
        for b in buckets {
            let entry = map.entry(b.key.clone()).or_insert((0, now + b.limit.window));
            if entry.1 <= now {
                *entry = (0, now + b.limit.window);
            }
            entry.0 += 1;
        }
        Ok(Ok(buckets
            .iter()
            .map(|b| Taken {
                key: b.key.clone(),
                window: 0,
            })
            .collect()))
    }
    async fn refund(&self, taken: &[Taken]) -> Result<(), StoreError> {
        let mut map = self.0.lock().unwrap();
        for t in taken {
            if let Some(entry) = map.get_mut(&t.key) {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
        Ok(())
    }
}

#[tokio::test]
async fn wrong_codes_are_counted_across_instances_through_the_store() {
    let outbox = Outbox::default();
    let db = Arc::new(MemoryAdapter::new());
    let store = SharedStore::default();
    let instance = || -> Auth {
        builder()
            .adapter(db.clone())
            .rate_limit_store(store.clone())
            .provider(EmailProvider::new(outbox.clone()).code(CodeMode::Only))
            .build()
            .unwrap()
    };
    let (mut one, mut two) = (Browser::new(instance()), Browser::new(instance()));
    request_code(&mut one, ADDRESS).await;
    let code = outbox.last_code();
    for i in 0..5 {
        let b = if i % 2 == 0 { &mut one } else { &mut two };
        assert_eq!(
            submit(b, ADDRESS, &wrong(&code), false).await.location(),
            Some(VERIFICATION)
        );
    }
    assert_eq!(
        submit(&mut two, ADDRESS, &code, false).await.location(),
        Some(VERIFICATION),
        "burned by wrong codes sent to both instances"
    );
}

#[tokio::test]
async fn build_checks_the_code_settings() {
    let outbox = Outbox::default();
    let build = |p: EmailProvider| builder().adapter(Arc::new(MemoryAdapter::new())).provider(p).build();
    let p = || EmailProvider::new(outbox.clone()).code(CodeMode::WithLink);
    assert!(build(p()).is_ok());
    // The default code lifetime follows a shorter link.
    assert!(build(p().max_age(Duration::from_secs(60))).is_ok());
    for bad in [
        p().code_max_age(Duration::from_secs(25 * 3600)),
        p().max_age(Duration::from_secs(60))
            .code_max_age(Duration::from_secs(61)),
        p().code_tries(0),
        p().code_tries(21),
    ] {
        let err = build(bad).unwrap_err();
        assert!(
            matches!(err, tessera::ConfigError::InvalidEmailProvider { .. }),
            "{err}"
        );
    }
    assert!(matches!(
        build(p().code_max_age(Duration::from_millis(1500))).unwrap_err(),
        tessera::ConfigError::InvalidDuration(_)
    ));
}

#[tokio::test]
async fn codes_survive_a_secret_rotation_and_need_the_secret() {
    let outbox = Outbox::default();
    let db = Arc::new(MemoryAdapter::new());
    let with_secrets = |secrets: &[&str]| {
        let mut b = Auth::builder().url("http://localhost:3000");
        for s in secrets {
            b = b.secret(*s);
        }
        let provider = EmailProvider::new(outbox.clone()).code(CodeMode::WithLink);
        Browser::new(b.adapter(db.clone()).provider(provider).build().unwrap())
    };
    let mut old = with_secrets(&["the secret before the rotation"]);
    request_code(&mut old, ADDRESS).await;
    let code = outbox.last_code();
    // A server without the secret that keyed the rows cannot use the code.
    let mut other = with_secrets(&["a different secret altogether"]);
    assert_eq!(
        submit(&mut other, ADDRESS, &code, false).await.location(),
        Some(VERIFICATION)
    );
    // After a rotation, the old secret (second) still verifies it (a new browser: to the origin).
    let mut rotated = with_secrets(&["the secret after the rotation", "the secret before the rotation"]);
    let r = submit(&mut rotated, ADDRESS, &code, false).await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    assert_eq!(session_email(&mut rotated).await, ADDRESS);
}
