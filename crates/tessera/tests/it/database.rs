//! The database session strategy (spec §5.3) over the `MemoryAdapter`, with every adapter
//! call counted.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::common::counting::Counting;
use crate::common::{Browser, builder};
use http::StatusCode;
use serde_json::json;
use tessera::adapter::{Adapter, MemoryAdapter};
use tessera::{SessionOptions, SessionStrategy, User};

fn setup(options: SessionOptions) -> (Browser, Arc<Counting>) {
    let db = Arc::new(Counting::default());
    let auth = builder().adapter(db.clone()).session(options).build().unwrap();
    (Browser::new(auth), db)
}

const TOKEN: &str = "next-auth.session-token";

#[tokio::test]
async fn credentials_sign_in_creates_a_session_row() {
    let (mut b, db) = setup(SessionOptions::default());
    let r = b.sign_in().await;
    assert_eq!(r.json(), json!({"url": "http://localhost:3000"}));
    let token = b.jar[TOKEN].clone();
    assert_eq!(token.len(), 36, "an opaque UUID, not a JWE: {token}");
    assert_eq!(
        db.take(),
        [
            "get_user_by_account",
            "get_user_by_email",
            "create_user",
            "link_account",
            "create_session"
        ]
    );
    let (row, user) = db.inner.get_session_and_user(&token).await.unwrap().unwrap();
    assert_eq!(user.email.as_deref(), Some("alice@example.com"));

    let r = b.get("/api/auth/session").await;
    let body = r.json();
    assert_eq!(
        body["user"],
        json!({"name": "Alice", "email": "alice@example.com", "image": null})
    );
    assert_eq!(body["expires"], tessera::iso8601(row.expires), "the stored expiry");
    assert_eq!(
        db.take(),
        ["get_session_and_user"],
        "one query per read, no write inside update_age"
    );
    let cookie = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with(TOKEN))
        .expect("cookie re-sent");
    assert!(cookie.starts_with(&format!("{TOKEN}={token}; Path=/; Expires=")));

    // Signing in again reuses the user and rotates the session token.
    b.sign_in().await;
    assert_ne!(b.jar[TOKEN], token);
    assert!(
        db.inner.get_session_and_user(&token).await.unwrap().is_none(),
        "the old session is gone"
    );
    let calls = db.take();
    assert!(!calls.contains(&"create_user"), "{calls:?}");
    assert_eq!(db.inner.list_sessions(&user.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn sessions_are_extended_past_update_age() {
    let (mut b, db) = setup(SessionOptions {
        max_age: std::time::Duration::from_secs(3600),
        update_age: std::time::Duration::ZERO,
    });
    b.sign_in().await;
    db.take();
    b.get("/api/auth/session").await;
    assert_eq!(db.take(), ["get_session_and_user", "update_session"]);
}

#[tokio::test]
async fn expired_and_unknown_sessions_are_deleted_and_cleared() {
    let (mut b, db) = setup(SessionOptions::default());
    b.sign_in().await;
    let token = b.jar[TOKEN].clone();
    let (_, user) = db.inner.get_session_and_user(&token).await.unwrap().unwrap();
    db.inner
        .update_session(&token, SystemTime::now() - Duration::from_secs(1))
        .await
        .unwrap();
    db.take();
    let r = b.get("/api/auth/session").await;
    assert_eq!(r.text(), "{}");
    assert!(
        r.set_cookies()
            .contains(&format!("{TOKEN}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"))
    );
    assert_eq!(db.take(), ["get_session_and_user", "delete_session"]);
    assert!(db.inner.list_sessions(&user.id).await.unwrap().is_empty());

    // The transcript's bogus cookie.
    b.jar.insert(TOKEN.into(), "bogus".into());
    let r = b.get("/api/auth/session").await;
    assert_eq!(r.text(), "{}");
    assert!(
        r.set_cookies()
            .contains(&format!("{TOKEN}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"))
    );
}

#[tokio::test]
async fn update_reaches_the_session_callback_and_sign_out_deletes_the_row() {
    use tessera::callbacks::{CallbackError, Callbacks, JwtTrigger, SessionArgs};
    use tessera::events::{Events, SignOutEvent};
    struct Cb;
    #[tessera::async_trait]
    impl Callbacks for Cb {
        async fn session(&self, mut args: SessionArgs<'_>) -> Result<tessera::Session, CallbackError> {
            if args.trigger == Some(JwtTrigger::Update) {
                let name = args.new_session.and_then(|d| d["name"].as_str()).map(str::to_owned);
                if let Some(u) = args.session.user.as_mut() {
                    u.name = name;
                }
            }
            let id = args.user.map(|u| u.id.clone()).unwrap_or_default();
            args.session.extra.insert("userId".into(), id.into());
            Ok(args.session)
        }
    }
    #[derive(Clone, Default)]
    struct SignOuts(Arc<Mutex<Vec<String>>>);
    #[tessera::async_trait]
    impl Events for SignOuts {
        async fn sign_out(&self, e: SignOutEvent<'_>) {
            self.0
                .lock()
                .unwrap()
                .push(e.session.map(|s| s.user_id.clone()).unwrap_or_default());
        }
    }
    let db = Arc::new(MemoryAdapter::new());
    let events = SignOuts::default();
    let auth = builder()
        .adapter(db.clone())
        .callbacks(Cb)
        .events(events.clone())
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    b.sign_in().await;
    let csrf = b.csrf().await;
    let r = b
        .post_json("/api/auth/session", json!({"csrfToken": csrf, "data": {"name": "Bob"}}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(body["user"]["name"], "Bob");
    let user_id = body["userId"].as_str().unwrap().to_owned();
    assert!(!user_id.is_empty());

    let token = b.jar[TOKEN].clone();
    let mut headers = http::HeaderMap::new();
    headers.insert("cookie", b.cookie_header().parse().unwrap());
    assert_eq!(
        b.auth.session(&headers).await.unwrap().extra["userId"],
        user_id.as_str()
    );

    let r = b
        .post_form("/api/auth/signout", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    assert!(
        r.set_cookies()
            .contains(&format!("{TOKEN}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"))
    );
    assert!(db.get_session_and_user(&token).await.unwrap().is_none());
    assert_eq!(*events.0.lock().unwrap(), [user_id]);
    assert!(b.auth.session(&headers).await.is_none());
}

#[test]
fn database_strategy_needs_an_adapter() {
    let err = builder()
        .session_strategy(SessionStrategy::Database)
        .build()
        .unwrap_err();
    assert_eq!(err, tessera::ConfigError::DatabaseWithoutAdapter);
    // An adapter with the JWT strategy keeps JWT cookies.
    let auth = builder()
        .adapter(MemoryAdapter::new())
        .session_strategy(SessionStrategy::Jwt)
        .build()
        .unwrap();
    let token = auth.encode_token(
        tessera::Token::for_user(&User::new("1")),
        std::time::Duration::from_secs(60),
    );
    assert!(token.starts_with("eyJ"));
}

#[tokio::test]
async fn session_management_routes() {
    let (mut phone, db) = setup(SessionOptions::default());
    let mut laptop = Browser::new(phone.auth.clone());
    let mut tablet = Browser::new(phone.auth.clone());
    for b in [&mut phone, &mut laptop, &mut tablet] {
        b.sign_in().await;
    }
    let r = phone.get("/api/auth/sessions").await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(!r.text().contains(&phone.jar[TOKEN]), "tokens are never exposed");

    // Revoke the laptop by id (it is the one that is not current, seen from the laptop).
    let laptop_id = laptop
        .get("/api/auth/sessions")
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let csrf = phone.csrf().await;
    let r = phone
        .post_form("/api/auth/sessions/revoke", &[("csrfToken", &csrf), ("id", &laptop_id)])
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    assert_eq!(
        laptop.get("/api/auth/session").await.text(),
        "{}",
        "the laptop is signed out"
    );
    let r = phone
        .post_form("/api/auth/sessions/revoke", &[("csrfToken", &csrf), ("id", "nope")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // CSRF is required for changes.
    let r = phone
        .post_form("/api/auth/sessions/revoke-others", &[("csrfToken", "forged")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = phone
        .post_form("/api/auth/sessions/revoke-others", &[("csrfToken", &csrf)])
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(tablet.get("/api/auth/session").await.text(), "{}");
    assert_eq!(phone.get("/api/auth/session").await.json()["user"]["name"], "Alice");

    // Revoke all: the caller is signed out too, and its cookie cleared.
    phone.sign_in().await;
    let csrf = phone.csrf().await;
    let r = phone
        .post_form("/api/auth/sessions/revoke-all", &[("csrfToken", &csrf)])
        .await;
    assert_eq!(r.text(), "[]");
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("next-auth.session-token=; Max-Age=0"))
    );
    assert_eq!(phone.get("/api/auth/sessions").await.status, StatusCode::UNAUTHORIZED);

    // Server-side: revoke everything of a user; deleting a user does too.
    laptop.sign_in().await;
    let user = db.inner.get_user_by_email("alice@example.com").await.unwrap().unwrap();
    assert_eq!(laptop.auth.revoke_user_sessions(&user.id, None).await.unwrap(), 1);
    laptop.sign_in().await;
    laptop.auth.adapter().unwrap().delete_user(&user.id).await.unwrap();
    assert_eq!(laptop.get("/api/auth/session").await.text(), "{}");
}

#[tokio::test]
async fn session_management_needs_database_sessions() {
    let mut b = Browser::new(builder().build().unwrap());
    b.sign_in().await;
    let r = b.get("/api/auth/sessions").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["message"].as_str().unwrap().contains("database sessions"));
    let (mut b, _) = setup(SessionOptions::default());
    assert_eq!(b.get("/api/auth/sessions/bogus").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_failed_token_store_sends_no_mail() {
    use tessera::providers::EmailProvider;
    use tessera::providers::email::{Mailer, MailerError, VerificationRequest};
    #[derive(Clone, Default)]
    struct Sent(Arc<Mutex<usize>>);
    #[tessera::async_trait]
    impl Mailer for Sent {
        async fn send(&self, _: VerificationRequest<'_>) -> Result<(), MailerError> {
            *self.0.lock().unwrap() += 1;
            Ok(())
        }
    }
    let db = Arc::new(Counting::default());
    let sent = Sent::default();
    let auth = builder()
        .adapter(db.clone())
        .provider(EmailProvider::new(sent.clone()))
        .build()
        .unwrap();
    let mut b = Browser::new(auth);
    db.fail_token_store.store(true, std::sync::atomic::Ordering::SeqCst);
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/signin/email",
            &[("csrfToken", &csrf), ("email", "a@example.com"), ("json", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        r.json()["url"],
        "http://localhost:3000/api/auth/error?error=ServiceUnavailable"
    );
    assert_eq!(*sent.0.lock().unwrap(), 0, "no mail without a stored token");
    // Once the store works again, the same request sends one mail.
    db.fail_token_store.store(false, std::sync::atomic::Ordering::SeqCst);
    let r = b
        .post_form(
            "/api/auth/signin/email",
            &[("csrfToken", &csrf), ("email", "a@example.com"), ("json", "true")],
        )
        .await;
    assert_eq!(
        r.json()["url"],
        "http://localhost:3000/api/auth/verify-request?provider=email&type=email"
    );
    assert_eq!(*sent.0.lock().unwrap(), 1);
}

/// Issue 13 item 5, in process: while the database is down nobody is signed out and
/// nothing is half done. `GET /session` says "no session" but keeps the cookie; the routes
/// that write answer 503 with `Retry-After` (JSON `{url}` to the error page for the
/// next-auth client, the error page itself for a browser); once the database is back the
/// same cookie is signed in again. (`examples/demo/tests/it/faults.rs` does the same to a
/// real PostgreSQL under load.)
#[tokio::test]
async fn a_database_outage_signs_nobody_out_and_writes_answer_503() {
    let (mut b, db) = setup(SessionOptions::default());
    b.sign_in().await;
    let token = b.jar[TOKEN].clone();
    let csrf = b.csrf().await;
    let unavailable = json!({"url": "http://localhost:3000/api/auth/error?error=ServiceUnavailable"});
    db.down.store(true, std::sync::atomic::Ordering::SeqCst);

    let r = b.get("/api/auth/session").await;
    assert_eq!((r.status, r.text()), (StatusCode::OK, "{}"));
    assert!(
        r.set_cookies().iter().all(|c| !c.starts_with(TOKEN)),
        "{:?}",
        r.set_cookies()
    );

    let r = b
        .post_json("/api/auth/session", json!({"csrfToken": csrf, "data": {"name": "B"}}))
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("retry-after"), Some("5"));

    // Sign-out: the next-auth client (json=true), then a browser's form.
    let r = b
        .post_form("/api/auth/signout", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("retry-after"), Some("5"));
    assert_eq!(r.json(), unavailable);
    let r = b.post_form("/api/auth/signout", &[("csrfToken", &csrf)]).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.text().contains("Service unavailable"), "{}", r.text());
    assert!(
        r.set_cookies().iter().all(|c| !c.starts_with(TOKEN)),
        "{:?}",
        r.set_cookies()
    );
    assert_eq!(b.jar[TOKEN], token, "the cookie is kept");

    // A new sign-in: no session, no cookie.
    let mut other = Browser::new(b.auth.clone());
    let r = other.sign_in().await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json(), unavailable);
    assert!(!other.jar.contains_key(TOKEN));
    // Where the client is sent: the error page, 503 too.
    let r = other.get("/api/auth/error?error=ServiceUnavailable").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text().contains("Service unavailable"), "{}", r.text());

    // An app with its own error page: the browser is sent there (a redirect, so not a 503).
    let pages = tessera::Pages {
        error: Some("/oops".into()),
        ..Default::default()
    };
    let custom = builder().adapter(db.clone()).pages(pages).build().unwrap();
    let mut c = Browser::new(custom);
    let r = c.sign_in().await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json(), unavailable);
    let c_csrf = c.csrf().await;
    let form = [("username", "a"), ("password", "pw"), ("csrfToken", c_csrf.as_str())];
    let r = c.post_form("/api/auth/callback/credentials", &form).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), unavailable["url"].as_str());
    let r = c.get("/api/auth/error?error=ServiceUnavailable").await;
    assert_eq!(r.location(), Some("/oops?error=ServiceUnavailable"));

    db.down.store(false, std::sync::atomic::Ordering::SeqCst);
    let r = b.get("/api/auth/session").await;
    assert_eq!(
        r.json()["user"]["email"],
        "alice@example.com",
        "signed in again, same cookie"
    );
    assert_eq!(b.jar[TOKEN], token);
    assert_eq!(other.sign_in().await.status, StatusCode::OK);
    let r = b
        .post_form("/api/auth/signout", &[("csrfToken", &csrf), ("json", "true")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(db.inner.get_session_and_user(&token).await.unwrap().is_none());
}

#[tokio::test]
async fn an_update_evicts_the_users_cached_sessions_the_callback_may_have_changed() {
    use tessera::adapter::UserUpdate;
    use tessera::callbacks::{CallbackError, Callbacks, JwtTrigger, SessionArgs};
    /// Renames the user on `update()` through its own handle on the database, as the demo
    /// does: the cache does not see that write.
    struct Renames(Arc<MemoryAdapter>);
    #[tessera::async_trait]
    impl Callbacks for Renames {
        async fn session(&self, mut args: SessionArgs<'_>) -> Result<tessera::Session, CallbackError> {
            if args.trigger == Some(JwtTrigger::Update)
                && let (Some(user), Some(name)) = (args.user, args.new_session.and_then(|d| d["name"].as_str()))
            {
                let update = UserUpdate {
                    id: user.id.clone(),
                    name: Some(Some(name.to_owned())),
                    ..Default::default()
                };
                self.0
                    .update_user(update)
                    .await
                    .map_err(|e| CallbackError::new(e.to_string()))?;
                if let Some(u) = args.session.user.as_mut() {
                    u.name = Some(name.to_owned());
                }
            }
            Ok(args.session)
        }
    }
    let db = Arc::new(MemoryAdapter::new());
    let auth = builder()
        .adapter(db.clone())
        .callbacks(Renames(db.clone()))
        .build()
        .unwrap();
    auth.session_cache().enable();
    let mut b = Browser::new(auth);
    b.sign_in().await;
    assert_eq!(b.get("/api/auth/session").await.json()["user"]["name"], "Alice");
    assert_eq!(b.auth.session_cache().len(), 1, "cached");
    let csrf = b.csrf().await;
    let r = b
        .post_json("/api/auth/session", json!({"csrfToken": csrf, "data": {"name": "Bob"}}))
        .await;
    assert_eq!(r.json()["user"]["name"], "Bob");
    assert_eq!(
        b.get("/api/auth/session").await.json()["user"]["name"],
        "Bob",
        "the next read sees the callback's write, not the cached user"
    );
}
