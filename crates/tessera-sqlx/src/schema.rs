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
    /// The default PostgreSQL schema of next-auth's `@auth/prisma-adapter`, as a
    /// `prisma migrate` of its documented `schema.prisma` creates it: the quoted tables
    /// `"User"`, `"Account"`, `"Session"` and `"VerificationToken"` with camel-case columns
    /// (`"emailVerified"`, `"userId"`, `"providerAccountId"`, `"sessionToken"`,
    /// `"createdAt"`, `"updatedAt"`), snake-case token columns on `"Account"`, text ids
    /// (Tessera gives new users a random UUID) and `TIMESTAMP(3)` times in UTC.
    /// `"User".email` is `NOT NULL` there, so a user without an email is refused
    /// ([`AdapterError::Conflict`](tessera::adapter::AdapterError::Conflict)).
    /// The application owns the tables: Tessera never creates or alters them. PostgreSQL
    /// only.
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
