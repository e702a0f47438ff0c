//! [`PgAdapterTables`]: the tables of next-auth's `@auth/pg-adapter`, read and written as
//! that adapter's `schema.sql` defines them (see [`Schema::PgAdapter`](crate::Schema)).
//!
//! What differs from Tessera's own tables, and how it is bridged:
//!
//! * Ids are `SERIAL` integers. They cross Tessera's API as their decimal text
//!   (`"42"`); an id that is not the canonical text of a PostgreSQL `INTEGER` names no row
//!   (not found, never an error), and the database assigns new ids.
//! * `accounts` has the seven token-set columns and nothing else: any other field of
//!   [`Account::extra`](tessera::Account) (or a known one whose value does not fit its
//!   column, such as an array `scope`) is not stored, exactly as `@auth/pg-adapter` drops
//!   it.
//! * An account of type `oidc` (as Auth.js v5 records OIDC sign-ins) reads as `oauth`;
//!   `webauthn` accounts are not supported (listing them is a backend error, as for any
//!   type Tessera does not know).
//! * The constraints are checked by the statements themselves (a user must exist before
//!   an account or session names it; emails, provider accounts and session tokens are
//!   unique), so the tables also work as the adapter's doc comment shows them, without
//!   `UNIQUE` or `REFERENCES`; where `schema.sql`'s constraints are present they also
//!   hold under concurrency. Deleting a user deletes its sessions and accounts in the
//!   same transaction, as `ON DELETE CASCADE` would.
//!
//! Tessera never creates or alters these tables; [`check`] only reads their columns.

use sqlx::postgres::{PgPool, PgRow};
use tessera::adapter::{Adapter, AdapterError, AdapterSession, NewUser, UserUpdate, VerificationToken};
use tessera::{Account, User};

use crate::common::{
    account_from_row, account_type_str, backend, classify, session_from_row, split_account, to_ms, token_from_row,
    user_from_row,
};

/// The user columns, named and typed as [`user_from_row`] reads them.
macro_rules! user_cols {
    ($t:literal) => {
        concat!(
            $t,
            ".id::TEXT AS id, ",
            $t,
            ".name::TEXT AS name, ",
            $t,
            ".email::TEXT AS email, ",
            "FLOOR(EXTRACT(EPOCH FROM ",
            $t,
            ".\"emailVerified\") * 1000)::BIGINT AS email_verified, ",
            $t,
            ".image"
        )
    };
}

/// The session columns, named and typed as [`session_from_row`] reads them.
macro_rules! session_cols {
    ($t:literal) => {
        concat!(
            $t,
            ".\"sessionToken\"::TEXT AS session_token, ",
            $t,
            ".\"userId\"::TEXT AS user_id, ",
            "FLOOR(EXTRACT(EPOCH FROM ",
            $t,
            ".expires) * 1000)::BIGINT AS expires"
        )
    };
}

const CREATE_USER: &str = concat!(
    "INSERT INTO users AS u (name, email, \"emailVerified\", image) \
     SELECT $1, $2, to_timestamp($3::FLOAT8 / 1000), $4 \
     WHERE $2::TEXT IS NULL OR NOT EXISTS (SELECT 1 FROM users o WHERE o.email = $2) \
     RETURNING ",
    user_cols!("u")
);
const GET_USER: &str = concat!("SELECT ", user_cols!("u"), " FROM users u WHERE u.id = $1");
const GET_USER_BY_EMAIL: &str = concat!("SELECT ", user_cols!("u"), " FROM users u WHERE u.email = $1");
const GET_USER_BY_ACCOUNT: &str = concat!(
    "SELECT ",
    user_cols!("u"),
    " FROM accounts a JOIN users u ON u.id = a.\"userId\" \
     WHERE a.provider = $1 AND a.\"providerAccountId\" = $2"
);
const UPDATE_USER: &str = concat!(
    "UPDATE users AS u SET \
     name = CASE WHEN $2 THEN $3 ELSE u.name END, \
     email = CASE WHEN $4 THEN $5 ELSE u.email END, \
     image = CASE WHEN $6 THEN $7 ELSE u.image END, \
     \"emailVerified\" = CASE WHEN $8 THEN to_timestamp($9::FLOAT8 / 1000) \
     WHEN $4 AND u.email IS DISTINCT FROM $5::TEXT THEN NULL \
     ELSE u.\"emailVerified\" END \
     WHERE u.id = $1 AND NOT ($4 AND $5::TEXT IS NOT NULL AND EXISTS \
     (SELECT 1 FROM users o WHERE o.email = $5 AND o.id <> $1)) \
     RETURNING ",
    user_cols!("u")
);
const USER_EXISTS: &str = "SELECT 1 AS one FROM users WHERE id = $1";
const LINK_ACCOUNT: &str = "INSERT INTO accounts (\"userId\", type, provider, \"providerAccountId\", \
     access_token, refresh_token, expires_at, token_type, scope, id_token, session_state) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 \
     WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) \
     AND NOT EXISTS (SELECT 1 FROM accounts WHERE provider = $3 AND \"providerAccountId\" = $4)";
const ACCOUNT_EXISTS: &str = "SELECT 1 AS one FROM accounts WHERE provider = $1 AND \"providerAccountId\" = $2";
const UNLINK_ACCOUNT: &str = "DELETE FROM accounts WHERE provider = $1 AND \"providerAccountId\" = $2";
const UPDATE_ACCOUNT: &str = "UPDATE accounts SET access_token = $3, refresh_token = $4, expires_at = $5, \
     token_type = $6, scope = $7, id_token = $8, session_state = $9 \
     WHERE provider = $1 AND \"providerAccountId\" = $2";
// Auth.js v5 records OIDC providers' accounts as `oidc`, read here as `oauth` (which
// Tessera's OIDC providers are); `update_account` never writes the type, so the row keeps it.
const LIST_ACCOUNTS: &str = "SELECT \"userId\"::TEXT AS user_id, \
     CASE WHEN type = 'oidc' THEN 'oauth' ELSE type::TEXT END AS type, \
     provider::TEXT AS provider, \"providerAccountId\"::TEXT AS provider_account_id, access_token, \
     refresh_token, expires_at, token_type, scope, id_token, session_state, '{}'::TEXT AS extra \
     FROM accounts WHERE \"userId\" = $1 ORDER BY provider, \"providerAccountId\"";
const CREATE_SESSION: &str = concat!(
    "INSERT INTO sessions AS s (\"userId\", expires, \"sessionToken\") \
     SELECT $1, to_timestamp($2::FLOAT8 / 1000), $3 \
     WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) \
     AND NOT EXISTS (SELECT 1 FROM sessions o WHERE o.\"sessionToken\" = $3) \
     RETURNING ",
    session_cols!("s")
);
const SESSION_EXISTS: &str = "SELECT 1 AS one FROM sessions WHERE \"sessionToken\" = $1";
const GET_SESSION_AND_USER: &str = concat!(
    "SELECT ",
    session_cols!("s"),
    ", ",
    user_cols!("u"),
    " FROM sessions s JOIN users u ON u.id = s.\"userId\" WHERE s.\"sessionToken\" = $1"
);
const UPDATE_SESSION: &str =
    "UPDATE sessions SET expires = to_timestamp($2::FLOAT8 / 1000) WHERE \"sessionToken\" = $1";
const DELETE_SESSION: &str = concat!(
    "DELETE FROM sessions s WHERE s.\"sessionToken\" = $1 RETURNING ",
    session_cols!("s")
);
const LIST_SESSIONS: &str = concat!(
    "SELECT ",
    session_cols!("s"),
    " FROM sessions s WHERE s.\"userId\" = $1 ORDER BY s.expires, s.\"sessionToken\""
);
const DELETE_USER_SESSIONS: &str =
    "DELETE FROM sessions WHERE \"userId\" = $1 AND ($2::TEXT IS NULL OR \"sessionToken\" <> $2)";
const CREATE_VERIFICATION_TOKEN: &str =
    "INSERT INTO verification_token (identifier, expires, token) VALUES ($1, to_timestamp($2::FLOAT8 / 1000), $3)";
const USE_VERIFICATION_TOKEN: &str = "DELETE FROM verification_token WHERE identifier = $1 AND token = $2 \
     RETURNING identifier, token, FLOOR(EXTRACT(EPOCH FROM expires) * 1000)::BIGINT AS expires";
const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires < to_timestamp($1::FLOAT8 / 1000)";
const DELETE_EXPIRED_TOKENS: &str = "DELETE FROM verification_token WHERE expires < to_timestamp($1::FLOAT8 / 1000)";

/// One statement per table reading every column Tessera uses, and none of the rows.
const CHECKS: [(&str, &str); 4] = [
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
];

const EMAIL_TAKEN: &str = "a user with this email exists";
const ACCOUNT_TAKEN: &str = "this provider account is already linked";

/// `id` as the integer it is the canonical decimal text of, or `None` (it names no row).
pub(crate) fn parse_id(id: &str) -> Option<i32> {
    id.parse::<i32>().ok().filter(|n| n.to_string() == id)
}

/// Reads the columns of the four tables (no rows), so a database without them, or with
/// other columns, is refused with the table and PostgreSQL's message.
pub(crate) async fn check(pool: &PgPool) -> Result<(), AdapterError> {
    for (table, sql) in CHECKS {
        sqlx::query(sql).execute(pool).await.map_err(|e| {
            classify(
                &format!("the @auth/pg-adapter table {table} is missing or has other columns"),
                &e,
                None,
                None,
            )
        })?;
    }
    Ok(())
}

/// Whether `query` finds a row.
async fn exists<'q>(
    pool: &PgPool,
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    op: &'static str,
) -> Result<bool, AdapterError> {
    Ok(query.fetch_optional(pool).await.map_err(backend(op))?.is_some())
}

fn first_user(rows: &[PgRow], op: &'static str) -> Result<Option<User>, AdapterError> {
    rows.first().map(user_from_row).transpose().map_err(backend(op))
}

/// [`Adapter`] over `@auth/pg-adapter`'s tables.
#[derive(Clone)]
pub(crate) struct PgAdapterTables {
    pub(crate) pool: PgPool,
}

impl PgAdapterTables {
    /// Inserts `user` (on the pool or in a transaction) and reads it back; a taken email is
    /// a [`Conflict`](AdapterError::Conflict).
    async fn insert_user<'c, E>(executor: E, user: &NewUser, op: &'static str) -> Result<User, AdapterError>
    where
        E: sqlx::PgExecutor<'c>,
    {
        let rows = sqlx::query(CREATE_USER)
            .bind(&user.name)
            .bind(&user.email)
            .bind(user.email_verified.map(to_ms))
            .bind(&user.image)
            .fetch_all(executor)
            .await
            .map_err(|e| classify(op, &e, Some(EMAIL_TAKEN), None))?;
        match first_user(&rows, op)? {
            Some(created) => Ok(created),
            None => Err(AdapterError::Conflict(EMAIL_TAKEN.into())),
        }
    }

    /// Inserts `account` for the user `user_id`; `false` when nothing was inserted (no such
    /// user, or the provider account is linked already).
    async fn insert_account<'c, E>(
        executor: E,
        user_id: i32,
        account: &Account,
        op: &'static str,
    ) -> Result<bool, AdapterError>
    where
        E: sqlx::PgExecutor<'c>,
    {
        let cols = split_account(&account.extra);
        let [access, refresh, token_type, scope, id_token, session_state] = cols.text;
        let done = sqlx::query(LINK_ACCOUNT)
            .bind(user_id)
            .bind(account_type_str(account.kind))
            .bind(&account.provider)
            .bind(&account.provider_account_id)
            .bind(access)
            .bind(refresh)
            .bind(cols.expires_at)
            .bind(token_type)
            .bind(scope)
            .bind(id_token)
            .bind(session_state)
            .execute(executor)
            .await
            .map_err(|e| classify(op, &e, Some(ACCOUNT_TAKEN), Some("the account's user does not exist")))?;
        Ok(done.rows_affected() == 1)
    }
}

#[async_trait::async_trait]
impl Adapter for PgAdapterTables {
    async fn create_user(&self, user: NewUser) -> Result<User, AdapterError> {
        Self::insert_user(&self.pool, &user, "create_user").await
    }

    async fn get_user(&self, id: &str) -> Result<Option<User>, AdapterError> {
        let Some(id) = parse_id(id) else { return Ok(None) };
        let rows = sqlx::query(GET_USER)
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(backend("get_user"))?;
        first_user(&rows, "get_user")
    }

    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, AdapterError> {
        // `fetch_all`: without a UNIQUE constraint two rows may share an email; the first wins.
        let rows = sqlx::query(GET_USER_BY_EMAIL)
            .bind(email)
            .fetch_all(&self.pool)
            .await
            .map_err(backend("get_user_by_email"))?;
        first_user(&rows, "get_user_by_email")
    }

    async fn get_user_by_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<User>, AdapterError> {
        let rows = sqlx::query(GET_USER_BY_ACCOUNT)
            .bind(provider)
            .bind(provider_account_id)
            .fetch_all(&self.pool)
            .await
            .map_err(backend("get_user_by_account"))?;
        first_user(&rows, "get_user_by_account")
    }

    async fn update_user(&self, update: UserUpdate) -> Result<User, AdapterError> {
        const OP: &str = "update_user";
        let UserUpdate {
            id,
            name,
            email,
            image,
            email_verified,
        } = update;
        let Some(key) = parse_id(&id) else {
            return Err(AdapterError::NotFound(format!("user {id}")));
        };
        let verified = email_verified.map(|v| v.map(to_ms));
        let rows = sqlx::query(UPDATE_USER)
            .bind(key)
            .bind(name.is_some())
            .bind(name.flatten())
            .bind(email.is_some())
            .bind(email.flatten())
            .bind(image.is_some())
            .bind(image.flatten())
            .bind(verified.is_some())
            .bind(verified.flatten())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| classify(OP, &e, Some(EMAIL_TAKEN), None))?;
        if let Some(user) = first_user(&rows, OP)? {
            return Ok(user);
        }
        // No row: the user is missing, or the new email belongs to someone else.
        if exists(&self.pool, sqlx::query(USER_EXISTS).bind(key), OP).await? {
            Err(AdapterError::Conflict(EMAIL_TAKEN.into()))
        } else {
            Err(AdapterError::NotFound(format!("user {id}")))
        }
    }

    async fn delete_user(&self, id: &str) -> Result<(), AdapterError> {
        const OP: &str = "delete_user";
        let Some(id) = parse_id(id) else { return Ok(()) };
        // Sessions and accounts first, in one transaction: the tables may have no cascade.
        let mut tx = self.pool.begin().await.map_err(backend(OP))?;
        for sql in [
            "DELETE FROM sessions WHERE \"userId\" = $1",
            "DELETE FROM accounts WHERE \"userId\" = $1",
            "DELETE FROM users WHERE id = $1",
        ] {
            sqlx::query(sql).bind(id).execute(&mut *tx).await.map_err(backend(OP))?;
        }
        tx.commit().await.map_err(backend(OP))
    }

    async fn link_account(&self, account: Account) -> Result<(), AdapterError> {
        const OP: &str = "link_account";
        let missing = || AdapterError::NotFound("the account's user does not exist".into());
        let Some(user_id) = account.user_id.as_deref() else {
            return Err(AdapterError::NotFound("account without user_id".into()));
        };
        let user_id = parse_id(user_id).ok_or_else(missing)?;
        if Self::insert_account(&self.pool, user_id, &account, OP).await? {
            return Ok(());
        }
        let linked = sqlx::query(ACCOUNT_EXISTS)
            .bind(&account.provider)
            .bind(&account.provider_account_id);
        if exists(&self.pool, linked, OP).await? {
            Err(AdapterError::Conflict(ACCOUNT_TAKEN.into()))
        } else {
            Err(missing())
        }
    }

    async fn unlink_account(&self, provider: &str, provider_account_id: &str) -> Result<(), AdapterError> {
        sqlx::query(UNLINK_ACCOUNT)
            .bind(provider)
            .bind(provider_account_id)
            .execute(&self.pool)
            .await
            .map_err(backend("unlink_account"))?;
        Ok(())
    }

    async fn update_account(&self, account: Account) -> Result<(), AdapterError> {
        let cols = split_account(&account.extra);
        let [access, refresh, token_type, scope, id_token, session_state] = cols.text;
        let done = sqlx::query(UPDATE_ACCOUNT)
            .bind(&account.provider)
            .bind(&account.provider_account_id)
            .bind(access)
            .bind(refresh)
            .bind(cols.expires_at)
            .bind(token_type)
            .bind(scope)
            .bind(id_token)
            .bind(session_state)
            .execute(&self.pool)
            .await
            .map_err(backend("update_account"))?;
        if done.rows_affected() == 0 {
            return Err(AdapterError::NotFound(format!(
                "account {}/{}",
                account.provider, account.provider_account_id
            )));
        }
        Ok(())
    }

    async fn list_accounts(&self, user_id: &str) -> Result<Vec<Account>, AdapterError> {
        let Some(user_id) = parse_id(user_id) else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(LIST_ACCOUNTS)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(backend("list_accounts"))?;
        rows.iter().map(account_from_row).collect()
    }

    async fn create_session(&self, session: AdapterSession) -> Result<AdapterSession, AdapterError> {
        const OP: &str = "create_session";
        let missing = || AdapterError::NotFound("the session's user does not exist".into());
        let user_id = parse_id(&session.user_id).ok_or_else(missing)?;
        let rows = sqlx::query(CREATE_SESSION)
            .bind(user_id)
            .bind(to_ms(session.expires))
            .bind(&session.session_token)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| {
                classify(
                    OP,
                    &e,
                    Some("session token exists"),
                    Some("the session's user does not exist"),
                )
            })?;
        if let Some(row) = rows.first() {
            return session_from_row(row).map_err(backend(OP));
        }
        let taken = sqlx::query(SESSION_EXISTS).bind(&session.session_token);
        if exists(&self.pool, taken, OP).await? {
            Err(AdapterError::Conflict("session token exists".into()))
        } else {
            Err(missing())
        }
    }

    async fn get_session_and_user(&self, session_token: &str) -> Result<Option<(AdapterSession, User)>, AdapterError> {
        const OP: &str = "get_session_and_user";
        let rows = sqlx::query(GET_SESSION_AND_USER)
            .bind(session_token)
            .fetch_all(&self.pool)
            .await
            .map_err(backend(OP))?;
        let Some(row) = rows.first() else { return Ok(None) };
        let session = session_from_row(row).map_err(backend(OP))?;
        let user = user_from_row(row).map_err(backend(OP))?;
        Ok(Some((session, user)))
    }

    async fn update_session(&self, session_token: &str, expires: std::time::SystemTime) -> Result<(), AdapterError> {
        sqlx::query(UPDATE_SESSION)
            .bind(session_token)
            .bind(to_ms(expires))
            .execute(&self.pool)
            .await
            .map_err(backend("update_session"))?;
        Ok(())
    }

    async fn delete_session(&self, session_token: &str) -> Result<Option<AdapterSession>, AdapterError> {
        let rows = sqlx::query(DELETE_SESSION)
            .bind(session_token)
            .fetch_all(&self.pool)
            .await
            .map_err(backend("delete_session"))?;
        rows.first()
            .map(session_from_row)
            .transpose()
            .map_err(backend("delete_session"))
    }

    async fn list_sessions(&self, user_id: &str) -> Result<Vec<AdapterSession>, AdapterError> {
        let Some(user_id) = parse_id(user_id) else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(LIST_SESSIONS)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(backend("list_sessions"))?;
        rows.iter()
            .map(session_from_row)
            .collect::<Result<_, _>>()
            .map_err(backend("list_sessions"))
    }

    async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<u64, AdapterError> {
        let Some(user_id) = parse_id(user_id) else { return Ok(0) };
        let done = sqlx::query(DELETE_USER_SESSIONS)
            .bind(user_id)
            .bind(keep)
            .execute(&self.pool)
            .await
            .map_err(backend("delete_user_sessions"))?;
        Ok(done.rows_affected())
    }

    async fn create_verification_token(&self, token: VerificationToken) -> Result<(), AdapterError> {
        sqlx::query(CREATE_VERIFICATION_TOKEN)
            .bind(&token.identifier)
            .bind(to_ms(token.expires))
            .bind(&token.token)
            .execute(&self.pool)
            .await
            .map_err(|e| classify("create_verification_token", &e, Some("verification token exists"), None))?;
        Ok(())
    }

    async fn use_verification_token(
        &self,
        identifier: &str,
        token: &str,
    ) -> Result<Option<VerificationToken>, AdapterError> {
        // One DELETE … RETURNING: of two concurrent uses, exactly one gets the row.
        let rows = sqlx::query(USE_VERIFICATION_TOKEN)
            .bind(identifier)
            .bind(token)
            .fetch_all(&self.pool)
            .await
            .map_err(backend("use_verification_token"))?;
        rows.first()
            .map(token_from_row)
            .transpose()
            .map_err(backend("use_verification_token"))
    }

    async fn create_user_and_link(&self, user: NewUser, account: Account) -> Result<User, AdapterError> {
        const OP: &str = "create_user_and_link";
        // Both inserts in one transaction: an error drops `tx`, which rolls back.
        let mut tx = self.pool.begin().await.map_err(backend(OP))?;
        let created = Self::insert_user(&mut *tx, &user, OP).await?;
        let id = parse_id(&created.id)
            .ok_or_else(|| AdapterError::Backend(format!("{OP}: id {} is not an INTEGER", created.id)))?;
        if !Self::insert_account(&mut *tx, id, &account, OP).await? {
            // The user was inserted in this transaction: the account is the one taken.
            return Err(AdapterError::Conflict(ACCOUNT_TAKEN.into()));
        }
        tx.commit().await.map_err(backend(OP))?;
        Ok(created)
    }

    async fn delete_expired(&self, now: std::time::SystemTime) -> Result<u64, AdapterError> {
        let mut deleted = 0;
        for statement in [DELETE_EXPIRED_SESSIONS, DELETE_EXPIRED_TOKENS] {
            let done = sqlx::query(statement)
                .bind(to_ms(now))
                .execute(&self.pool)
                .await
                .map_err(backend("delete_expired"))?;
            deleted += done.rows_affected();
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_id;

    #[test]
    fn ids_are_canonical_integers() {
        assert_eq!(parse_id("42"), Some(42));
        assert_eq!(parse_id("0"), Some(0));
        assert_eq!(parse_id("2147483647"), Some(i32::MAX));
        for bad in ["", "042", "+42", " 42", "4.2", "2147483648", "no-such-user", "9a"] {
            assert_eq!(parse_id(bad), None, "{bad:?}");
        }
    }
}
