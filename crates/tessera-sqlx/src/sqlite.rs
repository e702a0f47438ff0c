//! [`SqliteAdapter`]: Tessera's tables in an SQLite file (or in memory), or those of
//! next-auth's Prisma adapters or of `@auth/drizzle-adapter` ([`Schema`]).

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use tessera::adapter::AdapterError;

use crate::Schema;
use crate::app_pool::AppPool;
use crate::common::{Sql, delegate_adapter, impl_adapter, impl_cols};
use crate::tables::Tables;

/// Stores users, accounts, sessions and verification tokens in SQLite.
///
/// With [`Schema::Tessera`] (the default) the tables are prefixed `tessera_` and created
/// by the migrations; timestamps are epoch milliseconds.
///
/// With [`Schema::Prisma`] or [`Schema::Drizzle`]
/// ([`connect_with_schema`](Self::connect_with_schema)) it reads and writes the SQLite
/// tables of next-auth's Prisma adapters or of `@auth/drizzle-adapter` as they are, so the
/// sessions, accounts and pending magic links next-auth made stay valid, and creates or
/// alters nothing: the application owns the tables. Times are stored as those tools store
/// them (see [`Schema::Prisma`]). [`Schema::PgAdapter`] is PostgreSQL only.
///
/// Cheap to clone (the pool is shared).
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
    tables: Tables<TesseraTables>,
}

/// The tables of `schema` over `pool`.
fn tables(pool: &SqlitePool, schema: Schema) -> Tables<TesseraTables> {
    Tables::new(
        schema,
        TesseraTables { pool: pool.clone() },
        AppPool::Sqlite(pool.clone()),
    )
}

/// [`Adapter`] over Tessera's own tables.
#[derive(Clone)]
struct TesseraTables {
    pool: SqlitePool,
}

impl fmt::Debug for SqliteAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteAdapter")
            .field("schema", &self.schema())
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
        let adapter = Self::from_pool(pool);
        adapter.migrate().await?;
        Ok(adapter)
    }

    /// Opens a database from connect options (say parsed from a `sqlite:` URL), with the
    /// same settings as [`open`](Self::open) layered on top, and migrates it.
    pub async fn connect_with(options: SqliteConnectOptions) -> Result<Self, AdapterError> {
        Self::connect_with_schema(options, Schema::Tessera).await
    }

    /// As [`connect_with`](Self::connect_with), on the tables of `schema`. For the schemas
    /// the application owns ([`Schema::Prisma`], [`Schema::Drizzle`]) the file must exist
    /// (it is not created) and hold that adapter's tables, which are checked (columns read,
    /// nothing created or altered: see [`migrate`](Self::migrate)); the journal mode is left
    /// as the file has it. [`Schema::PgAdapter`] fails, as PostgreSQL only.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use tessera_sqlx::sqlx::sqlite::SqliteConnectOptions;
    /// use tessera_sqlx::{Schema, SqliteAdapter};
    /// let options = SqliteConnectOptions::new().filename("no-such-app.db");
    /// let err = SqliteAdapter::connect_with_schema(options, Schema::Drizzle).await.err();
    /// assert!(err.is_some_and(|e| e.to_string().contains("open sqlite database")));
    /// # });
    /// ```
    pub async fn connect_with_schema(options: SqliteConnectOptions, schema: Schema) -> Result<Self, AdapterError> {
        if schema == Schema::PgAdapter {
            return Err(pg_adapter_refused());
        }
        let options = if schema.is_app_owned() {
            options.create_if_missing(false)
        } else {
            options.create_if_missing(true).journal_mode(SqliteJournalMode::Wal)
        };
        let options = options
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            // An embedded database has no connection to lose: no ping before each query.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| AdapterError::Backend(format!("open sqlite database: {e}")))?;
        let adapter = Self::from_pool(pool).with_schema(schema);
        if let Err(e) = adapter.migrate().await {
            adapter.pool.close().await;
            return Err(e);
        }
        Ok(adapter)
    }

    /// Wraps an existing pool, on Tessera's tables, without migrating: call
    /// [`migrate`](Self::migrate). Its connections must have foreign keys on (sqlx's
    /// default), or deleting a user leaves its accounts and sessions behind. For an
    /// in-memory database the pool must keep a single connection open.
    /// [`with_schema`](Self::with_schema) picks other tables.
    pub fn from_pool(pool: SqlitePool) -> Self {
        let tables = tables(&pool, Schema::Tessera);
        Self { pool, tables }
    }

    /// The same pool, on the tables of `schema` (whose columns are then read by
    /// [`migrate`](Self::migrate), or else by the first call).
    pub fn with_schema(self, schema: Schema) -> Self {
        let tables = tables(&self.pool, schema);
        Self { tables, ..self }
    }

    /// The tables this adapter reads and writes.
    pub fn schema(&self) -> Schema {
        self.tables.schema()
    }

    /// [`Schema::Tessera`]: creates or upgrades Tessera's tables. Idempotent; applied
    /// migrations are recorded in `_tessera_migrations`.
    ///
    /// [`Schema::Prisma`], [`Schema::Drizzle`]: creates and alters nothing; reads the
    /// columns of that adapter's four tables (and the form of the time stored last), to
    /// check that Tessera can use them and to tell which variant they are.
    /// [`Schema::PgAdapter`]: fails, as PostgreSQL only.
    pub async fn migrate(&self) -> Result<(), AdapterError> {
        if let Tables::App(t) = &self.tables {
            return t.check().await;
        }
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
        include_str!("../migrations/sqlite/0003_two_factor.sql"),
    ])
}

/// The error of [`Schema::PgAdapter`] on SQLite.
pub(crate) fn pg_adapter_refused() -> AdapterError {
    AdapterError::Backend(format!(
        "the {} database schema is PostgreSQL only: use a postgres:// URL",
        Schema::PgAdapter
    ))
}

impl_cols!(SqliteRow);
impl_adapter!(TesseraTables, SQL);

delegate_adapter!(SqliteAdapter);

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
