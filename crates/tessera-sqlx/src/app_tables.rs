//! [`AppTables`]: tables an application owns (next-auth's `@auth/pg-adapter` ones, the
//! schema of a Prisma adapter: Auth.js's or next-auth v4's, or `@auth/drizzle-adapter`'s),
//! read and written as they are, in PostgreSQL or (but for `@auth/pg-adapter`'s) SQLite.
//! They differ in table names and id types, which a [`Layout`] names, and in what Tessera
//! must write (ids, `"updatedAt"`) and how times are stored, which the database tells at
//! connect ([`Shape`]); every statement is rendered from one template once per layout and
//! shape, in the SQL of the database ([`render`]: casts, times, UUIDs), and run on either
//! through [`AppPool`].
//!
//! Common to all (see [`Schema`](crate::Schema)):
//!
//! * Ids cross Tessera's API as text; an id the layout cannot hold names no row (not
//!   found, never an error).
//! * `accounts` has the seven token-set columns and nothing else: any other field of
//!   [`Account::extra`](tessera::Account) (or a known one whose value does not fit its
//!   column, such as an array `scope`) is not stored, exactly as the next-auth adapters
//!   drop it.
//! * An account of type `oidc` (as Auth.js v5 records OIDC sign-ins) reads as `oauth`;
//!   `webauthn` accounts are not supported (listing them is a backend error, as for any
//!   type Tessera does not know).
//! * The constraints are checked by the statements themselves (a user must exist before
//!   an account or session names it; emails, provider accounts, session tokens and
//!   verification tokens' `(identifier, token)` are unique), so the tables also work without `UNIQUE` or `REFERENCES`; where the
//!   constraints are present they also hold under concurrency. Deleting a user deletes
//!   its sessions and accounts in the same transaction, as `ON DELETE CASCADE` would.
//!
//! Tessera never creates or alters these tables; [`AppTables::check`] only reads their
//! columns from the catalog (and, on SQLite, the form of the last time stored).

use std::sync::{Arc, PoisonError, RwLock};

use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr};
use tessera::adapter::{
    Adapter, AdapterError, AdapterSession, NewUser, TwoFactorRecord, UserUpdate, VerificationToken,
};
use tessera::{Account, User};

use crate::app_pool::{AppPool, Arg, Decode, On, RowRef};
use crate::app_shape::{Shape, Time};
use crate::common::{
    account_from_row, account_type_str, backend, classify, session_from_row, split_account, to_ms, token_from_row,
    user_from_row,
};

/// How one application-owned schema spells what Tessera uses; the variants it covers
/// (which columns Tessera must write, the timestamps' type) are read from the database at
/// connect ([`Shape`]).
pub(crate) struct Layout {
    /// The schema these tables are.
    pub(crate) schema: crate::Schema,
    /// The next-auth package the tables come from, for messages.
    pub(crate) package: &'static str,
    /// The tables, unquoted: users, accounts, sessions, tokens.
    pub(crate) users: &'static str,
    pub(crate) accounts: &'static str,
    pub(crate) sessions: &'static str,
    pub(crate) tokens: &'static str,
    /// Whether ids are `INTEGER`s (else text).
    pub(crate) integer_ids: bool,
}

impl Layout {
    /// The tables, unquoted: users, accounts, sessions, tokens.
    pub(crate) fn tables(&self) -> [&'static str; 4] {
        [self.users, self.accounts, self.sessions, self.tokens]
    }

    /// `id` as this layout's key, or `None` when it names no row: for integer ids, the
    /// canonical decimal text of an `INTEGER`; for text ids, any text without NUL (which
    /// PostgreSQL cannot hold).
    pub(crate) fn key<'a>(&self, id: &'a str) -> Option<&'a str> {
        if self.integer_ids {
            id.parse::<i32>().ok().filter(|n| n.to_string() == id).map(|_| id)
        } else {
            (!id.contains('\0')).then_some(id)
        }
    }
}

/// A random UUID v4 in SQLite, as text (SQLite has no `gen_random_uuid()`).
const SQLITE_UUID: &str = "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || \
     substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || \
     substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";

/// `template` with the names of `layout` and what `shape` says to write, in the SQL of the
/// database `shape` was read from.
fn render(layout: &Layout, shape: &Shape, template: &str) -> String {
    let sqlite = shape.time.is_sqlite();
    let (ts, ts_end, now) = match shape.time {
        Time::Timestamptz => ("to_timestamp(", "::FLOAT8 / 1000)", "now()"),
        Time::Timestamp => (
            "(to_timestamp(",
            "::FLOAT8 / 1000) AT TIME ZONE 'UTC')",
            "(now() AT TIME ZONE 'UTC')",
        ),
        // SQLite's date functions keep milliseconds exactly (they count in them).
        Time::Millis => (
            "",
            "",
            "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)",
        ),
        Time::Iso => (
            "strftime('%Y-%m-%dT%H:%M:%f+00:00', ",
            " / 1000.0, 'unixepoch')",
            "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')",
        ),
    };
    // A stored time earlier than `$1` milliseconds: on SQLite compared as milliseconds,
    // whatever form each row holds it in.
    let expired = if sqlite {
        "{ms}expires{/ms} < $1"
    } else {
        "expires < {ts}$1{/ts}"
    };
    let mut sql = template.replace("{expired}", expired);
    for (key, table, writes) in [
        ("users", layout.users, shape.users),
        ("accounts", layout.accounts, shape.accounts),
        ("sessions", layout.sessions, shape.sessions),
        ("tokens", layout.tokens, shape.tokens),
    ] {
        let (mut cols, mut vals, mut set) = (String::new(), String::new(), String::new());
        if writes.id {
            cols.push_str("id, ");
            vals.push_str(if sqlite { SQLITE_UUID } else { "gen_random_uuid()::TEXT" });
            vals.push_str(", ");
        }
        if writes.updated_at {
            cols.push_str("\"updatedAt\", ");
            vals.push_str(&format!("{now}, "));
            set.push_str(&format!("\"updatedAt\" = {now}, "));
        }
        sql = sql
            .replace(&format!("{{{key}}}"), &format!("\"{table}\""))
            .replace(&format!("{{{key}:cols}}"), &cols)
            .replace(&format!("{{{key}:vals}}"), &vals)
            .replace(&format!("{{{key}:set}}"), &set);
    }
    // SQLite has no `::` casts: its values keep the storage class they have.
    let (id, text, int) = match (sqlite, layout.integer_ids) {
        (true, _) => ("", "", ""),
        (false, true) => ("::INTEGER", "::TEXT", "::BIGINT"),
        (false, false) => ("::TEXT", "::TEXT", "::BIGINT"),
    };
    let sql = sql
        .replace("{id}", id)
        .replace("{text}", text)
        .replace("{int}", int)
        .replace("{ts}", ts)
        .replace("{/ts}", ts_end);
    expand_ms(&sql, sqlite)
}

/// `sql` with each `{ms}X{/ms}` replaced by the time `X` as milliseconds since the epoch
/// (a `BIGINT` on PostgreSQL, an `INTEGER` on SQLite from an integer or any text SQLite's
/// date functions read, such as Prisma's ISO text or `CURRENT_TIMESTAMP`'s).
fn expand_ms(sql: &str, sqlite: bool) -> String {
    let mut out = String::with_capacity(sql.len() * 2);
    let mut rest = sql;
    while let Some(open) = rest.find("{ms}") {
        let (before, after) = rest.split_at(open);
        let after = &after["{ms}".len()..];
        let Some(close) = after.find("{/ms}") else { break };
        let x = &after[..close];
        out.push_str(before);
        if sqlite {
            out.push_str(&format!(
                "CASE typeof({x}) WHEN 'integer' THEN {x} WHEN 'real' THEN CAST({x} AS INTEGER) \
                 WHEN 'text' THEN CAST(ROUND((julianday({x}) - 2440587.5) * 86400000.0) AS INTEGER) END"
            ));
        } else {
            out.push_str(&format!("FLOOR(EXTRACT(EPOCH FROM {x}) * 1000)::BIGINT"));
        }
        rest = &after[close + "{/ms}".len()..];
    }
    out.push_str(rest);
    out
}

/// The user columns (of the table qualified `$p`, `""` in a `RETURNING` clause, which
/// SQLite does not let qualify them), named and typed as [`user_from_row`] reads them.
macro_rules! user_cols {
    ($p:literal) => {
        concat!(
            $p,
            "id{text} AS id, ",
            $p,
            "name{text} AS name, ",
            $p,
            "email{text} AS email, {ms}",
            $p,
            "\"emailVerified\"{/ms} AS email_verified, ",
            $p,
            "image"
        )
    };
}

/// The session columns (see [`user_cols`]), named and typed as [`session_from_row`] reads them.
macro_rules! session_cols {
    ($p:literal) => {
        concat!(
            $p,
            "\"sessionToken\"{text} AS session_token, ",
            $p,
            "\"userId\"{text} AS user_id, {ms}",
            $p,
            "expires{/ms} AS expires"
        )
    };
}

// The statements' templates, rendered by [`render`]: `{users}` … `{tokens}` are the
// tables, `{id}` casts an id parameter to the ids' type and `{text}`/`{int}` a value to
// `TEXT`/`BIGINT` (on PostgreSQL; SQLite has no such casts), `{ts}$n{/ts}` is the time of
// `$n` milliseconds as the tables store it and `{ms}X{/ms}` the time `X` in milliseconds,
// `{expired}` says the row's `expires` is before `$1` milliseconds, and
// `{users:cols}`/`{users:vals}` (and the same for the other tables) are the columns and
// values Tessera writes besides the template's (an `id` it makes, `"updatedAt"`),
// `{users:set}` the `"updatedAt"` an update sets. Both databases read `$n` as the nth
// parameter.
const CREATE_USER: &str = concat!(
    "INSERT INTO {users} AS u ({users:cols}name, email, \"emailVerified\", image) \
     SELECT {users:vals}$1, $2, {ts}$3{/ts}, $4 \
     WHERE $2{text} IS NULL OR NOT EXISTS (SELECT 1 FROM {users} o WHERE o.email = $2) \
     RETURNING ",
    user_cols!("")
);
const GET_USER: &str = concat!("SELECT ", user_cols!("u."), " FROM {users} u WHERE u.id = $1{id}");
const GET_USER_BY_EMAIL: &str = concat!("SELECT ", user_cols!("u."), " FROM {users} u WHERE u.email = $1");
const GET_USER_BY_ACCOUNT: &str = concat!(
    "SELECT ",
    user_cols!("u."),
    " FROM {accounts} a JOIN {users} u ON u.id = a.\"userId\" \
     WHERE a.provider = $1 AND a.\"providerAccountId\" = $2"
);
const UPDATE_USER: &str = concat!(
    "UPDATE {users} AS u SET {users:set}\
     name = CASE WHEN $2 THEN $3 ELSE u.name END, \
     email = CASE WHEN $4 THEN $5 ELSE u.email END, \
     image = CASE WHEN $6 THEN $7 ELSE u.image END, \
     \"emailVerified\" = CASE WHEN $8 THEN {ts}$9{/ts} \
     WHEN $4 AND u.email IS DISTINCT FROM $5{text} THEN NULL \
     ELSE u.\"emailVerified\" END \
     WHERE u.id = $1{id} AND NOT ($4 AND $5{text} IS NOT NULL AND EXISTS \
     (SELECT 1 FROM {users} o WHERE o.email = $5 AND o.id <> $1{id})) \
     RETURNING ",
    user_cols!("")
);
const USER_EXISTS: &str = "SELECT 1 AS one FROM {users} WHERE id = $1{id}";
const DELETE_USER: [&str; 3] = [
    "DELETE FROM {sessions} WHERE \"userId\" = $1{id}",
    "DELETE FROM {accounts} WHERE \"userId\" = $1{id}",
    "DELETE FROM {users} WHERE id = $1{id}",
];
const LINK_ACCOUNT: &str = "INSERT INTO {accounts} ({accounts:cols}\"userId\", type, provider, \"providerAccountId\", \
     access_token, refresh_token, expires_at, token_type, scope, id_token, session_state) \
     SELECT {accounts:vals}$1{id}, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 \
     WHERE EXISTS (SELECT 1 FROM {users} WHERE id = $1{id}) \
     AND NOT EXISTS (SELECT 1 FROM {accounts} WHERE provider = $3 AND \"providerAccountId\" = $4)";
const ACCOUNT_EXISTS: &str = "SELECT 1 AS one FROM {accounts} WHERE provider = $1 AND \"providerAccountId\" = $2";
const UNLINK_ACCOUNT: &str = "DELETE FROM {accounts} WHERE provider = $1 AND \"providerAccountId\" = $2";
const UPDATE_ACCOUNT: &str = "UPDATE {accounts} SET {accounts:set}access_token = $3, refresh_token = $4, \
     expires_at = $5, token_type = $6, scope = $7, id_token = $8, session_state = $9 \
     WHERE provider = $1 AND \"providerAccountId\" = $2";
// Auth.js v5 records OIDC providers' accounts as `oidc`, read here as `oauth` (which
// Tessera's OIDC providers are); `update_account` never writes the type, so the row keeps it.
const LIST_ACCOUNTS: &str = "SELECT \"userId\"{text} AS user_id, \
     CASE WHEN type = 'oidc' THEN 'oauth' ELSE type{text} END AS type, \
     provider{text} AS provider, \"providerAccountId\"{text} AS provider_account_id, access_token, \
     refresh_token, expires_at{int} AS expires_at, token_type, scope, id_token, session_state, \
     '{}'{text} AS extra \
     FROM {accounts} WHERE \"userId\" = $1{id} ORDER BY provider, \"providerAccountId\"";
const CREATE_SESSION: &str = concat!(
    "INSERT INTO {sessions} AS s ({sessions:cols}\"userId\", expires, \"sessionToken\") \
     SELECT {sessions:vals}$1{id}, {ts}$2{/ts}, $3 \
     WHERE EXISTS (SELECT 1 FROM {users} WHERE id = $1{id}) \
     AND NOT EXISTS (SELECT 1 FROM {sessions} o WHERE o.\"sessionToken\" = $3) \
     RETURNING ",
    session_cols!("")
);
const SESSION_EXISTS: &str = "SELECT 1 AS one FROM {sessions} WHERE \"sessionToken\" = $1";
const GET_SESSION_AND_USER: &str = concat!(
    "SELECT ",
    session_cols!("s."),
    ", ",
    user_cols!("u."),
    " FROM {sessions} s JOIN {users} u ON u.id = s.\"userId\" WHERE s.\"sessionToken\" = $1"
);
const UPDATE_SESSION: &str = "UPDATE {sessions} SET {sessions:set}expires = {ts}$2{/ts} WHERE \"sessionToken\" = $1";
const DELETE_SESSION: &str = concat!(
    "DELETE FROM {sessions} WHERE \"sessionToken\" = $1 RETURNING ",
    session_cols!("")
);
// `ORDER BY expires`: the selected milliseconds, whatever form the rows store the time in.
const LIST_SESSIONS: &str = concat!(
    "SELECT ",
    session_cols!("s."),
    " FROM {sessions} s WHERE s.\"userId\" = $1{id} ORDER BY expires, session_token"
);
const DELETE_USER_SESSIONS: &str =
    "DELETE FROM {sessions} WHERE \"userId\" = $1{id} AND ($2{text} IS NULL OR \"sessionToken\" <> $2)";
const CREATE_VERIFICATION_TOKEN: &str = "INSERT INTO {tokens} ({tokens:cols}identifier, expires, token) \
     SELECT {tokens:vals}$1, {ts}$2{/ts}, $3 \
     WHERE NOT EXISTS (SELECT 1 FROM {tokens} WHERE identifier = $1 AND token = $3)";
const USE_VERIFICATION_TOKEN: &str = "DELETE FROM {tokens} WHERE identifier = $1 AND token = $2 \
     RETURNING identifier, token, {ms}expires{/ms} AS expires";
const DELETE_EXPIRED: [&str; 2] = [
    "DELETE FROM {sessions} WHERE {expired}",
    "DELETE FROM {tokens} WHERE {expired}",
];

/// Every statement, rendered for one [`Layout`] in the variant ([`Shape`]) a database has.
pub(crate) struct Dialect {
    layout: &'static Layout,
    shape: Shape,
    create_user: SqlStr,
    get_user: SqlStr,
    get_user_by_email: SqlStr,
    get_user_by_account: SqlStr,
    update_user: SqlStr,
    user_exists: SqlStr,
    delete_user: [SqlStr; 3],
    link_account: SqlStr,
    account_exists: SqlStr,
    unlink_account: SqlStr,
    update_account: SqlStr,
    list_accounts: SqlStr,
    create_session: SqlStr,
    session_exists: SqlStr,
    get_session_and_user: SqlStr,
    update_session: SqlStr,
    delete_session: SqlStr,
    list_sessions: SqlStr,
    delete_user_sessions: SqlStr,
    create_verification_token: SqlStr,
    use_verification_token: SqlStr,
    delete_expired: [SqlStr; 2],
}

impl Dialect {
    /// The statements of `layout` on tables of `shape`.
    pub(crate) fn new(layout: &'static Layout, shape: Shape) -> Self {
        // The statements are this crate's templates with this crate's table names: no input.
        let r = |t: &str| AssertSqlSafe(Arc::<str>::from(render(layout, &shape, t))).into_sql_str();
        Self {
            layout,
            shape,
            create_user: r(CREATE_USER),
            get_user: r(GET_USER),
            get_user_by_email: r(GET_USER_BY_EMAIL),
            get_user_by_account: r(GET_USER_BY_ACCOUNT),
            update_user: r(UPDATE_USER),
            user_exists: r(USER_EXISTS),
            delete_user: DELETE_USER.map(r),
            link_account: r(LINK_ACCOUNT),
            account_exists: r(ACCOUNT_EXISTS),
            unlink_account: r(UNLINK_ACCOUNT),
            update_account: r(UPDATE_ACCOUNT),
            list_accounts: r(LIST_ACCOUNTS),
            create_session: r(CREATE_SESSION),
            session_exists: r(SESSION_EXISTS),
            get_session_and_user: r(GET_SESSION_AND_USER),
            update_session: r(UPDATE_SESSION),
            delete_session: r(DELETE_SESSION),
            list_sessions: r(LIST_SESSIONS),
            delete_user_sessions: r(DELETE_USER_SESSIONS),
            create_verification_token: r(CREATE_VERIFICATION_TOKEN),
            use_verification_token: r(USE_VERIFICATION_TOKEN),
            delete_expired: DELETE_EXPIRED.map(r),
        }
    }

    /// A [`Conflict`](AdapterError::Conflict) if `email` is to be empty where the tables
    /// require one: the row cannot be stored, which is no failure of the database.
    fn email_allowed(&self, email: Option<&str>) -> Result<(), AdapterError> {
        if self.shape.email_required && email.is_none() {
            return Err(AdapterError::Conflict(format!(
                "the {} table {} requires a user's email",
                self.layout.package, self.layout.users
            )));
        }
        Ok(())
    }

    /// `expires_at` if the accounts' column holds it (else it is not stored, as a value
    /// that does not fit its column).
    fn expires_at(&self, expires_at: Option<i64>) -> Option<i64> {
        expires_at.filter(|&v| !self.shape.expires_at_int4 || i32::try_from(v).is_ok())
    }
}

const EMAIL_TAKEN: &str = "a user with this email exists";
const ACCOUNT_TAKEN: &str = "this provider account is already linked";

/// Whether `sql` with `args` finds a row.
async fn exists(pool: &AppPool, sql: &SqlStr, args: &[Arg<'_>], op: &'static str) -> Result<bool, AdapterError> {
    let found = On::Pool(pool)
        .fetch_all(sql, args, |_| Ok(()))
        .await
        .map_err(backend(op))?;
    Ok(!found.is_empty())
}

fn user_row(row: &RowRef<'_>) -> Result<User, sqlx::Error> {
    user_from_row(row)
}

fn session_row(row: &RowRef<'_>) -> Result<AdapterSession, sqlx::Error> {
    session_from_row(row)
}

fn session_and_user_row(row: &RowRef<'_>) -> Result<(AdapterSession, User), sqlx::Error> {
    Ok((session_from_row(row)?, user_from_row(row)?))
}

fn token_row(row: &RowRef<'_>) -> Result<VerificationToken, sqlx::Error> {
    token_from_row(row)
}

/// [`Adapter`] over an application's tables, as its [`Layout`] spells them, in PostgreSQL
/// or SQLite.
#[derive(Clone)]
pub(crate) struct AppTables {
    pool: AppPool,
    layout: &'static Layout,
    /// The statements for the variant the database has, once read (by [`check`](Self::check)
    /// or the first call): shared by the clones.
    dialect: Arc<RwLock<Option<Arc<Dialect>>>>,
}

impl AppTables {
    /// The tables of `layout` through `pool`.
    pub(crate) fn new(pool: AppPool, layout: &'static Layout) -> Self {
        Self {
            pool,
            layout,
            dialect: Arc::default(),
        }
    }

    /// The layout of the tables.
    pub(crate) fn layout(&self) -> &'static Layout {
        self.layout
    }

    /// Reads the columns of the four tables from the catalog (no rows on PostgreSQL; on
    /// SQLite the last time stored, to store times alike) and renders the statements for
    /// the variant they are; tables that cannot be used are refused, naming the table, the
    /// column and what was expected ([`Mismatch`](crate::app_shape::Mismatch)).
    pub(crate) async fn check(&self) -> Result<(), AdapterError> {
        self.inspect().await.map(drop)
    }

    async fn inspect(&self) -> Result<Arc<Dialect>, AdapterError> {
        if matches!(self.pool, AppPool::Sqlite(_)) && self.layout.schema == crate::Schema::PgAdapter {
            return Err(crate::sqlite::pg_adapter_refused());
        }
        let shape = Shape::inspect(&self.pool, self.layout).await?;
        let dialect = Arc::new(Dialect::new(self.layout, shape));
        *self.dialect.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&dialect));
        Ok(dialect)
    }

    /// The statements for these tables, read from the database on the first call unless
    /// [`check`](Self::check) did.
    async fn d(&self) -> Result<Arc<Dialect>, AdapterError> {
        let known = self.dialect.read().unwrap_or_else(PoisonError::into_inner).clone();
        match known {
            Some(d) => Ok(d),
            None => self.inspect().await,
        }
    }

    /// `id` as a key of these tables, or `None` when it names no row.
    fn key<'a>(&self, id: &'a str) -> Option<&'a str> {
        self.layout.key(id)
    }

    /// Inserts `user` (on the pool or in a transaction) and reads it back; a taken email is
    /// a [`Conflict`](AdapterError::Conflict).
    async fn insert_user(d: &Dialect, mut on: On<'_>, user: &NewUser, op: &'static str) -> Result<User, AdapterError> {
        d.email_allowed(user.email.as_deref())?;
        let args = [
            Arg::Text(user.name.as_deref()),
            Arg::Text(user.email.as_deref()),
            Arg::Int(user.email_verified.map(to_ms)),
            Arg::Text(user.image.as_deref()),
        ];
        let users = on
            .fetch_all(&d.create_user, &args, user_row)
            .await
            .map_err(|e| classify(op, &e, Some(EMAIL_TAKEN), None))?;
        match users.into_iter().next() {
            Some(created) => Ok(created),
            None => Err(AdapterError::Conflict(EMAIL_TAKEN.into())),
        }
    }

    /// Inserts `account` for the user `user_id`; `false` when nothing was inserted (no such
    /// user, or the provider account is linked already).
    async fn insert_account(
        d: &Dialect,
        mut on: On<'_>,
        user_id: &str,
        account: &Account,
        op: &'static str,
    ) -> Result<bool, AdapterError> {
        let cols = split_account(&account.extra);
        let [access, refresh, token_type, scope, id_token, session_state] = &cols.text;
        let args = [
            Arg::Text(Some(user_id)),
            Arg::Text(Some(account_type_str(account.kind))),
            Arg::Text(Some(&account.provider)),
            Arg::Text(Some(&account.provider_account_id)),
            Arg::Text(access.as_deref()),
            Arg::Text(refresh.as_deref()),
            Arg::Int(d.expires_at(cols.expires_at)),
            Arg::Text(token_type.as_deref()),
            Arg::Text(scope.as_deref()),
            Arg::Text(id_token.as_deref()),
            Arg::Text(session_state.as_deref()),
        ];
        let inserted = on
            .execute(&d.link_account, &args)
            .await
            .map_err(|e| classify(op, &e, Some(ACCOUNT_TAKEN), Some("the account's user does not exist")))?;
        Ok(inserted == 1)
    }

    /// Runs `sql` with `args` on the pool, decoding the rows.
    async fn fetch<T>(
        &self,
        sql: &SqlStr,
        args: &[Arg<'_>],
        decode: Decode<T>,
        op: &'static str,
    ) -> Result<Vec<T>, AdapterError> {
        On::Pool(&self.pool)
            .fetch_all(sql, args, decode)
            .await
            .map_err(backend(op))
    }

    /// Runs `sql` with `args` on the pool; the number of rows changed.
    async fn execute(&self, sql: &SqlStr, args: &[Arg<'_>], op: &'static str) -> Result<u64, AdapterError> {
        On::Pool(&self.pool).execute(sql, args).await.map_err(backend(op))
    }
}

#[async_trait::async_trait]
impl Adapter for AppTables {
    async fn create_user(&self, user: NewUser) -> Result<User, AdapterError> {
        let d = self.d().await?;
        Self::insert_user(&d, On::Pool(&self.pool), &user, "create_user").await
    }

    async fn get_user(&self, id: &str) -> Result<Option<User>, AdapterError> {
        let d = self.d().await?;
        let Some(id) = self.key(id) else { return Ok(None) };
        let users = self
            .fetch(&d.get_user, &[Arg::Text(Some(id))], user_row, "get_user")
            .await?;
        Ok(users.into_iter().next())
    }

    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, AdapterError> {
        let d = self.d().await?;
        // All rows: without a UNIQUE constraint two rows may share an email; the first wins.
        let users = self
            .fetch(
                &d.get_user_by_email,
                &[Arg::Text(Some(email))],
                user_row,
                "get_user_by_email",
            )
            .await?;
        Ok(users.into_iter().next())
    }

    async fn get_user_by_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<User>, AdapterError> {
        let d = self.d().await?;
        let args = [Arg::Text(Some(provider)), Arg::Text(Some(provider_account_id))];
        let users = self
            .fetch(&d.get_user_by_account, &args, user_row, "get_user_by_account")
            .await?;
        Ok(users.into_iter().next())
    }

    async fn update_user(&self, update: UserUpdate) -> Result<User, AdapterError> {
        let d = self.d().await?;
        const OP: &str = "update_user";
        let UserUpdate {
            id,
            name,
            email,
            image,
            email_verified,
        } = update;
        let Some(key) = self.key(&id) else {
            return Err(AdapterError::NotFound(format!("user {id}")));
        };
        if let Some(new) = &email {
            d.email_allowed(new.as_deref())?;
        }
        let verified = email_verified.map(|v| v.map(to_ms));
        let args = [
            Arg::Text(Some(key)),
            Arg::Bool(name.is_some()),
            Arg::Text(name.as_ref().and_then(Option::as_deref)),
            Arg::Bool(email.is_some()),
            Arg::Text(email.as_ref().and_then(Option::as_deref)),
            Arg::Bool(image.is_some()),
            Arg::Text(image.as_ref().and_then(Option::as_deref)),
            Arg::Bool(verified.is_some()),
            Arg::Int(verified.flatten()),
        ];
        let users = On::Pool(&self.pool)
            .fetch_all(&d.update_user, &args, user_row)
            .await
            .map_err(|e| classify(OP, &e, Some(EMAIL_TAKEN), None))?;
        if let Some(user) = users.into_iter().next() {
            return Ok(user);
        }
        // No row: the user is missing, or the new email belongs to someone else.
        if exists(&self.pool, &d.user_exists, &[Arg::Text(Some(key))], OP).await? {
            Err(AdapterError::Conflict(EMAIL_TAKEN.into()))
        } else {
            Err(AdapterError::NotFound(format!("user {id}")))
        }
    }

    async fn delete_user(&self, id: &str) -> Result<(), AdapterError> {
        let d = self.d().await?;
        const OP: &str = "delete_user";
        let Some(id) = self.key(id) else { return Ok(()) };
        // Sessions and accounts first, in one transaction: the tables may have no cascade.
        let mut tx = self.pool.begin().await.map_err(backend(OP))?;
        for sql in &d.delete_user {
            On::Tx(&mut tx)
                .execute(sql, &[Arg::Text(Some(id))])
                .await
                .map_err(backend(OP))?;
        }
        tx.commit().await.map_err(backend(OP))
    }

    async fn link_account(&self, account: Account) -> Result<(), AdapterError> {
        let d = self.d().await?;
        const OP: &str = "link_account";
        let missing = || AdapterError::NotFound("the account's user does not exist".into());
        let Some(user_id) = account.user_id.as_deref() else {
            return Err(AdapterError::NotFound("account without user_id".into()));
        };
        let user_id = self.key(user_id).ok_or_else(missing)?;
        if Self::insert_account(&d, On::Pool(&self.pool), user_id, &account, OP).await? {
            return Ok(());
        }
        let linked = [
            Arg::Text(Some(&account.provider)),
            Arg::Text(Some(&account.provider_account_id)),
        ];
        if exists(&self.pool, &d.account_exists, &linked, OP).await? {
            Err(AdapterError::Conflict(ACCOUNT_TAKEN.into()))
        } else {
            Err(missing())
        }
    }

    async fn unlink_account(&self, provider: &str, provider_account_id: &str) -> Result<(), AdapterError> {
        let d = self.d().await?;
        let args = [Arg::Text(Some(provider)), Arg::Text(Some(provider_account_id))];
        self.execute(&d.unlink_account, &args, "unlink_account").await?;
        Ok(())
    }

    async fn update_account(&self, account: Account) -> Result<(), AdapterError> {
        let d = self.d().await?;
        let cols = split_account(&account.extra);
        let [access, refresh, token_type, scope, id_token, session_state] = &cols.text;
        let args = [
            Arg::Text(Some(&account.provider)),
            Arg::Text(Some(&account.provider_account_id)),
            Arg::Text(access.as_deref()),
            Arg::Text(refresh.as_deref()),
            Arg::Int(d.expires_at(cols.expires_at)),
            Arg::Text(token_type.as_deref()),
            Arg::Text(scope.as_deref()),
            Arg::Text(id_token.as_deref()),
            Arg::Text(session_state.as_deref()),
        ];
        if self.execute(&d.update_account, &args, "update_account").await? == 0 {
            return Err(AdapterError::NotFound(format!(
                "account {}/{}",
                account.provider, account.provider_account_id
            )));
        }
        Ok(())
    }

    async fn list_accounts(&self, user_id: &str) -> Result<Vec<Account>, AdapterError> {
        let d = self.d().await?;
        let Some(user_id) = self.key(user_id) else {
            return Ok(Vec::new());
        };
        // Decoded in two steps: `account_from_row` fails with an `AdapterError` of its own.
        let accounts = self
            .fetch(
                &d.list_accounts,
                &[Arg::Text(Some(user_id))],
                |row| Ok(account_from_row(row)),
                "list_accounts",
            )
            .await?;
        accounts.into_iter().collect()
    }

    async fn create_session(&self, session: AdapterSession) -> Result<AdapterSession, AdapterError> {
        let d = self.d().await?;
        const OP: &str = "create_session";
        let missing = || AdapterError::NotFound("the session's user does not exist".into());
        let user_id = self.key(&session.user_id).ok_or_else(missing)?;
        let args = [
            Arg::Text(Some(user_id)),
            Arg::Int(Some(to_ms(session.expires))),
            Arg::Text(Some(&session.session_token)),
        ];
        let created = On::Pool(&self.pool)
            .fetch_all(&d.create_session, &args, session_row)
            .await
            .map_err(|e| {
                classify(
                    OP,
                    &e,
                    Some("session token exists"),
                    Some("the session's user does not exist"),
                )
            })?;
        if let Some(created) = created.into_iter().next() {
            return Ok(created);
        }
        let taken = [Arg::Text(Some(&session.session_token))];
        if exists(&self.pool, &d.session_exists, &taken, OP).await? {
            Err(AdapterError::Conflict("session token exists".into()))
        } else {
            Err(missing())
        }
    }

    async fn get_session_and_user(&self, session_token: &str) -> Result<Option<(AdapterSession, User)>, AdapterError> {
        let d = self.d().await?;
        let found = self
            .fetch(
                &d.get_session_and_user,
                &[Arg::Text(Some(session_token))],
                session_and_user_row,
                "get_session_and_user",
            )
            .await?;
        Ok(found.into_iter().next())
    }

    async fn update_session(&self, session_token: &str, expires: std::time::SystemTime) -> Result<(), AdapterError> {
        let d = self.d().await?;
        let args = [Arg::Text(Some(session_token)), Arg::Int(Some(to_ms(expires)))];
        self.execute(&d.update_session, &args, "update_session").await?;
        Ok(())
    }

    async fn delete_session(&self, session_token: &str) -> Result<Option<AdapterSession>, AdapterError> {
        let d = self.d().await?;
        let deleted = self
            .fetch(
                &d.delete_session,
                &[Arg::Text(Some(session_token))],
                session_row,
                "delete_session",
            )
            .await?;
        Ok(deleted.into_iter().next())
    }

    async fn list_sessions(&self, user_id: &str) -> Result<Vec<AdapterSession>, AdapterError> {
        let d = self.d().await?;
        let Some(user_id) = self.key(user_id) else {
            return Ok(Vec::new());
        };
        self.fetch(
            &d.list_sessions,
            &[Arg::Text(Some(user_id))],
            session_row,
            "list_sessions",
        )
        .await
    }

    async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<u64, AdapterError> {
        let d = self.d().await?;
        let Some(user_id) = self.key(user_id) else { return Ok(0) };
        let args = [Arg::Text(Some(user_id)), Arg::Text(keep)];
        self.execute(&d.delete_user_sessions, &args, "delete_user_sessions")
            .await
    }

    async fn create_verification_token(&self, token: VerificationToken) -> Result<(), AdapterError> {
        let d = self.d().await?;
        const TAKEN: &str = "verification token exists";
        // Without a primary key on `(identifier, token)` (drizzle-kit drops the documented
        // one) the statement's own check refuses a duplicate: no row inserted.
        let args = [
            Arg::Text(Some(&token.identifier)),
            Arg::Int(Some(to_ms(token.expires))),
            Arg::Text(Some(&token.token)),
        ];
        let inserted = On::Pool(&self.pool)
            .execute(&d.create_verification_token, &args)
            .await
            .map_err(|e| classify("create_verification_token", &e, Some(TAKEN), None))?;
        if inserted == 0 {
            return Err(AdapterError::Conflict(TAKEN.into()));
        }
        Ok(())
    }

    async fn use_verification_token(
        &self,
        identifier: &str,
        token: &str,
    ) -> Result<Option<VerificationToken>, AdapterError> {
        let d = self.d().await?;
        // One DELETE … RETURNING: of two concurrent uses, exactly one gets the row.
        let used = self
            .fetch(
                &d.use_verification_token,
                &[Arg::Text(Some(identifier)), Arg::Text(Some(token))],
                token_row,
                "use_verification_token",
            )
            .await?;
        Ok(used.into_iter().next())
    }

    async fn create_user_and_link(&self, user: NewUser, account: Account) -> Result<User, AdapterError> {
        let d = self.d().await?;
        const OP: &str = "create_user_and_link";
        // Both inserts in one transaction: an error drops `tx`, which rolls back.
        let mut tx = self.pool.begin().await.map_err(backend(OP))?;
        let created = Self::insert_user(&d, On::Tx(&mut tx), &user, OP).await?;
        let id = self
            .key(&created.id)
            .ok_or_else(|| AdapterError::Backend(format!("{OP}: new id {} is not a key", created.id)))?;
        if !Self::insert_account(&d, On::Tx(&mut tx), id, &account, OP).await? {
            // The user was inserted in this transaction: the account is the one taken.
            return Err(AdapterError::Conflict(ACCOUNT_TAKEN.into()));
        }
        tx.commit().await.map_err(backend(OP))?;
        Ok(created)
    }

    async fn delete_expired(&self, now: std::time::SystemTime) -> Result<u64, AdapterError> {
        let d = self.d().await?;
        let mut deleted = 0;
        for statement in &d.delete_expired {
            deleted += self
                .execute(statement, &[Arg::Int(Some(to_ms(now)))], "delete_expired")
                .await?;
        }
        Ok(deleted)
    }

    /// Unsupported: these tables are the application's and Tessera never alters them, so
    /// there is no column for a hash; a side table would be a migration the application's
    /// own tooling (Prisma, drizzle-kit, its SQL) does not know of.
    fn password_support(&self) -> Result<(), AdapterError> {
        Err(AdapterError::Unsupported(self.no_passwords()))
    }

    async fn get_password_hash(&self, _user_id: &str) -> Result<Option<String>, AdapterError> {
        Err(AdapterError::Unsupported(self.no_passwords()))
    }

    async fn set_password_hash(&self, _user_id: &str, _hash: &str) -> Result<(), AdapterError> {
        Err(AdapterError::Unsupported(self.no_passwords()))
    }

    /// Unsupported, for the reason passwords are ([`Adapter::password_support`]): two-factor
    /// set-ups would need tables the application's tooling does not know of.
    fn two_factor_support(&self) -> Result<(), AdapterError> {
        Err(AdapterError::Unsupported(self.no_two_factor()))
    }

    async fn get_two_factor(&self, _user_id: &str) -> Result<Option<TwoFactorRecord>, AdapterError> {
        Err(AdapterError::Unsupported(self.no_two_factor()))
    }

    async fn set_two_factor(&self, _user_id: &str, _secret: &str, _codes: &[String]) -> Result<(), AdapterError> {
        Err(AdapterError::Unsupported(self.no_two_factor()))
    }

    async fn delete_two_factor(&self, _user_id: &str) -> Result<(), AdapterError> {
        Err(AdapterError::Unsupported(self.no_two_factor()))
    }

    async fn use_two_factor_step(&self, _user_id: &str, _step: i64) -> Result<bool, AdapterError> {
        Err(AdapterError::Unsupported(self.no_two_factor()))
    }

    async fn use_recovery_code(&self, _user_id: &str, _code_hash: &str) -> Result<bool, AdapterError> {
        Err(AdapterError::Unsupported(self.no_two_factor()))
    }
}

impl AppTables {
    /// Why these tables hold no two-factor set-ups, and what to do.
    fn no_two_factor(&self) -> String {
        let layout = self.layout();
        format!(
            "the {} tables of {} (AUTH_DB_SCHEMA={}) belong to the application and Tessera never \
             alters them, so it has nowhere to keep two-factor secrets and recovery codes; use \
             Tessera's own tables (AUTH_DB_SCHEMA=tessera, `tessera migrate`) for two-factor sign-in",
            layout.users, layout.package, layout.schema
        )
    }

    /// Why these tables hold no password hashes, and what to do.
    fn no_passwords(&self) -> String {
        let layout = self.layout();
        format!(
            "the {} tables of {} (AUTH_DB_SCHEMA={}) belong to the application and Tessera never \
             alters them, so it has nowhere to keep password hashes; use Tessera's own tables \
             (AUTH_DB_SCHEMA=tessera, `tessera migrate`) for the password provider",
            layout.users, layout.package, layout.schema
        )
    }
}
