//! `SqliteAdapter` on the SQLite tables of next-auth's Prisma adapters ([`Schema::Prisma`]),
//! as `prisma migrate` creates them from Auth.js's documented schema (`prisma/authjs/sqlite.sql`)
//! and next-auth v4's (`prisma/v4/sqlite.sql`): the adapter conformance suite on both, the
//! rows `@auth/prisma-adapter` stored through Prisma Client 6.19.3 on
//! `@prisma/adapter-better-sqlite3` (captured from the real adapter: `DateTime` as ISO text,
//! `2030-03-17T17:46:40.123+00:00`, by default, or as integer milliseconds with
//! `timestampFormat: "unixepoch-ms"`, as Prisma's native engine stores it) read by Tessera,
//! Tessera's rows stored in the form the file already uses, and the refusals of tables that
//! cannot work. Each test has an SQLite file of its own in the temp dir
//! ([`crate::sqlite_file`]).

use crate::pg_adapter::{ids_name_no_row, tessera_reads_ada, tessera_writes_grace, token_set};
use crate::sqlite_file::{AppFile, refused_precisely, with_tables};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tessera::adapter::{Adapter, AdapterError, AdapterSession, NewUser, UserUpdate};
use tessera::{Account, AccountType};
use tessera_sqlx::Schema;
use tessera_sqlx::sqlx::{self, Row};

/// What `prisma migrate` creates from Auth.js's documented schema, on SQLite.
const AUTHJS_SQL: &str = include_str!("prisma/authjs/sqlite.sql");
/// What it creates from next-auth v4's.
const V4_SQL: &str = include_str!("prisma/v4/sqlite.sql");
/// Ada as `@auth/prisma-adapter` stored her in Auth.js's tables, times as ISO text.
const AUTHJS_ISO_ROWS: &str = include_str!("prisma/authjs/sqlite_rows_iso.sql");
/// The same, times as integer milliseconds.
const AUTHJS_MS_ROWS: &str = include_str!("prisma/authjs/sqlite_rows_ms.sql");
/// Ada in next-auth v4's tables, times as ISO text.
const V4_ISO_ROWS: &str = include_str!("prisma/v4/sqlite_rows_iso.sql");

/// `2025-10-09T08:53:20.000Z`: Ada's `emailVerified`.
const VERIFIED_MS: u64 = 1_760_000_000_000;
/// `2030-03-17T17:46:40.123Z`: when the session and the magic link expire.
const EXPIRES_MS: u64 = 1_900_000_000_123;

async fn with_authjs(case: impl AsyncFnOnce(&dyn Adapter)) {
    with_tables(AUTHJS_SQL, Schema::Prisma, case).await;
}

async fn with_v4(case: impl AsyncFnOnce(&dyn Adapter)) {
    with_tables(V4_SQL, Schema::Prisma, case).await;
}

/// The conformance suite on Auth.js's Prisma tables in SQLite.
mod authjs {
    crate::pg_schema::app_tables_conformance!(super::with_authjs);
}

/// The conformance suite on next-auth v4's Prisma tables in SQLite.
mod v4 {
    crate::pg_schema::app_tables_conformance!(super::with_v4);
}

/// Ada's id in `rows` (a cuid Prisma Client made).
fn ada_id(rows: &str) -> &str {
    let start = rows.find("INSERT INTO User VALUES('").expect("Ada's row") + "INSERT INTO User VALUES('".len();
    let len = rows[start..].find('\'').expect("her id");
    &rows[start..start + len]
}

/// Tessera reads Ada from `rows` on the tables of `ddl`, times to the millisecond.
async fn tessera_reads(ddl: &str, rows: &str) {
    let file = AppFile::with(&format!("{ddl}\n{rows}")).await;
    let db = file.adapter(Schema::Prisma).await;
    let id = ada_id(rows);
    let verified = UNIX_EPOCH + Duration::from_millis(VERIFIED_MS);
    let expires = UNIX_EPOCH + Duration::from_millis(EXPIRES_MS);
    let (session, user) = db
        .get_session_and_user("next-auth-session-token")
        .await
        .expect("get_session_and_user")
        .expect("Prisma's session");
    assert_eq!(
        (session.expires, user.email_verified),
        (expires, Some(verified)),
        "to the millisecond"
    );
    tessera_reads_ada(&db, id, verified, expires).await;
    db.delete_user(id).await.expect("delete_user");
    assert!(db.get_user_by_account("github", "12345").await.expect("gone").is_none());
    db.pool().close().await;
}

#[tokio::test]
async fn rows_written_by_prisma_as_iso_text_are_read_by_tessera() {
    tessera_reads(AUTHJS_SQL, AUTHJS_ISO_ROWS).await;
}

#[tokio::test]
async fn rows_written_by_prisma_as_milliseconds_are_read_by_tessera() {
    tessera_reads(AUTHJS_SQL, AUTHJS_MS_ROWS).await;
}

#[tokio::test]
async fn rows_written_by_prisma_in_v4_tables_are_read_by_tessera() {
    tessera_reads(V4_SQL, V4_ISO_ROWS).await;
}

fn now_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970");
    i64::try_from(since.as_millis()).expect("in range")
}

/// The time columns of Grace's rows as stored, with their SQLite types: the user's
/// `emailVerified`, the session's `expires` and the token's `expires`.
async fn graces_times(file: &AppFile, user_id: &str) -> Vec<(String, String)> {
    let mut conn = file.conn().await;
    let row = sqlx::query(
        "SELECT CAST(u.\"emailVerified\" AS TEXT) AS v, typeof(u.\"emailVerified\") AS vt, \
         CAST(s.expires AS TEXT) AS s, typeof(s.expires) AS st, \
         (SELECT CAST(expires AS TEXT) FROM \"VerificationToken\" WHERE token = 'hashed') AS t, \
         (SELECT typeof(expires) FROM \"VerificationToken\" WHERE token = 'hashed') AS tt \
         FROM \"User\" u JOIN \"Session\" s ON s.\"userId\" = u.id WHERE u.id = ?",
    )
    .bind(user_id)
    .fetch_one(&mut conn)
    .await
    .expect("Grace's rows");
    ["v", "s", "t"]
        .iter()
        .map(|c| (row.get::<String, _>(*c), row.get::<String, _>(format!("{c}t").as_str())))
        .collect()
}

/// On a file whose times are integers (or that holds none yet), Tessera stores integer
/// milliseconds, as Prisma's native engine and `timestampFormat: "unixepoch-ms"` do, sets
/// `updatedAt` the same way, and makes the ids Prisma Client would (text; UUIDs).
#[tokio::test]
async fn tessera_stores_milliseconds_where_prisma_does() {
    for (ddl, rows) in [(AUTHJS_SQL, ""), (AUTHJS_SQL, AUTHJS_MS_ROWS), (V4_SQL, "")] {
        let file = AppFile::with(&format!("{ddl}\n{rows}")).await;
        let db = file.adapter(Schema::Prisma).await;
        let before = now_ms();
        let user = tessera_writes_grace(&db).await;
        assert!(uuid::Uuid::parse_str(&user.id).is_ok(), "{}", user.id);
        let stored = graces_times(&file, &user.id).await;
        let int = |v: &str| (v.to_owned(), "integer".to_owned());
        assert_eq!(
            stored,
            [int("1760000000000"), int("1900000000123"), int("1900000000123")]
        );
        if ddl == AUTHJS_SQL {
            let mut conn = file.conn().await;
            let (updated, kind): (i64, String) = sqlx::query_as(
                "SELECT \"updatedAt\", typeof(\"updatedAt\") FROM \"Session\" WHERE \"sessionToken\" = ?",
            )
            .bind("tessera-session-token")
            .fetch_one(&mut conn)
            .await
            .expect("updatedAt");
            assert_eq!(kind, "integer");
            assert!(
                (before - 5_000..before + 60_000).contains(&updated),
                "{updated} vs {before}"
            );
        }
        db.pool().close().await;
    }
}

/// On a file whose last stored time is text (what `@prisma/adapter-better-sqlite3` and
/// `@prisma/adapter-libsql` write by default), Tessera stores ISO text in exactly their
/// form, `updatedAt` too, so that the application's own comparisons keep working.
#[tokio::test]
async fn tessera_stores_iso_text_where_prisma_does() {
    for (ddl, rows) in [(AUTHJS_SQL, AUTHJS_ISO_ROWS), (V4_SQL, V4_ISO_ROWS)] {
        let file = AppFile::with(&format!("{ddl}\n{rows}")).await;
        let db = file.adapter(Schema::Prisma).await;
        let user = tessera_writes_grace(&db).await;
        let stored = graces_times(&file, &user.id).await;
        let text = |v: &str| (v.to_owned(), "text".to_owned());
        assert_eq!(
            stored,
            [
                text("2025-10-09T08:53:20.000+00:00"),
                text("2030-03-17T17:46:40.123+00:00"),
                text("2030-03-17T17:46:40.123+00:00")
            ]
        );
        let (session, owner) = db
            .get_session_and_user("tessera-session-token")
            .await
            .expect("read")
            .expect("found");
        assert_eq!(session.expires, UNIX_EPOCH + Duration::from_millis(EXPIRES_MS));
        assert_eq!(owner, user);
        let updated = db
            .update_user(UserUpdate {
                id: user.id.clone(),
                email_verified: Some(Some(UNIX_EPOCH + Duration::from_millis(1))),
                ..Default::default()
            })
            .await
            .expect("update_user");
        assert_eq!(updated.email_verified, Some(UNIX_EPOCH + Duration::from_millis(1)));
        if ddl == AUTHJS_SQL {
            let mut conn = file.conn().await;
            let (verified, stamp): (String, String) =
                sqlx::query_as("SELECT \"emailVerified\", \"updatedAt\" FROM \"User\" WHERE id = ?")
                    .bind(&user.id)
                    .fetch_one(&mut conn)
                    .await
                    .expect("the user");
            assert_eq!(verified, "1970-01-01T00:00:00.001+00:00");
            assert!(
                stamp.len() == verified.len() && stamp.ends_with("+00:00") && stamp.as_bytes()[10] == b'T',
                "{stamp}"
            );
        }
        db.pool().close().await;
    }
}

/// Times stored either way compare as times: a session stored as text and one stored as
/// an integer expire at their own millisecond.
#[tokio::test]
async fn times_stored_either_way_expire_exactly() {
    let file = AppFile::with(&format!("{AUTHJS_SQL}\n{AUTHJS_ISO_ROWS}")).await;
    let mut conn = file.conn().await;
    sqlx::query("INSERT INTO \"Session\" (\"sessionToken\", \"userId\", expires, \"updatedAt\") VALUES (?, ?, ?, ?)")
        .bind("stored-as-integer")
        .bind(ada_id(AUTHJS_ISO_ROWS))
        .bind(1_900_000_000_100_i64)
        .bind(1_900_000_000_100_i64)
        .execute(&mut conn)
        .await
        .expect("a session stored as milliseconds");
    drop(conn);
    let db = file.adapter(Schema::Prisma).await;
    let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
    let ordered: Vec<String> = db
        .list_sessions(ada_id(AUTHJS_ISO_ROWS))
        .await
        .expect("list_sessions")
        .into_iter()
        .map(|s| s.session_token)
        .collect();
    assert_eq!(ordered, ["stored-as-integer", "next-auth-session-token"], "by time");
    assert_eq!(db.delete_expired(at(1_900_000_000_100)).await.expect("none yet"), 0);
    assert_eq!(
        db.delete_expired(at(1_900_000_000_101)).await.expect("the integer one"),
        1
    );
    assert_eq!(db.delete_expired(at(EXPIRES_MS)).await.expect("none"), 0);
    assert_eq!(
        db.delete_expired(at(EXPIRES_MS + 1))
            .await
            .expect("the text one and the token"),
        2
    );
    db.pool().close().await;
}

/// Auth.js's schema requires an email; next-auth v4's ids are made by Tessera for accounts
/// and sessions too; Prisma's `Int` is 32 bits, so an `expires_at` beyond it is not stored
/// (Prisma Client could not read it back); any text names a user or none.
#[tokio::test]
async fn prisma_rules_hold_on_sqlite() {
    let file = AppFile::with(AUTHJS_SQL).await;
    let db = file.adapter(Schema::Prisma).await;
    let nameless = db.create_user(NewUser::default()).await;
    assert!(matches!(nameless, Err(AdapterError::Conflict(_))), "{nameless:?}");
    ids_name_no_row(&db, &["", "abc", "42", "a\0b", "' OR 1=1 --", "ünï"]).await;
    db.pool().close().await;

    let file = AppFile::with(V4_SQL).await;
    let db = file.adapter(Schema::Prisma).await;
    let user = db.create_user(NewUser::default()).await.expect("v4: no email needed");
    let mut extra = token_set();
    extra.insert("expires_at".into(), json!(4_102_444_800_i64));
    db.link_account(Account {
        provider: "p".into(),
        kind: AccountType::OAuth,
        provider_account_id: "1".into(),
        user_id: Some(user.id.clone()),
        extra,
    })
    .await
    .expect("link_account");
    let listed = db.list_accounts(&user.id).await.expect("list_accounts");
    let mut expected = token_set();
    expected.remove("expires_at");
    assert_eq!(listed[0].extra, expected);
    db.create_session(AdapterSession {
        session_token: "s".into(),
        user_id: user.id.clone(),
        expires: UNIX_EPOCH + Duration::from_millis(EXPIRES_MS),
    })
    .await
    .expect("create_session");
    let mut conn = file.conn().await;
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM \"Account\" UNION ALL SELECT id FROM \"Session\"")
        .fetch_all(&mut conn)
        .await
        .expect("ids");
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()), "{ids:?}");
    drop(conn);
    db.pool().close().await;
}

/// Missing tables are refused by name, and nothing is created.
#[tokio::test]
async fn missing_tables_are_refused_and_nothing_is_created() {
    let file = AppFile::with("CREATE TABLE unrelated (x INTEGER)").await;
    let err = tessera_sqlx::connect_with_schema(&format!("sqlite://{}", file.path().display()), Schema::Prisma)
        .await
        .err()
        .expect("no tables");
    assert_eq!(
        err.to_string(),
        "adapter backend error: the Prisma adapter table User is missing (none in the database)"
    );
    assert_eq!(file.tables().await, ["unrelated"]);
}

/// Tables changed so that Tessera cannot use them are refused at connect with what is
/// wrong, precisely, and nothing is changed.
#[tokio::test]
async fn changed_tables_are_refused_precisely() {
    refused_precisely(
        Schema::Prisma,
        AUTHJS_SQL,
        &[
            (
                "\"sessionToken\" TEXT NOT NULL,",
                "\"token\" TEXT NOT NULL,",
                "the Prisma adapter table Session has no column \"sessionToken\"",
            ),
            (
                "\"expires\" DATETIME NOT NULL,\n    \"createdAt\"",
                "\"expires\" TEXT NOT NULL,\n    \"createdAt\"",
                "the Prisma adapter table Session has column \"expires\" of type TEXT, expected DATETIME or INTEGER \
                 (milliseconds since the epoch)",
            ),
            (
                "\"expires_at\" INTEGER,",
                "\"expires_at\" REAL,",
                "the Prisma adapter table Account has column \"expires_at\" of type REAL, expected INTEGER",
            ),
            (
                "\"session_state\" TEXT,\n    \"createdAt\" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP",
                "\"session_state\" TEXT,\n    \"createdAt\" DATETIME NOT NULL",
                "the Prisma adapter table Account has column \"createdAt\" NOT NULL without a default, which \
                 Tessera does not write (expected a column that may be NULL or has a default)",
            ),
        ],
    )
    .await;
}
