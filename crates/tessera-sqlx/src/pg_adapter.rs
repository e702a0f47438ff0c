//! The tables of next-auth's `@auth/pg-adapter`, as that adapter's `schema.sql` defines
//! them (see [`Schema::PgAdapter`](crate::Schema)), read and written by
//! [`AppTables`](crate::app_tables::AppTables).
//!
//! Ids are `SERIAL` integers: they cross Tessera's API as their decimal text (`"42"`); an
//! id that is not the canonical text of a PostgreSQL `INTEGER` names no row, and the
//! database assigns new ids. Timestamps are `TIMESTAMPTZ`.

use crate::Schema;
use crate::app_tables::{Dialect, Layout, Rendered};

/// `users`, `accounts`, `sessions`, `verification_token`.
pub(crate) static LAYOUT: Layout = Layout {
    schema: Schema::PgAdapter,
    package: "@auth/pg-adapter",
    users: "users",
    accounts: "accounts",
    sessions: "sessions",
    tokens: "verification_token",
    integer_ids: true,
    new_user_id: ("", ""),
    email_required: false,
    updated_at: false,
    timestamptz: true,
    expires_at_int4: false,
    checks: [
        (
            "users",
            "SELECT id, name, email, \"emailVerified\", image FROM users LIMIT 0",
        ),
        (
            "accounts",
            "SELECT id, \"userId\", type, provider, \"providerAccountId\", refresh_token, access_token, \
             expires_at, id_token, scope, session_state, token_type FROM accounts LIMIT 0",
        ),
        (
            "sessions",
            "SELECT id, \"userId\", expires, \"sessionToken\" FROM sessions LIMIT 0",
        ),
        (
            "verification_token",
            "SELECT identifier, expires, token FROM verification_token LIMIT 0",
        ),
    ],
};

/// The statements on these tables.
pub(crate) static TABLES: Rendered = Rendered::new(|| Dialect::new(&LAYOUT));

#[cfg(test)]
mod tests {
    use super::LAYOUT;

    #[test]
    fn ids_are_canonical_integers() {
        for good in ["42", "0", "2147483647", "-7"] {
            assert_eq!(LAYOUT.key(good), Some(good));
        }
        for bad in ["", "042", "+42", " 42", "4.2", "2147483648", "no-such-user", "9a", "-0"] {
            assert_eq!(LAYOUT.key(bad), None, "{bad:?}");
        }
    }
}
