//! The tables of next-auth's `@auth/drizzle-adapter` in PostgreSQL or SQLite (see
//! [`Schema::Drizzle`](crate::Schema)), as `drizzle-kit generate` creates them from the
//! schema Auth.js documents, read and written by [`AppTables`](crate::app_tables::AppTables).
//!
//! drizzle names the tables as the `pgTable` calls do, singular and quoted: `"user"` (a
//! reserved word in PostgreSQL, so every statement quotes it, as it quotes every table),
//! `"account"`, `"session"`, `"verificationToken"`. `timestamp(…, { mode: "date" })` is a
//! `timestamp` without time zone holding UTC (drizzle writes a `Date`'s ISO text, whose
//! zone PostgreSQL drops, and reads the value back as UTC); `integer` an `INTEGER`. The
//! user's id is text drizzle makes on the client (`$defaultFn(() => crypto.randomUUID())`,
//! no default in the database), so Tessera gives each new user a random UUID
//! (`gen_random_uuid()`), the same kind of id; any text names a user. Accounts and sessions
//! have no `id`, and there is no `"updatedAt"`: the variant read at connect
//! ([`Shape`](crate::app_shape::Shape)) says so, and nothing else is written.
//!
//! On SQLite (`sqliteTable`) the tables and columns are the same; the times are `integer`
//! columns of milliseconds (`mode: "timestamp_ms"`), and the UUIDs are made from
//! `randomblob()`.

use crate::Schema;
use crate::app_tables::Layout;

/// `"user"`, `"account"`, `"session"`, `"verificationToken"`.
pub(crate) static LAYOUT: Layout = Layout {
    schema: Schema::Drizzle,
    package: "@auth/drizzle-adapter",
    users: "user",
    accounts: "account",
    sessions: "session",
    tokens: "verificationToken",
    integer_ids: false,
};

#[cfg(test)]
mod tests {
    use super::LAYOUT;

    #[test]
    fn any_text_is_an_id() {
        for good in ["0b6f3c1e-8d1a-4a43-9a55-6f0d8f9a2b7e", "42", "", "ünï"] {
            assert_eq!(LAYOUT.key(good), Some(good));
        }
        assert_eq!(LAYOUT.key("a\0b"), None);
    }
}
