//! Every backend passes Tessera's adapter conformance suite, plus the checks the suite
//! leaves out (odd account fields, clearing user fields, migrations, persistence).
//!
//! PostgreSQL: `postgres://postgres@127.0.0.1:5432/test`, or `TESSERA_TEST_POSTGRES_URL`.
//! When it is unreachable the PostgreSQL tests fail if `CI=true` and are skipped (loudly)
//! otherwise.

use crate::service;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tessera::adapter::{Adapter, AdapterError, AdapterSession, NewUser, UserUpdate};
use tessera::{Account, AccountType};
use tessera_sqlx::{PostgresAdapter, SqliteAdapter, sqlx};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database file in the temp dir, removed (with its WAL files) on drop.
struct TempDb(PathBuf);

impl TempDb {
    fn new() -> Self {
        let name = format!("tessera-sqlx-test-{}.db", uuid::Uuid::new_v4());
        TempDb(std::env::temp_dir().join(name))
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The URL without its password, for messages.
fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://…@{host}"),
        _ => url.to_owned(),
    }
}

/// The test PostgreSQL database, or `None` (after a loud SKIP) when it is unreachable
/// outside CI.
pub(crate) async fn postgres() -> Option<PostgresAdapter> {
    let url = std::env::var("TESSERA_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    // A single direct connection first: it reports the real error, whatever
    // `PostgresAdapter::connect` makes of it.
    let probe = tokio::time::timeout(
        Duration::from_secs(10),
        <sqlx::PgConnection as sqlx::Connection>::connect(&url),
    )
    .await;
    let err = match probe {
        Ok(Ok(conn)) => {
            let _ = sqlx::Connection::close(conn).await;
            return Some(PostgresAdapter::connect(&url).await.expect("connect after probe"));
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 10 s".to_owned(),
    };
    let target = redacted(&url);
    service::unavailable(
        "PostgreSQL (the PostgresAdapter tests)",
        &format!("{target} is unreachable ({err})"),
        "Start PostgreSQL, or set TESSERA_TEST_POSTGRES_URL to a reachable database.",
    );
    None
}

/// Checks beyond the conformance suite, for every backend.
async fn extra_checks(db: &dyn Adapter) {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let email = format!("extra-{tag}@example.com");
    let user = db
        .create_user(NewUser {
            name: Some("Extra".into()),
            email: Some(email.clone()),
            image: Some("https://img/x.png".into()),
            email_verified: Some(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123)),
        })
        .await
        .expect("create_user");
    assert_eq!(
        user.email_verified,
        Some(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123))
    );
    let got = db.get_user(&user.id).await.expect("get").expect("found");
    assert_eq!(got, user, "create_user returns what get_user reads (ms precision)");

    // Some(None) clears a field; None leaves it alone.
    let cleared = db
        .update_user(UserUpdate {
            id: user.id.clone(),
            name: Some(None),
            email_verified: Some(None),
            ..Default::default()
        })
        .await
        .expect("update_user");
    assert_eq!(
        (cleared.name, cleared.email_verified, cleared.image.as_deref()),
        (None, None, Some("https://img/x.png"))
    );
    let same = db
        .update_user(UserUpdate {
            id: user.id.clone(),
            ..Default::default()
        })
        .await
        .expect("empty update");
    assert_eq!(same.email.as_deref(), Some(email.as_str()));

    // Odd token-set fields round-trip: arrays, nulls, fractions, unknown keys.
    let extra = json!({
        "access_token": "at", "scope": ["openid", "email"], "refresh_token": null,
        "expires_at": 1.5, "oauth_token_secret": "ots", "nested": {"a": [1, 2]},
        "id_token": "idt"
    });
    let account = Account {
        provider: format!("odd-{tag}"),
        kind: AccountType::Email,
        provider_account_id: "x-1".into(),
        user_id: Some(user.id.clone()),
        extra: extra.as_object().cloned().unwrap(),
    };
    db.link_account(account.clone()).await.expect("link");
    let listed = db.list_accounts(&user.id).await.expect("list");
    assert_eq!(listed, vec![account], "every field round-trips");

    // An account for a user that does not exist is NotFound; so is a session's.
    let orphan = db
        .link_account(Account {
            provider: format!("odd-{tag}"),
            kind: AccountType::OAuth,
            provider_account_id: "x-2".into(),
            user_id: Some("no-such-user".into()),
            extra: Default::default(),
        })
        .await;
    assert!(matches!(orphan, Err(AdapterError::NotFound(_))), "{orphan:?}");
    let orphan = db
        .create_session(AdapterSession {
            session_token: format!("orphan-{tag}"),
            user_id: "no-such-user".into(),
            expires: SystemTime::now(),
        })
        .await;
    assert!(matches!(orphan, Err(AdapterError::NotFound(_))), "{orphan:?}");

    // Removing everything but no session to keep.
    for n in 0..2 {
        db.create_session(AdapterSession {
            session_token: format!("x{n}-{tag}"),
            user_id: user.id.clone(),
            expires: SystemTime::now() + Duration::from_secs(60),
        })
        .await
        .expect("session");
    }
    assert_eq!(db.delete_user_sessions(&user.id, None).await.expect("all"), 2);
    db.delete_user(&user.id).await.expect("cleanup");
    assert!(db.list_accounts(&user.id).await.expect("after delete").is_empty());
}

/// Runs a conformance case against a fresh in-memory SQLite database.
async fn with_sqlite_in_memory(case: impl AsyncFnOnce(&dyn Adapter)) {
    let db = SqliteAdapter::in_memory().await.expect("in-memory sqlite");
    case(&db).await;
}

/// Runs a conformance case against a fresh SQLite file, removed afterwards.
async fn with_sqlite_file(case: impl AsyncFnOnce(&dyn Adapter)) {
    let file = TempDb::new();
    let db = SqliteAdapter::open(&file.0).await.expect("sqlite file");
    case(&db).await;
    db.pool().close().await;
}

/// Runs a conformance case against the test PostgreSQL database, or skips it (see
/// [`postgres`]).
async fn with_postgres(case: impl AsyncFnOnce(&dyn Adapter)) {
    let Some(db) = postgres().await else { return };
    case(&db).await;
}

/// One test per conformance case, per backend (`sqlite_in_memory::users`, …).
mod sqlite_in_memory {
    tessera::adapter_conformance_tests!(super::with_sqlite_in_memory);
}

mod sqlite_file {
    tessera::adapter_conformance_tests!(super::with_sqlite_file);
}

mod postgres {
    tessera::adapter_conformance_tests!(super::with_postgres);
}

#[tokio::test]
async fn sqlite_in_memory_passes_the_extra_checks() {
    let db = SqliteAdapter::in_memory().await.expect("in-memory sqlite");
    extra_checks(&db).await;
}

#[tokio::test]
async fn sqlite_file_conforms() {
    let file = TempDb::new();
    let db = SqliteAdapter::open(&file.0).await.expect("sqlite file");
    tessera::adapter::conformance::run(&db).await;
    extra_checks(&db).await;
    // Twice: the suite must pass on a database that already has rows.
    tessera::adapter::conformance::run(&db).await;
    db.pool().close().await;
}

#[tokio::test]
async fn postgres_passes_the_extra_checks() {
    let Some(db) = postgres().await else { return };
    extra_checks(&db).await;
}

#[tokio::test]
async fn migrations_are_idempotent_and_files_persist() {
    let file = TempDb::new();
    let id = {
        let db = SqliteAdapter::open(&file.0).await.expect("first open");
        db.migrate().await.expect("migrate again");
        let user = db
            .create_user(NewUser {
                email: Some("kept@example.com".into()),
                ..Default::default()
            })
            .await
            .expect("create_user");
        db.pool().close().await;
        user.id
    };
    assert!(file.0.exists(), "open creates the file");
    let db = SqliteAdapter::open(&file.0).await.expect("reopen");
    db.migrate().await.expect("migrate on reopen");
    let user = db
        .get_user_by_email("kept@example.com")
        .await
        .expect("get")
        .expect("the user survives a reopen");
    assert_eq!(user.id, id);
    db.pool().close().await;

    let mem = SqliteAdapter::in_memory().await.expect("in-memory");
    mem.migrate().await.expect("in-memory migrate again");

    if let Some(pg) = postgres().await {
        pg.migrate().await.expect("postgres migrate again");
        pg.migrate().await.expect("postgres migrate a third time");
    }
}

#[tokio::test]
async fn connect_picks_the_backend_by_url() {
    let db = tessera_sqlx::connect("sqlite::memory:").await.expect("memory");
    assert!(db.get_user("nobody").await.expect("query").is_none());

    let file = TempDb::new();
    let url = format!("sqlite://{}", file.0.display());
    let db = tessera_sqlx::connect(&url).await.expect("sqlite URL");
    db.create_user(NewUser::default()).await.expect("write");
    drop(db);
    assert!(file.0.exists(), "a sqlite: URL creates its file");

    let file = TempDb::new();
    let path = file.0.to_str().expect("utf-8 temp path").to_owned();
    let db = tessera_sqlx::connect(&path).await.expect("bare path");
    assert!(db.get_user("nobody").await.expect("query").is_none());
    drop(db);

    let err = tessera_sqlx::connect("mysql://localhost/db").await.err();
    assert!(matches!(err, Some(AdapterError::Backend(_))), "{err:?}");
}

#[tokio::test]
async fn in_memory_clones_share_one_database() {
    let db = SqliteAdapter::in_memory().await.expect("in-memory");
    let user = db.create_user(NewUser::default()).await.expect("user");
    let clone = db.clone();
    drop(db);
    assert!(clone.get_user(&user.id).await.expect("get").is_some());
    let other = SqliteAdapter::in_memory().await.expect("another");
    assert!(
        other.get_user(&user.id).await.expect("get").is_none(),
        "each in_memory() is its own database"
    );
}

/// Many tasks on several connections race for one verification token: exactly one wins.
async fn token_race<A: Adapter + Clone>(db: A) {
    use tessera::adapter::VerificationToken;
    for round in 0..3 {
        let vt = VerificationToken {
            identifier: format!("race-{}@example.com", uuid::Uuid::new_v4()),
            token: format!("t{round}"),
            expires: SystemTime::now() + Duration::from_secs(60),
        };
        db.create_verification_token(vt.clone()).await.expect("token");
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (db, vt) = (db.clone(), vt.clone());
                tokio::spawn(async move { db.use_verification_token(&vt.identifier, &vt.token).await.expect("use") })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            wins += usize::from(task.await.expect("join").is_some());
        }
        assert_eq!(wins, 1, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_token_race() {
    let file = TempDb::new();
    let db = SqliteAdapter::open(&file.0).await.expect("sqlite file");
    token_race(db.clone()).await;
    db.pool().close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_token_race() {
    let Some(db) = postgres().await else { return };
    token_race(db).await;
}

#[tokio::test]
async fn postgres_errors_do_not_show_the_password() {
    if postgres().await.is_none() {
        return;
    }
    let url = std::env::var("TESSERA_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    let db = tessera_sqlx::connect(&url).await.expect("postgres URL");
    assert!(db.get_user("nobody").await.expect("query").is_none());

    // A database that does not exist, with a password in the URL.
    let (scheme, rest) = url.split_once("://").expect("scheme");
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = host.split_once('/').map_or(host, |(h, _)| h);
    let bad = format!("{scheme}://postgres:s3cr3t-pw@{host}/tessera_no_such_db");
    let err = PostgresAdapter::connect(&bad).await.expect_err("no such db");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("s3cr3t-pw"), "{shown}");
}

/// The conformance cases for passwords and two-factor accept an adapter that says it does
/// not store them (the trait's default), so they cannot tell whether Tessera's own tables
/// forgot to: here every backend of Tessera's schema must say it does, and store them.
#[tokio::test]
async fn tesseras_tables_store_passwords_and_two_factor_on_every_backend() {
    async fn supported(db: &dyn Adapter) {
        db.password_support().expect("Tessera's tables store passwords");
        db.two_factor_support()
            .expect("Tessera's tables store two-factor set-ups");
        let user = db
            .create_user(NewUser {
                email: Some(format!(
                    "support-{}@example.com",
                    UNIX_EPOCH.elapsed().unwrap().as_nanos()
                )),
                ..Default::default()
            })
            .await
            .unwrap();
        db.set_password_hash(&user.id, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
            .await
            .unwrap();
        assert!(db.get_password_hash(&user.id).await.unwrap().is_some());
        db.delete_user(&user.id).await.unwrap();
    }
    with_sqlite_in_memory(supported).await;
    with_sqlite_file(supported).await;
    with_postgres(supported).await;
}
