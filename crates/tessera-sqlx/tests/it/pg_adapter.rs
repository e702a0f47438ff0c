//! `PostgresAdapter` on the tables of next-auth's `@auth/pg-adapter` ([`Schema::PgAdapter`]):
//! the adapter conformance suite on them (as `schema.sql` creates them, and as the
//! adapter's doc comment shows them, without constraints), and rows written by next-auth
//! read by Tessera and the other way round, with the statements `@auth/pg-adapter` runs.
//!
//! Each test creates the tables in a PostgreSQL schema of its own (`search_path` in the
//! URL), dropped at the end. PostgreSQL: `postgres://postgres@127.0.0.1:5432/test`, or
//! `TESSERA_TEST_POSTGRES_URL`; when it is unreachable the tests fail if `CI=true` and
//! are skipped (loudly) otherwise.

use crate::pg_schema::{PgSchema, schema_with};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tessera::adapter::{Adapter, AdapterError, AdapterSession, NewUser, UserUpdate, VerificationToken};
use tessera::{Account, AccountType};
use tessera_sqlx::sqlx::{self, Connection, Row};
use tessera_sqlx::{PostgresAdapter, Schema};

/// `@auth/pg-adapter`'s `schema.sql`.
const SCHEMA_SQL: &str = include_str!("pg_adapter/schema.sql");
/// The tables as `@auth/pg-adapter`'s doc comment shows them: no constraints.
const UNCONSTRAINED_SQL: &str = include_str!("pg_adapter/schema_unconstrained.sql");

/// Tessera on the pg-adapter tables of `schema`.
async fn adapter_on(schema: &PgSchema) -> PostgresAdapter {
    PostgresAdapter::connect_with_schema(&schema.url(), Schema::PgAdapter)
        .await
        .expect("connect on the pg-adapter tables")
}

/// Runs a conformance case on fresh tables as `schema.sql` creates them.
async fn with_pg_adapter(case: impl AsyncFnOnce(&dyn Adapter)) {
    let Some(schema) = schema_with(SCHEMA_SQL).await else {
        return;
    };
    let db = adapter_on(&schema).await;
    case(&db).await;
    db.pool().close().await;
}

/// Runs a conformance case on fresh tables without constraints.
async fn with_unconstrained(case: impl AsyncFnOnce(&dyn Adapter)) {
    let Some(schema) = schema_with(UNCONSTRAINED_SQL).await else {
        return;
    };
    let db = adapter_on(&schema).await;
    case(&db).await;
    db.pool().close().await;
}

/// The conformance suite on the tables as `schema.sql` creates them.
mod schema_sql {
    crate::pg_schema::app_tables_conformance!(super::with_pg_adapter);
}

/// The conformance suite on the tables without constraints.
mod unconstrained {
    crate::pg_schema::app_tables_conformance!(super::with_unconstrained);
}

pub(crate) fn token_set() -> serde_json::Map<String, serde_json::Value> {
    json!({
        "access_token": "at", "refresh_token": "rt", "expires_at": 1_900_000_000,
        "token_type": "bearer", "scope": "openid email", "id_token": "idt", "session_state": "ss"
    })
    .as_object()
    .cloned()
    .unwrap()
}

/// The conformance suite's `accounts` case on the pg-adapter's columns: the seven
/// token-set fields round-trip, any other field is not stored (as `@auth/pg-adapter`
/// drops it).
pub(crate) async fn accounts(db: &dyn Adapter) {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let provider = format!("prov-{tag}");
    let user = |name: &str| NewUser {
        email: Some(format!("{name}-{tag}@example.com")),
        ..Default::default()
    };
    let alice = db.create_user(user("alice")).await.expect("alice");
    let bob = db.create_user(user("bob")).await.expect("bob");
    let account = |user_id: &str, id: &str| Account {
        provider: provider.clone(),
        kind: AccountType::OAuth,
        provider_account_id: id.into(),
        user_id: Some(user_id.into()),
        extra: token_set(),
    };
    db.link_account(account(&alice.id, "a-1")).await.expect("link_account");
    let linked = db.get_user_by_account(&provider, "a-1").await.expect("by account");
    assert_eq!(linked.map(|u| u.id), Some(alice.id.clone()));
    assert!(
        db.get_user_by_account(&provider, "a-2")
            .await
            .expect("missing")
            .is_none()
    );
    let again = db.link_account(account(&bob.id, "a-1")).await;
    assert!(matches!(again, Err(AdapterError::Conflict(_))), "{again:?}");
    for orphan in ["no-such-user", "999999"] {
        let res = db.link_account(account(orphan, "a-9")).await;
        assert!(matches!(res, Err(AdapterError::NotFound(_))), "{orphan}: {res:?}");
    }
    let listed = db.list_accounts(&alice.id).await.expect("list_accounts");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].kind,
            listed[0].provider_account_id.as_str(),
            listed[0].user_id.as_deref()
        ),
        (AccountType::OAuth, "a-1", Some(alice.id.as_str()))
    );
    assert_eq!(listed[0].extra, token_set(), "the seven token-set fields round-trip");

    let mut refreshed = account(&alice.id, "a-1");
    refreshed.extra = json!({
        "access_token": "at-2", "refresh_token": "rt-2", "expires_at": 1_900_003_600,
        "token_type": "bearer", "scope": "openid email", "custom_field": "dropped"
    })
    .as_object()
    .cloned()
    .unwrap();
    db.update_account(refreshed.clone()).await.expect("update_account");
    let listed = db.list_accounts(&alice.id).await.expect("list after update");
    let mut expected = refreshed.extra.clone();
    expected.remove("custom_field");
    assert_eq!(listed.len(), 1, "update_account does not add an account");
    assert_eq!(
        listed[0].extra, expected,
        "the columns are replaced (absent ones cleared); other fields are not stored"
    );
    let mut missing = refreshed.clone();
    missing.provider_account_id = "never-linked".into();
    let missing = db.update_account(missing).await;
    assert!(matches!(missing, Err(AdapterError::NotFound(_))), "{missing:?}");

    db.link_account(account(&alice.id, "a-2"))
        .await
        .expect("second account");
    db.unlink_account(&provider, "a-2").await.expect("unlink_account");
    assert!(
        db.get_user_by_account(&provider, "a-2")
            .await
            .expect("after unlink")
            .is_none()
    );
    db.unlink_account(&provider, "never-linked")
        .await
        .expect("unlinking nothing is fine");
    db.delete_user(&alice.id).await.expect("cleanup");
    db.delete_user(&bob.id).await.expect("cleanup");
    assert!(db.list_accounts(&alice.id).await.expect("after delete").is_empty());
}

pub(crate) fn secs(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Rows inserted with the statements `@auth/pg-adapter` runs (createUser, linkAccount,
/// createSession, createVerificationToken) are read by Tessera.
#[tokio::test]
async fn rows_written_by_next_auth_are_read_by_tessera() {
    let Some(schema) = schema_with(SCHEMA_SQL).await else {
        return;
    };
    let mut conn = schema.conn().await;
    let verified = UNIX_EPOCH + Duration::from_secs(1_760_000_000);
    let expires = SystemTime::now() + Duration::from_secs(30 * 24 * 3600);
    // createUser
    let id: i32 = sqlx::query(
        "INSERT INTO users (name, email, \"emailVerified\", image) VALUES ($1, $2, to_timestamp($3), $4) \
         RETURNING id, name, email, \"emailVerified\", image",
    )
    .bind("Ada")
    .bind("ada@example.com")
    .bind(secs(verified) as f64)
    .bind("https://img/ada.png")
    .fetch_one(&mut conn)
    .await
    .expect("createUser")
    .get("id");
    // linkAccount
    sqlx::query(
        "insert into accounts (\"userId\", provider, type, \"providerAccountId\", access_token, expires_at, \
         refresh_token, id_token, scope, session_state, token_type) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(id)
    .bind("github")
    .bind("oauth")
    .bind("12345")
    .bind("gho_at")
    .bind(1_900_000_000_i64)
    .bind(Option::<String>::None)
    .bind(Option::<String>::None)
    .bind("read:user user:email")
    .bind(Option::<String>::None)
    .bind("bearer")
    .execute(&mut conn)
    .await
    .expect("linkAccount");
    // An OIDC account as Auth.js v5 records it.
    sqlx::query(
        "insert into accounts (\"userId\", provider, type, \"providerAccountId\", id_token) \
         values ($1, 'keycloak', 'oidc', 'kc-1', 'idt')",
    )
    .bind(id)
    .execute(&mut conn)
    .await
    .expect("linkAccount (oidc)");
    // createSession
    sqlx::query("insert into sessions (\"userId\", expires, \"sessionToken\") values ($1, to_timestamp($2), $3)")
        .bind(id)
        .bind(secs(expires) as f64)
        .bind("next-auth-session-token")
        .execute(&mut conn)
        .await
        .expect("createSession");
    // createVerificationToken (next-auth stores the token hashed; the hash is opaque here)
    sqlx::query("INSERT INTO verification_token ( identifier, expires, token ) VALUES ($1, to_timestamp($2), $3)")
        .bind("ada@example.com")
        .bind(secs(expires) as f64)
        .bind("hashed-token")
        .execute(&mut conn)
        .await
        .expect("createVerificationToken");
    let _ = conn.close().await;

    let db = adapter_on(&schema).await;
    tessera_reads_ada(&db, &id.to_string(), verified, expires).await;
    db.pool().close().await;
}

/// What Tessera writes, next-auth reads with `@auth/pg-adapter`'s own statements
/// (getUser, getUserByAccount, getSessionAndUser, useVerificationToken, deleteUser).
#[tokio::test]
async fn rows_written_by_tessera_are_read_by_next_auth() {
    let Some(schema) = schema_with(SCHEMA_SQL).await else {
        return;
    };
    let db = adapter_on(&schema).await;
    let user = tessera_writes_grace(&db).await;
    let id: i32 = user.id.parse().expect("an integer id, as the SERIAL column gives");

    let mut conn = schema.conn().await;
    // getSessionAndUser: two selects, by "sessionToken" then by the session's "userId".
    let session = sqlx::query(
        "select \"userId\", EXTRACT(EPOCH FROM expires)::FLOAT8 AS expires from sessions where \"sessionToken\" = $1",
    )
    .bind("tessera-session-token")
    .fetch_one(&mut conn)
    .await
    .expect("next-auth finds Tessera's session");
    let user_id: i32 = session.get("userId");
    assert_eq!(user_id, id);
    let stored: f64 = session.get("expires");
    assert_eq!(
        (stored * 1000.0).round() as i64,
        1_900_000_000_123,
        "expiry to the millisecond"
    );
    let row = sqlx::query(
        "select name, email, EXTRACT(EPOCH FROM \"emailVerified\")::BIGINT AS v, image from users where id = $1",
    )
    .bind(user_id)
    .fetch_one(&mut conn)
    .await
    .expect("getUser");
    let (name, email, verified, image): (Option<String>, Option<String>, i64, Option<String>) =
        (row.get("name"), row.get("email"), row.get("v"), row.get("image"));
    assert_eq!(
        (name.as_deref(), email.as_deref(), verified, image),
        (Some("Grace"), Some("grace@example.com"), 1_760_000_000, None)
    );
    // getUserByAccount
    let row = sqlx::query(
        "select u.id, a.type, a.access_token, a.expires_at, a.scope from users u join accounts a on u.id = a.\"userId\" \
         where a.provider = $1 and a.\"providerAccountId\" = $2",
    )
    .bind("google")
    .bind("g-1")
    .fetch_one(&mut conn)
    .await
    .expect("getUserByAccount");
    let (uid, kind, at, exp, scope): (i32, String, Option<String>, Option<i64>, Option<String>) = (
        row.get("id"),
        row.get("type"),
        row.get("access_token"),
        row.get("expires_at"),
        row.get("scope"),
    );
    assert_eq!(
        (uid, kind.as_str(), at.as_deref(), exp, scope.as_deref()),
        (id, "oauth", Some("at"), Some(1_900_000_000), Some("openid email"))
    );
    // useVerificationToken
    let used = sqlx::query(
        "delete from verification_token where identifier = $1 and token = $2 RETURNING identifier, expires, token",
    )
    .bind("grace@example.com")
    .bind("hashed")
    .fetch_all(&mut conn)
    .await
    .expect("useVerificationToken");
    assert_eq!(used.len(), 1, "next-auth uses the token Tessera stored");
    // deleteUser (three deletes), after which Tessera sees nothing.
    for sql in [
        "delete from users where id = $1",
        "delete from sessions where \"userId\" = $1",
        "delete from accounts where \"userId\" = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut conn).await.expect("deleteUser");
    }
    let _ = conn.close().await;
    assert!(db.get_user(&user.id).await.expect("get_user").is_none());
    assert!(
        db.get_session_and_user("tessera-session-token")
            .await
            .expect("session")
            .is_none()
    );
    assert!(
        db.get_user_by_account("google", "g-1")
            .await
            .expect("account")
            .is_none()
    );
    db.pool().close().await;
}

/// Ids that are not the text of an INTEGER name no row: never a backend error.
#[tokio::test]
async fn ids_that_are_not_integers_are_not_found() {
    let Some(schema) = schema_with(SCHEMA_SQL).await else {
        return;
    };
    let db = adapter_on(&schema).await;
    assert_eq!(db.schema(), Schema::PgAdapter);
    ids_name_no_row(
        &db,
        &[
            "",
            "abc",
            "042",
            "+1",
            "1.0",
            "99999999999",
            "-0",
            "12345678901234567890",
        ],
    )
    .await;
    db.pool().close().await;
}

/// With `Schema::PgAdapter` Tessera creates nothing: missing tables are refused by name,
/// and no table or migration record is left behind.
#[tokio::test]
async fn missing_tables_are_refused_and_nothing_is_created() {
    refused_and_nothing_created(
        Schema::PgAdapter,
        SCHEMA_SQL,
        "ALTER TABLE sessions RENAME COLUMN \"sessionToken\" TO session_token",
        ["@auth/pg-adapter table users", "@auth/pg-adapter table sessions"],
        &["accounts", "sessions", "users", "verification_token"],
    )
    .await;
}

#[test]
fn schema_names() {
    assert_eq!("tessera".parse::<Schema>(), Ok(Schema::Tessera));
    assert_eq!("pg-adapter".parse::<Schema>(), Ok(Schema::PgAdapter));
    let err = "pg_adapter".parse::<Schema>().expect_err("not a name");
    assert!(err.to_string().contains("\"pg_adapter\""), "{err}");
    assert_eq!(Schema::PgAdapter.to_string(), "pg-adapter");
    assert_eq!(Schema::default(), Schema::Tessera);
}

/// Tessera writes a user (Grace), her Google account (with a field no column holds), a
/// session and a pending magic link, all expiring at 1 900 000 000.123 s; returns the user.
pub(crate) async fn tessera_writes_grace(db: &dyn Adapter) -> tessera::User {
    let expires = UNIX_EPOCH + Duration::from_millis(1_900_000_000_123);
    let user = db
        .create_user(NewUser {
            name: Some("Grace".into()),
            email: Some("grace@example.com".into()),
            image: None,
            email_verified: Some(UNIX_EPOCH + Duration::from_secs(1_760_000_000)),
        })
        .await
        .expect("create_user");
    let mut extra = token_set();
    extra.insert("custom_field".into(), json!("not stored"));
    db.link_account(Account {
        provider: "google".into(),
        kind: AccountType::OAuth,
        provider_account_id: "g-1".into(),
        user_id: Some(user.id.clone()),
        extra,
    })
    .await
    .expect("link_account");
    db.create_session(AdapterSession {
        session_token: "tessera-session-token".into(),
        user_id: user.id.clone(),
        expires,
    })
    .await
    .expect("create_session");
    db.create_verification_token(VerificationToken {
        identifier: "grace@example.com".into(),
        token: "hashed".into(),
        expires,
    })
    .await
    .expect("create_verification_token");
    user
}

/// Every method taking a user id finds nothing for each of `ids` (and errs with
/// `NotFound` where it must find a user): never a backend error.
pub(crate) async fn ids_name_no_row(db: &dyn Adapter, ids: &[&str]) {
    for &id in ids {
        assert!(db.get_user(id).await.expect("get_user").is_none(), "{id:?}");
        let update = db
            .update_user(UserUpdate {
                id: id.into(),
                name: Some(Some("x".into())),
                ..Default::default()
            })
            .await;
        assert!(matches!(update, Err(AdapterError::NotFound(_))), "{id:?}: {update:?}");
        db.delete_user(id).await.expect("delete_user of nothing");
        assert!(db.list_accounts(id).await.expect("list_accounts").is_empty());
        assert!(db.list_sessions(id).await.expect("list_sessions").is_empty());
        assert_eq!(
            db.delete_user_sessions(id, None).await.expect("delete_user_sessions"),
            0
        );
        let session = db
            .create_session(AdapterSession {
                session_token: format!("t-{id}"),
                user_id: id.into(),
                expires: SystemTime::now(),
            })
            .await;
        assert!(matches!(session, Err(AdapterError::NotFound(_))), "{id:?}: {session:?}");
    }
}

/// Connecting on `kind` with no tables is refused naming `said[0]`; on the tables of
/// `ddl` once `breaking` has changed one, naming `said[1]`; and only `tables` are left.
pub(crate) async fn refused_and_nothing_created(
    kind: Schema,
    ddl: &'static str,
    breaking: &'static str,
    said: [&str; 2],
    tables: &[&str],
) {
    let Some(schema) = schema_with("").await else { return };
    let err = tessera_sqlx::connect_with_schema(&schema.url(), kind)
        .await
        .err()
        .expect("no tables");
    assert!(err.to_string().contains(said[0]), "{err}");

    // Tables with a column missing: refused, naming the table.
    let mut conn = schema.conn().await;
    sqlx::raw_sql(ddl).execute(&mut conn).await.expect("tables");
    sqlx::raw_sql(breaking).execute(&mut conn).await.expect("break a table");
    let err = PostgresAdapter::connect_with_schema(&schema.url(), kind)
        .await
        .expect_err("a missing column");
    assert!(err.to_string().contains(said[1]), "{err}");
    let found: Vec<String> =
        sqlx::query_scalar("SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1")
            .bind(&schema.name)
            .fetch_all(&mut conn)
            .await
            .expect("list tables");
    assert_eq!(found, tables);
    let _ = conn.close().await;
}

/// Tessera reads what next-auth wrote: the user Ada (`id`, verified at `verified`), her
/// `github` account `12345` and `keycloak` OIDC account `kc-1`, the session
/// `next-auth-session-token` and the magic link `hashed-token`, both expiring at
/// `expires`; then uses the link and signs the session out.
pub(crate) async fn tessera_reads_ada(db: &dyn Adapter, id: &str, verified: SystemTime, expires: SystemTime) {
    let user = db.get_user(id).await.expect("get_user").expect("found");
    assert_eq!(
        (
            user.id.as_str(),
            user.name.as_deref(),
            user.email.as_deref(),
            user.image.as_deref()
        ),
        (id, Some("Ada"), Some("ada@example.com"), Some("https://img/ada.png"))
    );
    assert_eq!(
        user.email_verified,
        Some(verified),
        "to the second, whatever the session's zone"
    );
    let by_email = db.get_user_by_email("ada@example.com").await.expect("by email");
    assert_eq!(by_email.as_ref(), Some(&user));
    let by_account = db.get_user_by_account("github", "12345").await.expect("by account");
    assert_eq!(by_account.as_ref(), Some(&user));
    let accounts = db.list_accounts(&user.id).await.expect("list_accounts");
    assert_eq!(accounts.len(), 2);
    assert_eq!(
        serde_json::Value::Object(accounts[0].extra.clone()),
        json!({"access_token": "gho_at", "expires_at": 1_900_000_000, "scope": "read:user user:email", "token_type": "bearer"})
    );
    assert_eq!(
        (
            accounts[1].provider.as_str(),
            accounts[1].kind,
            accounts[1].user_id.as_deref()
        ),
        ("keycloak", AccountType::OAuth, Some(user.id.as_str())),
        "an `oidc` account reads as OAuth"
    );
    let by_oidc = db
        .get_user_by_account("keycloak", "kc-1")
        .await
        .expect("by oidc account");
    assert_eq!(by_oidc.as_ref(), Some(&user));
    let (session, owner) = db
        .get_session_and_user("next-auth-session-token")
        .await
        .expect("get_session_and_user")
        .expect("next-auth's session is valid");
    assert_eq!(
        (session.user_id.as_str(), secs(session.expires)),
        (user.id.as_str(), secs(expires))
    );
    assert_eq!(owner, user);
    assert_eq!(
        db.list_sessions(&user.id).await.expect("list_sessions"),
        vec![session.clone()]
    );
    let token = db
        .use_verification_token("ada@example.com", "hashed-token")
        .await
        .expect("use_verification_token")
        .expect("next-auth's pending magic link");
    assert_eq!(secs(token.expires), secs(expires));
    assert!(
        db.use_verification_token("ada@example.com", "hashed-token")
            .await
            .expect("again")
            .is_none()
    );
    // Tessera's sign-out of the session next-auth made.
    assert_eq!(
        db.delete_session("next-auth-session-token").await.expect("delete"),
        Some(session)
    );
}
