//! SQLite and PostgreSQL storage for [Tessera](tessera): implementations of
//! [`tessera::adapter::Adapter`] on [sqlx], with their migrations built in.
//!
//! * [`SqliteAdapter`]: [`open`](SqliteAdapter::open) a database file (created if
//!   missing; WAL journaling) or use [`in_memory`](SqliteAdapter::in_memory) for tests.
//! * [`PostgresAdapter`]: [`connect`](PostgresAdapter::connect) to a server, or wrap a
//!   pool you already have with [`from_pool`](PostgresAdapter::from_pool).
//! * [`connect`]: either one, picked by the URL (handy for a `DATABASE_URL` setting).
//!
//! Constructors other than `from_pool` run the migrations; `migrate()` runs them on
//! demand and is idempotent. The tables are `tessera_users`, `tessera_accounts`,
//! `tessera_sessions` and `tessera_verification_tokens`, and applied migrations are
//! recorded in `_tessera_migrations`, so they can share a database with the application's
//! own tables and sqlx migrations. Deleting a user deletes its accounts and sessions
//! (`ON DELETE CASCADE`); reading a session and its user is one query; using a
//! verification token is one `DELETE … RETURNING`, so it cannot be used twice; a new user
//! and its first account are inserted in one transaction (`create_user_and_link`); and
//! `delete_expired` purges expired sessions and verification tokens (Tessera calls it at
//! most hourly).
//!
//! Account token fields (`access_token`, `refresh_token`, `expires_at`, `token_type`,
//! `scope`, `id_token`, `session_state`) have their own columns; every other field of
//! [`Account::extra`](tessera::Account) is kept in a JSON column and comes back as it went in.
//!
//! All queries are built at run time: no database is needed to build this crate.
//!
//! # next-auth's tables
//!
//! [`PostgresAdapter`] can instead read and write the tables of next-auth's official
//! `@auth/pg-adapter` as the application already has them ([`Schema::PgAdapter`],
//! `AUTH_DB_SCHEMA=pg-adapter`; [`connect_with_schema`] or
//! [`PostgresAdapter::connect_with_schema`]): `users`, `accounts`, `sessions` and
//! `verification_token` with their camel-case columns and integer ids, so the sessions,
//! accounts and pending magic links next-auth made stay valid. Nothing is created or
//! altered there (the tables are checked at connect); every [`Adapter`] method works,
//! but token-set fields other than the seven account columns are not stored, as
//! `@auth/pg-adapter` drops them too. See [`Schema::PgAdapter`] for the details.
//!
//! [`Schema::Prisma`] (`AUTH_DB_SCHEMA=prisma`) does the same on the PostgreSQL tables of
//! next-auth's Prisma adapters (`"User"`, `"Account"`, `"Session"`, `"VerificationToken"`,
//! text ids): Auth.js's documented schema for `@auth/prisma-adapter` or next-auth v4's for
//! `@next-auth/prisma-adapter`, told apart at connect. [`Schema::Drizzle`]
//! (`AUTH_DB_SCHEMA=drizzle`) does it on the PostgreSQL tables of `@auth/drizzle-adapter`
//! as `drizzle-kit` creates them from Auth.js's documented schema (`"user"`, `"account"`,
//! `"session"`, `"verificationToken"`, text ids).
//!
//! Both also work on SQLite: [`SqliteAdapter::connect_with_schema`] (or [`connect_with_schema`]
//! with an `sqlite:` URL or a path) on a file holding the tables `prisma migrate` or
//! `drizzle-kit` made there. Times are stored as those tools store them (SQLite has no time
//! type): integer milliseconds for drizzle's `timestamp_ms` columns; for Prisma's `DATETIME`
//! columns, integer milliseconds or ISO 8601 text, as the file already holds them (see
//! [`Schema::Prisma`]). `pg-adapter` is PostgreSQL only.
//!
//! # Example
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::time::{Duration, SystemTime};
//! use tessera::adapter::{Adapter, AdapterSession, NewUser};
//! use tessera_sqlx::SqliteAdapter;
//!
//! // Or `SqliteAdapter::open("tessera.db")`, `PostgresAdapter::connect("postgres://…")`,
//! // `tessera_sqlx::connect(&std::env::var("DATABASE_URL")?)`.
//! let db = SqliteAdapter::in_memory().await?;
//!
//! let user = db
//!     .create_user(NewUser { email: Some("ada@example.com".into()), ..Default::default() })
//!     .await?;
//! db.create_session(AdapterSession {
//!     session_token: "3f0c…".into(),
//!     user_id: user.id.clone(),
//!     expires: SystemTime::now() + Duration::from_secs(30 * 24 * 3600),
//! })
//! .await?;
//!
//! let (session, owner) = db.get_session_and_user("3f0c…").await?.expect("stored");
//! assert_eq!((session.user_id, owner.email.as_deref()), (user.id, Some("ada@example.com")));
//! # Ok::<_, tessera::adapter::AdapterError>(())
//! # }).unwrap();
//! ```
//!
//! Hand it to Tessera with [`AuthBuilder::adapter`](tessera::AuthBuilder::adapter): `Auth::builder().adapter(db)`.
//!
//! # Features
//!
//! * `rustls`: TLS for PostgreSQL (rustls with ring and the webpki roots). Off by default;
//!   without it `sslmode=require` fails and the default `sslmode=prefer` stays in plain text.

mod app_pool;
mod app_shape;
mod app_tables;
mod common;
mod database_url;
mod drizzle;
mod pg_adapter;
mod postgres;
mod prisma;
mod schema;
mod sqlite;
mod tables;

use std::str::FromStr;
use std::sync::Arc;

use tessera::adapter::{Adapter, AdapterError};

pub use database_url::for_sqlx as sqlx_url;
pub use postgres::PostgresAdapter;
pub use schema::{Schema, UnknownSchema};
pub use sqlite::SqliteAdapter;
/// The sqlx version this crate is built on, for [`SqliteAdapter::from_pool`],
/// [`PostgresAdapter::from_pool`] and [`SqliteAdapter::connect_with`].
pub use sqlx;

/// Opens the database `url` names, migrated, as an `Arc<dyn Adapter>` (which
/// [`AuthBuilder::adapter`](tessera::AuthBuilder::adapter) takes as it is; keep a clone for the app):
///
/// * `postgres://…` or `postgresql://…`: [`PostgresAdapter::connect`];
/// * `sqlite::memory:`: [`SqliteAdapter::in_memory`];
/// * `sqlite:path/to/file.db` or `sqlite://path/to/file.db` (with sqlx's `?…` options),
///   or a bare file path: an SQLite file, created if missing, as by [`SqliteAdapter::open`].
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let db = tessera_sqlx::connect("sqlite::memory:").await?;
/// assert!(db.get_user("nobody").await?.is_none());
/// # Ok::<_, tessera::adapter::AdapterError>(())
/// # }).unwrap();
/// ```
pub async fn connect(url: &str) -> Result<Arc<dyn Adapter>, AdapterError> {
    connect_with_schema(url, Schema::Tessera).await
}

/// As [`connect`], on the tables of `schema` (for instance parsed from `AUTH_DB_SCHEMA`).
/// [`Schema::Prisma`] and [`Schema::Drizzle`] work on both databases, on an SQLite file
/// that exists already ([`SqliteAdapter::connect_with_schema`]); [`Schema::PgAdapter`] is
/// PostgreSQL only: with an SQLite URL it fails with [`AdapterError::Backend`] saying so,
/// and creates nothing.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use tessera_sqlx::Schema;
/// let err = tessera_sqlx::connect_with_schema("sqlite::memory:", Schema::PgAdapter).await.err();
/// assert!(err.is_some_and(|e| e.to_string().contains("PostgreSQL only")));
/// # });
/// ```
pub async fn connect_with_schema(url: &str, schema: Schema) -> Result<Arc<dyn Adapter>, AdapterError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PostgresAdapter::connect_with_schema(url, schema).await?));
    }
    if schema == Schema::PgAdapter {
        return Err(sqlite::pg_adapter_refused());
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let target = rest.trim_start_matches("//");
        if schema == Schema::Tessera && (target == ":memory:" || target.starts_with(":memory:?")) {
            return Ok(Arc::new(SqliteAdapter::in_memory().await?));
        }
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
            .map_err(|e| AdapterError::Backend(format!("bad sqlite URL: {e}")))?;
        return Ok(Arc::new(SqliteAdapter::connect_with_schema(options, schema).await?));
    }
    if let Some((scheme, _)) = url.split_once("://") {
        return Err(AdapterError::Backend(format!(
            "unsupported database URL scheme {scheme:?} (expected postgres:// or sqlite:)"
        )));
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(url);
    Ok(Arc::new(SqliteAdapter::connect_with_schema(options, schema).await?))
}
