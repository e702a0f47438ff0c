//! `PostgresAdapter` on next-auth v4's documented schema for `@next-auth/prisma-adapter`
//! ([`Schema::Prisma`], the variant read at connect): `cuid()` ids on `"Account"` and
//! `"Session"` too (made by Prisma Client, so without a default in the database), no
//! `"createdAt"`/`"updatedAt"`, a nullable `"User".email`. The adapter conformance suite on
//! the tables `prisma migrate` creates, rows written as the v4 adapter writes them read by
//! Tessera and the other way round, and the refusals of tables that cannot work. Each
//! test has a PostgreSQL schema of its own ([`crate::pg_schema`]).

use crate::pg_adapter::{secs, tessera_reads_ada, tessera_writes_grace, token_set};
use crate::pg_schema::schema_with;
use crate::prisma::{adapter_on, unchecked_adapter_on};

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tessera::adapter::{Adapter, AdapterError, AdapterSession, NewUser, VerificationToken};
use tessera::{Account, AccountType};
use tessera_sqlx::sqlx::{self, Connection, Row};
use tessera_sqlx::{PostgresAdapter, Schema};

/// What `prisma migrate` creates from next-auth v4's documented schema.
const SCHEMA_SQL: &str = include_str!("prisma/v4/schema.sql");

/// Runs a conformance case on fresh v4 tables.
async fn with_v4(case: impl AsyncFnOnce(&dyn Adapter)) {
    let Some(schema) = schema_with(SCHEMA_SQL).await else {
        return;
    };
    let db = adapter_on(&schema).await;
    case(&db).await;
    db.pool().close().await;
}

/// The conformance suite on the v4 tables.
mod conformance {
    crate::pg_schema::app_tables_conformance!(super::with_v4);
}

/// Rows inserted as Prisma Client inserts them for `@next-auth/prisma-adapter`'s
/// createUser, linkAccount, createSession and createVerificationToken (each id a cuid
/// made by the client, times in UTC, no bookkeeping columns) are read by Tessera.
#[tokio::test]
async fn rows_written_by_next_auth_v4_are_read_by_tessera() {
    let Some(schema) = schema_with(SCHEMA_SQL).await else {
        return;
    };
    let mut conn = schema.conn().await;
    let id = "clx8v2k9q0000qz3l4m5n6o7p";
    let verified = UNIX_EPOCH + Duration::from_secs(1_760_000_000);
    let expires = SystemTime::now() + Duration::from_secs(30 * 24 * 3600);
    let utc = |t: SystemTime| secs(t) as f64;
    sqlx::query(
        "INSERT INTO \"User\" (\"id\",\"name\",\"email\",\"emailVerified\",\"image\") \
         VALUES ($1,$2,$3,(to_timestamp($4) AT TIME ZONE 'UTC'),$5) \
         RETURNING \"id\", \"name\", \"email\", \"emailVerified\", \"image\"",
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
        "INSERT INTO \"Account\" (\"id\",\"userId\",\"type\",\"provider\",\"providerAccountId\",\"access_token\",\
         \"expires_at\",\"token_type\",\"scope\") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
    )
    .bind("clx8v2ka10001qz3lh7c2d9ew")
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
        "INSERT INTO \"Account\" (\"id\",\"userId\",\"type\",\"provider\",\"providerAccountId\",\"id_token\") \
         VALUES ('clx8v2ka20002qz3lq0w1e4rt',$1,'oidc','keycloak','kc-1','idt')",
    )
    .bind(id)
    .execute(&mut conn)
    .await
    .expect("linkAccount (oidc)");
    sqlx::query(
        "INSERT INTO \"Session\" (\"id\",\"sessionToken\",\"userId\",\"expires\") \
         VALUES ($1,$2,$3,(to_timestamp($4) AT TIME ZONE 'UTC'))",
    )
    .bind("clx8v2ka30003qz3l8yb5m2nk")
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
    tessera_reads_ada(&db, id, verified, expires).await;
    // Deleting the user takes its accounts.
    db.delete_user(id).await.expect("delete_user");
    assert!(db.get_user_by_account("github", "12345").await.expect("gone").is_none());
    db.pool().close().await;
}

/// What Tessera writes is what the v4 adapter's Prisma Client reads: every account and
/// session has an id of its own (Prisma's `String @id`), found by it; the unique
/// constraints hold (a second link of the provider account, a second use of a session
/// token or of a magic link's token are conflicts); a user may have no email.
#[tokio::test]
async fn rows_written_by_tessera_are_valid_for_next_auth_v4() {
    let Some(schema) = schema_with(SCHEMA_SQL).await else {
        return;
    };
    let db = adapter_on(&schema).await;
    let grace = tessera_writes_grace(&db).await;
    // A user without an email: the v4 schema's `email` is `String?`.
    let anon = db.create_user(NewUser::default()).await.expect("a user without email");
    db.link_account(Account {
        provider: "github".into(),
        kind: AccountType::OAuth,
        provider_account_id: "gh-anon".into(),
        user_id: Some(anon.id.clone()),
        extra: token_set(),
    })
    .await
    .expect("link_account");
    let expires = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
    db.create_session(AdapterSession {
        session_token: "anon-session".into(),
        user_id: anon.id.clone(),
        expires,
    })
    .await
    .expect("create_session");

    let mut conn = schema.conn().await;
    for (table, rows) in [("User", 2), ("Account", 2), ("Session", 2)] {
        let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT \"id\" FROM \"{table}\" ORDER BY \"id\""
        )))
        .fetch_all(&mut conn)
        .await
        .expect("the ids");
        assert_eq!(ids.len(), rows, "{table}: {ids:?}");
        assert!(
            ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()),
            "{table}: ids made by Tessera: {ids:?}"
        );
        assert_ne!(ids[0], ids[1], "{table}: each row its own id");
    }
    // getSessionAndUser: findUnique on "sessionToken", including the user.
    let row = sqlx::query(
        "SELECT s.\"id\", s.\"userId\", u.\"email\", EXTRACT(EPOCH FROM s.\"expires\")::FLOAT8 AS expires \
         FROM \"Session\" s JOIN \"User\" u ON u.\"id\" = s.\"userId\" WHERE s.\"sessionToken\" = $1 LIMIT 1",
    )
    .bind("anon-session")
    .fetch_one(&mut conn)
    .await
    .expect("Prisma finds Tessera's session");
    let (session_id, user_id, email, stored): (String, String, Option<String>, f64) =
        (row.get("id"), row.get("userId"), row.get("email"), row.get("expires"));
    assert_eq!(
        (user_id.as_str(), email, stored),
        (anon.id.as_str(), None, 1_900_000_000.0)
    );
    // Prisma Client's update and delete by the id Tessera made (as an app's own queries do).
    let moved = sqlx::query("UPDATE \"Session\" SET \"expires\" = \"expires\" + INTERVAL '1 day' WHERE \"id\" = $1")
        .bind(&session_id)
        .execute(&mut conn)
        .await
        .expect("update by id");
    assert_eq!(moved.rows_affected(), 1);
    // getUserByAccount: findUnique on the compound unique provider_providerAccountId.
    let owner: String = sqlx::query_scalar(
        "SELECT u.\"id\" FROM \"Account\" a JOIN \"User\" u ON u.\"id\" = a.\"userId\" \
         WHERE a.\"provider\" = $1 AND a.\"providerAccountId\" = $2 LIMIT 1",
    )
    .bind("google")
    .bind("g-1")
    .fetch_one(&mut conn)
    .await
    .expect("getUserByAccount");
    assert_eq!(owner, grace.id);
    // useVerificationToken: delete on the compound unique identifier_token.
    let used = sqlx::query("DELETE FROM \"VerificationToken\" WHERE \"identifier\" = $1 AND \"token\" = $2")
        .bind("grace@example.com")
        .bind("hashed")
        .execute(&mut conn)
        .await
        .expect("useVerificationToken");
    assert_eq!(used.rows_affected(), 1, "Prisma uses the token Tessera stored");
    let _ = conn.close().await;

    // The unique constraints, as conflicts.
    let relink = db
        .link_account(Account {
            provider: "google".into(),
            kind: AccountType::OAuth,
            provider_account_id: "g-1".into(),
            user_id: Some(anon.id.clone()),
            extra: token_set(),
        })
        .await;
    assert!(matches!(relink, Err(AdapterError::Conflict(_))), "{relink:?}");
    let reuse = db
        .create_session(AdapterSession {
            session_token: "anon-session".into(),
            user_id: grace.id.clone(),
            expires,
        })
        .await;
    assert!(matches!(reuse, Err(AdapterError::Conflict(_))), "{reuse:?}");
    // v4's `token String @unique`: one token, whatever the identifier.
    let token = |identifier: &str| VerificationToken {
        identifier: identifier.into(),
        token: "same-hash".into(),
        expires,
    };
    db.create_verification_token(token("a@example.com"))
        .await
        .expect("create_verification_token");
    let twice = db.create_verification_token(token("b@example.com")).await;
    assert!(matches!(twice, Err(AdapterError::Conflict(_))), "{twice:?}");
    db.pool().close().await;
}

/// Without [`PostgresAdapter::migrate`], the first call reads which variant the tables
/// are: the v4 tables work from the first write.
#[tokio::test]
async fn the_variant_is_read_on_first_use_without_migrate() {
    let Some(schema) = schema_with(SCHEMA_SQL).await else {
        return;
    };
    let db = unchecked_adapter_on(&schema).await;
    let user = db
        .create_user_and_link(
            NewUser::default(),
            Account {
                provider: "github".into(),
                kind: AccountType::OAuth,
                provider_account_id: "first".into(),
                user_id: None,
                extra: token_set(),
            },
        )
        .await
        .expect("create_user_and_link");
    let found = db.get_user_by_account("github", "first").await.expect("by account");
    assert_eq!(found.map(|u| u.id), Some(user.id));
    db.pool().close().await;
}

/// Tables that cannot work are refused at connect, naming the table, the column and what
/// was expected.
#[tokio::test]
async fn tables_that_cannot_work_are_refused_with_what_was_expected() {
    let cases = [
        (
            "ALTER TABLE \"Account\" ADD COLUMN \"refresh_token_expires_in\" INTEGER NOT NULL",
            "the Prisma adapter table Account has column \"refresh_token_expires_in\" NOT NULL without a \
             default, which Tessera does not write (expected a column that may be NULL or has a default)",
        ),
        (
            "ALTER TABLE \"Session\" ALTER COLUMN \"expires\" TYPE TIMESTAMPTZ(3)",
            "the Prisma adapter table Session has column \"expires\" of type timestamp(3) with time zone, \
             expected TIMESTAMP, as User.\"emailVerified\": the timestamps all of one kind",
        ),
        (
            "ALTER TABLE \"Account\" ALTER COLUMN \"expires_at\" TYPE NUMERIC",
            "the Prisma adapter table Account has column \"expires_at\" of type numeric, expected INTEGER or \
             BIGINT",
        ),
        (
            "ALTER TABLE \"Session\" DROP COLUMN \"sessionToken\"",
            "the Prisma adapter table Session has no column \"sessionToken\"",
        ),
        (
            "ALTER TABLE \"VerificationToken\" RENAME TO \"Verification_Token\"",
            "the Prisma adapter table VerificationToken is missing (none on the search_path)",
        ),
    ];
    for (breaking, said) in cases {
        let Some(schema) = schema_with(SCHEMA_SQL).await else {
            return;
        };
        let mut conn = schema.conn().await;
        sqlx::raw_sql(breaking).execute(&mut conn).await.expect(breaking);
        let _ = conn.close().await;
        let err = PostgresAdapter::connect_with_schema(&schema.url(), Schema::Prisma)
            .await
            .expect_err(breaking);
        assert_eq!(err.to_string(), format!("adapter backend error: {said}"), "{breaking}");
        // The same refusal on the first call of an adapter that was not checked.
        let db = unchecked_adapter_on(&schema).await;
        let first = db.get_user("clx8v2k9q0000qz3l4m5n6o7p").await.expect_err(breaking);
        assert_eq!(first.to_string(), err.to_string());
        db.pool().close().await;
    }
}
