//! A PostgreSQL schema of a test's own holding the tables an application owns (next-auth's
//! `@auth/pg-adapter` or `@auth/prisma-adapter` ones), dropped at the end. PostgreSQL:
//! `postgres://postgres@127.0.0.1:5432/test`, or `TESSERA_TEST_POSTGRES_URL`; when it is
//! unreachable the tests fail if `CI=true` and are skipped (loudly) otherwise.

use crate::service;

use std::time::Duration;

use tessera_sqlx::sqlx::postgres::{PgPool, PgPoolOptions};
use tessera_sqlx::sqlx::{self, AssertSqlSafe, Connection, PgConnection};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn base_url() -> String {
    std::env::var("TESSERA_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// The URL without its password, for messages.
fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, host))) => format!("{scheme}://…@{host}"),
        _ => url.to_owned(),
    }
}

/// A PostgreSQL schema of the test's own, dropped (with its tables) on drop.
pub(crate) struct PgSchema {
    base: String,
    pub(crate) name: String,
}

impl PgSchema {
    /// The test database's URL with this schema first on the `search_path`.
    pub(crate) fn url(&self) -> String {
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}options[search_path]={}", self.base, self.name)
    }

    /// A pool on this schema whose connections are in a time zone other than UTC (sqlx
    /// starts them in UTC; `TIMESTAMP` columns must hold UTC whatever the zone).
    pub(crate) async fn zoned_pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(4)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::raw_sql("SET TimeZone = 'Asia/Kolkata'").execute(conn).await?;
                    Ok(())
                })
            })
            .connect(&self.url())
            .await
            .expect("a pool on the test schema")
    }

    /// A direct connection on this schema, for the statements next-auth runs.
    pub(crate) async fn conn(&self) -> PgConnection {
        PgConnection::connect(&self.url())
            .await
            .expect("connect to the test schema")
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // On a thread of its own: drop may run inside (or after) the test's runtime.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for the cleanup");
            rt.block_on(async {
                let mut conn = PgConnection::connect(&base).await.map_err(|e| e.to_string())?;
                sqlx::raw_sql(AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {name} CASCADE")))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop the test schema: {e}");
        }
    }
}

/// A new schema holding the tables `ddl` creates (none if empty), or `None` (after a
/// loud SKIP) when PostgreSQL is unreachable outside CI.
pub(crate) async fn schema_with(ddl: &'static str) -> Option<PgSchema> {
    let base = base_url();
    let probe = tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(&base)).await;
    let mut conn = match probe {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => return unreachable_postgres(&base, &e.to_string()),
        Err(_) => return unreachable_postgres(&base, "no answer within 10 s"),
    };
    let name = format!("tessera_app_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE SCHEMA {name}")))
        .execute(&mut conn)
        .await
        .expect("create the test schema");
    let _ = conn.close().await;
    let schema = PgSchema { base, name };
    if !ddl.is_empty() {
        let mut conn = schema.conn().await;
        sqlx::raw_sql(ddl)
            .execute(&mut conn)
            .await
            .expect("create the application's tables");
        let _ = conn.close().await;
    }
    Some(schema)
}

fn unreachable_postgres<T>(url: &str, err: &str) -> Option<T> {
    service::unavailable(
        "PostgreSQL (the tests on next-auth's tables)",
        &format!("{} is unreachable ({err})", redacted(url)),
        "Start PostgreSQL, or set TESSERA_TEST_POSTGRES_URL to a reachable database.",
    );
    None
}

/// The adapter conformance suite through `$with_tables` (a function running a case on
/// fresh tables): every case but `accounts`, which stores a token-set field that
/// next-auth's account tables have no column for, and [`accounts`](crate::pg_adapter::accounts)
/// in its place, that case as these tables allow it.
macro_rules! app_tables_conformance {
    ($with_tables:path) => {
        tessera::adapter_conformance_tests!(@cases $with_tables;
            users, create_user_and_link, sessions, deleting_a_user_cascades,
            verification_tokens, verification_token_race, delete_expired, passwords);

        #[tokio::test]
        async fn accounts() {
            $with_tables(async |db: &dyn tessera::adapter::Adapter| crate::pg_adapter::accounts(db).await).await;
        }
    };
}
pub(crate) use app_tables_conformance;
