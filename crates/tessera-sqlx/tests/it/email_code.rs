//! One-time email codes on real databases (PostgreSQL and SQLite, Tessera's tables): a
//! code and its link are two verification-token rows of one address; a code signs in once
//! and burns its link, a link burns its code, and wrong codes burn the right one.

use std::sync::{Arc, Mutex};

use http::StatusCode;
use tessera::adapter::Adapter;
use tessera::providers::email::{CodeMode, EmailProvider, Mailer, MailerError, VerificationRequest};
use tessera::{Auth, SessionStrategy};
use tessera_sqlx::SqliteAdapter;

use crate::browser::{Browser, Reply};

/// Records the `(link, code)` of every mail.
#[derive(Clone, Default)]
struct Outbox(Arc<Mutex<Vec<(String, String)>>>);

#[tessera::async_trait]
impl Mailer for Outbox {
    async fn send(&self, r: VerificationRequest<'_>) -> Result<(), MailerError> {
        let code = r.code.expect("codes are on").to_owned();
        self.0.lock().unwrap().push((r.url.to_owned(), code));
        Ok(())
    }
}

/// An address no earlier run used, so the database may keep old rows.
fn address(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("code-{what}-{nanos}@example.com")
}

async fn mail(b: &mut Browser, outbox: &Outbox, email: &str) -> (String, String) {
    let csrf = b.csrf().await;
    let r = b
        .post_form(
            "/api/auth/signin/email",
            &[("csrfToken", &csrf), ("email", email), ("json", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    outbox.0.lock().unwrap().last().expect("a mail").clone()
}

async fn submit(b: &mut Browser, email: &str, code: &str) -> Reply {
    let csrf = b.csrf().await;
    b.post_form(
        "/api/auth/callback/email",
        &[("csrfToken", &csrf), ("email", email), ("code", code), ("json", "true")],
    )
    .await
}

fn wrong(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

const BAD: &str = "http://localhost:3000/api/auth/error?error=Verification";

async fn codes(db: Arc<dyn Adapter>, strategy: SessionStrategy) {
    let outbox = Outbox::default();
    let auth = Auth::builder()
        .url("http://localhost:3000")
        .secret("a tessera test secret")
        .adapter(db)
        .session_strategy(strategy)
        .provider(EmailProvider::new(outbox.clone()).code(CodeMode::WithLink))
        .build()
        .unwrap();

    // A code signs in once, and its link is gone with it.
    let email = address("once");
    let mut b = Browser::new(auth.clone());
    let (link, code) = mail(&mut b, &outbox, &email).await;
    let r = submit(&mut b, &email, &code).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["url"], "http://localhost:3000");
    let s = b.get("/api/auth/session").await.json();
    assert_eq!(s["user"]["email"], email.as_str());
    assert_eq!(
        submit(&mut Browser::new(auth.clone()), &email, &code).await.json()["url"],
        BAD
    );
    let path = link.strip_prefix("http://localhost:3000").unwrap();
    assert_eq!(Browser::new(auth.clone()).get(path).await.location(), Some(BAD));

    // The link burns the code.
    let email = address("link");
    let (link, code) = mail(&mut b, &outbox, &email).await;
    let path = link.strip_prefix("http://localhost:3000").unwrap();
    let r = Browser::new(auth.clone()).get(path).await;
    assert_eq!(r.location(), Some("http://localhost:3000"));
    assert_eq!(submit(&mut b, &email, &code).await.json()["url"], BAD);

    // Five wrong codes burn the right one.
    let email = address("burn");
    let (_, code) = mail(&mut b, &outbox, &email).await;
    for _ in 0..5 {
        assert_eq!(submit(&mut b, &email, &wrong(&code)).await.json()["url"], BAD);
    }
    assert_eq!(submit(&mut b, &email, &code).await.json()["url"], BAD);
}

#[tokio::test]
async fn email_codes_on_postgres() {
    let Some(db) = crate::conformance::postgres().await else {
        return;
    };
    let db = Arc::new(db);
    codes(db.clone(), SessionStrategy::Database).await;
    codes(db, SessionStrategy::Jwt).await;
}

#[tokio::test]
async fn email_codes_on_sqlite() {
    let db = Arc::new(SqliteAdapter::in_memory().await.unwrap());
    codes(db.clone(), SessionStrategy::Database).await;
    codes(db, SessionStrategy::Jwt).await;
}
