//! `PostgresAdapter` on Auth.js's documented PostgreSQL schema for `@auth/prisma-adapter`
//! ([`Schema::Prisma`]): the adapter conformance suite on the tables `prisma migrate`
//! creates, and rows written as Prisma Client writes them read by Tessera and the other
//! way round. Each test has a PostgreSQL schema of its own ([`crate::pg_schema`]).
//! next-auth v4's documented schema is [`crate::prisma_v4`]'s.

use crate::pg_adapter::{
    ids_name_no_row, refused_and_nothing_created, secs, tessera_reads_ada, tessera_writes_grace, token_set,
};
use crate::pg_schema::{PgSchema, schema_with};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tessera::adapter::{Adapter, AdapterError, NewUser, UserUpdate};
use tessera::{Account, AccountType};
use tessera_sqlx::sqlx::{self, Connection, Row};
use tessera_sqlx::{PostgresAdapter, Schema};

/// What `prisma migrate` creates from Auth.js's documented schema.
const SCHEMA_SQL: &str = include_str!("prisma/authjs/schema.sql");

/// Tessera on the Prisma tables of `schema` (checked), its connections in a time zone
/// other than UTC (sqlx starts them in UTC; the `TIMESTAMP` columns hold UTC whatever the
/// zone).
pub(crate) async fn adapter_on(schema: &PgSchema) -> PostgresAdapter {
    let db = unchecked_adapter_on(schema).await;
    db.migrate().await.expect("the Prisma tables check");
    db
}

/// As [`adapter_on`], without the check at connect ([`PostgresAdapter::migrate`]).
pub(crate) async fn unchecked_adapter_on(schema: &PgSchema) -> PostgresAdapter {
    PostgresAdapter::from_pool(schema.zoned_pool().await).with_schema(Schema::Prisma)
}

/// Runs a conformance case on fresh Prisma tables.
async fn with_prisma(case: impl AsyncFnOnce(&dyn Adapter)) {
    let Some(schema) = schema_with(SCHEMA_SQL).await else {
        return;
    };
    let db = adapter_on(&schema).await;
    case(&db).await;
    db.pool().close().await;
}

/// The conformance suite on the Prisma tables.
mod conformance {
    crate::pg_schema::app_tables_conformance!(super::with_prisma);
}

/// Rows inserted as Prisma Client inserts them for the adapter's createUser, linkAccount,
/// createSession and createVerificationToken (a cuid made by the client, `"updatedAt"`
/// set, times in UTC) are read by Tessera.
#[tokio::test]
async fn rows_written_by_prisma_are_read_by_tessera() {
    let Some(schema) = schema_with(SCHEMA_SQL).await else {
        return;
    };
    let mut conn = schema.conn().await;
    let id = "clx8v2k9q0000qz3l4m5n6o7p";
    let verified = UNIX_EPOCH + Duration::from_secs(1_760_000_000);
    let expires = SystemTime::now() + Duration::from_secs(30 * 24 * 3600);
    let utc = |t: SystemTime| secs(t) as f64;
    sqlx::query(
        "INSERT INTO \"User\" (\"id\",\"name\",\"email\",\"emailVerified\",\"image\",\"updatedAt\") \
         VALUES ($1,$2,$3,(to_timestamp($4) AT TIME ZONE 'UTC'),$5,(now() AT TIME ZONE 'UTC')) \
         RETURNING \"id\", \"name\", \"email\", \"emailVerified\", \"image\", \"createdAt\", \"updatedAt\"",
    )
    .bind(id)
    .bind("Ada")
    .bind("ada@example.com")
    .bind(utc(verified))
    .bind("https://img/ada.png")
    .fetch_one(&mut conn)
    .await
    .expect("createUser");
    sqlx::query(
        "INSERT INTO \"Account\" (\"userId\",\"type\",\"provider\",\"providerAccountId\",\"access_token\",\
         \"expires_at\",\"token_type\",\"scope\",\"updatedAt\") \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,(now() AT TIME ZONE 'UTC'))",
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
    sqlx::query(
        "INSERT INTO \"Account\" (\"userId\",\"type\",\"provider\",\"providerAccountId\",\"id_token\",\"updatedAt\") \
         VALUES ($1,'oidc','keycloak','kc-1','idt',(now() AT TIME ZONE 'UTC'))",
    )
    .bind(id)
    .execute(&mut conn)
    .await
    .expect("linkAccount (oidc)");
    sqlx::query(
        "INSERT INTO \"Session\" (\"sessionToken\",\"userId\",\"expires\",\"updatedAt\") \
         VALUES ($1,$2,(to_timestamp($3) AT TIME ZONE 'UTC'),(now() AT TIME ZONE 'UTC'))",
    )
    .bind("next-auth-session-token")
    .bind(id)
    .bind(utc(expires))
    .execute(&mut conn)
    .await
    .expect("createSession");
    sqlx::query(
        "INSERT INTO \"VerificationToken\" (\"identifier\",\"token\",\"expires\") \
         VALUES ($1,$2,(to_timestamp($3) AT TIME ZONE 'UTC'))",
    )
    .bind("ada@example.com")
    .bind("hashed-token")
    .bind(utc(expires))
    .execute(&mut conn)
    .await
    .expect("createVerificationToken");
    let _ = conn.close().await;

    let db = adapter_on(&schema).await;
    let zone: String = sqlx::query_scalar("SELECT current_setting('TimeZone')")
        .fetch_one(db.pool())
        .await
        .expect("the session's time zone");
    assert_eq!(zone, "Asia/Kolkata");
    tessera_reads_ada(&db, id, verified, expires).await;
    // Deleting the user takes its accounts.
    db.delete_user(id).await.expect("delete_user");
    assert!(db.get_user_by_account("github", "12345").await.expect("gone").is_none());
    db.pool().close().await;
}

/// What Tessera writes, Prisma Client's queries for the adapter's getUser,
/// getUserByAccount, getSessionAndUser and useVerificationToken read.
#[tokio::test]
async fn rows_written_by_tessera_are_read_by_prisma() {
    let Some(schema) = schema_with(SCHEMA_SQL).await else {
        return;
    };
    let db = adapter_on(&schema).await;
    let user = tessera_writes_grace(&db).await;
    assert!(uuid::Uuid::parse_str(&user.id).is_ok(), "a generated id: {}", user.id);
    let other = db
        .create_user(NewUser {
            email: Some("other@example.com".into()),
            ..Default::default()
        })
        .await
        .expect("create_user");
    assert_ne!(other.id, user.id, "each user its own id");

    let mut conn = schema.conn().await;
    // getSessionAndUser: findUnique on "sessionToken", including the user.
    let row = sqlx::query(
        "SELECT s.\"userId\", EXTRACT(EPOCH FROM s.\"expires\")::FLOAT8 AS expires, u.\"name\", u.\"email\", \
         EXTRACT(EPOCH FROM u.\"emailVerified\")::BIGINT AS verified, \
         s.\"updatedAt\" IS NOT NULL AND u.\"createdAt\" IS NOT NULL AS stamped \
         FROM \"Session\" s JOIN \"User\" u ON u.\"id\" = s.\"userId\" WHERE s.\"sessionToken\" = $1 LIMIT 1",
    )
    .bind("tessera-session-token")
    .fetch_one(&mut conn)
    .await
    .expect("Prisma finds Tessera's session");
    let (user_id, stored, name, email, verified, stamped): (String, f64, Option<String>, String, i64, bool) = (
        row.get("userId"),
        row.get("expires"),
        row.get("name"),
        row.get("email"),
        row.get("verified"),
        row.get("stamped"),
    );
    assert_eq!(
        (user_id.as_str(), name.as_deref(), email.as_str(), verified, stamped),
        (
            user.id.as_str(),
            Some("Grace"),
            "grace@example.com",
            1_760_000_000,
            true
        )
    );
    assert_eq!(
        (stored * 1000.0).round() as i64,
        1_900_000_000_123,
        "expiry to the millisecond, in UTC"
    );
    // getUserByAccount: findUnique on the compound key provider_providerAccountId.
    let row = sqlx::query(
        "SELECT a.\"userId\", a.\"type\", a.\"access_token\", a.\"expires_at\", a.\"scope\" FROM \"Account\" a \
         WHERE a.\"provider\" = $1 AND a.\"providerAccountId\" = $2 LIMIT 1",
    )
    .bind("google")
    .bind("g-1")
    .fetch_one(&mut conn)
    .await
    .expect("getUserByAccount");
    let (uid, kind, at, exp, scope): (String, String, Option<String>, Option<i32>, Option<String>) = (
        row.get("userId"),
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
    // useVerificationToken: delete on the compound key identifier_token.
    let used = sqlx::query(
        "DELETE FROM \"VerificationToken\" WHERE \"identifier\" = $1 AND \"token\" = $2 RETURNING \"expires\"",
    )
    .bind("grace@example.com")
    .bind("hashed")
    .fetch_all(&mut conn)
    .await
    .expect("useVerificationToken");
    assert_eq!(used.len(), 1, "Prisma uses the token Tessera stored");
    // deleteUser: the foreign keys cascade, after which Tessera sees nothing.
    sqlx::query("DELETE FROM \"User\" WHERE \"id\" = $1")
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
    db.pool().close().await;
}

/// Ids are text: any text names a user or none, never a backend error; a user without an
/// email is refused, and values the columns cannot hold are not stored, rather than
/// failing.
#[tokio::test]
async fn ids_and_values_that_fit_no_row_are_not_errors() {
    let Some(schema) = schema_with(SCHEMA_SQL).await else {
        return;
    };
    let db = adapter_on(&schema).await;
    assert_eq!(db.schema(), Schema::Prisma);
    ids_name_no_row(&db, &["", "abc", "42", "a\0b", "' OR 1=1 --", "ünï"]).await;
    // `"User".email` is NOT NULL: a user without one is refused as a conflict (a sign-in
    // error for the client, not the 503 of a failed database), and nothing is stored.
    let nameless = db.create_user(NewUser::default()).await;
    assert!(matches!(nameless, Err(AdapterError::Conflict(_))), "{nameless:?}");
    let linked = db
        .create_user_and_link(
            NewUser::default(),
            Account {
                provider: "github".into(),
                kind: AccountType::OAuth,
                provider_account_id: "no-email".into(),
                user_id: None,
                extra: token_set(),
            },
        )
        .await;
    assert!(matches!(linked, Err(AdapterError::Conflict(_))), "{linked:?}");
    assert!(
        db.get_user_by_account("github", "no-email")
            .await
            .expect("by account")
            .is_none()
    );
    // `expires_at` beyond Prisma's `Int` (an INTEGER): not stored, as a value that does
    // not fit its column.
    let user = db
        .create_user(NewUser {
            email: Some("late@example.com".into()),
            ..Default::default()
        })
        .await
        .expect("create_user");
    let cleared = db
        .update_user(UserUpdate {
            id: user.id.clone(),
            email: Some(None),
            ..Default::default()
        })
        .await;
    assert!(matches!(cleared, Err(AdapterError::Conflict(_))), "{cleared:?}");
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
    db.pool().close().await;
}

/// With `Schema::Prisma` Tessera creates nothing: missing tables are refused by name, and
/// no table or migration record is left behind.
#[tokio::test]
async fn missing_tables_are_refused_and_nothing_is_created() {
    refused_and_nothing_created(
        Schema::Prisma,
        SCHEMA_SQL,
        "ALTER TABLE \"Session\" RENAME COLUMN \"sessionToken\" TO session_token",
        [
            "the Prisma adapter table User is missing (none on the search_path)",
            "the Prisma adapter table Session has no column \"sessionToken\"",
        ],
        &["Account", "Authenticator", "Session", "User", "VerificationToken"],
    )
    .await;
}

#[test]
fn schema_name() {
    assert_eq!("prisma".parse::<Schema>(), Ok(Schema::Prisma));
    assert_eq!(Schema::Prisma.to_string(), "prisma");
}
