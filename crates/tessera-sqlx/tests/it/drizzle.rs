//! `PostgresAdapter` on the PostgreSQL tables of next-auth's `@auth/drizzle-adapter`
//! ([`Schema::Drizzle`]), as `drizzle-kit generate` creates them from the schema Auth.js
//! documents (`drizzle/schema.sql`, which has no primary keys on `"account"` and
//! `"verificationToken"`) and from the adapter's own table definitions (`drizzle/keyed.sql`,
//! which has them): the adapter conformance suite on both, rows written with the statements
//! `@auth/drizzle-adapter` 1.11.3 runs (logged by drizzle-orm 0.45.4 on postgres-js) read
//! by Tessera and the other way round, and the refusals of tables that cannot work. Each
//! test has a PostgreSQL schema of its own ([`crate::pg_schema`]).

use crate::pg_adapter::{
    ids_name_no_row, refused_and_nothing_created, tessera_reads_ada, tessera_writes_grace, token_set,
};
use crate::pg_schema::{PgSchema, schema_with};

use std::sync::LazyLock;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;
use tessera::adapter::{Adapter, NewUser};
use tessera::{Account, AccountType};
use tessera_sqlx::sqlx::{self, Connection, Row};
use tessera_sqlx::{PostgresAdapter, Schema};

/// The tables of `generated` (a drizzle-kit migration), in the test's own schema: the
/// foreign keys' `"public"."user"` becomes the `"user"` beside them.
fn local(generated: &str) -> String {
    generated.replace("\"public\".", "")
}

/// What `drizzle-kit generate` creates from Auth.js's documented schema.
static SCHEMA_SQL: LazyLock<String> = LazyLock::new(|| local(include_str!("drizzle/schema.sql")));
/// What it creates from the adapter's own tables: the same, with the primary keys.
static KEYED_SQL: LazyLock<String> = LazyLock::new(|| local(include_str!("drizzle/keyed.sql")));

/// Every table either migration creates, `"authenticator"` included.
const TABLES: [&str; 5] = ["account", "authenticator", "session", "user", "verificationToken"];

/// Tessera on the drizzle tables of `schema` (checked), its connections in a time zone
/// other than UTC (the `timestamp` columns hold UTC whatever the zone).
async fn adapter_on(schema: &PgSchema) -> PostgresAdapter {
    let db = PostgresAdapter::from_pool(schema.zoned_pool().await).with_schema(Schema::Drizzle);
    db.migrate().await.expect("the drizzle tables check");
    db
}

/// Runs a conformance case on fresh tables of `ddl`.
async fn with_tables(ddl: &'static str, case: impl AsyncFnOnce(&dyn Adapter)) {
    let Some(schema) = schema_with(ddl).await else {
        return;
    };
    let db = adapter_on(&schema).await;
    case(&db).await;
    db.pool().close().await;
}

/// Runs a conformance case on fresh tables as the documented schema makes them.
async fn with_documented(case: impl AsyncFnOnce(&dyn Adapter)) {
    with_tables(SCHEMA_SQL.as_str(), case).await;
}

/// Runs a conformance case on fresh tables with the primary keys.
async fn with_keyed(case: impl AsyncFnOnce(&dyn Adapter)) {
    with_tables(KEYED_SQL.as_str(), case).await;
}

/// The conformance suite on the tables of the documented schema.
mod documented {
    crate::pg_schema::app_tables_conformance!(super::with_documented);
}

/// The conformance suite on the tables with their primary keys.
mod keyed {
    crate::pg_schema::app_tables_conformance!(super::with_keyed);
}

/// `2025-10-09T08:53:20.000Z`: Ada's `emailVerified`.
const VERIFIED_S: u64 = 1_760_000_000;
/// `2030-03-17T17:46:40.123Z`: when the session and the magic link expire.
const EXPIRES_MS: u64 = 1_900_000_000_123;

/// Rows inserted with the statements `@auth/drizzle-adapter` runs for createUser (the id a
/// `crypto.randomUUID()` of drizzle's `$defaultFn`), linkAccount (absent columns
/// `default`), createSession and createVerificationToken are read by Tessera. drizzle
/// sends a `Date` as its ISO text in an untyped parameter, which PostgreSQL reads as a
/// `timestamp`, dropping the `Z`: `CAST($n AS timestamp)` of the text here does the same.
#[tokio::test]
async fn rows_written_by_drizzle_are_read_by_tessera() {
    let Some(schema) = schema_with(SCHEMA_SQL.as_str()).await else {
        return;
    };
    let mut conn = schema.conn().await;
    sqlx::raw_sql("SET TimeZone = 'America/Los_Angeles'")
        .execute(&mut conn)
        .await
        .expect("a zone other than UTC, as a Node process may have");
    let id = "821eae55-fabc-47af-90fe-513283a0e22d";
    let created = sqlx::query(
        "insert into \"user\" (\"id\", \"name\", \"email\", \"emailVerified\", \"image\") \
         values ($1, $2, $3, CAST($4 AS timestamp), $5) returning \"id\", \"name\", \"email\", \"emailVerified\", \"image\"",
    )
    .bind(id)
    .bind("Ada")
    .bind("ada@example.com")
    .bind("2025-10-09T08:53:20.000Z")
    .bind("https://img/ada.png")
    .fetch_one(&mut conn)
    .await
    .expect("createUser");
    assert_eq!(created.get::<String, _>("id"), id);
    sqlx::query(
        "insert into \"account\" (\"userId\", \"type\", \"provider\", \"providerAccountId\", \"refresh_token\", \
         \"access_token\", \"expires_at\", \"token_type\", \"scope\", \"id_token\", \"session_state\") \
         values ($1, $2, $3, $4, default, $5, $6, $7, $8, default, default)",
    )
    .bind(id)
    .bind("oauth")
    .bind("github")
    .bind("12345")
    .bind("gho_at")
    .bind(1_900_000_000_i32)
    .bind("bearer")
    .bind("read:user user:email")
    .execute(&mut conn)
    .await
    .expect("linkAccount");
    // An OIDC account as Auth.js v5 records it.
    sqlx::query(
        "insert into \"account\" (\"userId\", \"type\", \"provider\", \"providerAccountId\", \"refresh_token\", \
         \"access_token\", \"expires_at\", \"token_type\", \"scope\", \"id_token\", \"session_state\") \
         values ($1, $2, $3, $4, default, default, default, default, default, $5, default)",
    )
    .bind(id)
    .bind("oidc")
    .bind("keycloak")
    .bind("kc-1")
    .bind("idt")
    .execute(&mut conn)
    .await
    .expect("linkAccount (oidc)");
    sqlx::query(
        "insert into \"session\" (\"sessionToken\", \"userId\", \"expires\") values ($1, $2, CAST($3 AS timestamp)) \
         returning \"sessionToken\", \"userId\", \"expires\"",
    )
    .bind("next-auth-session-token")
    .bind(id)
    .bind("2030-03-17T17:46:40.123Z")
    .fetch_one(&mut conn)
    .await
    .expect("createSession");
    sqlx::query(
        "insert into \"verificationToken\" (\"identifier\", \"token\", \"expires\") \
         values ($1, $2, CAST($3 AS timestamp)) returning \"identifier\", \"token\", \"expires\"",
    )
    .bind("ada@example.com")
    .bind("hashed-token")
    .bind("2030-03-17T17:46:40.123Z")
    .fetch_one(&mut conn)
    .await
    .expect("createVerificationToken");
    let _ = conn.close().await;

    let db = adapter_on(&schema).await;
    let verified = UNIX_EPOCH + Duration::from_secs(VERIFIED_S);
    let expires = UNIX_EPOCH + Duration::from_millis(EXPIRES_MS);
    tessera_reads_ada(&db, id, verified, expires).await;
    // Deleting the user takes its accounts.
    db.delete_user(id).await.expect("delete_user");
    assert!(db.get_user_by_account("github", "12345").await.expect("gone").is_none());
    db.pool().close().await;
}

/// What Tessera writes, drizzle reads with the statements `@auth/drizzle-adapter` runs
/// for getSessionAndUser, getUserByAccount, useVerificationToken and deleteUser (the
/// foreign keys cascade), and reads it as drizzle's `timestamp` mode `date` does: as UTC.
#[tokio::test]
async fn rows_written_by_tessera_are_read_by_drizzle() {
    let Some(schema) = schema_with(SCHEMA_SQL.as_str()).await else {
        return;
    };
    let db = adapter_on(&schema).await;
    let user = tessera_writes_grace(&db).await;
    assert!(
        uuid::Uuid::parse_str(&user.id).is_ok(),
        "a random UUID, as drizzle's crypto.randomUUID(): {}",
        user.id
    );

    let mut conn = schema.conn().await;
    // drizzle reads a `timestamp` as `new Date(text + "+0000")`: the text, in UTC.
    let row = sqlx::query(
        "select \"session\".\"sessionToken\", \"session\".\"userId\", \
         to_char(\"session\".\"expires\", 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') as \"expires\", \
         \"user\".\"id\", \"user\".\"name\", \"user\".\"email\", \
         to_char(\"user\".\"emailVerified\", 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') as \"emailVerified\", \"user\".\"image\" \
         from \"session\" inner join \"user\" on \"user\".\"id\" = \"session\".\"userId\" \
         where \"session\".\"sessionToken\" = $1",
    )
    .bind("tessera-session-token")
    .fetch_one(&mut conn)
    .await
    .expect("getSessionAndUser finds Tessera's session");
    let (user_id, expires, name, email, verified): (String, String, Option<String>, Option<String>, String) = (
        row.get("userId"),
        row.get("expires"),
        row.get("name"),
        row.get("email"),
        row.get("emailVerified"),
    );
    assert_eq!(
        (
            user_id.as_str(),
            expires.as_str(),
            name.as_deref(),
            email.as_deref(),
            verified.as_str()
        ),
        (
            user.id.as_str(),
            "2030-03-17T17:46:40.123",
            Some("Grace"),
            Some("grace@example.com"),
            "2025-10-09T08:53:20.000"
        ),
        "times in UTC, to the millisecond"
    );
    let row = sqlx::query(
        "select \"account\".\"userId\", \"account\".\"type\", \"account\".\"provider\", \
         \"account\".\"providerAccountId\", \"account\".\"refresh_token\", \"account\".\"access_token\", \
         \"account\".\"expires_at\", \"account\".\"token_type\", \"account\".\"scope\", \"account\".\"id_token\", \
         \"account\".\"session_state\", \"user\".\"id\", \"user\".\"name\", \"user\".\"email\", \
         \"user\".\"emailVerified\", \"user\".\"image\" from \"account\" \
         inner join \"user\" on \"account\".\"userId\" = \"user\".\"id\" \
         where (\"account\".\"provider\" = $1 and \"account\".\"providerAccountId\" = $2)",
    )
    .bind("google")
    .bind("g-1")
    .fetch_one(&mut conn)
    .await
    .expect("getUserByAccount");
    let (uid, kind, at, exp, scope): (String, String, Option<String>, Option<i32>, Option<String>) = (
        row.get("id"),
        row.get("type"),
        row.get("access_token"),
        row.get("expires_at"),
        row.get("scope"),
    );
    assert_eq!(
        (uid.as_str(), kind.as_str(), at.as_deref(), exp, scope.as_deref()),
        (
            user.id.as_str(),
            "oauth",
            Some("at"),
            Some(1_900_000_000),
            Some("openid email")
        )
    );
    let used = sqlx::query(
        "delete from \"verificationToken\" where (\"verificationToken\".\"identifier\" = $1 and \
         \"verificationToken\".\"token\" = $2) returning \"identifier\", \"token\", \"expires\"",
    )
    .bind("grace@example.com")
    .bind("hashed")
    .fetch_all(&mut conn)
    .await
    .expect("useVerificationToken");
    assert_eq!(used.len(), 1, "drizzle uses the token Tessera stored");
    sqlx::query("delete from \"user\" where \"user\".\"id\" = $1")
        .bind(&user.id)
        .execute(&mut conn)
        .await
        .expect("deleteUser");
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

/// Ids are text: any text names a user or none, never a backend error. The email may be
/// empty (`"user".email` is nullable), and an `expires_at` beyond the `integer` column is
/// not stored, rather than failing.
#[tokio::test]
async fn ids_and_values_that_fit_no_row_are_not_errors() {
    let Some(schema) = schema_with(SCHEMA_SQL.as_str()).await else {
        return;
    };
    let db = adapter_on(&schema).await;
    assert_eq!(db.schema(), Schema::Drizzle);
    ids_name_no_row(&db, &["", "abc", "42", "a\0b", "' OR 1=1 --", "ünï"]).await;
    let nameless = db.create_user(NewUser::default()).await.expect("a user without email");
    assert_eq!(nameless.email, None);
    let mut extra = token_set();
    extra.insert("expires_at".into(), json!(4_102_444_800_i64));
    db.link_account(Account {
        provider: "p".into(),
        kind: AccountType::OAuth,
        provider_account_id: "1".into(),
        user_id: Some(nameless.id.clone()),
        extra,
    })
    .await
    .expect("link_account");
    let listed = db.list_accounts(&nameless.id).await.expect("list_accounts");
    let mut expected = token_set();
    expected.remove("expires_at");
    assert_eq!(listed[0].extra, expected);
    db.pool().close().await;
}

/// With `Schema::Drizzle` Tessera creates nothing: missing tables are refused by name, and
/// no table or migration record is left behind.
#[tokio::test]
async fn missing_tables_are_refused_and_nothing_is_created() {
    refused_and_nothing_created(
        Schema::Drizzle,
        SCHEMA_SQL.as_str(),
        "ALTER TABLE \"session\" RENAME COLUMN \"sessionToken\" TO session_token",
        [
            "the @auth/drizzle-adapter table user is missing (none on the search_path)",
            "the @auth/drizzle-adapter table session has no column \"sessionToken\"",
        ],
        &TABLES,
    )
    .await;
}

/// Tables changed so that Tessera cannot use them are refused at connect with what is
/// wrong, precisely, and nothing is changed.
#[tokio::test]
async fn changed_tables_are_refused_precisely() {
    let cases = [
        (
            // `uuid("id").defaultRandom()`, a common change: not the documented text.
            "ALTER TABLE \"account\" DROP CONSTRAINT \"account_userId_user_id_fk\"; \
             ALTER TABLE \"session\" DROP CONSTRAINT \"session_userId_user_id_fk\"; \
             ALTER TABLE \"authenticator\" DROP CONSTRAINT \"authenticator_userId_user_id_fk\"; \
             ALTER TABLE \"user\" ALTER COLUMN \"id\" TYPE uuid USING \"id\"::uuid, \
             ALTER COLUMN \"id\" SET DEFAULT gen_random_uuid()",
            "the @auth/drizzle-adapter table user has column \"id\" of type uuid, expected text (TEXT or VARCHAR)",
        ),
        (
            // `timestamp("expires", { withTimezone: true })` on one table only.
            "ALTER TABLE \"verificationToken\" ALTER COLUMN \"expires\" TYPE timestamptz",
            "the @auth/drizzle-adapter table verificationToken has column \"expires\" of type timestamp with time \
             zone, expected TIMESTAMP, as user.\"emailVerified\": the timestamps all of one kind",
        ),
        (
            "ALTER TABLE \"account\" ADD COLUMN \"tenant\" text NOT NULL",
            "the @auth/drizzle-adapter table account has column \"tenant\" NOT NULL without a default, which \
             Tessera does not write (expected a column that may be NULL or has a default)",
        ),
        (
            "ALTER TABLE \"account\" DROP COLUMN \"session_state\"",
            "the @auth/drizzle-adapter table account has no column \"session_state\"",
        ),
    ];
    for (change, said) in cases {
        let Some(schema) = schema_with(SCHEMA_SQL.as_str()).await else {
            return;
        };
        let mut conn = schema.conn().await;
        sqlx::raw_sql(change).execute(&mut conn).await.expect(change);
        let err = tessera_sqlx::connect_with_schema(&schema.url(), Schema::Drizzle)
            .await
            .err()
            .expect(said);
        assert_eq!(err.to_string(), format!("adapter backend error: {said}"));
        let found: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
        )
        .bind(&schema.name)
        .fetch_all(&mut conn)
        .await
        .expect("list tables");
        assert_eq!(found, TABLES, "nothing created");
        let _ = conn.close().await;
    }
}

#[test]
fn schema_name() {
    assert_eq!("drizzle".parse::<Schema>(), Ok(Schema::Drizzle));
    assert_eq!(Schema::Drizzle.to_string(), "drizzle");
    let err = "drizzle-orm".parse::<Schema>().expect_err("not a name");
    assert_eq!(
        err.to_string(),
        "unknown database schema \"drizzle-orm\" (expected \"tessera\", \"pg-adapter\", \"prisma\" or \"drizzle\")"
    );
}
