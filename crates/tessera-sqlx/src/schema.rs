//! [`Schema`]: which tables an adapter reads and writes.

use std::fmt;
use std::str::FromStr;

/// The table layout a [`PostgresAdapter`](crate::PostgresAdapter) or an
/// [`SqliteAdapter`](crate::SqliteAdapter) reads and writes.
///
/// Spelled as in the `AUTH_DB_SCHEMA` setting: `tessera` (the default), `pg-adapter`,
/// `prisma` or `drizzle` ([`FromStr`] and [`Display`](fmt::Display) use these names;
/// [`Schema::ALL`] lists them).
///
/// ```
/// use tessera_sqlx::Schema;
/// assert_eq!("pg-adapter".parse::<Schema>(), Ok(Schema::PgAdapter));
/// assert_eq!(Schema::default().to_string(), "tessera");
/// assert_eq!("prisma".parse::<Schema>(), Ok(Schema::Prisma));
/// assert_eq!("drizzle".parse::<Schema>(), Ok(Schema::Drizzle));
/// assert!("pg_adapter".parse::<Schema>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Schema {
    /// Tessera's own tables (`tessera_users`, …), created and upgraded by its migrations.
    #[default]
    Tessera,
    /// The tables of next-auth's official `@auth/pg-adapter`, as that adapter's
    /// `schema.sql` documents them: `users`, `accounts`, `sessions` and
    /// `verification_token`, with quoted camel-case columns (`"emailVerified"`,
    /// `"userId"`, `"providerAccountId"`, `"sessionToken"`) and `SERIAL` integer ids.
    /// The application owns them: Tessera never creates or alters them. PostgreSQL only.
    PgAdapter,
    /// The tables of next-auth's Prisma adapters, in PostgreSQL or SQLite, as a `prisma
    /// migrate` of either documented `schema.prisma` creates them: the quoted tables `"User"`,
    /// `"Account"`, `"Session"` and `"VerificationToken"` with camel-case columns
    /// (`"emailVerified"`, `"userId"`, `"providerAccountId"`, `"sessionToken"`),
    /// snake-case token columns on `"Account"`, text ids and, on PostgreSQL, `TIMESTAMP(3)`
    /// times in UTC. Which of the two schemas a database has is read from its catalog at
    /// connect:
    ///
    /// * Auth.js's, for `@auth/prisma-adapter` (authjs.dev): `"createdAt"`/`"updatedAt"` on
    ///   users, accounts and sessions (Tessera sets `"updatedAt"` on every insert and
    ///   update, as Prisma Client does), no `id` on accounts and sessions, and a `NOT NULL`
    ///   `"User".email`, so a user without an email is refused
    ///   ([`AdapterError::Conflict`](tessera::adapter::AdapterError::Conflict)).
    /// * next-auth v4's, for `@next-auth/prisma-adapter` (next-auth.js.org/v4): an `id` on
    ///   accounts and sessions too, no `"createdAt"`/`"updatedAt"`, and an email that may
    ///   be empty.
    ///
    /// Prisma's `@default(cuid())` is Prisma Client's, not the database's: Tessera gives
    /// each row it inserts whose `id` has no default a random UUID (text, as a cuid is).
    /// Tables that cannot work (a column missing or of another type, or a `NOT NULL`
    /// column without a default that Tessera does not write) are refused at connect,
    /// naming the table, the column and what was expected. The application owns the
    /// tables: Tessera never creates or alters them.
    ///
    /// On SQLite (`provider = "sqlite"`) the times are `DATETIME` columns, which Prisma fills
    /// with integer milliseconds since the epoch (its native engine, and its driver
    /// adapters with `timestampFormat: "unixepoch-ms"`) or with ISO 8601 text in UTC,
    /// `2030-03-17T17:46:40.123+00:00` (`@prisma/adapter-better-sqlite3` by default,
    /// checked with 6.19.3), and reads either. Tessera reads either (and any
    /// text SQLite's date functions read), compares times as times whatever form each row
    /// holds, and writes the form of the last time stored in the tables when it connects
    /// (integer milliseconds if none is): so the application's own queries keep comparing
    /// like with like. Prisma's `Int` is 32 bits there too: an `expires_at` beyond it is not
    /// stored.
    Prisma,
    /// The tables of next-auth's `@auth/drizzle-adapter`, in PostgreSQL or SQLite, as
    /// `drizzle-kit generate` creates them from the schema Auth.js documents (authjs.dev,
    /// "Drizzle ORM Adapter", PostgreSQL or SQLite): the quoted singular tables `"user"` (a reserved word in
    /// PostgreSQL), `"account"`, `"session"` and `"verificationToken"` with camel-case
    /// columns (`"emailVerified"`, `"userId"`, `"providerAccountId"`, `"sessionToken"`),
    /// snake-case token columns on `"account"` (`expires_at` an `INTEGER`), text ids and, on
    /// PostgreSQL, `timestamp` (without time zone) times in UTC, as drizzle writes and reads
    /// them. Its
    /// optional `"authenticator"` table (for passkeys) is not used.
    ///
    /// The user's `id` is `$defaultFn(() => crypto.randomUUID())`, made by drizzle on the
    /// client, so the column has no default: Tessera gives each user it inserts a random
    /// UUID, as drizzle does. Accounts and sessions have no `id`, there is no
    /// `"createdAt"`/`"updatedAt"`, and a user's email may be empty. Tables that cannot
    /// work are refused at connect as for [`Schema::Prisma`], naming the table, the
    /// column and what was expected. The application owns the tables: Tessera never
    /// creates or alters them.
    ///
    /// On SQLite (the documented `sqliteTable` schema) the times are `integer` columns of
    /// milliseconds since the epoch (`integer(…, { mode: "timestamp_ms" })`), which Tessera
    /// reads and writes as drizzle does; `expires_at` is an `integer`.
    Drizzle,
}

impl Schema {
    /// The setting's name in the environment.
    pub const ENV: &'static str = "AUTH_DB_SCHEMA";

    /// Every schema, the default first.
    ///
    /// ```
    /// use tessera_sqlx::Schema;
    /// let names: Vec<&str> = Schema::ALL.iter().map(|s| s.as_str()).collect();
    /// assert_eq!(names, ["tessera", "pg-adapter", "prisma", "drizzle"]);
    /// ```
    pub const ALL: [Schema; 4] = [Schema::Tessera, Schema::PgAdapter, Schema::Prisma, Schema::Drizzle];

    /// The setting's value for this schema (`tessera`, `pg-adapter`, `prisma`, `drizzle`).
    pub fn as_str(self) -> &'static str {
        match self {
            Schema::Tessera => "tessera",
            Schema::PgAdapter => "pg-adapter",
            Schema::Prisma => "prisma",
            Schema::Drizzle => "drizzle",
        }
    }

    /// Whether the application owns the tables (every schema but [`Schema::Tessera`]):
    /// Tessera never creates or alters them, only checks them at connect.
    pub fn is_app_owned(self) -> bool {
        self != Schema::Tessera
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A schema name that is not one of [`Schema`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSchema(pub String);

impl fmt::Display for UnknownSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown database schema {:?} (expected ", self.0)?;
        for (i, schema) in Schema::ALL.iter().enumerate() {
            let sep = match i {
                0 => "",
                _ if i + 1 == Schema::ALL.len() => " or ",
                _ => ", ",
            };
            write!(f, "{sep}{:?}", schema.as_str())?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownSchema {}

impl FromStr for Schema {
    type Err = UnknownSchema;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Schema::ALL
            .into_iter()
            .find(|schema| schema.as_str() == s)
            .ok_or_else(|| UnknownSchema(s.to_owned()))
    }
}
