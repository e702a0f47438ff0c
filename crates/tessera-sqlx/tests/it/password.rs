//! The `password` provider on Tessera's tables in a real PostgreSQL (and SQLite), through
//! the in-process browser: sign-up, the verification mail, sign-in, a reset that ends the
//! sessions of another browser, a change that ends the others; with database and JWT
//! sessions. And the app-owned next-auth tables, which `build()` refuses for it.

use std::sync::{Arc, Mutex};

use http::StatusCode;
use tessera::adapter::Adapter;
use tessera::providers::PasswordProvider;
use tessera::providers::email::{EmailProvider, Mailer, MailerError, VerificationRequest};
use tessera::{Auth, ConfigError, SessionStrategy};
use tessera_sqlx::{PostgresAdapter, Schema, SqliteAdapter, sqlx};

use crate::browser::{Browser, Reply};

const PASSWORD: &str = "violet-anvil-sings-42";

/// Records the links it is asked to mail.
#[derive(Clone, Default)]
struct Outbox(Arc<Mutex<Vec<String>>>);

#[tessera::async_trait]
impl Mailer for Outbox {
    async fn send(&self, r: VerificationRequest<'_>) -> Result<(), MailerError> {
        self.0.lock().unwrap().push(r.url.to_owned());
        Ok(())
    }
}

impl Outbox {
    fn last(&self) -> String {
        self.0.lock().unwrap().last().expect("a mail").clone()
    }
}

fn auth(db: Arc<dyn Adapter>, strategy: SessionStrategy, outbox: &Outbox) -> Auth {
    Auth::builder()
        .url("http://localhost:3000")
        .secret("a tessera test secret")
        .adapter(db)
        .session_strategy(strategy)
        .provider(EmailProvider::new(outbox.clone()))
        .provider(PasswordProvider::new())
        .build()
        .expect("valid configuration")
}

async fn post(b: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Reply {
    let csrf = b.csrf().await;
    let mut form = vec![("csrfToken", csrf.as_str()), ("json", "true")];
    form.extend_from_slice(fields);
    b.post_form(path, &form).await
}

fn path_of(link: &str) -> &str {
    link.strip_prefix("http://localhost:3000").expect("a link to the site")
}

async fn session_email(b: &mut Browser) -> Option<String> {
    b.get("/api/auth/session").await.json()["user"]["email"]
        .as_str()
        .map(str::to_owned)
}

async fn signed_in(auth: &Auth, email: &str, password: &str) -> Browser {
    let mut b = Browser::new(auth.clone());
    let r = post(
        &mut b,
        "/api/auth/callback/password",
        &[("email", email), ("password", password)],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(session_email(&mut b).await.as_deref(), Some(email));
    b
}

/// The whole life of a password account on `db`, with either strategy.
async fn lifecycle(db: Arc<dyn Adapter>) {
    for strategy in [SessionStrategy::Database, SessionStrategy::Jwt] {
        let outbox = Outbox::default();
        let auth = auth(db.clone(), strategy, &outbox);
        let email = format!("ada-{}@example.com", uuid::Uuid::new_v4().simple());
        let r = post(
            &mut Browser::new(auth.clone()),
            "/api/auth/signup/password",
            &[("email", &email), ("password", PASSWORD), ("name", "Ada")],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let user = db.get_user_by_email(&email).await.unwrap().expect("the user");
        assert_eq!(user.name.as_deref(), Some("Ada"));
        let hash = db.get_password_hash(&user.id).await.unwrap().expect("the hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");

        let r = post(
            &mut Browser::new(auth.clone()),
            "/api/auth/callback/password",
            &[("email", &email), ("password", PASSWORD)],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "not verified yet");
        let verified = Browser::new(auth.clone()).get(path_of(&outbox.last())).await;
        assert_eq!(verified.status, StatusCode::OK);

        let mut first = signed_in(&auth, &email, PASSWORD).await;
        let mut second = signed_in(&auth, &email, PASSWORD).await;

        // A change in the first browser ends the second's session.
        let r = post(
            &mut first,
            "/api/auth/password/change",
            &[("currentPassword", PASSWORD), ("newPassword", "adas-second-password-2")],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{strategy:?}: {}", r.text());
        assert_eq!(session_email(&mut first).await.as_deref(), Some(email.as_str()));
        assert_eq!(session_email(&mut second).await, None, "{strategy:?}");

        // A reset from a third browser ends the first's.
        let r = post(
            &mut Browser::new(auth.clone()),
            "/api/auth/password/forgot",
            &[("email", &email)],
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let link = url::Url::parse(&outbox.last()).unwrap();
        let get = |k: &str| link.query_pairs().find(|(n, _)| n == k).unwrap().1.into_owned();
        let reset = [("token", get("token")), ("email", get("email"))];
        let fields = [
            ("token", reset[0].1.as_str()),
            ("email", reset[1].1.as_str()),
            ("password", "adas-third-password-3"),
        ];
        let r = post(&mut Browser::new(auth.clone()), "/api/auth/password/reset", &fields).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(
            session_email(&mut first).await,
            None,
            "{strategy:?}: the other browser is signed out"
        );
        let again = post(&mut Browser::new(auth.clone()), "/api/auth/password/reset", &fields).await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST, "the link works once");
        signed_in(&auth, &email, "adas-third-password-3").await;
        db.delete_user(&user.id).await.unwrap();
        assert_eq!(db.get_password_hash(&user.id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn password_accounts_on_postgres() {
    let Some(db) = crate::conformance::postgres().await else {
        return;
    };
    lifecycle(Arc::new(db)).await;
}

#[tokio::test]
async fn password_accounts_on_sqlite() {
    lifecycle(Arc::new(SqliteAdapter::in_memory().await.unwrap())).await;
}

/// next-auth's tables are the application's: `build()` refuses the password provider on
/// them, saying why and what to use. (No connection is needed to tell: the pool is lazy.)
#[tokio::test]
async fn app_owned_tables_refuse_the_password_provider_at_build() {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .connect_lazy("postgres://postgres@127.0.0.1:5432/test")
        .unwrap();
    for schema in [Schema::PgAdapter, Schema::Prisma, Schema::Drizzle] {
        let db = PostgresAdapter::from_pool(pool.clone()).with_schema(schema);
        let err = Auth::builder()
            .secret("a tessera test secret")
            .adapter(db)
            .provider(EmailProvider::new(Outbox::default()))
            .provider(PasswordProvider::new())
            .build()
            .unwrap_err();
        let ConfigError::PasswordsUnsupported { id, reason } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(id, "password");
        assert!(reason.contains(&format!("AUTH_DB_SCHEMA={schema}")), "{reason}");
        assert!(reason.contains("AUTH_DB_SCHEMA=tessera"), "{reason}");
        assert!(
            err.to_string()
                .starts_with("the password provider \"password\" cannot use this adapter: the ")
        );
    }
    // Tessera's own tables store hashes.
    assert!(PostgresAdapter::from_pool(pool).password_support().is_ok());
}

/// Not a test (timed assertions are flaky): a measurement on PostgreSQL. Prints the medians
/// of many failed sign-ins for a known address (wrong password) and an unknown one,
/// interleaved, at OWASP's parameters. Run with
/// `cargo test -p tessera-sqlx --release --test it -- password::timing --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement, not a test: run by hand"]
#[expect(clippy::print_stdout, reason = "a measurement prints its numbers")]
async fn timing_of_known_and_unknown_addresses_on_postgres() {
    const TRIES: usize = 200;
    let Some(db) = crate::conformance::postgres().await else {
        return;
    };
    let db: Arc<dyn Adapter> = Arc::new(db);
    let outbox = Outbox::default();
    let auth = Auth::builder()
        .url("http://localhost:3000")
        .secret("a tessera test secret")
        .adapter(db.clone())
        .rate_limits(tessera::rate_limit::RateLimits::disabled())
        .provider(EmailProvider::new(outbox.clone()))
        .provider(PasswordProvider::new().require_verified_email(false))
        .build()
        .unwrap();
    let known = format!("known-{}@example.com", uuid::Uuid::new_v4().simple());
    let unknown = format!("unknown-{}@example.com", uuid::Uuid::new_v4().simple());
    let mut b = Browser::new(auth.clone());
    post(
        &mut b,
        "/api/auth/signup/password",
        &[("email", &known), ("password", PASSWORD)],
    )
    .await;
    let csrf = b.csrf().await;
    let (mut k, mut u) = (Vec::new(), Vec::new());
    for i in 0..TRIES * 2 {
        let is_known = (i % 2 == 0) == ((i / 2) % 2 == 0);
        let email = if is_known { &known } else { &unknown };
        let form = [
            ("csrfToken", csrf.as_str()),
            ("email", email.as_str()),
            ("password", "wrong-password-1"),
            ("json", "true"),
        ];
        let started = std::time::Instant::now();
        let r = b.post_form("/api/auth/callback/password", &form).await;
        let took = started.elapsed();
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        if is_known { k.push(took) } else { u.push(took) }
    }
    let median = |v: &mut Vec<std::time::Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (km, um) = (median(&mut k), median(&mut u));
    println!(
        "PostgreSQL, {TRIES} tries each: known {km:?}, unknown {um:?}, difference {:+.1} µs",
        (km.as_secs_f64() - um.as_secs_f64()) * 1e6
    );
    let id = db.get_user_by_email(&known).await.unwrap().unwrap().id;
    db.delete_user(&id).await.unwrap();
}
