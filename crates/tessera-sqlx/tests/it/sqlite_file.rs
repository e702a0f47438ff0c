//! An SQLite file of a test's own in the temp dir holding the tables an application owns
//! (next-auth's Prisma or drizzle ones on SQLite), removed (with its WAL files) at the end,
//! and `SqliteAdapter` on it.

use std::path::{Path, PathBuf};

use tessera_sqlx::sqlx::sqlite::SqliteConnectOptions;
use tessera_sqlx::sqlx::{self, AssertSqlSafe, Connection, SqliteConnection};
use tessera_sqlx::{Schema, SqliteAdapter};

/// A database file in the temp dir, removed (with its WAL files) on drop.
pub(crate) struct AppFile(PathBuf);

impl AppFile {
    /// A name in the temp dir; no file yet.
    pub(crate) fn unmade() -> Self {
        let name = format!("tessera-sqlx-app-{}.db", uuid::Uuid::new_v4());
        AppFile(std::env::temp_dir().join(name))
    }

    /// A new file holding what `sql` creates (foreign keys off while it runs, as in
    /// sqlite3's `.dump`).
    pub(crate) async fn with(sql: &str) -> Self {
        let file = Self::unmade();
        file.run(sql).await;
        file
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Runs `sql` on the file (created if missing), foreign keys off.
    pub(crate) async fn run(&self, sql: &str) {
        let mut conn = self.conn().await;
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut conn)
            .await
            .expect("run SQL on the test file");
        let _ = conn.close().await;
    }

    /// A direct connection (foreign keys off), for the statements next-auth's tools run.
    pub(crate) async fn conn(&self) -> SqliteConnection {
        let options = SqliteConnectOptions::new()
            .filename(&self.0)
            .create_if_missing(true)
            .foreign_keys(false);
        SqliteConnection::connect_with(&options)
            .await
            .expect("open the test file")
    }

    /// Tessera on the file's tables of `schema`, checked at connect.
    pub(crate) async fn adapter(&self, schema: Schema) -> SqliteAdapter {
        SqliteAdapter::connect_with_schema(SqliteConnectOptions::new().filename(&self.0), schema)
            .await
            .expect("the tables check")
    }

    /// The tables in the file, sorted.
    pub(crate) async fn tables(&self) -> Vec<String> {
        let mut conn = self.conn().await;
        let found = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut conn)
            .await
            .expect("list tables");
        let _ = conn.close().await;
        found
    }
}

impl Drop for AppFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Runs a conformance case on a fresh file holding what `ddl` creates, through Tessera on
/// the tables of `schema`.
pub(crate) async fn with_tables(ddl: &str, schema: Schema, case: impl AsyncFnOnce(&dyn tessera::adapter::Adapter)) {
    let file = AppFile::with(ddl).await;
    let db = file.adapter(schema).await;
    case(&db).await;
    db.pool().close().await;
}

/// Each `(from, to, message)`: the tables of `ddl` with `from` replaced by `to` are
/// refused at connect with exactly `message`, and nothing is created.
pub(crate) async fn refused_precisely(schema: Schema, ddl: &str, cases: &[(&str, &str, &str)]) {
    for (from, to, said) in cases {
        assert!(ddl.contains(from), "{from}");
        let file = AppFile::with(&ddl.replace(from, to)).await;
        let before = file.tables().await;
        let err = tessera_sqlx::connect_with_schema(&format!("sqlite:{}", file.path().display()), schema)
            .await
            .err()
            .expect(said);
        assert_eq!(err.to_string(), format!("adapter backend error: {said}"));
        assert_eq!(file.tables().await, before, "nothing created");
    }
}
