//! The default PostgreSQL schema of next-auth's `@auth/prisma-adapter` (see
//! [`Schema::Prisma`](crate::Schema)), read and written by
//! [`AppTables`](crate::app_tables::AppTables).
//!
//! Prisma maps the models `User`, `Account`, `Session` and `VerificationToken` to the
//! quoted tables `"User"`, `"Account"`, `"Session"` and `"VerificationToken"` with
//! camel-case columns; `DateTime` is `TIMESTAMP(3)` holding UTC, `Int` an `INTEGER`.
//! Ids are text the client makes (`@default(cuid())` is Prisma Client's, not the
//! database's), so Tessera gives each new user a random UUID (`gen_random_uuid()`); any
//! text names a user (one PostgreSQL cannot hold names none). `"updatedAt"` (`@updatedAt`,
//! `NOT NULL` without a default) is set on every insert and update of a user, account or
//! session, as Prisma Client does; `"createdAt"` keeps its default.

use crate::Schema;
use crate::app_tables::{Dialect, Layout, Rendered};

/// `"User"`, `"Account"`, `"Session"`, `"VerificationToken"`.
pub(crate) static LAYOUT: Layout = Layout {
    schema: Schema::Prisma,
    package: "@auth/prisma-adapter",
    users: "\"User\"",
    accounts: "\"Account\"",
    sessions: "\"Session\"",
    tokens: "\"VerificationToken\"",
    integer_ids: false,
    new_user_id: ("id, ", "gen_random_uuid()::TEXT, "),
    email_required: true,
    updated_at: true,
    timestamptz: false,
    expires_at_int4: true,
    checks: [
        (
            "User",
            "SELECT id, name, email, \"emailVerified\", image, \"updatedAt\" FROM \"User\" LIMIT 0",
        ),
        (
            "Account",
            "SELECT \"userId\", type, provider, \"providerAccountId\", refresh_token, access_token, \
             expires_at, token_type, scope, id_token, session_state, \"updatedAt\" FROM \"Account\" LIMIT 0",
        ),
        (
            "Session",
            "SELECT \"sessionToken\", \"userId\", expires, \"updatedAt\" FROM \"Session\" LIMIT 0",
        ),
        (
            "VerificationToken",
            "SELECT identifier, token, expires FROM \"VerificationToken\" LIMIT 0",
        ),
    ],
};

/// The statements on these tables.
pub(crate) static TABLES: Rendered = Rendered::new(|| Dialect::new(&LAYOUT));

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
