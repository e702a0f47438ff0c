//! The schemas of next-auth's Prisma adapters, in PostgreSQL or SQLite (see
//! [`Schema::Prisma`](crate::Schema)), read and written by
//! [`AppTables`](crate::app_tables::AppTables): Auth.js's documented one for
//! `@auth/prisma-adapter`, and next-auth v4's documented one for
//! `@next-auth/prisma-adapter`. Which one a database has is read at connect
//! ([`Shape`](crate::app_shape::Shape)).
//!
//! Prisma maps the models `User`, `Account`, `Session` and `VerificationToken` to the
//! quoted tables `"User"`, `"Account"`, `"Session"` and `"VerificationToken"` with
//! camel-case columns; `DateTime` is `TIMESTAMP(3)` holding UTC, `Int` an `INTEGER`.
//! Ids are text the client makes (`@default(cuid())` is Prisma Client's, not the
//! database's), so Tessera gives each new user (and, in v4's schema, each new account and
//! session) a random UUID (`gen_random_uuid()`); any text names a user (one PostgreSQL
//! cannot hold names none). Where the tables have `"updatedAt"` (Auth.js's: `@updatedAt`,
//! `NOT NULL` without a default) it is set on every insert and update of a user, account
//! or session, as Prisma Client does; `"createdAt"` keeps its default.
//!
//! On SQLite the tables and columns are the same; `DateTime` is a `DATETIME` column holding
//! integer milliseconds or ISO 8601 text, `Int` an `INTEGER` (which Prisma Client reads as
//! 32 bits), and the UUIDs are made from `randomblob()`.

use crate::Schema;
use crate::app_tables::Layout;

/// `"User"`, `"Account"`, `"Session"`, `"VerificationToken"`.
pub(crate) static LAYOUT: Layout = Layout {
    schema: Schema::Prisma,
    package: "Prisma adapter",
    users: "User",
    accounts: "Account",
    sessions: "Session",
    tokens: "VerificationToken",
    integer_ids: false,
};

#[cfg(test)]
mod tests {
    use super::LAYOUT;

    #[test]
    fn any_text_is_an_id() {
        for good in ["clx0abc", "42", "", "ünï"] {
            assert_eq!(LAYOUT.key(good), Some(good));
        }
        assert_eq!(LAYOUT.key("a\0b"), None);
    }
}
