//! `SqliteAdapter` on the SQLite tables of next-auth's `@auth/drizzle-adapter`
//! ([`Schema::Drizzle`]), as `drizzle-kit generate` creates them from the SQLite schema
//! Auth.js documents (`drizzle/sqlite.sql`): the adapter conformance suite, the rows
//! `@auth/drizzle-adapter` 1.11.3 stored (`drizzle/sqlite_rows.sql`, captured from the real
//! adapter) read by Tessera, Tessera's rows stored as drizzle stores them (times as
//! `integer` milliseconds, `mode: "timestamp_ms"`), and the refusals of tables that cannot
//! work. Each test has an SQLite file of its own in the temp dir ([`crate::sqlite_file`]).

use crate::pg_adapter::{ids_name_no_row, tessera_reads_ada, tessera_writes_grace};
use crate::sqlite_file::{AppFile, refused_precisely, with_tables};

use std::time::{Duration, UNIX_EPOCH};

use tessera::adapter::{Adapter, AdapterSession, NewUser};
use tessera_sqlx::sqlx::{self, Row};
use tessera_sqlx::{Schema, SqliteAdapter};

/// What `drizzle-kit generate` creates from Auth.js's documented SQLite schema.
const SCHEMA_SQL: &str = include_str!("drizzle/sqlite.sql");
/// What `@auth/drizzle-adapter` stored for Ada.
const ROWS_SQL: &str = include_str!("drizzle/sqlite_rows.sql");
/// Ada's id, a `crypto.randomUUID()` of drizzle's `$defaultFn`.
const ADA: &str = "2d7cab97-163d-457b-a0d5-614431428cd9";

/// Runs a conformance case on fresh drizzle tables.
async fn with_drizzle(case: impl AsyncFnOnce(&dyn Adapter)) {
    with_tables(SCHEMA_SQL, Schema::Drizzle, case).await;
}

/// The conformance suite on the drizzle tables in SQLite.
mod conformance {
    crate::pg_schema::app_tables_conformance!(super::with_drizzle);
}

/// The rows `@auth/drizzle-adapter` stored are read by Tessera, times to the millisecond.
#[tokio::test]
async fn rows_written_by_drizzle_are_read_by_tessera() {
    let file = AppFile::with(&format!("{SCHEMA_SQL}\n{ROWS_SQL}")).await;
    let db = file.adapter(Schema::Drizzle).await;
    let verified = UNIX_EPOCH + Duration::from_millis(1_760_000_000_000);
    let expires = UNIX_EPOCH + Duration::from_millis(1_900_000_000_123);
    let (session, _) = db
        .get_session_and_user("next-auth-session-token")
        .await
        .expect("get_session_and_user")
        .expect("drizzle's session");
    assert_eq!(session.expires, expires, "to the millisecond");
    tessera_reads_ada(&db, ADA, verified, expires).await;
    db.delete_user(ADA).await.expect("delete_user");
    assert!(db.get_user_by_account("github", "12345").await.expect("gone").is_none());
    db.pool().close().await;
}

/// What Tessera writes is stored as drizzle stores it: a UUID id, times as `integer`
/// milliseconds (which drizzle's `timestamp_ms` mode reads with `new Date(n)`), and the
/// statements `@auth/drizzle-adapter` runs find it.
#[tokio::test]
async fn rows_written_by_tessera_are_stored_as_drizzle_stores_them() {
    let file = AppFile::with(SCHEMA_SQL).await;
    let db = file.adapter(Schema::Drizzle).await;
    let user = tessera_writes_grace(&db).await;
    assert!(uuid::Uuid::parse_str(&user.id).is_ok(), "{}", user.id);
    let mut conn = file.conn().await;
    // getSessionAndUser, as drizzle-orm's better-sqlite3 driver runs it.
    let row = sqlx::query(
        "select \"session\".\"sessionToken\", \"session\".\"userId\", \"session\".\"expires\", \
         typeof(\"session\".\"expires\") as stored, \"user\".\"id\", \"user\".\"emailVerified\" \
         from \"session\" inner join \"user\" on \"user\".\"id\" = \"session\".\"userId\" \
         where \"session\".\"sessionToken\" = ?",
    )
    .bind("tessera-session-token")
    .fetch_one(&mut conn)
    .await
    .expect("getSessionAndUser finds Tessera's session");
    let (user_id, expires, stored, verified): (String, i64, String, i64) = (
        row.get("userId"),
        row.get("expires"),
        row.get("stored"),
        row.get("emailVerified"),
    );
    assert_eq!(
        (user_id.as_str(), expires, stored.as_str(), verified),
        (user.id.as_str(), 1_900_000_000_123, "integer", 1_760_000_000_000)
    );
    // getUserByAccount; useVerificationToken.
    let (uid, expires_at): (String, Option<i64>) = sqlx::query_as(
        "select \"user\".\"id\", \"account\".\"expires_at\" from \"account\" \
         inner join \"user\" on \"account\".\"userId\" = \"user\".\"id\" \
         where (\"account\".\"provider\" = ? and \"account\".\"providerAccountId\" = ?)",
    )
    .bind("google")
    .bind("g-1")
    .fetch_one(&mut conn)
    .await
    .expect("getUserByAccount");
    assert_eq!((uid.as_str(), expires_at), (user.id.as_str(), Some(1_900_000_000)));
    let used: Vec<(String, i64)> = sqlx::query_as(
        "delete from \"verificationToken\" where (\"verificationToken\".\"identifier\" = ? and \
         \"verificationToken\".\"token\" = ?) returning \"identifier\", \"expires\"",
    )
    .bind("grace@example.com")
    .bind("hashed")
    .fetch_all(&mut conn)
    .await
    .expect("useVerificationToken");
    assert_eq!(used, [("grace@example.com".to_owned(), 1_900_000_000_123)]);
    drop(conn);
    db.pool().close().await;
}

/// Times round-trip to the millisecond, before and after the epoch, and expire exactly.
#[tokio::test]
async fn times_round_trip_exactly() {
    let file = AppFile::with(SCHEMA_SQL).await;
    let db = file.adapter(Schema::Drizzle).await;
    let user = db.create_user(NewUser::default()).await.expect("create_user");
    for (i, ms) in [1_900_000_000_123_u64, 1, 999, 1_000, 4_102_444_800_999]
        .into_iter()
        .enumerate()
    {
        let expires = UNIX_EPOCH + Duration::from_millis(ms);
        let token = format!("t-{i}");
        let made = db
            .create_session(AdapterSession {
                session_token: token.clone(),
                user_id: user.id.clone(),
                expires,
            })
            .await
            .expect("create_session");
        assert_eq!(made.expires, expires);
        let (read, _) = db.get_session_and_user(&token).await.expect("read").expect("found");
        assert_eq!(read.expires, expires, "{ms} ms");
        // Expired strictly before `expires`, not at it.
        assert_eq!(db.delete_expired(expires).await.expect("delete_expired"), 0);
        assert_eq!(
            db.delete_expired(expires + Duration::from_millis(1))
                .await
                .expect("delete_expired"),
            1
        );
    }
    db.pool().close().await;
}

/// Ids are text: any text names a user or none, never a backend error.
#[tokio::test]
async fn ids_that_name_no_row_are_not_errors() {
    let file = AppFile::with(SCHEMA_SQL).await;
    let db = file.adapter(Schema::Drizzle).await;
    assert_eq!(db.schema(), Schema::Drizzle);
    ids_name_no_row(&db, &["", "abc", "42", "a\0b", "' OR 1=1 --", "ünï"]).await;
    db.pool().close().await;
}

/// No file, or no tables: refused, and nothing is created (no file, no table, no
/// migration record).
#[tokio::test]
async fn missing_tables_are_refused_and_nothing_is_created() {
    let none = AppFile::unmade();
    let err = tessera_sqlx::connect_with_schema(&none.path().display().to_string(), Schema::Drizzle)
        .await
        .err()
        .expect("no file");
    assert!(err.to_string().contains("open sqlite database"), "{err}");
    assert!(!none.path().exists(), "no file created");

    let empty = AppFile::with("CREATE TABLE unrelated (x INTEGER)").await;
    let err = SqliteAdapter::connect_with_schema(
        tessera_sqlx::sqlx::sqlite::SqliteConnectOptions::new().filename(empty.path()),
        Schema::Drizzle,
    )
    .await
    .expect_err("no tables");
    assert_eq!(
        err.to_string(),
        "adapter backend error: the @auth/drizzle-adapter table user is missing (none in the database)"
    );
    assert_eq!(empty.tables().await, ["unrelated"]);
}

/// Tables changed so that Tessera cannot use them are refused at connect with what is
/// wrong, precisely, and nothing is changed.
#[tokio::test]
async fn changed_tables_are_refused_precisely() {
    refused_precisely(
        Schema::Drizzle,
        SCHEMA_SQL,
        &[
            (
                "`sessionToken` text PRIMARY KEY",
                "`session_token` text PRIMARY KEY",
                "the @auth/drizzle-adapter table session has no column \"sessionToken\"",
            ),
            (
                // `text("expires")` instead of `integer(…, { mode: "timestamp_ms" })`.
                "`userId` text NOT NULL,\n\t`expires` integer",
                "`userId` text NOT NULL,\n\t`expires` text",
                "the @auth/drizzle-adapter table session has column \"expires\" of type TEXT, expected DATETIME or \
                 INTEGER (milliseconds since the epoch)",
            ),
            (
                "`id` text PRIMARY KEY NOT NULL",
                "`id` integer PRIMARY KEY",
                "the @auth/drizzle-adapter table user has column \"id\" of type INTEGER, expected text (TEXT)",
            ),
            (
                "`session_state` text,",
                "`session_state` text,\n\t`tenant` text NOT NULL,",
                "the @auth/drizzle-adapter table account has column \"tenant\" NOT NULL without a default, which \
                 Tessera does not write (expected a column that may be NULL or has a default)",
            ),
        ],
    )
    .await;
}

/// `@auth/pg-adapter`'s tables are PostgreSQL only: refused on SQLite, nothing created.
#[tokio::test]
async fn pg_adapter_is_refused_on_sqlite() {
    let file = AppFile::with(SCHEMA_SQL).await;
    let before = file.tables().await;
    let url = format!("sqlite:{}", file.path().display());
    let err = tessera_sqlx::connect_with_schema(&url, Schema::PgAdapter)
        .await
        .err()
        .expect("PostgreSQL only");
    assert_eq!(
        err.to_string(),
        "adapter backend error: the pg-adapter database schema is PostgreSQL only: use a postgres:// URL"
    );
    let db = SqliteAdapter::connect_with_schema(
        tessera_sqlx::sqlx::sqlite::SqliteConnectOptions::new().filename(file.path()),
        Schema::Drizzle,
    )
    .await
    .expect("drizzle tables");
    let on_pg_adapter = SqliteAdapter::from_pool(db.pool().clone()).with_schema(Schema::PgAdapter);
    let err = on_pg_adapter.migrate().await.expect_err("PostgreSQL only");
    assert!(err.to_string().contains("PostgreSQL only"), "{err}");
    assert!(on_pg_adapter.get_user("1").await.is_err());
    db.pool().close().await;
    assert_eq!(file.tables().await, before);
}
