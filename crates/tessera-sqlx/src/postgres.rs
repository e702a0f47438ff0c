//! [`PostgresAdapter`]: Tessera's tables in PostgreSQL.

use std::fmt;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use tessera::adapter::AdapterError;

use crate::common::{Sql, impl_adapter, impl_cols};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Stores users, accounts, sessions and verification tokens in PostgreSQL.
///
/// Tables are prefixed `tessera_` (in the connection's current schema); timestamps are
/// `TIMESTAMPTZ` (kept to the millisecond), the accounts' extra token fields `JSONB`.
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
}

impl fmt::Debug for PostgresAdapter {
    // Not derived: the pool's connect options hold the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresAdapter")
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
    pub async fn connect(url: &str) -> Result<Self, AdapterError> {
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
        let adapter = Self { pool };
        adapter.migrate().await?;
        Ok(adapter)
    }

    /// Wraps an existing pool, without migrating: call [`migrate`](Self::migrate).
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Creates or upgrades Tessera's tables. Idempotent and safe to run from several
    /// processes at once (sqlx takes an advisory lock); applied migrations are recorded
    /// in `_tessera_migrations`.
    pub async fn migrate(&self) -> Result<(), AdapterError> {
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
    crate::common::migrator(&[include_str!("../migrations/postgres/0001_init.sql")])
}

impl_cols!(PgRow);
impl_adapter!(PostgresAdapter, SQL);

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
};
