//! [`PostgresAdapter`]: Tessera's tables in PostgreSQL, or those of next-auth's
//! `@auth/pg-adapter`, of its Prisma adapters or of `@auth/drizzle-adapter` ([`Schema`]).

use std::fmt;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use tessera::adapter::AdapterError;

use crate::Schema;
use crate::app_pool::AppPool;
use crate::common::{Sql, delegate_adapter, impl_adapter, impl_cols};
use crate::tables::Tables;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Stores users, accounts, sessions and verification tokens in PostgreSQL.
///
/// With [`Schema::Tessera`] (the default) the tables are prefixed `tessera_` (in the
/// connection's current schema) and created by the migrations; timestamps are
/// `TIMESTAMPTZ` (kept to the millisecond), the accounts' extra token fields `JSONB`.
///
/// With [`Schema::PgAdapter`] ([`connect_with_schema`](Self::connect_with_schema)) it
/// reads and writes the tables of next-auth's `@auth/pg-adapter` as they are, so sessions,
/// accounts and pending magic links made by next-auth stay valid: integer ids cross as
/// their decimal text (a non-numeric id names no row), token-set fields other than the
/// seven account columns are not stored (as `@auth/pg-adapter` drops them), and nothing
/// is ever created or altered: the application owns the tables. [`Schema::Prisma`] does
/// the same on the schemas of `@auth/prisma-adapter` (Auth.js) and
/// `@next-auth/prisma-adapter` (next-auth v4), whose ids are text, and
/// [`Schema::Drizzle`] on the documented PostgreSQL schema of `@auth/drizzle-adapter`.
///
/// Cheap to clone (the pool is shared).
///
/// ```no_run
/// # async fn demo() -> Result<(), tessera::adapter::AdapterError> {
/// use tessera_sqlx::PostgresAdapter;
/// let db = PostgresAdapter::connect("postgres://postgres@127.0.0.1:5432/app").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresAdapter {
    pool: PgPool,
    tables: Tables<TesseraTables>,
}

/// The tables of `schema` over `pool`.
fn tables(pool: &PgPool, schema: Schema) -> Tables<TesseraTables> {
    Tables::new(
        schema,
        TesseraTables { pool: pool.clone() },
        AppPool::Postgres(pool.clone()),
    )
}

/// [`Adapter`] over Tessera's own tables.
#[derive(Clone)]
struct TesseraTables {
    pool: PgPool,
}

impl fmt::Debug for PostgresAdapter {
    // Not derived: the pool's connect options hold the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresAdapter")
            .field("schema", &self.schema())
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

impl PostgresAdapter {
    /// How long a request waits for a connection from the pool (a free one, or a new one
    /// while the server refuses or is restarting) before its call fails with
    /// [`AdapterError::Backend`]: long enough to ride out a burst or a quick restart, short
    /// enough that requests fail fast (GET /session says signed out, writes answer 503)
    /// rather than pile up while the server is down.
    pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

    /// Connects to `url` (`postgres://user:password@host:port/database?sslmode=…`) with a
    /// pool of up to 10 connections and brings Tessera's tables up to date. Fails at once
    /// if the server cannot be reached or refuses (bad URL, authentication, unknown
    /// database), and if it does not answer within 30 s.
    ///
    /// Afterwards the pool survives the server: while it is down (or restarting) each call
    /// waits at most [`ACQUIRE_TIMEOUT`](Self::ACQUIRE_TIMEOUT) for a connection, then fails; every connection is
    /// checked before use, so once the server is back the pool reconnects by itself, with
    /// no restart. For other settings, build the pool yourself ([`from_pool`](Self::from_pool)).
    ///
    /// TLS (`sslmode=require` and stricter) needs this crate's `rustls` feature; without
    /// it the default `sslmode=prefer` connects in plain text.
    ///
    /// The URL may be the one the app's own tools read: Prisma's `?schema=<name>` puts that
    /// schema on the `search_path`, and node-postgres's `sslmode=no-verify` means
    /// `sslmode=require` (TLS, certificate not checked).
    pub async fn connect(url: &str) -> Result<Self, AdapterError> {
        Self::connect_with_schema(url, Schema::Tessera).await
    }

    /// As [`connect`](Self::connect), on the tables of `schema`. For the schemas the
    /// application owns ([`Schema::PgAdapter`], [`Schema::Prisma`], [`Schema::Drizzle`])
    /// nothing is created: the four tables of that next-auth adapter must exist with their
    /// columns, or this fails naming the first table and column that do not match, and
    /// what was expected.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), tessera::adapter::AdapterError> {
    /// use tessera_sqlx::{PostgresAdapter, Schema};
    /// let schema = std::env::var(Schema::ENV).ok().map_or(Ok(Schema::Tessera), |s| s.parse())
    ///     .map_err(|e| tessera::adapter::AdapterError::Backend(e.to_string()))?;
    /// let db = PostgresAdapter::connect_with_schema("postgres://postgres@127.0.0.1:5432/app", schema).await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_with_schema(url: &str, schema: Schema) -> Result<Self, AdapterError> {
        let url = &crate::database_url::for_sqlx(url)?;
        // One direct connection first: a refused or misconfigured server is reported at
        // once with its real error, instead of after the pool's retries time out.
        use sqlx::Connection;
        match tokio::time::timeout(CONNECT_TIMEOUT, sqlx::postgres::PgConnection::connect(url)).await {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
            }
            Ok(Err(e)) => return Err(AdapterError::Backend(format!("connect to postgres: {e}"))),
            Err(_) => {
                return Err(AdapterError::Backend(format!(
                    "connect to postgres: no answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                )));
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Self::ACQUIRE_TIMEOUT)
            // sqlx's default, relied on to reconnect after a restart: said here.
            .test_before_acquire(true)
            .connect(url)
            .await
            .map_err(|e| match e {
                sqlx::Error::PoolTimedOut => AdapterError::Backend(format!(
                    "connect to postgres: no connection within {} s (is the server up and \
                     accepting connections?)",
                    Self::ACQUIRE_TIMEOUT.as_secs()
                )),
                e => AdapterError::Backend(format!("connect to postgres: {e}")),
            })?;
        let adapter = Self::from_pool(pool).with_schema(schema);
        adapter.migrate().await?;
        Ok(adapter)
    }

    /// Wraps an existing pool, on Tessera's tables, without migrating: call
    /// [`migrate`](Self::migrate). [`with_schema`](Self::with_schema) picks other tables
    /// (whose columns are then read by `migrate`, or else by the first call).
    pub fn from_pool(pool: PgPool) -> Self {
        let tables = tables(&pool, Schema::Tessera);
        Self { pool, tables }
    }

    /// The same pool, on the tables of `schema`.
    pub fn with_schema(self, schema: Schema) -> Self {
        let tables = tables(&self.pool, schema);
        Self { tables, ..self }
    }

    /// The tables this adapter reads and writes.
    pub fn schema(&self) -> Schema {
        self.tables.schema()
    }

    /// [`Schema::Tessera`]: creates or upgrades Tessera's tables. Idempotent and safe to
    /// run from several processes at once (sqlx takes an advisory lock); applied
    /// migrations are recorded in `_tessera_migrations`.
    ///
    /// [`Schema::PgAdapter`], [`Schema::Prisma`], [`Schema::Drizzle`]: creates and alters
    /// nothing; reads the columns of the four tables of that next-auth adapter from the
    /// catalog (none of their rows), to check that Tessera can use them and to tell which
    /// variant they are (for instance next-auth v4's Prisma schema or Auth.js's).
    pub async fn migrate(&self) -> Result<(), AdapterError> {
        if let Tables::App(t) = &self.tables {
            return t.check().await;
        }
        migrator()
            .run(&self.pool)
            .await
            .map_err(|e| AdapterError::Backend(format!("postgres migration: {e}")))
    }

    /// The underlying pool (for the application's own queries, or to close it).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// The embedded migrations (see [`crate::common::migrator`]); a schema change is a new
/// numbered file, listed here.
fn migrator() -> Migrator {
    crate::common::migrator(&[
        include_str!("../migrations/postgres/0001_init.sql"),
        include_str!("../migrations/postgres/0002_passwords.sql"),
        include_str!("../migrations/postgres/0003_two_factor.sql"),
    ])
}

impl_cols!(PgRow);
impl_adapter!(TesseraTables, SQL);

delegate_adapter!(PostgresAdapter);

// Timestamps cross the wire as BIGINT epoch milliseconds, as on SQLite, converted here:
// in with `to_timestamp($n::FLOAT8 / 1000)`, out with `FLOOR(EXTRACT(EPOCH FROM c) * 1000)`.
// The extra JSONB column crosses as text.
const SQL: Sql = Sql {
    create_user: "INSERT INTO tessera_users (id, name, email, email_verified, image) \
                  VALUES ($1, $2, $3, to_timestamp($4::FLOAT8 / 1000), $5)",
    get_user: "SELECT id, name, email, \
               FLOOR(EXTRACT(EPOCH FROM email_verified) * 1000)::BIGINT AS email_verified, image \
               FROM tessera_users WHERE id = $1",
    get_user_by_email: "SELECT id, name, email, \
                        FLOOR(EXTRACT(EPOCH FROM email_verified) * 1000)::BIGINT \
                        AS email_verified, image \
                        FROM tessera_users WHERE email = $1",
    get_user_by_account: "SELECT u.id, u.name, u.email, \
                          FLOOR(EXTRACT(EPOCH FROM u.email_verified) * 1000)::BIGINT \
                          AS email_verified, u.image \
                          FROM tessera_accounts a JOIN tessera_users u ON u.id = a.user_id \
                          WHERE a.provider = $1 AND a.provider_account_id = $2",
    update_user: "UPDATE tessera_users SET \
                  name = CASE WHEN $2 THEN $3 ELSE name END, \
                  email = CASE WHEN $4 THEN $5 ELSE email END, \
                  image = CASE WHEN $6 THEN $7 ELSE image END, \
                  email_verified = CASE WHEN $8 THEN to_timestamp($9::FLOAT8 / 1000) \
                  WHEN $4 AND email IS DISTINCT FROM $5::TEXT THEN NULL \
                  ELSE email_verified END \
                  WHERE id = $1 \
                  RETURNING id, name, email, \
                  FLOOR(EXTRACT(EPOCH FROM email_verified) * 1000)::BIGINT AS email_verified, \
                  image",
    delete_user: "DELETE FROM tessera_users WHERE id = $1",
    link_account: "INSERT INTO tessera_accounts (id, user_id, type, provider, \
                   provider_account_id, access_token, refresh_token, expires_at, token_type, \
                   scope, id_token, session_state, extra) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::JSONB)",
    unlink_account: "DELETE FROM tessera_accounts WHERE provider = $1 AND provider_account_id = $2",
    update_account: "UPDATE tessera_accounts SET access_token = $3, refresh_token = $4, \
                     expires_at = $5, token_type = $6, scope = $7, id_token = $8, \
                     session_state = $9, extra = $10::JSONB \
                     WHERE provider = $1 AND provider_account_id = $2",
    list_accounts: "SELECT user_id, type, provider, provider_account_id, access_token, \
                    refresh_token, expires_at, token_type, scope, id_token, session_state, \
                    extra::TEXT AS extra \
                    FROM tessera_accounts WHERE user_id = $1 \
                    ORDER BY provider, provider_account_id",
    create_session: "INSERT INTO tessera_sessions (session_token, user_id, expires) \
                     VALUES ($1, $2, to_timestamp($3::FLOAT8 / 1000)) \
                     RETURNING session_token, user_id, \
                     FLOOR(EXTRACT(EPOCH FROM expires) * 1000)::BIGINT AS expires",
    get_session_and_user: "SELECT s.session_token, s.user_id, \
                           FLOOR(EXTRACT(EPOCH FROM s.expires) * 1000)::BIGINT AS expires, \
                           u.id, u.name, u.email, \
                           FLOOR(EXTRACT(EPOCH FROM u.email_verified) * 1000)::BIGINT \
                           AS email_verified, u.image \
                           FROM tessera_sessions s JOIN tessera_users u ON u.id = s.user_id \
                           WHERE s.session_token = $1",
    update_session: "UPDATE tessera_sessions SET expires = to_timestamp($2::FLOAT8 / 1000) \
                     WHERE session_token = $1",
    delete_session: "DELETE FROM tessera_sessions WHERE session_token = $1 \
                     RETURNING session_token, user_id, \
                     FLOOR(EXTRACT(EPOCH FROM expires) * 1000)::BIGINT AS expires",
    list_sessions: "SELECT session_token, user_id, \
                    FLOOR(EXTRACT(EPOCH FROM expires) * 1000)::BIGINT AS expires \
                    FROM tessera_sessions WHERE user_id = $1 \
                    ORDER BY tessera_sessions.expires, session_token",
    delete_user_sessions: "DELETE FROM tessera_sessions \
                           WHERE user_id = $1 AND ($2::TEXT IS NULL OR session_token <> $2)",
    create_verification_token: "INSERT INTO tessera_verification_tokens \
                                (identifier, token, expires) \
                                VALUES ($1, $2, to_timestamp($3::FLOAT8 / 1000))",
    use_verification_token: "DELETE FROM tessera_verification_tokens \
                             WHERE identifier = $1 AND token = $2 \
                             RETURNING identifier, token, \
                             FLOOR(EXTRACT(EPOCH FROM expires) * 1000)::BIGINT AS expires",
    delete_expired_sessions: "DELETE FROM tessera_sessions \
                              WHERE expires < to_timestamp($1::FLOAT8 / 1000)",
    delete_expired_tokens: "DELETE FROM tessera_verification_tokens \
                            WHERE expires < to_timestamp($1::FLOAT8 / 1000)",
    get_password_hash: "SELECT hash FROM tessera_passwords WHERE user_id = $1",
    // A missing user fails the foreign key: NotFound.
    set_password_hash: "INSERT INTO tessera_passwords (user_id, hash) VALUES ($1, $2) \
                        ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash",
    get_two_factor: "SELECT secret, last_used_step FROM tessera_two_factor WHERE user_id = $1",
    // A missing user fails the foreign key: NotFound.
    set_two_factor: "INSERT INTO tessera_two_factor (user_id, secret, last_used_step) \
                     VALUES ($1, $2, NULL) ON CONFLICT (user_id) DO UPDATE \
                     SET secret = excluded.secret, last_used_step = NULL",
    delete_two_factor: "DELETE FROM tessera_two_factor WHERE user_id = $1",
    delete_recovery_codes: "DELETE FROM tessera_recovery_codes WHERE user_id = $1",
    insert_recovery_code: "INSERT INTO tessera_recovery_codes (user_id, code_hash) VALUES ($1, $2) \
                           ON CONFLICT DO NOTHING",
    // One conditional UPDATE: of two concurrent uses of a step, exactly one changes the row.
    use_two_factor_step: "UPDATE tessera_two_factor SET last_used_step = $2 \
                          WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2)",
    use_recovery_code: "DELETE FROM tessera_recovery_codes WHERE user_id = $1 AND code_hash = $2",
};
