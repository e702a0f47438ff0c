//! [`AppPool`]: the database of an application's tables, PostgreSQL or SQLite, and the
//! few ways [`AppTables`](crate::app_tables::AppTables) runs a statement on it (on the
//! pool or in a transaction, binding [`Arg`]s, decoding rows through [`Cols`]), so that the
//! adapter itself is written once for both backends.

use sqlx::postgres::{PgPool, PgRow};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Postgres, SqlStr, Sqlite, Transaction};

use crate::common::Cols;

/// A value bound to a statement's next placeholder.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    /// Text, or `NULL`.
    Text(Option<&'a str>),
    /// An integer, or `NULL`.
    Int(Option<i64>),
    /// A boolean (SQLite stores it as `1` or `0`).
    Bool(bool),
}

/// Decodes one row.
pub(crate) type Decode<T> = fn(&RowRef<'_>) -> Result<T, sqlx::Error>;

/// A row of either backend, read through [`Cols`].
pub(crate) struct RowRef<'r>(&'r dyn Cols);

impl Cols for RowRef<'_> {
    fn text(&self, col: &str) -> Result<String, sqlx::Error> {
        self.0.text(col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error> {
        self.0.opt_text(col)
    }
    fn int(&self, col: &str) -> Result<i64, sqlx::Error> {
        self.0.int(col)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>, sqlx::Error> {
        self.0.opt_int(col)
    }
}

/// The pool of the database holding an application's tables.
#[derive(Clone)]
pub(crate) enum AppPool {
    /// PostgreSQL.
    Postgres(PgPool),
    /// SQLite.
    Sqlite(SqlitePool),
}

/// A transaction on an [`AppPool`]: rolled back when dropped uncommitted.
pub(crate) enum AppTx {
    /// PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
    /// SQLite.
    Sqlite(Transaction<'static, Sqlite>),
}

/// Where a statement runs: on the pool, or in a transaction.
pub(crate) enum On<'a> {
    /// A connection of the pool, for this statement alone.
    Pool(&'a AppPool),
    /// The transaction's connection.
    Tx(&'a mut AppTx),
}

impl AppPool {
    /// Starts a transaction.
    pub(crate) async fn begin(&self) -> Result<AppTx, sqlx::Error> {
        Ok(match self {
            AppPool::Postgres(pool) => AppTx::Postgres(pool.begin().await?),
            AppPool::Sqlite(pool) => AppTx::Sqlite(pool.begin().await?),
        })
    }
}

impl AppTx {
    /// Commits the transaction.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            AppTx::Postgres(tx) => tx.commit().await,
            AppTx::Sqlite(tx) => tx.commit().await,
        }
    }
}

/// `sql` with `args` bound, for PostgreSQL.
fn pg_query<'a>(sql: &SqlStr, args: &[Arg<'a>]) -> sqlx::query::Query<'a, Postgres, sqlx::postgres::PgArguments> {
    args.iter().fold(sqlx::query(sql.clone()), |q, arg| match *arg {
        Arg::Text(v) => q.bind(v),
        Arg::Int(v) => q.bind(v),
        Arg::Bool(v) => q.bind(v),
    })
}

/// `sql` with `args` bound, for SQLite.
fn sqlite_query<'a>(sql: &SqlStr, args: &[Arg<'a>]) -> sqlx::query::Query<'a, Sqlite, sqlx::sqlite::SqliteArguments> {
    args.iter().fold(sqlx::query(sql.clone()), |q, arg| match *arg {
        Arg::Text(v) => q.bind(v),
        Arg::Int(v) => q.bind(v),
        Arg::Bool(v) => q.bind(v),
    })
}

fn decode_pg<T>(rows: &[PgRow], decode: Decode<T>) -> Result<Vec<T>, sqlx::Error> {
    rows.iter().map(|row| decode(&RowRef(row))).collect()
}

fn decode_sqlite<T>(rows: &[SqliteRow], decode: Decode<T>) -> Result<Vec<T>, sqlx::Error> {
    rows.iter().map(|row| decode(&RowRef(row))).collect()
}

impl On<'_> {
    /// Runs `sql` with `args`, decoding every row it returns.
    pub(crate) async fn fetch_all<T>(
        &mut self,
        sql: &SqlStr,
        args: &[Arg<'_>],
        decode: Decode<T>,
    ) -> Result<Vec<T>, sqlx::Error> {
        match self {
            On::Pool(AppPool::Postgres(pool)) => decode_pg(&pg_query(sql, args).fetch_all(pool).await?, decode),
            On::Pool(AppPool::Sqlite(pool)) => decode_sqlite(&sqlite_query(sql, args).fetch_all(pool).await?, decode),
            On::Tx(AppTx::Postgres(tx)) => decode_pg(&pg_query(sql, args).fetch_all(&mut **tx).await?, decode),
            On::Tx(AppTx::Sqlite(tx)) => decode_sqlite(&sqlite_query(sql, args).fetch_all(&mut **tx).await?, decode),
        }
    }

    /// Runs `sql` with `args`; the number of rows it changed.
    pub(crate) async fn execute(&mut self, sql: &SqlStr, args: &[Arg<'_>]) -> Result<u64, sqlx::Error> {
        Ok(match self {
            On::Pool(AppPool::Postgres(pool)) => pg_query(sql, args).execute(pool).await?.rows_affected(),
            On::Pool(AppPool::Sqlite(pool)) => sqlite_query(sql, args).execute(pool).await?.rows_affected(),
            On::Tx(AppTx::Postgres(tx)) => pg_query(sql, args).execute(&mut **tx).await?.rows_affected(),
            On::Tx(AppTx::Sqlite(tx)) => sqlite_query(sql, args).execute(&mut **tx).await?.rows_affected(),
        })
    }
}
