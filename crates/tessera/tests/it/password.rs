//! The `password` provider through the in-process browser: sign-up, the verification mail
//! (captured by the outbox), sign-in, forgotten passwords, resets and changes, with JWT and
//! database sessions; and the security properties, one test each.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use http::StatusCode;
use serde_json::json;
use tessera::adapter::{Adapter, MemoryAdapter};
use tessera::providers::email::EmailProvider;
use tessera::providers::password::PasswordHashParams;
use tessera::providers::{DevMailer, PasswordProvider};
use tessera::rate_limit::{Limit, RateLimits};
use tessera::{Auth, ConfigError, SessionStrategy};

use crate::common::counting::Counting;
use crate::common::outbox::Outbox;
use crate::common::{Browser, Reply, builder};

const PASSWORD: &str = "violet-anvil-sings-42";
const ORIGIN: &str = "http://localhost:3000";

/// The two strategies every flow runs under.
const STRATEGIES: [SessionStrategy; 2] = [SessionStrategy::Database, SessionStrategy::Jwt];

struct Site {
    auth: Auth,
    db: Arc<MemoryAdapter>,
    outbox: Outbox,
}

impl Site {
    fn new(strategy: SessionStrategy) -> Site {
        Site::with(strategy, PasswordProvider::new(), RateLimits::default())
    }

    fn with(strategy: SessionStrategy, provider: PasswordProvider, limits: RateLimits) -> Site {
        let db = Arc::new(MemoryAdapter::new());
        let outbox = Outbox::default();
        let auth = builder()
            .adapter(db.clone())
            .session_strategy(strategy)
            .rate_limits(limits)
            .provider(EmailProvider::new(outbox.clone()))
            .provider(provider)
            .build()
            .unwrap();
        Site { auth, db, outbox }
    }

    fn browser(&self) -> Browser {
        Browser::new(self.auth.clone())
    }

    /// Signs up `email` and opens the verification link.
    async fn account(&self, email: &str) {
        let r = sign_up(&mut self.browser(), email, PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let link = self.outbox.last_link();
        assert!(link.contains("/password/verify?"), "{link}");
        let r = self.browser().get(&path_of(&link)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }

    /// A browser signed in as `email`.
    async fn signed_in(&self, email: &str, password: &str) -> Browser {
        let mut b = self.browser();
        let r = sign_in(&mut b, email, password).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(session_email(&mut b).await.as_deref(), Some(email));
        b
    }
}

fn path_of(link: &str) -> String {
    link.strip_prefix(ORIGIN).expect("a link to the site").to_owned()
}

async fn post(b: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Reply {
    let csrf = b.csrf().await;
    let mut form = vec![("csrfToken", csrf.as_str()), ("json", "true")];
    form.extend_from_slice(fields);
    b.post_form(path, &form).await
}

async fn sign_up(b: &mut Browser, email: &str, password: &str) -> Reply {
    post(
        b,
        "/api/auth/signup/password",
        &[("email", email), ("password", password)],
    )
    .await
}

async fn sign_in(b: &mut Browser, email: &str, password: &str) -> Reply {
    post(
        b,
        "/api/auth/callback/password",
        &[("email", email), ("password", password)],
    )
    .await
}

async fn forgot(b: &mut Browser, email: &str) -> Reply {
    post(b, "/api/auth/password/forgot", &[("email", email)]).await
}

/// The token and address of a mailed `…?token=…&email=…` link.
fn token_of(link: &str) -> (String, String) {
    let url = url::Url::parse(link).unwrap();
    let get = |k: &str| url.query_pairs().find(|(n, _)| n == k).unwrap().1.into_owned();
    (get("token"), get("email"))
}

async fn reset(b: &mut Browser, link: &str, password: &str) -> Reply {
    let (token, email) = token_of(link);
    post(
        b,
        "/api/auth/password/reset",
        &[("token", &token), ("email", &email), ("password", password)],
    )
    .await
}

async fn session_email(b: &mut Browser) -> Option<String> {
    let s = b.get("/api/auth/session").await.json();
    s["user"]["email"].as_str().map(str::to_owned)
}

fn error_of(r: &Reply) -> Option<String> {
    let url = url::Url::parse(r.json()["url"].as_str()?).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "error")
        .map(|(_, v)| v.into_owned())
}

const WRONG: &str = "http://localhost:3000/api/auth/error?error=CredentialsSignin&provider=password";

/// Asserts that two answers are the same: status, body, and headers (for `Set-Cookie`,
/// the names and attributes but not the values).
fn assert_same_answer(a: &Reply, b: &Reply) {
    assert_eq!(a.status, b.status);
    assert_eq!(a.body, b.body, "{} / {}", a.text(), b.text());
    let shape = |r: &Reply| {
        let mut headers: Vec<(String, String)> = r
            .headers
            .iter()
            .map(|(k, v)| {
                let v = v.to_str().unwrap();
                let v = if k == http::header::SET_COOKIE {
                    let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
                    format!("{}=…;{attrs}", pair.split_once('=').unwrap().0)
                } else {
                    v.to_owned()
                };
                (k.to_string(), v)
            })
            .collect();
        headers.sort();
        headers
    };
    assert_eq!(shape(a), shape(b));
}

#[tokio::test]
async fn sign_up_then_verify_then_sign_in() {
    for strategy in STRATEGIES {
        let site = Site::new(strategy);
        let mut b = site.browser();
        let r = sign_up(&mut b, "  Ada@Example.COM ", PASSWORD).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.json(),
            json!({"url": "http://localhost:3000/api/auth/verify-request?provider=password&type=signup"})
        );
        // The address is normalised as for email sign-in; the hash is Argon2id at OWASP's cost.
        let user = site.db.get_user_by_email("ada@example.com").await.unwrap().unwrap();
        assert!(user.email_verified.is_none());
        let hash = site.db.get_password_hash(&user.id).await.unwrap().unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(!hash.contains(PASSWORD));
        let (to, link) = site.outbox.sent()[0].clone();
        assert_eq!(to, "ada@example.com");
        assert!(
            link.starts_with("http://localhost:3000/api/auth/password/verify?token="),
            "{link}"
        );

        // Sign-in waits for the verification, with the answer of a wrong password.
        let r = sign_in(&mut b, "ada@example.com", PASSWORD).await;
        assert_eq!(
            (r.status, r.json()),
            (StatusCode::UNAUTHORIZED, json!({ "url": WRONG }))
        );

        let page = site.browser().get(&path_of(&link)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("Address verified"));
        assert!(
            site.db
                .get_user_by_email("ada@example.com")
                .await
                .unwrap()
                .unwrap()
                .email_verified
                .is_some()
        );
        // The link works once.
        let again = site.browser().get(&path_of(&link)).await;
        assert_eq!(
            again.location(),
            Some("http://localhost:3000/api/auth/error?error=Verification")
        );

        let r = sign_in(&mut b, "ADA@example.com", PASSWORD).await;
        assert_eq!(
            (r.status, r.json()),
            (StatusCode::OK, json!({ "url": ORIGIN })),
            "{strategy:?}"
        );
        let cookie = &b.jar["next-auth.session-token"];
        match strategy {
            SessionStrategy::Database => assert_eq!(cookie.len(), 36),
            SessionStrategy::Jwt => assert!(cookie.len() > 100),
        }
        let s = b.get("/api/auth/session").await.json();
        assert_eq!(s["user"]["email"], "ada@example.com");
    }
}

#[tokio::test]
async fn the_provider_is_a_credentials_provider_on_the_wire() {
    let site = Site::new(SessionStrategy::Jwt);
    let providers = site.browser().get("/api/auth/providers").await.json();
    assert_eq!(
        providers["password"],
        json!({
            "id": "password", "name": "Password", "type": "credentials",
            "signinUrl": "http://localhost:3000/api/auth/signin/password",
            "callbackUrl": "http://localhost:3000/api/auth/callback/password"
        })
    );
}

#[tokio::test]
async fn sign_in_without_waiting_for_verification() {
    let site = Site::with(
        SessionStrategy::Jwt,
        PasswordProvider::new().require_verified_email(false),
        RateLimits::default(),
    );
    let r = sign_up(&mut site.browser(), "eve@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    site.signed_in("eve@example.com", PASSWORD).await;
}

#[tokio::test]
async fn wrong_password_unknown_address_and_unverified_answer_alike() {
    let site = Site::new(SessionStrategy::Database);
    site.account("known@example.com").await;
    sign_up(&mut site.browser(), "pending@example.com", PASSWORD).await;
    let mut answers = Vec::new();
    for (email, password) in [
        ("known@example.com", "not-the-password-1"),
        ("unknown@example.com", PASSWORD),
        ("pending@example.com", PASSWORD),
    ] {
        let r = sign_in(&mut site.browser(), email, password).await;
        assert_eq!(
            (r.status, r.json()),
            (StatusCode::UNAUTHORIZED, json!({ "url": WRONG }))
        );
        answers.push(r);
    }
    assert_same_answer(&answers[0], &answers[1]);
    assert_same_answer(&answers[0], &answers[2]);
    // Without `json=true`: a redirect to the same place (as credentials sign-in answers).
    let mut b = site.browser();
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/callback/password",
            &[
                ("csrfToken", &csrf),
                ("email", "known@example.com"),
                ("password", "nope-nope"),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (StatusCode::FOUND, Some(WRONG)));
}

#[tokio::test]
async fn an_unknown_address_does_the_lookups_a_known_one_does() {
    let counting = Arc::new(Counting::default());
    counting.passwords.store(true, Ordering::SeqCst);
    let outbox = Outbox::default();
    let auth = builder()
        .adapter(counting.clone())
        .provider(EmailProvider::new(outbox.clone()))
        .provider(PasswordProvider::new())
        .build()
        .unwrap();
    let user = counting
        .create_user(tessera::adapter::NewUser {
            email: Some("known@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    counting
        .set_password_hash(&user.id, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaA")
        .await
        .unwrap();
    let mut calls = Vec::new();
    for email in ["known@example.com", "unknown@example.com"] {
        counting.take();
        let r = sign_in(&mut Browser::new(auth.clone()), email, "wrong-password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        calls.push(counting.take());
    }
    assert_eq!(calls[0], ["get_user_by_email", "get_password_hash"]);
    assert_eq!(calls[0], calls[1]);
}

#[tokio::test]
async fn an_over_long_password_is_refused_before_any_lookup_or_hashing() {
    let counting = Arc::new(Counting::default());
    counting.passwords.store(true, Ordering::SeqCst);
    let auth = builder()
        .adapter(counting.clone())
        .provider(EmailProvider::new(Outbox::default()))
        .provider(PasswordProvider::new())
        .build()
        .unwrap();
    let huge = "x".repeat(60_000);
    let started = std::time::Instant::now();
    counting.take();
    let r = sign_in(&mut Browser::new(auth.clone()), "known@example.com", &huge).await;
    assert_eq!(
        (r.status, r.json()),
        (StatusCode::UNAUTHORIZED, json!({ "url": WRONG }))
    );
    // No lookup, so no hash either (the hash needs the stored one).
    assert_eq!(counting.take(), Vec::<&str>::new());
    // 129 characters: refused as well; 128 is a password.
    let r = sign_in(&mut Browser::new(auth.clone()), "known@example.com", &"x".repeat(129)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(counting.take(), Vec::<&str>::new());
    let r = sign_in(&mut Browser::new(auth.clone()), "known@example.com", &"x".repeat(128)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(counting.take(), ["get_user_by_email", "get_password_hash"]);
    assert!(started.elapsed() < Duration::from_secs(30));

    // Sign-up refuses it with its code, before storing anything.
    let r = sign_up(&mut Browser::new(auth.clone()), "new@example.com", &huge).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&r).as_deref(), Some("PasswordTooLong"));
    assert!(!counting.take().contains(&"create_user"));
}

#[tokio::test]
async fn the_policy_refuses_short_common_and_address_passwords() {
    let site = Site::new(SessionStrategy::Jwt);
    for (password, code) in [
        ("short", "PasswordTooShort"),
        ("Password123", "PasswordCommon"),
        ("iloveyou", "PasswordCommon"),
        ("qwertyuiop", "PasswordCommon"),
        ("grace@example.com", "PasswordSameAsEmail"),
        ("", "PasswordTooShort"),
    ] {
        let r = sign_up(&mut site.browser(), "grace@example.com", password).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{password}");
        assert_eq!(
            r.json()["url"],
            format!("http://localhost:3000/api/auth/signup/password?error={code}"),
            "{password}"
        );
    }
    assert!(site.db.get_user_by_email("grace@example.com").await.unwrap().is_none());
    assert_eq!(site.outbox.count(), 0);
    let r = sign_up(&mut site.browser(), "not an address", PASSWORD).await;
    assert_eq!(error_of(&r).as_deref(), Some("InvalidEmail"));
}

#[tokio::test]
async fn a_browser_form_gets_the_page_again_with_the_message() {
    let site = Site::new(SessionStrategy::Jwt);
    let mut b = site.browser();
    let page = b.get("/api/auth/signup/password").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains(r#"action="http://localhost:3000/api/auth/signup/password""#),
        "{html}"
    );
    assert!(html.contains(r#"autocomplete="new-password""#));
    assert!(!html.contains("<script"));
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/signup/password",
            &[
                ("csrfToken", &csrf),
                ("email", "ada@example.com"),
                ("password", "password1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("This password is too common"), "{}", r.text());
    assert!(r.text().contains(r#"value="ada@example.com""#), "the address is kept");
    assert!(!r.text().contains("password1"), "the password is never echoed");
    // The sign-in page links to sign-up and the forgotten-password page.
    let signin = b.get("/api/auth/signin").await.text().to_owned();
    assert!(signin.contains(r#"href="http://localhost:3000/api/auth/signup/password""#));
    assert!(signin.contains(r#"href="http://localhost:3000/api/auth/password/forgot""#));
    assert!(signin.contains(r#"action="http://localhost:3000/api/auth/callback/password""#));
    for path in ["/api/auth/password/forgot", "/api/auth/password/change"] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
    }
}

#[tokio::test]
async fn sign_up_of_a_taken_address_answers_like_a_new_one() {
    let site = Site::new(SessionStrategy::Database);
    site.account("taken@example.com").await;
    let before = site.outbox.count();
    let taken = sign_up(&mut site.browser(), "taken@example.com", "another-good-pass-9").await;
    let new = sign_up(&mut site.browser(), "fresh@example.com", "another-good-pass-9").await;
    assert_eq!(taken.status, StatusCode::OK);
    assert_same_answer(&taken, &new);
    // Each address got one mail: the owner a notice leading to the forgotten-password page.
    let sent = site.outbox.sent()[before..].to_vec();
    assert_eq!(
        sent[0],
        (
            "taken@example.com".into(),
            "http://localhost:3000/api/auth/password/forgot".into()
        )
    );
    assert_eq!(sent[1].0, "fresh@example.com");
    assert!(sent[1].1.contains("/password/verify?"));
    // The taken account's password is unchanged.
    site.signed_in("taken@example.com", PASSWORD).await;
    assert_eq!(
        sign_in(&mut site.browser(), "taken@example.com", "another-good-pass-9")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn forgot_answers_alike_for_known_and_unknown_addresses() {
    let site = Site::new(SessionStrategy::Database);
    site.account("known@example.com").await;
    let before = site.outbox.count();
    let known = forgot(&mut site.browser(), "known@example.com").await;
    let unknown = forgot(&mut site.browser(), "unknown@example.com").await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(
        known.json(),
        json!({"url": "http://localhost:3000/api/auth/verify-request?provider=password&type=reset"})
    );
    assert_same_answer(&known, &unknown);
    let sent = site.outbox.sent()[before..].to_vec();
    assert_eq!(sent[0].0, "known@example.com");
    assert!(
        sent[0]
            .1
            .starts_with("http://localhost:3000/api/auth/password/reset?token=")
    );
    assert_eq!(
        sent[1],
        (
            "unknown@example.com".into(),
            "http://localhost:3000/api/auth/signup/password".into()
        )
    );
    let page = site
        .browser()
        .get("/api/auth/verify-request?provider=password&type=reset")
        .await;
    assert!(page.text().contains("An email with the next steps has been sent"));
}

#[tokio::test]
async fn a_reset_link_works_once_and_only_for_its_address() {
    let site = Site::new(SessionStrategy::Jwt);
    site.account("ada@example.com").await;
    site.account("bob@example.com").await;
    forgot(&mut site.browser(), "ada@example.com").await;
    let link = site.outbox.last_link();
    // The page of the link carries the token in the form, and no referrer to other sites
    // (`same-origin`: under `no-referrer` a browser posts the form with `Origin: null`).
    let page = site.browser().get(&path_of(&link)).await;
    assert_eq!(page.header("referrer-policy"), Some("same-origin"));
    assert!(
        page.text()
            .contains(&format!(r#"name="token" value="{}""#, token_of(&link).0))
    );
    // For another address: refused, and not used up.
    let (token, _) = token_of(&link);
    let r = post(
        &mut site.browser(),
        "/api/auth/password/reset",
        &[
            ("token", &token),
            ("email", "bob@example.com"),
            ("password", "bobs-new-password-1"),
        ],
    )
    .await;
    assert_eq!(
        (r.status, error_of(&r).as_deref()),
        (StatusCode::BAD_REQUEST, Some("InvalidToken"))
    );
    // A refused password does not use it up either.
    let r = reset(&mut site.browser(), &link, "password1").await;
    assert_eq!(error_of(&r).as_deref(), Some("PasswordCommon"));

    let r = reset(&mut site.browser(), &link, "adas-new-password-1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"url": "http://localhost:3000/api/auth/signin?callbackUrl=http%3A%2F%2Flocalhost%3A3000"})
    );
    let again = reset(&mut site.browser(), &link, "adas-other-password-2").await;
    assert_eq!(
        (again.status, error_of(&again).as_deref()),
        (StatusCode::BAD_REQUEST, Some("InvalidToken"))
    );
    site.signed_in("ada@example.com", "adas-new-password-1").await;
    assert_eq!(
        sign_in(&mut site.browser(), "ada@example.com", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    site.signed_in("bob@example.com", PASSWORD).await;
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let site = Site::with(
        SessionStrategy::Jwt,
        PasswordProvider::new().reset_link_max_age(Duration::ZERO),
        RateLimits::default(),
    );
    site.account("ada@example.com").await;
    forgot(&mut site.browser(), "ada@example.com").await;
    let link = site.outbox.last_link();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let r = reset(&mut site.browser(), &link, "adas-new-password-1").await;
    assert_eq!(
        (r.status, error_of(&r).as_deref()),
        (StatusCode::BAD_REQUEST, Some("InvalidToken"))
    );
    site.signed_in("ada@example.com", PASSWORD).await;
}

#[tokio::test]
async fn the_default_reset_link_lives_one_hour() {
    let site = Site::new(SessionStrategy::Jwt);
    site.account("ada@example.com").await;
    let start = std::time::SystemTime::now();
    let outbox = site.outbox.clone();
    forgot(&mut site.browser(), "ada@example.com").await;
    let _ = outbox;
    // The token is stored hashed: the raw one names nothing.
    let (token, email) = token_of(&site.outbox.last_link());
    assert!(site.db.use_verification_token(&email, &token).await.unwrap().is_none());
    // One hour: the purge at 59 minutes keeps it, the purge at 61 minutes removes it.
    assert_eq!(
        site.db
            .delete_expired(start + Duration::from_secs(59 * 60))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        site.db
            .delete_expired(start + Duration::from_secs(61 * 60))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn mailed_tokens_only_do_what_they_were_mailed_for() {
    let site = Site::new(SessionStrategy::Database);
    sign_up(&mut site.browser(), "ada@example.com", PASSWORD).await;
    let verify_link = site.outbox.last_link();
    // The verification token is no reset token, and no magic link.
    let r = reset(&mut site.browser(), &verify_link, "adas-new-password-1").await;
    assert_eq!(error_of(&r).as_deref(), Some("InvalidToken"));
    let (token, _) = token_of(&verify_link);
    let magic = format!("/api/auth/callback/email?token={token}&email=ada%40example.com");
    assert_eq!(
        site.browser().get(&magic).await.location(),
        Some("http://localhost:3000/api/auth/error?error=Verification")
    );
    // The reset token does not verify an address through the verification route.
    forgot(&mut site.browser(), "ada@example.com").await;
    let reset_link = site.outbox.last_link();
    let (token, _) = token_of(&reset_link);
    let r = site
        .browser()
        .get(&format!(
            "/api/auth/password/verify?token={token}&email=ada%40example.com"
        ))
        .await;
    assert_eq!(
        r.location(),
        Some("http://localhost:3000/api/auth/error?error=Verification")
    );
    // Each still works for its own purpose.
    assert_eq!(site.browser().get(&path_of(&verify_link)).await.status, StatusCode::OK);
    assert_eq!(
        reset(&mut site.browser(), &reset_link, "adas-new-password-1")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_reset_ends_every_session_of_the_user() {
    for strategy in STRATEGIES {
        let site = Site::new(strategy);
        site.account("ada@example.com").await;
        site.account("bob@example.com").await;
        let mut other = site.signed_in("ada@example.com", PASSWORD).await;
        let mut third = site.signed_in("ada@example.com", PASSWORD).await;
        let mut bob = site.signed_in("bob@example.com", PASSWORD).await;
        forgot(&mut site.browser(), "ada@example.com").await;
        let link = site.outbox.last_link();
        let r = reset(&mut site.browser(), &link, "adas-new-password-1").await;
        assert_eq!(r.status, StatusCode::OK, "{strategy:?}");
        assert_eq!(
            session_email(&mut other).await,
            None,
            "{strategy:?}: another browser is signed out"
        );
        assert_eq!(session_email(&mut third).await, None, "{strategy:?}");
        assert_eq!(
            session_email(&mut bob).await.as_deref(),
            Some("bob@example.com"),
            "{strategy:?}"
        );
        site.signed_in("ada@example.com", "adas-new-password-1").await;
    }
}

#[tokio::test]
async fn a_reset_verifies_the_address_and_releases_what_an_unproven_claim_linked() {
    let site = Site::new(SessionStrategy::Database);
    // Someone signed up with Ada's address and never verified it.
    sign_up(&mut site.browser(), "ada@example.com", "attackers-password-1").await;
    let user = site.db.get_user_by_email("ada@example.com").await.unwrap().unwrap();
    assert!(user.email_verified.is_none());
    forgot(&mut site.browser(), "ada@example.com").await;
    let r = reset(&mut site.browser(), &site.outbox.last_link(), "adas-own-password-1").await;
    assert_eq!(r.status, StatusCode::OK);
    let user = site.db.get_user_by_email("ada@example.com").await.unwrap().unwrap();
    assert!(user.email_verified.is_some());
    assert_eq!(
        sign_in(&mut site.browser(), "ada@example.com", "attackers-password-1")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    site.signed_in("ada@example.com", "adas-own-password-1").await;
}

async fn change(b: &mut Browser, current: &str, new: &str) -> Reply {
    post(
        b,
        "/api/auth/password/change",
        &[
            ("currentPassword", current),
            ("newPassword", new),
            ("callbackUrl", "/account"),
        ],
    )
    .await
}

#[tokio::test]
async fn a_change_ends_the_other_sessions_and_keeps_this_one() {
    for strategy in STRATEGIES {
        let site = Site::new(strategy);
        site.account("ada@example.com").await;
        let mut here = site.signed_in("ada@example.com", PASSWORD).await;
        let mut other = site.signed_in("ada@example.com", PASSWORD).await;

        let r = change(&mut here, "wrong-current-1", "adas-new-password-1").await;
        assert_eq!(
            (r.status, error_of(&r).as_deref()),
            (StatusCode::UNAUTHORIZED, Some("WrongPassword"))
        );
        let r = change(&mut here, PASSWORD, "password123").await;
        assert_eq!(
            (r.status, error_of(&r).as_deref()),
            (StatusCode::BAD_REQUEST, Some("PasswordCommon"))
        );
        assert_eq!(session_email(&mut other).await.as_deref(), Some("ada@example.com"));

        let r = change(&mut here, PASSWORD, "adas-new-password-1").await;
        assert_eq!(r.status, StatusCode::OK, "{strategy:?}: {}", r.text());
        assert_eq!(r.json(), json!({"url": "http://localhost:3000/account"}));
        assert_eq!(
            session_email(&mut here).await.as_deref(),
            Some("ada@example.com"),
            "{strategy:?}"
        );
        assert_eq!(session_email(&mut other).await, None, "{strategy:?}");
        assert_eq!(
            sign_in(&mut site.browser(), "ada@example.com", PASSWORD).await.status,
            StatusCode::UNAUTHORIZED
        );
        site.signed_in("ada@example.com", "adas-new-password-1").await;
    }
}

#[tokio::test]
async fn a_change_needs_a_session() {
    let site = Site::new(SessionStrategy::Jwt);
    let r = change(&mut site.browser(), PASSWORD, "adas-new-password-1").await;
    assert_eq!(
        (r.status, error_of(&r).as_deref()),
        (StatusCode::UNAUTHORIZED, Some("SessionRequired"))
    );
}

#[tokio::test]
async fn every_post_needs_the_csrf_token_and_the_site_origin() {
    let site = Site::new(SessionStrategy::Jwt);
    site.account("ada@example.com").await;
    let before = site.outbox.count();
    for path in [
        "/api/auth/signup/password",
        "/api/auth/password/forgot",
        "/api/auth/password/reset",
        "/api/auth/password/change",
    ] {
        let mut b = site.browser();
        b.csrf().await;
        let r = b
            .post_form(
                path,
                &[("email", "ada@example.com"), ("password", PASSWORD), ("json", "true")],
            )
            .await;
        assert_eq!(
            (r.status, error_of(&r).as_deref()),
            (StatusCode::FORBIDDEN, Some("MissingCSRF")),
            "{path}"
        );
        let mut b = site.browser();
        b.extra_headers.push(("origin".into(), "https://evil.example".into()));
        let r = post(&mut b, path, &[("email", "ada@example.com"), ("password", PASSWORD)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: cross-site");
    }
    assert_eq!(site.outbox.count(), before, "nothing was mailed");
}

#[tokio::test]
async fn failed_sign_ins_count_against_the_credentials_limits() {
    let limits = RateLimits {
        credentials_per_identifier: Some(Limit::new(3, Duration::from_secs(900))),
        ..RateLimits::default()
    };
    let site = Site::with(SessionStrategy::Jwt, PasswordProvider::new(), limits);
    site.account("ada@example.com").await;
    for _ in 0..3 {
        let r = sign_in(&mut site.browser(), "Ada@Example.com", "wrong-password-1").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // The address's bucket is full (normalised: any spelling of it): the right password too.
    let r = sign_in(&mut site.browser(), "ada@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.header("retry-after").is_some());
    assert_eq!(r.json(), json!({ "url": WRONG }));
    // Another address is not affected.
    let r = sign_in(&mut site.browser(), "bob@example.com", "wrong-password-1").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn mails_count_against_the_email_limits() {
    let limits = RateLimits {
        email_per_address: Some(Limit::new(2, Duration::from_secs(3600))),
        ..RateLimits::default()
    };
    let site = Site::with(SessionStrategy::Jwt, PasswordProvider::new(), limits);
    assert_eq!(
        forgot(&mut site.browser(), "ada@example.com").await.status,
        StatusCode::OK
    );
    assert_eq!(
        sign_up(&mut site.browser(), "ada@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    let r = forgot(&mut site.browser(), "ada@example.com").await;
    assert_eq!(
        (r.status, error_of(&r).as_deref()),
        (StatusCode::TOO_MANY_REQUESTS, Some("TooManyRequests"))
    );
    let r = sign_up(&mut site.browser(), "ada@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(site.outbox.count(), 2);
}

#[tokio::test]
async fn a_hash_of_other_parameters_is_replaced_at_sign_in() {
    let db = Arc::new(MemoryAdapter::new());
    let outbox = Outbox::default();
    let cheap = PasswordHashParams {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    let engine = |params: PasswordHashParams| {
        builder()
            .adapter(db.clone())
            .provider(EmailProvider::new(outbox.clone()))
            .provider(PasswordProvider::new().hash_params(params))
            .build()
            .unwrap()
    };
    let old = engine(cheap);
    sign_up(&mut Browser::new(old.clone()), "ada@example.com", PASSWORD).await;
    Browser::new(old).get(&path_of(&outbox.last_link())).await;
    let id = db.get_user_by_email("ada@example.com").await.unwrap().unwrap().id;
    let before = db.get_password_hash(&id).await.unwrap().unwrap();
    assert!(before.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{before}");

    let new = engine(PasswordHashParams::default());
    // A wrong password changes nothing.
    sign_in(&mut Browser::new(new.clone()), "ada@example.com", "wrong-password-1").await;
    assert_eq!(db.get_password_hash(&id).await.unwrap().unwrap(), before);
    let r = sign_in(&mut Browser::new(new.clone()), "ada@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK);
    let after = db.get_password_hash(&id).await.unwrap().unwrap();
    assert!(after.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{after}");
    assert_eq!(
        sign_in(&mut Browser::new(new), "ada@example.com", PASSWORD)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn v5_clients_sign_in_with_the_return_redirect_header() {
    let db = Arc::new(MemoryAdapter::new());
    let outbox = Outbox::default();
    let auth = builder()
        .compat(tessera::Compat::AuthJsV5)
        .adapter(db)
        .provider(EmailProvider::new(outbox.clone()))
        .provider(PasswordProvider::new().require_verified_email(false))
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    sign_up(&mut b, "ada@example.com", PASSWORD).await;
    b.extra_headers.push(("x-auth-return-redirect".into(), "1".into()));
    let csrf = b.csrf().await;
    let wrong = b
        .post_form(
            "/api/auth/callback/password",
            &[
                ("csrfToken", &csrf),
                ("email", "ada@example.com"),
                ("password", "nope-nope-1"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert_eq!(
        wrong.json()["url"],
        "http://localhost:3000/api/auth/signin?error=CredentialsSignin&code=credentials"
    );
    let ok = b
        .post_form(
            "/api/auth/callback/password",
            &[
                ("csrfToken", &csrf),
                ("email", "ada@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.json()["url"], ORIGIN);
    assert!(b.jar.contains_key("authjs.session-token"));
}

#[test]
fn build_refuses_what_cannot_work() {
    let base = || builder().provider(PasswordProvider::new());
    assert_eq!(
        base().provider(EmailProvider::new(DevMailer)).build().unwrap_err(),
        ConfigError::EmailWithoutAdapter("email".into())
    );
    assert_eq!(
        base().build().unwrap_err(),
        ConfigError::PasswordWithoutAdapter("password".into())
    );
    assert_eq!(
        base().adapter(MemoryAdapter::new()).build().unwrap_err(),
        ConfigError::PasswordWithoutEmail("password".into())
    );
    // An adapter that does not store hashes: refused at build, with its reason.
    let err = base()
        .adapter(Counting::default())
        .provider(EmailProvider::new(DevMailer))
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        ConfigError::PasswordsUnsupported {
            id: "password".into(),
            reason: "Counting: passwords off".into()
        }
    );
    let two_mailers = || {
        base()
            .adapter(MemoryAdapter::new())
            .provider(EmailProvider::new(DevMailer))
            .provider(EmailProvider::new(DevMailer).id("email2"))
    };
    assert!(matches!(
        two_mailers().build(),
        Err(ConfigError::PasswordEmailProvider { .. })
    ));
    let named = builder()
        .adapter(MemoryAdapter::new())
        .provider(EmailProvider::new(DevMailer))
        .provider(EmailProvider::new(DevMailer).id("email2"))
        .provider(PasswordProvider::new().email_provider("email2"))
        .build();
    assert!(named.is_ok());
    let ok = || {
        builder()
            .adapter(MemoryAdapter::new())
            .provider(EmailProvider::new(DevMailer))
    };
    assert_eq!(
        ok().provider(PasswordProvider::new())
            .provider(PasswordProvider::new().id("other"))
            .build()
            .unwrap_err(),
        ConfigError::DuplicatePasswordProvider
    );
    let bad = PasswordHashParams {
        memory_kib: 1,
        iterations: 1,
        parallelism: 1,
    };
    assert!(matches!(
        ok().provider(PasswordProvider::new().hash_params(bad)).build(),
        Err(ConfigError::InvalidPasswordProvider { .. })
    ));
    assert!(matches!(
        ok().provider(PasswordProvider::new().reset_link_max_age(Duration::from_secs(2 * 86_400)))
            .build(),
        Err(ConfigError::InvalidPasswordProvider { .. })
    ));
}

/// Not a test of timing (a timed assertion would be flaky): a measurement. Prints the
/// medians of many failed sign-ins for a known address (wrong password) and an unknown
/// one, interleaved, at OWASP's parameters. Run with
/// `cargo test -p tessera --release --test it -- password::timing --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement, not a test: run by hand"]
#[expect(clippy::print_stdout, reason = "a measurement prints its numbers")]
async fn timing_of_known_and_unknown_addresses() {
    const TRIES: usize = 200;
    let site = Site::with(SessionStrategy::Jwt, PasswordProvider::new(), RateLimits::disabled());
    site.account("known@example.com").await;
    let mut known = Vec::with_capacity(TRIES);
    let mut unknown = Vec::with_capacity(TRIES);
    let mut b = site.browser();
    let csrf = b.csrf().await;
    for i in 0..TRIES * 2 {
        // Pairs in alternating order, so neither always runs right after the other.
        let is_known = (i % 2 == 0) == ((i / 2) % 2 == 0);
        let email = if is_known {
            "known@example.com"
        } else {
            "unknown@example.com"
        };
        let form = [
            ("csrfToken", csrf.as_str()),
            ("email", email),
            ("password", "wrong-password-1"),
            ("json", "true"),
        ];
        let started = std::time::Instant::now();
        let r = b.post_form("/api/auth/callback/password", &form).await;
        let took = started.elapsed();
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        if is_known { known.push(took) } else { unknown.push(took) }
    }
    let stats = |v: &mut Vec<Duration>| {
        v.sort();
        (v[v.len() / 2], v[v.len() / 10], v[v.len() * 9 / 10])
    };
    let (km, kp10, kp90) = stats(&mut known);
    let (um, up10, up90) = stats(&mut unknown);
    println!("password sign-in, {TRIES} tries each, MemoryAdapter, Argon2id m=19456,t=2,p=1");
    println!("known address, wrong password: median {km:?} (p10 {kp10:?}, p90 {kp90:?})");
    println!("unknown address:               median {um:?} (p10 {up10:?}, p90 {up90:?})");
    let diff = km.as_secs_f64() - um.as_secs_f64();
    println!(
        "difference of the medians: {:+.1} µs ({:+.2}%)",
        diff * 1e6,
        100.0 * diff / um.as_secs_f64()
    );
}
