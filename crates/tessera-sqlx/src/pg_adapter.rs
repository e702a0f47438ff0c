//! The tables of next-auth's `@auth/pg-adapter`, as that adapter's `schema.sql` defines
//! them (see [`Schema::PgAdapter`](crate::Schema)), read and written by
//! [`AppTables`](crate::app_tables::AppTables).
//!
//! Ids are `SERIAL` integers: they cross Tessera's API as their decimal text (`"42"`); an
//! id that is not the canonical text of a PostgreSQL `INTEGER` names no row, and the
//! database assigns new ids. Timestamps are `TIMESTAMPTZ` (or, in tables made otherwise,
//! all `TIMESTAMP` holding UTC: read at connect).

use crate::Schema;
use crate::app_tables::Layout;

/// `users`, `accounts`, `sessions`, `verification_token`.
pub(crate) static LAYOUT: Layout = Layout {
    schema: Schema::PgAdapter,
    package: "@auth/pg-adapter",
    users: "users",
    accounts: "accounts",
    sessions: "sessions",
    tokens: "verification_token",
    integer_ids: true,
};

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
