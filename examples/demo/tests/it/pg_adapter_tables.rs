//! The demo on next-auth's `@auth/pg-adapter` tables (`AUTH_DB_SCHEMA=pg-adapter`) and on
//! the PostgreSQL schemas of `@auth/prisma-adapter` and next-auth v4's
//! `@next-auth/prisma-adapter` (`AUTH_DB_SCHEMA=prisma`): a
//! credentials sign-in writes a session row next-auth can read, a session row written as
//! next-auth writes it signs its browser in, and sign-out deletes the row. The tables are
//! created (from `@auth/pg-adapter`'s `schema.sql`, or as `prisma migrate` creates them) in
//! a PostgreSQL schema of the test's own, dropped at the end; the demo creates nothing.

use std::net::TcpStream;
use std::time::Duration;

use tessera_sqlx::sqlx::{self, AssertSqlSafe, Connection, PgConnection, Row};

use crate::common::{assert_signed_in, free_port, http, service, sign_in, sign_out, start_demo};

const PG: &str = "127.0.0.1:5432";
const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// One layout of next-auth's tables, and the statements next-auth runs on it.
struct Tables {
    /// `AUTH_DB_SCHEMA`.
    setting: &'static str,
    /// The tables' DDL.
    ddl: &'static str,
    /// getSessionAndUser: the user's id (as text) and email of session `$1`.
    find: &'static str,
    /// createSession: the session `made-by-next-auth` of user `$1` (as text).
    create: &'static str,
    /// Every session token.
    tokens: &'static str,
    /// Every table there is.
    tables: &'static [&'static str],
}

const PG_ADAPTER: Tables = Tables {
    setting: "pg-adapter",
    ddl: include_str!("../../../../crates/tessera-sqlx/tests/it/pg_adapter/schema.sql"),
    find: "select u.id::TEXT as id, u.email from sessions s join users u on u.id = s.\"userId\" \
           where s.\"sessionToken\" = $1",
    create: "insert into sessions (\"userId\", expires, \"sessionToken\") \
             values ($1::INTEGER, now() + interval '30 days', 'made-by-next-auth')",
    tokens: "select \"sessionToken\"::TEXT from sessions order by 1",
    tables: &["accounts", "sessions", "users", "verification_token"],
};

const PRISMA: Tables = Tables {
    setting: "prisma",
    ddl: include_str!("../../../../crates/tessera-sqlx/tests/it/prisma/authjs/schema.sql"),
    find: "SELECT u.\"id\", u.\"email\" FROM \"Session\" s JOIN \"User\" u ON u.\"id\" = s.\"userId\" \
           WHERE s.\"sessionToken\" = $1",
    create: "INSERT INTO \"Session\" (\"sessionToken\",\"userId\",\"expires\",\"updatedAt\") \
             VALUES ('made-by-next-auth',$1,(now() AT TIME ZONE 'UTC') + interval '30 days',(now() AT TIME ZONE 'UTC'))",
    tokens: "SELECT \"sessionToken\" FROM \"Session\" ORDER BY 1",
    tables: &["Account", "Authenticator", "Session", "User", "VerificationToken"],
};

/// next-auth v4's documented Prisma schema: a cuid id on every session, no `"updatedAt"`.
const PRISMA_V4: Tables = Tables {
    setting: "prisma",
    ddl: include_str!("../../../../crates/tessera-sqlx/tests/it/prisma/v4/schema.sql"),
    find: PRISMA.find,
    create: "INSERT INTO \"Session\" (\"id\",\"sessionToken\",\"userId\",\"expires\") \
             VALUES ('clx8v2ka30003qz3l8yb5m2nk','made-by-next-auth',$1,(now() AT TIME ZONE 'UTC') + interval '30 days')",
    tokens: PRISMA.tokens,
    tables: &["Account", "Session", "User", "VerificationToken"],
};

/// Runs `f` on a connection whose `search_path` is `schema` (or the default when empty).
fn with_conn<T>(
    schema: &str,
    f: impl AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    let url = if schema.is_empty() {
        PG_URL.to_owned()
    } else {
        format!("{PG_URL}?options[search_path]={schema}")
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(async {
            let mut conn = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&url))
                .await
                .map_err(|_| sqlx::Error::PoolTimedOut)??;
            let out = f(&mut conn).await;
            let _ = conn.close().await;
            out
        })
}

/// The test's PostgreSQL schema, dropped with its tables on drop.
struct Schema(String);

impl Drop for Schema {
    fn drop(&mut self) {
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0);
        if let Err(e) = with_conn("", async |c| sqlx::raw_sql(AssertSqlSafe(sql)).execute(c).await) {
            eprintln!("could not drop the schema {}: {e}", self.0);
        }
    }
}

#[test]
fn the_demo_runs_on_next_auths_pg_adapter_tables() {
    the_demo_runs_on(&PG_ADAPTER);
}

#[test]
fn the_demo_runs_on_next_auths_prisma_tables() {
    the_demo_runs_on(&PRISMA);
}

#[test]
fn the_demo_runs_on_next_auth_v4s_prisma_tables() {
    the_demo_runs_on(&PRISMA_V4);
}

fn the_demo_runs_on(t: &Tables) {
    if let Err(e) = TcpStream::connect(PG) {
        service::unavailable(
            &format!("PostgreSQL (the demo on next-auth's {} tables)", t.setting),
            &format!("nothing answers at {PG} ({e})"),
            "Start PostgreSQL on 127.0.0.1:5432 with a database `test`.",
        );
        return;
    }
    let port = free_port();
    let schema = Schema(format!("tessera_demo_pga_{}_{port}", std::process::id()));
    let create = format!("CREATE SCHEMA {}", schema.0);
    with_conn("", async |c| sqlx::raw_sql(AssertSqlSafe(create)).execute(c).await).expect("create the schema");
    with_conn(&schema.0, async |c| sqlx::raw_sql(t.ddl).execute(c).await).expect("create the tables");

    let env = [
        ("DATABASE_URL", format!("{PG_URL}?options[search_path]={}", schema.0)),
        ("AUTH_DB_SCHEMA", t.setting.to_owned()),
    ];
    let _demo = start_demo(port, &env);

    // Tessera's session, as next-auth's getSessionAndUser reads it.
    let browser = sign_in(port);
    assert_signed_in(port, &browser.cookie);
    let token = browser.session.clone();
    let (user_id, email): (String, String) = with_conn(&schema.0, async |c| {
        let row = sqlx::query(t.find).bind(&token).fetch_one(c).await?;
        Ok((row.get("id"), row.get("email")))
    })
    .expect("next-auth finds the session Tessera made");
    assert_eq!(email, "demo@example.com");

    // A session next-auth made (createSession) signs its browser in.
    with_conn(&schema.0, async |c| {
        sqlx::query(t.create).bind(&user_id).execute(c).await
    })
    .expect("createSession");
    let next_auth_cookie = "next-auth.session-token=made-by-next-auth";
    assert_signed_in(port, next_auth_cookie);

    // Sign-out deletes Tessera's row; next-auth's session is untouched.
    sign_out(port, &browser);
    let r = http(port, "GET", "/api/auth/session", &browser.cookie, None);
    assert_eq!(r.body, "{}");
    let tokens: Vec<String> =
        with_conn(&schema.0, async |c| sqlx::query_scalar(t.tokens).fetch_all(c).await).expect("list sessions");
    assert_eq!(tokens, ["made-by-next-auth"]);
    assert_signed_in(port, next_auth_cookie);

    // Tessera created no table of its own there.
    let tables: Vec<String> = with_conn("", async |c| {
        sqlx::query_scalar("select table_name::TEXT from information_schema.tables where table_schema = $1 order by 1")
            .bind(&schema.0)
            .fetch_all(c)
            .await
    })
    .expect("list tables");
    assert_eq!(tables, t.tables);
}
