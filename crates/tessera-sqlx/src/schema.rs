//! [`Schema`]: which tables an adapter reads and writes.

use std::fmt;
use std::str::FromStr;

/// The table layout a [`PostgresAdapter`](crate::PostgresAdapter) reads and writes.
///
/// Spelled as in the `AUTH_DB_SCHEMA` setting: `tessera` (the default), `pg-adapter` or
/// `prisma` ([`FromStr`] and [`Display`](fmt::Display) use these names).
///
/// ```
/// use tessera_sqlx::Schema;
/// assert_eq!("pg-adapter".parse::<Schema>(), Ok(Schema::PgAdapter));
/// assert_eq!(Schema::default().to_string(), "tessera");
/// assert_eq!("prisma".parse::<Schema>(), Ok(Schema::Prisma));
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
    /// The PostgreSQL tables of next-auth's Prisma adapters, as a `prisma migrate` of
    /// either documented `schema.prisma` creates them: the quoted tables `"User"`,
    /// `"Account"`, `"Session"` and `"VerificationToken"` with camel-case columns
    /// (`"emailVerified"`, `"userId"`, `"providerAccountId"`, `"sessionToken"`),
    /// snake-case token columns on `"Account"`, text ids and `TIMESTAMP(3)` times in UTC.
    /// Which of the two schemas a database has is read from its catalog at connect:
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
    /// tables: Tessera never creates or alters them. PostgreSQL only.
    Prisma,
}

impl Schema {
    /// The setting's name in the environment.
    pub const ENV: &'static str = "AUTH_DB_SCHEMA";

    /// The setting's value for this schema (`tessera`, `pg-adapter`, `prisma`).
    pub fn as_str(self) -> &'static str {
        match self {
            Schema::Tessera => "tessera",
            Schema::PgAdapter => "pg-adapter",
            Schema::Prisma => "prisma",
        }
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
        write!(
            f,
            "unknown database schema {:?} (expected \"tessera\", \"pg-adapter\" or \"prisma\")",
            self.0
        )
    }
}

impl std::error::Error for UnknownSchema {}

impl FromStr for Schema {
    type Err = UnknownSchema;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tessera" => Ok(Schema::Tessera),
            "pg-adapter" => Ok(Schema::PgAdapter),
            "prisma" => Ok(Schema::Prisma),
            other => Err(UnknownSchema(other.to_owned())),
        }
    }
}
