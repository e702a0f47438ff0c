//! [`Shape`]: how an application's tables differ within one [`Layout`], read from the
//! database's catalog at connect (PostgreSQL's `pg_attribute`, SQLite's `table_info`), and
//! [`Mismatch`]: why tables cannot be used.
//!
//! The variants one layout covers (for instance next-auth v4's documented Prisma schema
//! and Auth.js's) differ in what Tessera must write besides the columns every variant has:
//!
//! * a text `id` without a default (Prisma's `@default(cuid())` is Prisma Client's, and
//!   drizzle's `$defaultFn` drizzle's, not the database's) is made by Tessera
//!   (`gen_random_uuid()::TEXT`); an `id` with a default (`SERIAL`, `DEFAULT …`) is the
//!   database's; tables other than the users' may have no `id` at all (Auth.js's
//!   `"Account"`, `"Session"`, drizzle's `"account"`, `"session"`, every tokens' table);
//! * an `"updatedAt"` column is set on every insert and update (Prisma's `@updatedAt` has
//!   no default in the database);
//! * a `NOT NULL` `email` means a user must have one;
//! * on PostgreSQL, timestamps are `TIMESTAMPTZ` or `TIMESTAMP` (in UTC), all of one kind;
//!   on SQLite (`DATETIME` or `INTEGER` columns, SQLite has no time type) they are stored as
//!   the rows already there are ([`Time`]);
//! * the accounts' `expires_at` is an `INTEGER` (Prisma's `Int`) or a `BIGINT`.
//!
//! Anything else that cannot work is a [`Mismatch`] naming the table, the column and
//! what was expected: a missing table or column, a column of another type, or a
//! `NOT NULL` column without a default that Tessera does not write.

use sqlx::Row;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use tessera::adapter::AdapterError;

use crate::app_pool::AppPool;
use crate::app_tables::Layout;

/// How the tables store a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Time {
    /// PostgreSQL `TIMESTAMPTZ`.
    Timestamptz,
    /// PostgreSQL `TIMESTAMP` holding UTC.
    Timestamp,
    /// SQLite: an `INTEGER` of milliseconds since the epoch, as drizzle's `timestamp_ms`
    /// mode, Prisma's native engine and its driver adapters' `unixepoch-ms` format store a
    /// time.
    Millis,
    /// SQLite: ISO 8601 text in UTC, `2030-03-17T17:46:40.123+00:00`, as Prisma's
    /// `@prisma/adapter-better-sqlite3` stores a `DateTime` by default
    /// (`timestampFormat: "iso8601"`).
    Iso,
}

impl Time {
    /// Whether the tables are SQLite's.
    pub(crate) fn is_sqlite(self) -> bool {
        matches!(self, Time::Millis | Time::Iso)
    }
}

/// What Tessera writes into one table besides the columns every variant has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Writes {
    /// Tessera makes the row's text `id` (the column has no default).
    pub(crate) id: bool,
    /// The table has an `"updatedAt"`, set on every insert and update.
    pub(crate) updated_at: bool,
}

/// The variant of a [`Layout`] a database has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// The users' table.
    pub(crate) users: Writes,
    /// The accounts' table.
    pub(crate) accounts: Writes,
    /// The sessions' table.
    pub(crate) sessions: Writes,
    /// The verification tokens' table.
    pub(crate) tokens: Writes,
    /// Whether the users' `email` is `NOT NULL`.
    pub(crate) email_required: bool,
    /// How times are stored.
    pub(crate) time: Time,
    /// Whether the accounts' `expires_at` is an `INTEGER` (else a `BIGINT`).
    pub(crate) expires_at_int4: bool,
}

/// Why an application's tables cannot be used, naming the table and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Mismatch {
    /// The table is not on the connection's `search_path` (PostgreSQL) or in the
    /// database (SQLite).
    #[error("the {package} table {table} is missing (none {place})")]
    NoTable {
        /// The next-auth package of the layout.
        package: &'static str,
        /// The table.
        table: &'static str,
        /// Where it was looked for: `on the search_path`, `in the database`.
        place: &'static str,
    },
    /// A column every variant has is missing.
    #[error("the {package} table {table} has no column \"{column}\"")]
    NoColumn {
        /// The next-auth package of the layout.
        package: &'static str,
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
    },
    /// A column has a type Tessera cannot read or write.
    #[error("the {package} table {table} has column \"{column}\" of type {found}, expected {expected}")]
    Type {
        /// The next-auth package of the layout.
        package: &'static str,
        /// The table.
        table: &'static str,
        /// The column.
        column: String,
        /// Its type, as the database shows it.
        found: String,
        /// What Tessera needs there.
        expected: String,
    },
    /// A column Tessera does not write can hold no row Tessera inserts.
    #[error(
        "the {package} table {table} has column \"{column}\" NOT NULL without a default, which Tessera \
         does not write (expected {expected})"
    )]
    Unwritten {
        /// The next-auth package of the layout.
        package: &'static str,
        /// The table.
        table: &'static str,
        /// The column.
        column: String,
        /// What would work.
        expected: &'static str,
    },
}

impl From<Mismatch> for AdapterError {
    fn from(m: Mismatch) -> Self {
        AdapterError::Backend(m.to_string())
    }
}

/// One column as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    /// Its name.
    pub(crate) name: String,
    /// Its base type's name (`text`, `int4`, `timestamp`, …; on SQLite the declared
    /// type, in lower case: `text`, `integer`, `datetime`, …).
    pub(crate) type_name: String,
    /// Its type as the database shows it (`timestamp(3) without time zone`, `DATETIME`),
    /// for messages.
    pub(crate) shown: String,
    /// Its type's category (`S` for strings; on SQLite, `S` for text affinity, `N` for
    /// integer affinity, `D` for `DATETIME`/`TIMESTAMP`, `U` for anything else).
    pub(crate) category: String,
    /// Whether it is `NOT NULL`.
    pub(crate) not_null: bool,
    /// Whether the database fills it (a default, an identity or a generated column).
    pub(crate) filled: bool,
}

/// What a column holds, as Tessera reads and writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A row's id or a reference to one: text, or an integer in layouts with integer ids.
    Id,
    /// Text.
    Text,
    /// A timestamp.
    Time,
    /// The accounts' `expires_at`: an `INTEGER` or a `BIGINT`.
    Seconds,
}

/// The columns of the users', accounts', sessions' and tokens' tables every variant has.
const COLUMNS: [&[(&str, Kind)]; 4] = [
    &[
        ("id", Kind::Id),
        ("name", Kind::Text),
        ("email", Kind::Text),
        ("emailVerified", Kind::Time),
        ("image", Kind::Text),
    ],
    &[
        ("userId", Kind::Id),
        ("type", Kind::Text),
        ("provider", Kind::Text),
        ("providerAccountId", Kind::Text),
        ("refresh_token", Kind::Text),
        ("access_token", Kind::Text),
        ("expires_at", Kind::Seconds),
        ("token_type", Kind::Text),
        ("scope", Kind::Text),
        ("id_token", Kind::Text),
        ("session_state", Kind::Text),
    ],
    &[
        ("sessionToken", Kind::Text),
        ("userId", Kind::Id),
        ("expires", Kind::Time),
    ],
    &[
        ("identifier", Kind::Text),
        ("token", Kind::Text),
        ("expires", Kind::Time),
    ],
];

/// The columns of `table` (unquoted, resolved on the `search_path` as the statements
/// resolve it), or `None` if there is no such table.
const COLUMNS_OF: &str = "SELECT c.oid IS NOT NULL AS found, a.attname::TEXT AS name, \
     t.typname::TEXT AS type_name, format_type(a.atttypid, a.atttypmod) AS shown, \
     t.typcategory::TEXT AS category, a.attnotnull AS not_null, \
     (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS filled \
     FROM (SELECT to_regclass(quote_ident($1)) AS oid) c \
     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
     LEFT JOIN pg_type t ON t.oid = a.atttypid \
     ORDER BY a.attnum";

/// The columns of `table`, or `None` if the `search_path` has no such table.
async fn columns_of(pool: &PgPool, table: &str) -> Result<Option<Vec<Column>>, sqlx::Error> {
    let rows = sqlx::query(COLUMNS_OF).bind(table).fetch_all(pool).await?;
    if !rows
        .first()
        .map(|r| r.try_get::<bool, _>("found"))
        .transpose()?
        .unwrap_or(false)
    {
        return Ok(None);
    }
    let mut columns = Vec::with_capacity(rows.len());
    for row in &rows {
        // A table without columns has one row of NULLs.
        let Some(name) = row.try_get::<Option<String>, _>("name")? else {
            continue;
        };
        columns.push(Column {
            name,
            type_name: row.try_get("type_name")?,
            shown: row.try_get("shown")?,
            category: row.try_get("category")?,
            not_null: row.try_get("not_null")?,
            filled: row.try_get("filled")?,
        });
    }
    Ok(Some(columns))
}

/// The columns of an SQLite table, `name`, declared type, `NOT NULL`, and whether it has a
/// default or is an `INTEGER PRIMARY KEY` (the rowid, which SQLite assigns).
const SQLITE_COLUMNS_OF: &str = "SELECT name, type AS declared, \"notnull\" AS not_null, \
     (dflt_value IS NOT NULL OR (pk = 1 AND upper(type) = 'INTEGER' \
      AND (SELECT count(*) FROM pragma_table_info($1) WHERE pk > 0) = 1)) AS filled \
     FROM pragma_table_info($1) ORDER BY cid";

/// The columns of the SQLite table `table`, or `None` if the database has no such table.
async fn sqlite_columns_of(pool: &SqlitePool, table: &str) -> Result<Option<Vec<Column>>, sqlx::Error> {
    let rows = sqlx::query(SQLITE_COLUMNS_OF).bind(table).fetch_all(pool).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut columns = Vec::with_capacity(rows.len());
    for row in &rows {
        let declared: String = row.try_get("declared")?;
        columns.push(Column {
            name: row.try_get("name")?,
            category: sqlite_category(&declared).to_owned(),
            type_name: declared.to_lowercase(),
            shown: if declared.is_empty() {
                "none".to_owned()
            } else {
                declared
            },
            not_null: row.try_get("not_null")?,
            filled: row.try_get("filled")?,
        });
    }
    Ok(Some(columns))
}

/// The category of an SQLite column declared `declared`, by SQLite's rules of type
/// affinity: `S` (text), `N` (integer), `D` (`DATETIME` or `TIMESTAMP`, which Prisma
/// declares), `U` (anything else).
fn sqlite_category(declared: &str) -> &'static str {
    let upper = declared.to_uppercase();
    if upper.contains("INT") {
        "N"
    } else if ["CHAR", "CLOB", "TEXT"].iter().any(|t| upper.contains(t)) {
        "S"
    } else if matches!(upper.as_str(), "DATETIME" | "TIMESTAMP") {
        "D"
    } else {
        "U"
    }
}

/// Whether the time last stored in the SQLite tables of `layout` is text (else an
/// integer, or there is none yet): the sessions', then the tokens', then the users'.
const SQLITE_LAST_TIME: &str = "SELECT typeof(t) AS stored FROM (\
     SELECT * FROM (SELECT expires AS t FROM {sessions} WHERE expires IS NOT NULL ORDER BY rowid DESC LIMIT 1) \
     UNION ALL SELECT * FROM (SELECT expires FROM {tokens} WHERE expires IS NOT NULL ORDER BY rowid DESC LIMIT 1) \
     UNION ALL SELECT * FROM (SELECT \"emailVerified\" FROM {users} WHERE \"emailVerified\" IS NOT NULL \
     ORDER BY rowid DESC LIMIT 1)) LIMIT 1";

async fn sqlite_stores_text(pool: &SqlitePool, layout: &Layout) -> Result<bool, sqlx::Error> {
    let sql = SQLITE_LAST_TIME
        .replace("{sessions}", &format!("\"{}\"", layout.sessions))
        .replace("{tokens}", &format!("\"{}\"", layout.tokens))
        .replace("{users}", &format!("\"{}\"", layout.users));
    // This crate's template with this crate's table names: no input.
    let stored: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_optional(pool)
        .await?;
    Ok(stored.as_deref() == Some("text"))
}

/// The database the tables are in, as far as their checks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// PostgreSQL: times are `TIMESTAMPTZ` or `TIMESTAMP`.
    Postgres,
    /// SQLite, whose last stored time is text (`true`) or not.
    Sqlite {
        /// The last time stored is text.
        stored_text: bool,
    },
}

impl Shape {
    /// Reads the four tables of `layout` through `pool` and tells their variant, or why
    /// they cannot be used ([`AdapterError::Backend`] with the [`Mismatch`]).
    pub(crate) async fn inspect(pool: &AppPool, layout: &'static Layout) -> Result<Shape, AdapterError> {
        let mut tables: [Option<Vec<Column>>; 4] = Default::default();
        let read = |name: &str| {
            let what = format!("read the columns of the {} table {name}", layout.package);
            move |e: sqlx::Error| crate::common::classify(&what, &e, None, None)
        };
        for (found, name) in tables.iter_mut().zip(layout.tables()) {
            *found = match pool {
                AppPool::Postgres(pool) => columns_of(pool, name).await.map_err(read(name))?,
                AppPool::Sqlite(pool) => sqlite_columns_of(pool, name).await.map_err(read(name))?,
            };
        }
        let backend = match pool {
            AppPool::Postgres(_) => Backend::Postgres,
            AppPool::Sqlite(pool) => {
                // Checked first: the tables must be there to look at their rows.
                let shape = Shape::of(layout, &tables, Backend::Sqlite { stored_text: false })?;
                let stored_text = sqlite_stores_text(pool, layout).await.map_err(read(layout.sessions))?;
                if !stored_text {
                    return Ok(shape);
                }
                Backend::Sqlite { stored_text }
            }
        };
        Ok(Shape::of(layout, &tables, backend)?)
    }

    /// The variant of `layout` whose four tables have `tables` (`None`: missing).
    /// On SQLite, a Prisma `Int` (the accounts' `expires_at`) is taken as Prisma Client
    /// takes it: 32 bits.
    pub(crate) fn of(
        layout: &'static Layout,
        tables: &[Option<Vec<Column>>; 4],
        backend: Backend,
    ) -> Result<Shape, Mismatch> {
        let mut check = Check {
            layout,
            sqlite: backend != Backend::Postgres,
            time: None,
            expires_at_int4: false,
        };
        let mut writes = [Writes::default(); 4];
        let mut email_required = false;
        for (i, (columns, table)) in tables.iter().zip(layout.tables()).enumerate() {
            let Some(columns) = columns else {
                return Err(Mismatch::NoTable {
                    package: layout.package,
                    table,
                    place: match backend {
                        Backend::Postgres => "on the search_path",
                        Backend::Sqlite { .. } => "in the database",
                    },
                });
            };
            let w = check.table(i, table, columns)?;
            if let Some(slot) = writes.get_mut(i) {
                *slot = w;
            }
            if i == 0 {
                email_required = columns.iter().any(|c| c.name == "email" && c.not_null);
            }
        }
        let [users, accounts, sessions, tokens] = writes;
        Ok(Shape {
            users,
            accounts,
            sessions,
            tokens,
            email_required,
            time: match backend {
                Backend::Postgres if check.time.is_some_and(|(tz, _)| tz) => Time::Timestamptz,
                Backend::Postgres => Time::Timestamp,
                Backend::Sqlite { stored_text: true } => Time::Iso,
                Backend::Sqlite { stored_text: false } => Time::Millis,
            },
            expires_at_int4: match backend {
                Backend::Postgres => check.expires_at_int4,
                Backend::Sqlite { .. } => layout.schema == crate::Schema::Prisma,
            },
        })
    }
}

/// The checks of one layout's tables, and what they found so far.
struct Check {
    layout: &'static Layout,
    /// Whether the tables are SQLite's (else PostgreSQL's).
    sqlite: bool,
    /// Whether timestamps are `TIMESTAMPTZ`, and the column that said so first.
    time: Option<(bool, String)>,
    expires_at_int4: bool,
}

impl Check {
    /// Checks the `i`th table (users, accounts, sessions, tokens), `table`, of `columns`;
    /// what Tessera writes there.
    fn table(&mut self, i: usize, table: &'static str, columns: &[Column]) -> Result<Writes, Mismatch> {
        let package = self.layout.package;
        let required = COLUMNS.get(i).copied().unwrap_or_default();
        for &(name, kind) in required {
            let Some(column) = columns.iter().find(|c| c.name == name) else {
                return Err(Mismatch::NoColumn {
                    package,
                    table,
                    column: name,
                });
            };
            self.kind(table, column, kind)?;
        }
        let mut writes = Writes::default();
        // Users must have an `id` (a required column); the other tables may.
        if let Some(id) = columns.iter().find(|c| c.name == "id") {
            self.kind(table, id, Kind::Id)?;
            if !id.filled {
                if self.layout.integer_ids {
                    return Err(self.unwritten(table, id, "an integer id the database assigns: SERIAL"));
                }
                writes.id = true;
            }
        }
        if let Some(stamp) = columns.iter().find(|c| c.name == "updatedAt") {
            self.kind(table, stamp, Kind::Time)?;
            writes.updated_at = true;
        }
        let written = |c: &Column| {
            required.iter().any(|&(name, _)| name == c.name)
                || (c.name == "id" && writes.id)
                || (c.name == "updatedAt" && writes.updated_at)
        };
        if let Some(c) = columns.iter().find(|c| c.not_null && !c.filled && !written(c)) {
            return Err(self.unwritten(table, c, "a column that may be NULL or has a default"));
        }
        Ok(writes)
    }

    fn unwritten(&self, table: &'static str, column: &Column, expected: &'static str) -> Mismatch {
        Mismatch::Unwritten {
            package: self.layout.package,
            table,
            column: column.name.clone(),
            expected,
        }
    }

    /// Whether `column` of `table` holds what `kind` needs.
    fn kind(&mut self, table: &'static str, column: &Column, kind: Kind) -> Result<(), Mismatch> {
        let ty = column.type_name.as_str();
        let (fits, expected) = match kind {
            _ if self.sqlite => sqlite_fits(kind, column),
            Kind::Id if self.layout.integer_ids => (
                matches!(ty, "int2" | "int4" | "int8"),
                "an integer (INTEGER or BIGINT)".to_owned(),
            ),
            Kind::Id | Kind::Text => (column.category == "S", "text (TEXT or VARCHAR)".to_owned()),
            Kind::Seconds => {
                self.expires_at_int4 = ty == "int4";
                (matches!(ty, "int4" | "int8"), "INTEGER or BIGINT".to_owned())
            }
            Kind::Time => {
                let tz = ty == "timestamptz";
                match &self.time {
                    _ if !tz && ty != "timestamp" => (false, "TIMESTAMP or TIMESTAMPTZ".to_owned()),
                    Some((first, by)) if *first != tz => (
                        false,
                        format!(
                            "{}, as {by}: the timestamps all of one kind",
                            if *first { "TIMESTAMPTZ" } else { "TIMESTAMP" }
                        ),
                    ),
                    Some(_) => (true, String::new()),
                    None => {
                        self.time = Some((tz, format!("{table}.\"{}\"", column.name)));
                        (true, String::new())
                    }
                }
            }
        };
        if fits {
            return Ok(());
        }
        Err(Mismatch::Type {
            package: self.layout.package,
            table,
            column: column.name.clone(),
            found: column.shown.clone(),
            expected,
        })
    }
}

/// Whether an SQLite `column` holds what `kind` needs (its type affinity, as
/// [`sqlite_category`] tells it), and what would.
fn sqlite_fits(kind: Kind, column: &Column) -> (bool, String) {
    let category = column.category.as_str();
    match kind {
        // Ids are text in every layout on SQLite (pg-adapter's integer ids are PostgreSQL's).
        Kind::Id | Kind::Text => (category == "S", "text (TEXT)".to_owned()),
        Kind::Seconds => (category == "N", "INTEGER".to_owned()),
        Kind::Time => (
            matches!(category, "N" | "D"),
            "DATETIME or INTEGER (milliseconds since the epoch)".to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::{Backend, Column, Mismatch, Shape, Time, Writes};
    use crate::{pg_adapter, prisma};

    /// A column: `name type [!]` (`!`: NOT NULL) `[=]` (`=`: the database fills it).
    fn col(spec: &str) -> Column {
        let mut parts = spec.split(' ');
        let name = parts.next().expect("a name").to_owned();
        let type_name = parts.next().expect("a type").to_owned();
        let rest: String = parts.collect();
        let category = match type_name.as_str() {
            "text" | "varchar" => "S",
            "int4" | "int8" => "N",
            "timestamp" | "timestamptz" => "D",
            _ => "U",
        };
        Column {
            shown: type_name.clone(),
            category: category.to_owned(),
            not_null: rest.contains('!'),
            filled: rest.contains('='),
            name,
            type_name,
        }
    }

    fn table(specs: &[&str]) -> Option<Vec<Column>> {
        Some(specs.iter().map(|s| col(s)).collect())
    }

    fn v4() -> [Option<Vec<Column>>; 4] {
        [
            table(&[
                "id text !",
                "name text",
                "email text",
                "emailVerified timestamp",
                "image text",
            ]),
            table(&[
                "id text !",
                "userId text !",
                "type text !",
                "provider text !",
                "providerAccountId text !",
                "refresh_token text",
                "access_token text",
                "expires_at int4",
                "token_type text",
                "scope text",
                "id_token text",
                "session_state text",
            ]),
            table(&[
                "id text !",
                "sessionToken text !",
                "userId text !",
                "expires timestamp !",
            ]),
            table(&["identifier text !", "token text !", "expires timestamp !"]),
        ]
    }

    #[test]
    fn next_auth_v4_prisma_tables() {
        let stamped = Writes {
            id: true,
            updated_at: false,
        };
        assert_eq!(
            Shape::of(&prisma::LAYOUT, &v4(), Backend::Postgres),
            Ok(Shape {
                users: stamped,
                accounts: stamped,
                sessions: stamped,
                tokens: Writes::default(),
                email_required: false,
                time: Time::Timestamp,
                expires_at_int4: true,
            })
        );
    }

    #[test]
    fn auth_js_prisma_tables() {
        let mut tables = v4();
        for t in tables.iter_mut().take(3) {
            let t = t.as_mut().expect("a table");
            t.push(col("createdAt timestamp ! ="));
            t.push(col("updatedAt timestamp !"));
        }
        let [users, accounts, sessions, _] = &mut tables;
        if let Some(users) = users {
            users[2] = col("email text !");
        }
        for t in [accounts, sessions] {
            t.as_mut().expect("a table").retain(|c| c.name != "id");
        }
        let shape = Shape::of(&prisma::LAYOUT, &tables, Backend::Postgres).expect("usable");
        assert_eq!(
            (shape.users, shape.accounts, shape.sessions, shape.email_required),
            (
                Writes {
                    id: true,
                    updated_at: true
                },
                Writes {
                    id: false,
                    updated_at: true
                },
                Writes {
                    id: false,
                    updated_at: true
                },
                true
            )
        );
    }

    #[test]
    fn an_id_the_database_makes_is_not_written() {
        let mut tables = v4();
        if let Some(sessions) = &mut tables[2] {
            sessions[0] = col("id text ! =");
        }
        // A `VerificationToken` with an id of Prisma's: Tessera makes it.
        if let Some(tokens) = &mut tables[3] {
            tokens.push(col("id text !"));
        }
        let shape = Shape::of(&prisma::LAYOUT, &tables, Backend::Postgres).expect("usable");
        assert!(!shape.sessions.id && shape.accounts.id && shape.tokens.id);
    }

    #[test]
    fn mismatches_name_the_table_the_column_and_what_was_expected() {
        let cases: [(usize, &str, Option<&str>, &str); 6] = [
            (
                2,
                "sessionToken",
                None,
                "the Prisma adapter table Session has no column \"sessionToken\"",
            ),
            (
                1,
                "createdAt",
                Some("createdAt timestamp !"),
                "the Prisma adapter table Account has column \"createdAt\" NOT NULL without a default, \
                 which Tessera does not write (expected a column that may be NULL or has a default)",
            ),
            (
                0,
                "id",
                Some("id uuid !"),
                "the Prisma adapter table User has column \"id\" of type uuid, expected text (TEXT or VARCHAR)",
            ),
            (
                1,
                "expires_at",
                Some("expires_at numeric"),
                "the Prisma adapter table Account has column \"expires_at\" of type numeric, expected INTEGER \
                 or BIGINT",
            ),
            (
                3,
                "expires",
                Some("expires timestamptz !"),
                "the Prisma adapter table VerificationToken has column \"expires\" of type timestamptz, \
                 expected TIMESTAMP, as User.\"emailVerified\": the timestamps all of one kind",
            ),
            (
                2,
                "expires",
                Some("expires date !"),
                "the Prisma adapter table Session has column \"expires\" of type date, expected TIMESTAMP or \
                 TIMESTAMPTZ",
            ),
        ];
        for (i, name, replacement, said) in cases {
            let mut tables = v4();
            let t = tables[i].as_mut().expect("a table");
            t.retain(|c| c.name != name);
            t.extend(replacement.map(col));
            let err = Shape::of(&prisma::LAYOUT, &tables, Backend::Postgres).expect_err(said);
            assert_eq!(err.to_string(), said);
        }
        let mut tables = v4();
        tables[3] = None;
        assert_eq!(
            Shape::of(&prisma::LAYOUT, &tables, Backend::Postgres),
            Err(Mismatch::NoTable {
                package: "Prisma adapter",
                table: "VerificationToken",
                place: "on the search_path",
            })
        );
    }

    #[test]
    fn integer_ids_are_the_databases() {
        let mut tables = v4();
        for t in tables.iter_mut().flatten() {
            for c in t.iter_mut() {
                if c.name == "id" || c.name == "userId" {
                    *c = col(&format!("{} int4 ! =", c.name));
                }
                if c.type_name == "timestamp" {
                    c.type_name = "timestamptz".into();
                }
                if c.name == "expires_at" {
                    c.type_name = "int8".into();
                }
            }
        }
        let shape = Shape::of(&pg_adapter::LAYOUT, &tables, Backend::Postgres).expect("usable");
        assert_eq!(shape.users, Writes::default());
        assert!(shape.time == Time::Timestamptz && !shape.expires_at_int4);
        if let Some(users) = &mut tables[0] {
            users[0] = col("id int4 !");
        }
        let err = Shape::of(&pg_adapter::LAYOUT, &tables, Backend::Postgres).expect_err("an id nobody makes");
        assert_eq!(
            err.to_string(),
            "the @auth/pg-adapter table users has column \"id\" NOT NULL without a default, which Tessera does \
             not write (expected an integer id the database assigns: SERIAL)"
        );
    }
}
