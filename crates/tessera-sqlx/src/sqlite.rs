//! [`SqliteAdapter`]: Tessera's tables in an SQLite file (or in memory).

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use tessera::adapter::AdapterError;

use crate::common::{Sql, impl_adapter, impl_cols};

/// Stores users, accounts, sessions and verification tokens in SQLite.
///
/// Tables are prefixed `tessera_`; timestamps are epoch milliseconds. Cheap to clone (the
/// pool is shared).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use tessera::adapter::{Adapter, NewUser};
/// use tessera_sqlx::SqliteAdapter;
///
/// let db = SqliteAdapter::in_memory().await?;
/// let user = db
///     .create_user(NewUser { email: Some("a@example.com".into()), ..Default::default() })
///     .await?;
/// assert_eq!(db.get_user_by_email("a@example.com").await?.map(|u| u.id), Some(user.id));
/// # Ok::<_, tessera::adapter::AdapterError>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct SqliteAdapter {
    pool: SqlitePool,
}

impl fmt::Debug for SqliteAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteAdapter")
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

impl SqliteAdapter {
    /// Opens (creating it if missing) the database file at `path` and brings its tables
    /// up to date. The connections use WAL journaling, `synchronous = NORMAL`, foreign
    /// keys and a 5 s busy timeout.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, AdapterError> {
        Self::connect_with(SqliteConnectOptions::new().filename(path)).await
    }

    /// A private in-memory database, migrated, for tests and demos: everything is lost
    /// when the adapter (and its clones) are dropped. The pool holds exactly one
    /// connection, kept open for the adapter's whole life (an in-memory SQLite database
    /// lives only as long as its connection).
    pub async fn in_memory() -> Result<Self, AdapterError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|e| AdapterError::Backend(format!("sqlite options: {e}")))?;
        let pool = SqlitePoolOptions::new()
            // An embedded database has no connection to lose: no ping before each query.
            .test_before_acquire(false)
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|e| AdapterError::Backend(format!("open in-memory sqlite: {e}")))?;
        let adapter = Self { pool };
        adapter.migrate().await?;
        Ok(adapter)
    }

    /// Opens a database from connect options (say parsed from a `sqlite:` URL), with the
    /// same settings as [`open`](Self::open) layered on top, and migrates it.
    pub async fn connect_with(options: SqliteConnectOptions) -> Result<Self, AdapterError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            // An embedded database has no connection to lose: no ping before each query.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| AdapterError::Backend(format!("open sqlite database: {e}")))?;
        let adapter = Self { pool };
        adapter.migrate().await?;
        Ok(adapter)
    }

    /// Wraps an existing pool, without migrating: call [`migrate`](Self::migrate). Its
    /// connections must have foreign keys on (sqlx's default), or deleting a user leaves
    /// its accounts and sessions behind. For an in-memory database the pool must keep a
    /// single connection open.
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Creates or upgrades Tessera's tables. Idempotent; applied migrations are recorded
    /// in `_tessera_migrations`.
    pub async fn migrate(&self) -> Result<(), AdapterError> {
        migrator()
            .run(&self.pool)
            .await
            .map_err(|e| AdapterError::Backend(format!("sqlite migration: {e}")))
    }

    /// The underlying pool (for the application's own queries, or to close it).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// The embedded migrations (see [`crate::common::migrator`]); a schema change is a new
/// numbered file, listed here.
fn migrator() -> Migrator {
    crate::common::migrator(&[
        include_str!("../migrations/sqlite/0001_init.sql"),
        include_str!("../migrations/sqlite/0002_passwords.sql"),
    ])
}

impl_cols!(SqliteRow);
impl_adapter!(SqliteAdapter, SQL);

const SQL: Sql = Sql {
    create_user: "INSERT INTO tessera_users (id, name, email, email_verified, image) \
                  VALUES ($1, $2, $3, $4, $5)",
    get_user: "SELECT id, name, email, email_verified, image FROM tessera_users WHERE id = $1",
    get_user_by_email: "SELECT id, name, email, email_verified, image FROM tessera_users \
                        WHERE email = $1",
    get_user_by_account: "SELECT u.id, u.name, u.email, u.email_verified, u.image \
                          FROM tessera_accounts a JOIN tessera_users u ON u.id = a.user_id \
                          WHERE a.provider = $1 AND a.provider_account_id = $2",
    update_user: "UPDATE tessera_users SET \
                  name = CASE WHEN $2 THEN $3 ELSE name END, \
                  email = CASE WHEN $4 THEN $5 ELSE email END, \
                  image = CASE WHEN $6 THEN $7 ELSE image END, \
                  email_verified = CASE WHEN $8 THEN $9 \
                  WHEN $4 AND email IS NOT $5 THEN NULL ELSE email_verified END \
                  WHERE id = $1 \
                  RETURNING id, name, email, email_verified, image",
    delete_user: "DELETE FROM tessera_users WHERE id = $1",
    link_account: "INSERT INTO tessera_accounts (id, user_id, type, provider, \
                   provider_account_id, access_token, refresh_token, expires_at, token_type, \
                   scope, id_token, session_state, extra) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    unlink_account: "DELETE FROM tessera_accounts WHERE provider = $1 AND provider_account_id = $2",
    update_account: "UPDATE tessera_accounts SET access_token = $3, refresh_token = $4, \
                     expires_at = $5, token_type = $6, scope = $7, id_token = $8, \
                     session_state = $9, extra = $10 \
                     WHERE provider = $1 AND provider_account_id = $2",
    list_accounts: "SELECT user_id, type, provider, provider_account_id, access_token, \
                    refresh_token, expires_at, token_type, scope, id_token, session_state, extra \
                    FROM tessera_accounts WHERE user_id = $1 \
                    ORDER BY provider, provider_account_id",
    create_session: "INSERT INTO tessera_sessions (session_token, user_id, expires) \
                     VALUES ($1, $2, $3) RETURNING session_token, user_id, expires",
    get_session_and_user: "SELECT s.session_token, s.user_id, s.expires, \
                           u.id, u.name, u.email, u.email_verified, u.image \
                           FROM tessera_sessions s JOIN tessera_users u ON u.id = s.user_id \
                           WHERE s.session_token = $1",
    update_session: "UPDATE tessera_sessions SET expires = $2 WHERE session_token = $1",
    delete_session: "DELETE FROM tessera_sessions WHERE session_token = $1 \
                     RETURNING session_token, user_id, expires",
    list_sessions: "SELECT session_token, user_id, expires FROM tessera_sessions \
                    WHERE user_id = $1 ORDER BY expires, session_token",
    delete_user_sessions: "DELETE FROM tessera_sessions \
                           WHERE user_id = $1 AND ($2 IS NULL OR session_token <> $2)",
    create_verification_token: "INSERT INTO tessera_verification_tokens \
                                (identifier, token, expires) VALUES ($1, $2, $3)",
    use_verification_token: "DELETE FROM tessera_verification_tokens \
                             WHERE identifier = $1 AND token = $2 \
                             RETURNING identifier, token, expires",
    delete_expired_sessions: "DELETE FROM tessera_sessions WHERE expires < $1",
    delete_expired_tokens: "DELETE FROM tessera_verification_tokens WHERE expires < $1",
    get_password_hash: "SELECT hash FROM tessera_passwords WHERE user_id = $1",
    // A missing user fails the foreign key: NotFound.
    set_password_hash: "INSERT INTO tessera_passwords (user_id, hash) VALUES ($1, $2) \
                        ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash",
};
