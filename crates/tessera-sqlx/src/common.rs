//! What both backends share: the statement set, row decoding, time and error mapping, the
//! account column split, and (as a macro, since sqlx's executors are concrete types) the
//! [`Adapter`](tessera::adapter::Adapter) implementation itself.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use sqlx::error::ErrorKind;
use tessera::adapter::AdapterError;
use tessera::{Account, AccountType, User};

/// The name of the table in which applied migrations are recorded: not sqlx's default
/// `_sqlx_migrations`, which the application's own sqlx migrations may already use.
pub(crate) const MIGRATIONS_TABLE: &str = "_tessera_migrations";

/// A migrator over embedded SQL files, numbered from 1 in order, recorded in
/// [`MIGRATIONS_TABLE`]. Built by hand rather than with `sqlx::migrate!` (which needs sqlx's
/// `macros` feature and cannot rename the bookkeeping table). A shipped file is never
/// edited: its checksum is recorded.
pub(crate) fn migrator(files: &[&'static str]) -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    let migrations = files
        .iter()
        .zip(1..)
        .map(|(sql, version)| Migration::new(version, "init".into(), MigrationType::Simple, sql.into_sql_str(), false))
        .collect();
    let mut migrator = Migrator::with_migrations(migrations);
    migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
    migrator
}

/// Every statement an adapter runs. Both backends take `$1`-style placeholders and return
/// the same column names and types: text, and timestamps as `BIGINT` epoch milliseconds.
pub(crate) struct Sql {
    pub create_user: &'static str,
    pub get_user: &'static str,
    pub get_user_by_email: &'static str,
    pub get_user_by_account: &'static str,
    pub update_user: &'static str,
    pub delete_user: &'static str,
    pub link_account: &'static str,
    pub unlink_account: &'static str,
    pub update_account: &'static str,
    pub list_accounts: &'static str,
    pub create_session: &'static str,
    pub get_session_and_user: &'static str,
    pub update_session: &'static str,
    pub delete_session: &'static str,
    pub list_sessions: &'static str,
    pub delete_user_sessions: &'static str,
    pub create_verification_token: &'static str,
    pub use_verification_token: &'static str,
    /// Sessions expiring before `$1` (epoch ms).
    pub delete_expired_sessions: &'static str,
    /// Verification tokens expiring before `$1` (epoch ms).
    pub delete_expired_tokens: &'static str,
    /// The `hash` of user `$1` (no row: none).
    pub get_password_hash: &'static str,
    /// Sets user `$1`'s hash to `$2` (insert or replace).
    pub set_password_hash: &'static str,
    /// `secret` and `last_used_step` of user `$1`'s two-factor set-up (no row: none).
    pub get_two_factor: &'static str,
    /// Sets user `$1`'s two-factor secret to `$2` and forgets the last step (insert or replace).
    pub set_two_factor: &'static str,
    /// Deletes user `$1`'s two-factor set-up.
    pub delete_two_factor: &'static str,
    /// Deletes user `$1`'s recovery codes.
    pub delete_recovery_codes: &'static str,
    /// Stores recovery code hash `$2` of user `$1`.
    pub insert_recovery_code: &'static str,
    /// Sets user `$1`'s last used step to `$2` when it is unset or earlier (one row: accepted).
    pub use_two_factor_step: &'static str,
    /// Deletes recovery code hash `$2` of user `$1` (one row: used).
    pub use_recovery_code: &'static str,
}

/// Typed column access, implemented for both backends' row types.
pub(crate) trait Cols {
    fn text(&self, col: &str) -> Result<String, sqlx::Error>;
    fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error>;
    fn int(&self, col: &str) -> Result<i64, sqlx::Error>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>, sqlx::Error>;
}

macro_rules! impl_cols {
    ($row:ty) => {
        impl $crate::common::Cols for $row {
            fn text(&self, col: &str) -> Result<String, sqlx::Error> {
                sqlx::Row::try_get(self, col)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error> {
                sqlx::Row::try_get(self, col)
            }
            fn int(&self, col: &str) -> Result<i64, sqlx::Error> {
                sqlx::Row::try_get(self, col)
            }
            fn opt_int(&self, col: &str) -> Result<Option<i64>, sqlx::Error> {
                sqlx::Row::try_get(self, col)
            }
        }
    };
}
pub(crate) use impl_cols;

/// A new random id (UUID v4, lowercase, hyphenated).
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `t` as epoch milliseconds (truncated; saturating far outside the representable range).
pub(crate) fn to_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// Epoch milliseconds as a `SystemTime`.
pub(crate) fn from_ms(ms: i64) -> SystemTime {
    let d = Duration::from_millis(ms.unsigned_abs());
    let t = if ms >= 0 {
        UNIX_EPOCH.checked_add(d)
    } else {
        UNIX_EPOCH.checked_sub(d)
    };
    t.unwrap_or(UNIX_EPOCH)
}

/// What a failed statement means for the caller. Messages name the operation and the
/// database's own message, never bound values (tokens, emails).
pub(crate) fn classify(op: &str, err: &sqlx::Error, conflict: Option<&str>, not_found: Option<&str>) -> AdapterError {
    if let sqlx::Error::Database(db) = err {
        match (db.kind(), conflict, not_found) {
            (ErrorKind::UniqueViolation, Some(what), _) => {
                return AdapterError::Conflict(what.to_owned());
            }
            (ErrorKind::ForeignKeyViolation, _, Some(what)) => {
                return AdapterError::NotFound(what.to_owned());
            }
            _ => {}
        }
        let code = db.code().map(|c| format!(" [{c}]")).unwrap_or_default();
        return AdapterError::Backend(format!("{op}: {}{code}", db.message()));
    }
    AdapterError::Backend(format!("{op}: {err}"))
}

/// A statement failure with no constraint worth telling apart.
pub(crate) fn backend(op: &'static str) -> impl Fn(sqlx::Error) -> AdapterError {
    move |e| classify(op, &e, None, None)
}

/// The user just inserted with `id` (its verification time as stored, in milliseconds).
pub(crate) fn created_user(id: String, user: tessera::adapter::NewUser, verified_ms: Option<i64>) -> User {
    User {
        id,
        name: user.name,
        email: user.email,
        image: user.image,
        email_verified: verified_ms.map(from_ms),
        extra: Map::new(),
    }
}

pub(crate) fn user_from_row(row: &impl Cols) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.text("id")?,
        name: row.opt_text("name")?,
        email: row.opt_text("email")?,
        image: row.opt_text("image")?,
        email_verified: row.opt_int("email_verified")?.map(from_ms),
        extra: Map::new(),
    })
}

pub(crate) fn session_from_row(row: &impl Cols) -> Result<tessera::adapter::AdapterSession, sqlx::Error> {
    Ok(tessera::adapter::AdapterSession {
        session_token: row.text("session_token")?,
        user_id: row.text("user_id")?,
        expires: from_ms(row.int("expires")?),
    })
}

pub(crate) fn token_from_row(row: &impl Cols) -> Result<tessera::adapter::VerificationToken, sqlx::Error> {
    Ok(tessera::adapter::VerificationToken {
        identifier: row.text("identifier")?,
        token: row.text("token")?,
        expires: from_ms(row.int("expires")?),
    })
}

/// The token-set fields stored in their own text columns (`expires_at` has a `BIGINT` one).
pub(crate) const TEXT_FIELDS: [&str; 6] = [
    "access_token",
    "refresh_token",
    "token_type",
    "scope",
    "id_token",
    "session_state",
];

/// An account's `extra` split into column values and the rest (stored as JSON). A known
/// field whose value does not fit its column (say a `scope` array or a fractional
/// `expires_at`) stays in the rest, so it still round-trips unchanged.
#[derive(Debug)]
pub(crate) struct AccountColumns {
    pub text: [Option<String>; 6],
    pub expires_at: Option<i64>,
    pub rest: String,
}

pub(crate) fn split_account(extra: &Map<String, Value>) -> AccountColumns {
    let mut rest = extra.clone();
    let text = TEXT_FIELDS.map(|k| match rest.get(k) {
        Some(Value::String(_)) => match rest.remove(k) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        },
        _ => None,
    });
    let expires_at = match rest.get("expires_at").and_then(Value::as_i64) {
        Some(n) => {
            rest.remove("expires_at");
            Some(n)
        }
        None => None,
    };
    AccountColumns {
        text,
        expires_at,
        rest: Value::Object(rest).to_string(),
    }
}

pub(crate) fn account_type_str(kind: AccountType) -> &'static str {
    match kind {
        AccountType::OAuth => "oauth",
        AccountType::Email => "email",
        AccountType::Credentials => "credentials",
    }
}

pub(crate) fn account_from_row(row: &impl Cols) -> Result<Account, AdapterError> {
    let bad = |e: sqlx::Error| classify("list_accounts", &e, None, None);
    let kind = match row.text("type").map_err(bad)?.as_str() {
        "oauth" => AccountType::OAuth,
        "email" => AccountType::Email,
        "credentials" => AccountType::Credentials,
        other => {
            return Err(AdapterError::Backend(format!(
                "list_accounts: unknown account type {other:?}"
            )));
        }
    };
    let mut extra = Map::new();
    for k in TEXT_FIELDS {
        if let Some(v) = row.opt_text(k).map_err(bad)? {
            extra.insert(k.to_owned(), Value::String(v));
        }
    }
    if let Some(n) = row.opt_int("expires_at").map_err(bad)? {
        extra.insert("expires_at".to_owned(), Value::from(n));
    }
    let stored = row.text("extra").map_err(bad)?;
    match serde_json::from_str::<Value>(&stored) {
        Ok(Value::Object(rest)) => {
            for (k, v) in rest {
                extra.entry(k).or_insert(v);
            }
        }
        _ => {
            return Err(AdapterError::Backend(
                "list_accounts: the extra column is not a JSON object".into(),
            ));
        }
    }
    Ok(Account {
        provider: row.text("provider").map_err(bad)?,
        kind,
        provider_account_id: row.text("provider_account_id").map_err(bad)?,
        user_id: Some(row.text("user_id").map_err(bad)?),
        extra,
    })
}

/// `create_user`'s statement with its values bound: the new id, a
/// [`NewUser`](tessera::adapter::NewUser) and its `email_verified` in epoch ms. Run it on the
/// pool or in a transaction.
macro_rules! insert_user_query {
    ($sql:expr, $id:expr, $user:expr, $verified:expr) => {
        sqlx::query($sql.create_user)
            .bind($id)
            .bind(&$user.name)
            .bind(&$user.email)
            .bind($verified)
            .bind(&$user.image)
    };
}
pub(crate) use insert_user_query;

/// `link_account`'s statement with its values bound: the user id, the
/// [`Account`](tessera::Account) and its [`AccountColumns`] (consumed).
macro_rules! insert_account_query {
    ($sql:expr, $user_id:expr, $account:expr, $cols:expr) => {{
        let [access, refresh, token_type, scope, id_token, session_state] = $cols.text;
        sqlx::query($sql.link_account)
            .bind($crate::common::new_id())
            .bind($user_id)
            .bind($crate::common::account_type_str($account.kind))
            .bind(&$account.provider)
            .bind(&$account.provider_account_id)
            .bind(access)
            .bind(refresh)
            .bind($cols.expires_at)
            .bind(token_type)
            .bind(scope)
            .bind(id_token)
            .bind(session_state)
            .bind($cols.rest)
    }};
}
pub(crate) use insert_account_query;

/// Implements [`Adapter`](tessera::adapter::Adapter) for an adapter struct with a `pool`
/// field, running the statements of `$sql` (a [`Sql`]).
macro_rules! impl_adapter {
    ($adapter:ty, $sql:expr) => {
        #[async_trait::async_trait]
        impl tessera::adapter::Adapter for $adapter {
            async fn create_user(
                &self,
                user: tessera::adapter::NewUser,
            ) -> Result<tessera::User, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let id = new_id();
                let verified = user.email_verified.map(to_ms);
                insert_user_query!($sql, &id, user, verified)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| classify("create_user", &e, Some("a user with this email exists"), None))?;
                Ok(created_user(id, user, verified))
            }

            async fn get_user(&self, id: &str) -> Result<Option<tessera::User>, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let row = sqlx::query($sql.get_user)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend("get_user"))?;
                row.as_ref()
                    .map(user_from_row)
                    .transpose()
                    .map_err(backend("get_user"))
            }

            async fn get_user_by_email(
                &self,
                email: &str,
            ) -> Result<Option<tessera::User>, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let row = sqlx::query($sql.get_user_by_email)
                    .bind(email)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend("get_user_by_email"))?;
                row.as_ref()
                    .map(user_from_row)
                    .transpose()
                    .map_err(backend("get_user_by_email"))
            }

            async fn get_user_by_account(
                &self,
                provider: &str,
                provider_account_id: &str,
            ) -> Result<Option<tessera::User>, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let row = sqlx::query($sql.get_user_by_account)
                    .bind(provider)
                    .bind(provider_account_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend("get_user_by_account"))?;
                row.as_ref()
                    .map(user_from_row)
                    .transpose()
                    .map_err(backend("get_user_by_account"))
            }

            async fn update_user(
                &self,
                update: tessera::adapter::UserUpdate,
            ) -> Result<tessera::User, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let tessera::adapter::UserUpdate {
                    id,
                    name,
                    email,
                    image,
                    email_verified,
                } = update;
                let verified = email_verified.map(|v| v.map(to_ms));
                let row = sqlx::query($sql.update_user)
                    .bind(&id)
                    .bind(name.is_some())
                    .bind(name.flatten())
                    .bind(email.is_some())
                    .bind(email.flatten())
                    .bind(image.is_some())
                    .bind(image.flatten())
                    .bind(verified.is_some())
                    .bind(verified.flatten())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| classify("update_user", &e, Some("a user with this email exists"), None))?;
                match row {
                    Some(row) => user_from_row(&row).map_err(backend("update_user")),
                    None => Err(tessera::adapter::AdapterError::NotFound(format!("user {id}"))),
                }
            }

            async fn delete_user(&self, id: &str) -> Result<(), tessera::adapter::AdapterError> {
                use $crate::common::*;
                // Accounts and sessions go by ON DELETE CASCADE.
                sqlx::query($sql.delete_user)
                    .bind(id)
                    .execute(&self.pool)
                    .await
                    .map_err(backend("delete_user"))?;
                Ok(())
            }

            async fn link_account(&self, account: tessera::Account) -> Result<(), tessera::adapter::AdapterError> {
                use $crate::common::*;
                let Some(user_id) = account.user_id.as_deref() else {
                    return Err(tessera::adapter::AdapterError::NotFound(
                        "account without user_id".into(),
                    ));
                };
                let cols = split_account(&account.extra);
                insert_account_query!($sql, user_id, account, cols)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| {
                        classify(
                            "link_account",
                            &e,
                            Some("this provider account is already linked"),
                            Some("the account's user does not exist"),
                        )
                    })?;
                Ok(())
            }

            async fn unlink_account(
                &self,
                provider: &str,
                provider_account_id: &str,
            ) -> Result<(), tessera::adapter::AdapterError> {
                use $crate::common::*;
                sqlx::query($sql.unlink_account)
                    .bind(provider)
                    .bind(provider_account_id)
                    .execute(&self.pool)
                    .await
                    .map_err(backend("unlink_account"))?;
                Ok(())
            }

            async fn update_account(&self, account: tessera::Account) -> Result<(), tessera::adapter::AdapterError> {
                use $crate::common::*;
                let cols = split_account(&account.extra);
                let [access, refresh, token_type, scope, id_token, session_state] = cols.text;
                let done = sqlx::query($sql.update_account)
                    .bind(&account.provider)
                    .bind(&account.provider_account_id)
                    .bind(access)
                    .bind(refresh)
                    .bind(cols.expires_at)
                    .bind(token_type)
                    .bind(scope)
                    .bind(id_token)
                    .bind(session_state)
                    .bind(cols.rest)
                    .execute(&self.pool)
                    .await
                    .map_err(backend("update_account"))?;
                if done.rows_affected() == 0 {
                    return Err(tessera::adapter::AdapterError::NotFound(format!(
                        "account {}/{}",
                        account.provider, account.provider_account_id
                    )));
                }
                Ok(())
            }

            async fn list_accounts(
                &self,
                user_id: &str,
            ) -> Result<Vec<tessera::Account>, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let rows = sqlx::query($sql.list_accounts)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend("list_accounts"))?;
                rows.iter().map(account_from_row).collect()
            }

            async fn create_session(
                &self,
                session: tessera::adapter::AdapterSession,
            ) -> Result<tessera::adapter::AdapterSession, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let rows = sqlx::query($sql.create_session)
                    .bind(&session.session_token)
                    .bind(&session.user_id)
                    .bind(to_ms(session.expires))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| {
                        classify(
                            "create_session",
                            &e,
                            Some("session token exists"),
                            Some("the session's user does not exist"),
                        )
                    })?;
                match rows.first() {
                    Some(row) => session_from_row(row).map_err(backend("create_session")),
                    None => Err(tessera::adapter::AdapterError::Backend(
                        "create_session: no row returned".into(),
                    )),
                }
            }

            async fn get_session_and_user(
                &self,
                session_token: &str,
            ) -> Result<Option<(tessera::adapter::AdapterSession, tessera::User)>, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let row = sqlx::query($sql.get_session_and_user)
                    .bind(session_token)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend("get_session_and_user"))?;
                let Some(row) = row else { return Ok(None) };
                let session = session_from_row(&row).map_err(backend("get_session_and_user"))?;
                let user = user_from_row(&row).map_err(backend("get_session_and_user"))?;
                Ok(Some((session, user)))
            }

            async fn update_session(
                &self,
                session_token: &str,
                expires: std::time::SystemTime,
            ) -> Result<(), tessera::adapter::AdapterError> {
                use $crate::common::*;
                sqlx::query($sql.update_session)
                    .bind(session_token)
                    .bind(to_ms(expires))
                    .execute(&self.pool)
                    .await
                    .map_err(backend("update_session"))?;
                Ok(())
            }

            async fn delete_session(
                &self,
                session_token: &str,
            ) -> Result<Option<tessera::adapter::AdapterSession>, tessera::adapter::AdapterError> {
                use $crate::common::*;
                // `fetch_all`, not `fetch_optional`: step a RETURNING statement to its end.
                let rows = sqlx::query($sql.delete_session)
                    .bind(session_token)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend("delete_session"))?;
                rows.first()
                    .map(session_from_row)
                    .transpose()
                    .map_err(backend("delete_session"))
            }

            async fn list_sessions(
                &self,
                user_id: &str,
            ) -> Result<Vec<tessera::adapter::AdapterSession>, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let rows = sqlx::query($sql.list_sessions)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend("list_sessions"))?;
                rows.iter()
                    .map(session_from_row)
                    .collect::<Result<_, _>>()
                    .map_err(backend("list_sessions"))
            }

            async fn delete_user_sessions(
                &self,
                user_id: &str,
                keep: Option<&str>,
            ) -> Result<u64, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let done = sqlx::query($sql.delete_user_sessions)
                    .bind(user_id)
                    .bind(keep)
                    .execute(&self.pool)
                    .await
                    .map_err(backend("delete_user_sessions"))?;
                Ok(done.rows_affected())
            }

            async fn create_verification_token(
                &self,
                token: tessera::adapter::VerificationToken,
            ) -> Result<(), tessera::adapter::AdapterError> {
                use $crate::common::*;
                sqlx::query($sql.create_verification_token)
                    .bind(&token.identifier)
                    .bind(&token.token)
                    .bind(to_ms(token.expires))
                    .execute(&self.pool)
                    .await
                    .map_err(|e| {
                        classify(
                            "create_verification_token",
                            &e,
                            Some("verification token exists"),
                            None,
                        )
                    })?;
                Ok(())
            }

            async fn use_verification_token(
                &self,
                identifier: &str,
                token: &str,
            ) -> Result<Option<tessera::adapter::VerificationToken>, tessera::adapter::AdapterError> {
                use $crate::common::*;
                // One DELETE … RETURNING: of two concurrent uses, exactly one gets the row.
                let rows = sqlx::query($sql.use_verification_token)
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

            async fn create_user_and_link(
                &self,
                user: tessera::adapter::NewUser,
                account: tessera::Account,
            ) -> Result<tessera::User, tessera::adapter::AdapterError> {
                use $crate::common::*;
                const OP: &str = "create_user_and_link";
                let id = new_id();
                let verified = user.email_verified.map(to_ms);
                let cols = split_account(&account.extra);
                // Both inserts in one transaction: an error drops `tx`, which rolls back.
                let mut tx = self.pool.begin().await.map_err(backend(OP))?;
                insert_user_query!($sql, &id, user, verified)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| classify(OP, &e, Some("a user with this email exists"), None))?;
                insert_account_query!($sql, &id, account, cols)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| classify(OP, &e, Some("this provider account is already linked"), None))?;
                tx.commit().await.map_err(backend(OP))?;
                Ok(created_user(id, user, verified))
            }

            async fn delete_expired(&self, now: std::time::SystemTime) -> Result<u64, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let mut deleted = 0;
                for statement in [$sql.delete_expired_sessions, $sql.delete_expired_tokens] {
                    let done = sqlx::query(statement)
                        .bind(to_ms(now))
                        .execute(&self.pool)
                        .await
                        .map_err(backend("delete_expired"))?;
                    deleted += done.rows_affected();
                }
                Ok(deleted)
            }

            fn password_support(&self) -> Result<(), tessera::adapter::AdapterError> {
                Ok(())
            }

            async fn get_password_hash(&self, user_id: &str) -> Result<Option<String>, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let row = sqlx::query($sql.get_password_hash)
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend("get_password_hash"))?;
                row.map(|r| r.text("hash"))
                    .transpose()
                    .map_err(backend("get_password_hash"))
            }

            async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<(), tessera::adapter::AdapterError> {
                use $crate::common::*;
                sqlx::query($sql.set_password_hash)
                    .bind(user_id)
                    .bind(hash)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| classify("set_password_hash", &e, None, Some("no such user")))?;
                Ok(())
            }

            fn two_factor_support(&self) -> Result<(), tessera::adapter::AdapterError> {
                Ok(())
            }

            async fn get_two_factor(
                &self,
                user_id: &str,
            ) -> Result<Option<tessera::adapter::TwoFactorRecord>, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let row = sqlx::query($sql.get_two_factor)
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend("get_two_factor"))?;
                row.map(|r| {
                    Ok::<_, sqlx::Error>(tessera::adapter::TwoFactorRecord {
                        secret: r.text("secret")?,
                        last_used_step: r.opt_int("last_used_step")?,
                    })
                })
                .transpose()
                .map_err(backend("get_two_factor"))
            }

            async fn set_two_factor(
                &self,
                user_id: &str,
                secret: &str,
                recovery_codes: &[String],
            ) -> Result<(), tessera::adapter::AdapterError> {
                use $crate::common::*;
                const OP: &str = "set_two_factor";
                // The set-up and its codes in one transaction: an error drops `tx`, which rolls back.
                let mut tx = self.pool.begin().await.map_err(backend(OP))?;
                sqlx::query($sql.set_two_factor)
                    .bind(user_id)
                    .bind(secret)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| classify(OP, &e, None, Some("no such user")))?;
                sqlx::query($sql.delete_recovery_codes)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend(OP))?;
                for code in recovery_codes {
                    sqlx::query($sql.insert_recovery_code)
                        .bind(user_id)
                        .bind(code)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend(OP))?;
                }
                tx.commit().await.map_err(backend(OP))
            }

            async fn delete_two_factor(&self, user_id: &str) -> Result<(), tessera::adapter::AdapterError> {
                use $crate::common::*;
                const OP: &str = "delete_two_factor";
                let mut tx = self.pool.begin().await.map_err(backend(OP))?;
                for statement in [$sql.delete_recovery_codes, $sql.delete_two_factor] {
                    sqlx::query(statement)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend(OP))?;
                }
                tx.commit().await.map_err(backend(OP))
            }

            async fn use_two_factor_step(
                &self,
                user_id: &str,
                step: i64,
            ) -> Result<bool, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let done = sqlx::query($sql.use_two_factor_step)
                    .bind(user_id)
                    .bind(step)
                    .execute(&self.pool)
                    .await
                    .map_err(backend("use_two_factor_step"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn use_recovery_code(
                &self,
                user_id: &str,
                code_hash: &str,
            ) -> Result<bool, tessera::adapter::AdapterError> {
                use $crate::common::*;
                let done = sqlx::query($sql.use_recovery_code)
                    .bind(user_id)
                    .bind(code_hash)
                    .execute(&self.pool)
                    .await
                    .map_err(backend("use_recovery_code"))?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
pub(crate) use impl_adapter;

/// `impl Adapter for $adapter` forwarding every method to `self.tables.adapter()` (Tessera's
/// tables or the app's): one list for both backends, so a new `Adapter` method cannot be
/// forgotten on one of them and silently keep the trait's default there (as
/// `password_accounts_on_sqlite` once caught).
macro_rules! delegate_adapter {
    ($adapter:ty) => {
        #[async_trait::async_trait]
        impl tessera::adapter::Adapter for $adapter {
            async fn create_user(
                &self,
                user: tessera::adapter::NewUser,
            ) -> Result<tessera::User, tessera::adapter::AdapterError> {
                self.tables.adapter().create_user(user).await
            }
            async fn get_user(&self, id: &str) -> Result<Option<tessera::User>, tessera::adapter::AdapterError> {
                self.tables.adapter().get_user(id).await
            }
            async fn get_user_by_email(
                &self,
                email: &str,
            ) -> Result<Option<tessera::User>, tessera::adapter::AdapterError> {
                self.tables.adapter().get_user_by_email(email).await
            }
            async fn get_user_by_account(
                &self,
                provider: &str,
                provider_account_id: &str,
            ) -> Result<Option<tessera::User>, tessera::adapter::AdapterError> {
                self.tables
                    .adapter()
                    .get_user_by_account(provider, provider_account_id)
                    .await
            }
            async fn update_user(
                &self,
                update: tessera::adapter::UserUpdate,
            ) -> Result<tessera::User, tessera::adapter::AdapterError> {
                self.tables.adapter().update_user(update).await
            }
            async fn delete_user(&self, id: &str) -> Result<(), tessera::adapter::AdapterError> {
                self.tables.adapter().delete_user(id).await
            }
            async fn link_account(&self, account: tessera::Account) -> Result<(), tessera::adapter::AdapterError> {
                self.tables.adapter().link_account(account).await
            }
            async fn unlink_account(
                &self,
                provider: &str,
                provider_account_id: &str,
            ) -> Result<(), tessera::adapter::AdapterError> {
                self.tables
                    .adapter()
                    .unlink_account(provider, provider_account_id)
                    .await
            }
            async fn update_account(&self, account: tessera::Account) -> Result<(), tessera::adapter::AdapterError> {
                self.tables.adapter().update_account(account).await
            }
            async fn list_accounts(
                &self,
                user_id: &str,
            ) -> Result<Vec<tessera::Account>, tessera::adapter::AdapterError> {
                self.tables.adapter().list_accounts(user_id).await
            }
            async fn create_session(
                &self,
                session: tessera::adapter::AdapterSession,
            ) -> Result<tessera::adapter::AdapterSession, tessera::adapter::AdapterError> {
                self.tables.adapter().create_session(session).await
            }
            async fn get_session_and_user(
                &self,
                session_token: &str,
            ) -> Result<Option<(tessera::adapter::AdapterSession, tessera::User)>, tessera::adapter::AdapterError> {
                self.tables.adapter().get_session_and_user(session_token).await
            }
            async fn update_session(
                &self,
                session_token: &str,
                expires: std::time::SystemTime,
            ) -> Result<(), tessera::adapter::AdapterError> {
                self.tables.adapter().update_session(session_token, expires).await
            }
            async fn delete_session(
                &self,
                session_token: &str,
            ) -> Result<Option<tessera::adapter::AdapterSession>, tessera::adapter::AdapterError> {
                self.tables.adapter().delete_session(session_token).await
            }
            async fn list_sessions(
                &self,
                user_id: &str,
            ) -> Result<Vec<tessera::adapter::AdapterSession>, tessera::adapter::AdapterError> {
                self.tables.adapter().list_sessions(user_id).await
            }
            async fn delete_user_sessions(
                &self,
                user_id: &str,
                keep: Option<&str>,
            ) -> Result<u64, tessera::adapter::AdapterError> {
                self.tables.adapter().delete_user_sessions(user_id, keep).await
            }
            async fn create_verification_token(
                &self,
                token: tessera::adapter::VerificationToken,
            ) -> Result<(), tessera::adapter::AdapterError> {
                self.tables.adapter().create_verification_token(token).await
            }
            async fn use_verification_token(
                &self,
                identifier: &str,
                token: &str,
            ) -> Result<Option<tessera::adapter::VerificationToken>, tessera::adapter::AdapterError> {
                self.tables
                    .adapter()
                    .use_verification_token(identifier, token)
                    .await
            }
            async fn create_user_and_link(
                &self,
                user: tessera::adapter::NewUser,
                account: tessera::Account,
            ) -> Result<tessera::User, tessera::adapter::AdapterError> {
                self.tables.adapter().create_user_and_link(user, account).await
            }
            async fn delete_expired(&self, now: std::time::SystemTime) -> Result<u64, tessera::adapter::AdapterError> {
                self.tables.adapter().delete_expired(now).await
            }
            fn password_support(&self) -> Result<(), tessera::adapter::AdapterError> {
                self.tables.adapter().password_support()
            }
            async fn get_password_hash(&self, user_id: &str) -> Result<Option<String>, tessera::adapter::AdapterError> {
                self.tables.adapter().get_password_hash(user_id).await
            }
            async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<(), tessera::adapter::AdapterError> {
                self.tables.adapter().set_password_hash(user_id, hash).await
            }
            fn two_factor_support(&self) -> Result<(), tessera::adapter::AdapterError> {
                self.tables.adapter().two_factor_support()
            }
            async fn get_two_factor(
                &self,
                user_id: &str,
            ) -> Result<Option<tessera::adapter::TwoFactorRecord>, tessera::adapter::AdapterError> {
                self.tables.adapter().get_two_factor(user_id).await
            }
            async fn set_two_factor(
                &self,
                user_id: &str,
                secret: &str,
                recovery_codes: &[String],
            ) -> Result<(), tessera::adapter::AdapterError> {
                self.tables
                    .adapter()
                    .set_two_factor(user_id, secret, recovery_codes)
                    .await
            }
            async fn delete_two_factor(&self, user_id: &str) -> Result<(), tessera::adapter::AdapterError> {
                self.tables.adapter().delete_two_factor(user_id).await
            }
            async fn use_two_factor_step(
                &self,
                user_id: &str,
                step: i64,
            ) -> Result<bool, tessera::adapter::AdapterError> {
                self.tables.adapter().use_two_factor_step(user_id, step).await
            }
            async fn use_recovery_code(
                &self,
                user_id: &str,
                code_hash: &str,
            ) -> Result<bool, tessera::adapter::AdapterError> {
                self.tables.adapter().use_recovery_code(user_id, code_hash).await
            }
        }
    };
}
pub(crate) use delegate_adapter;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn millis_round_trip() {
        let t = UNIX_EPOCH + Duration::from_millis(1_763_800_000_123) + Duration::from_nanos(456);
        assert_eq!(to_ms(t), 1_763_800_000_123);
        assert_eq!(from_ms(to_ms(t)), UNIX_EPOCH + Duration::from_millis(1_763_800_000_123));
        let before = UNIX_EPOCH - Duration::from_millis(1500);
        assert_eq!(to_ms(before), -1500);
        assert_eq!(from_ms(-1500), before);
    }

    #[test]
    fn split_keeps_odd_values_in_the_rest() {
        let extra = json!({
            "access_token": "at", "expires_at": 1_900_000_000, "scope": ["a", "b"],
            "refresh_token": null, "oauth_token_secret": "s", "id_token": "idt"
        });
        let cols = split_account(extra.as_object().expect("object"));
        assert_eq!(cols.text[0].as_deref(), Some("at"));
        assert_eq!(cols.text[3], None, "an array scope stays JSON");
        assert_eq!(cols.text[4].as_deref(), Some("idt"));
        assert_eq!(cols.expires_at, Some(1_900_000_000));
        let rest: Value = serde_json::from_str(&cols.rest).expect("json");
        assert_eq!(
            rest,
            json!({"scope": ["a", "b"], "refresh_token": null, "oauth_token_secret": "s"})
        );
        let fractional = split_account(json!({"expires_at": 1.5}).as_object().expect("object"));
        assert_eq!(fractional.expires_at, None);
    }
}
