//! Persistence: the [`Adapter`] trait (NextAuth's adapter interface, spec §5.4, plus
//! session management) and its models. [`MemoryAdapter`] keeps everything in memory for
//! tests and demos; `tessera-sqlx` stores it in SQLite or PostgreSQL.
//!
//! Every adapter must pass `conformance::run` (feature `conformance`).

#[cfg(any(test, feature = "conformance"))]
#[cfg_attr(docsrs, doc(cfg(feature = "conformance")))]
pub mod conformance;
mod memory;
mod purge;

use std::time::SystemTime;

pub use memory::MemoryAdapter;
pub(crate) use purge::{PurgeSchedule, purge_if_due};

use crate::user::{Account, User};

/// Why an adapter call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// A unique constraint would be violated (same email, same provider account, same token).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The row to update or link does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The backend failed (connection, query, serialisation).
    #[error("adapter backend error: {0}")]
    Backend(String),
    /// The adapter does not do this (say, store password hashes); the message says why
    /// and what to use instead.
    #[error("unsupported by this adapter: {0}")]
    Unsupported(String),
}

/// What the default password methods of [`Adapter`] answer.
const NO_PASSWORDS: &str = "this adapter does not store password hashes (it does not implement \
                            Adapter::password_support, get_password_hash and set_password_hash)";

/// What the default two-factor methods of [`Adapter`] answer.
const NO_TWO_FACTOR: &str = "this adapter does not store two-factor set-ups (it does not implement \
                             Adapter::two_factor_support and the other two-factor methods)";

/// A user's two-factor set-up, as stored ([`Adapter::get_two_factor`]). `Debug` does not
/// show `secret`.
#[derive(Clone, PartialEq, Eq)]
pub struct TwoFactorRecord {
    /// The TOTP secret, sealed by Tessera (encrypted with a key derived from the server
    /// secret, bound to the user): the adapter stores it as it is given.
    pub secret: String,
    /// The last TOTP time step a code was accepted for (`None`: none yet): a code of this
    /// step or an earlier one is refused ([`Adapter::use_two_factor_step`]).
    pub last_used_step: Option<i64>,
}

impl std::fmt::Debug for TwoFactorRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorRecord")
            .field("secret", &format_args!("{}", crate::secret::REDACTED))
            .field("last_used_step", &self.last_used_step)
            .finish()
    }
}

/// A user about to be created (no id yet).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewUser {
    /// Display name.
    pub name: Option<String>,
    /// Email address (normalised; unique when present).
    pub email: Option<String>,
    /// Avatar URL.
    pub image: Option<String>,
    /// When the email was verified.
    pub email_verified: Option<SystemTime>,
}

/// Fields to change on a user; `None` leaves a field alone.
///
/// An update that changes `email` and leaves `email_verified` alone (`None`) also resets
/// `email_verified` to `None`: a new address is unverified until proven again. To keep a
/// verification (the app has just verified the new address itself), set both.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserUpdate {
    /// The user to change.
    pub id: String,
    /// New name.
    pub name: Option<Option<String>>,
    /// New email.
    pub email: Option<Option<String>>,
    /// New image.
    pub image: Option<Option<String>>,
    /// New verification time.
    pub email_verified: Option<Option<SystemTime>>,
}

/// A database session. `Debug` does not show `session_token` (a bearer credential).
#[derive(Clone, PartialEq, Eq)]
pub struct AdapterSession {
    /// The opaque token in the cookie (unique).
    pub session_token: String,
    /// Whose session it is.
    pub user_id: String,
    /// When it ends.
    pub expires: SystemTime,
}

impl std::fmt::Debug for AdapterSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdapterSession")
            .field("session_token", &format_args!("{}", crate::secret::REDACTED))
            .field("user_id", &self.user_id)
            .field("expires", &self.expires)
            .finish()
    }
}

/// A stored email verification token (the token is the **hash** of what was mailed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationToken {
    /// The normalised email address it was issued for.
    pub identifier: String,
    /// `sha256hex(raw token ‖ secret)`.
    pub token: String,
    /// When it stops working.
    pub expires: SystemTime,
}

/// Storage for users, accounts, sessions and verification tokens. Dyn-safe: held as
/// `Arc<dyn Adapter>`.
///
/// Contract (checked by `conformance::run`, feature `conformance`): emails and `(provider, provider_account_id)`
/// are unique; deleting a user deletes its accounts and sessions; `use_verification_token`
/// returns the token and deletes it atomically, so of two concurrent uses exactly one
/// gets it; getters return `Ok(None)` for missing rows; `update_user` resets
/// `email_verified` when it changes `email` (see [`UserUpdate`]); `create_user_and_link`
/// stores both rows or neither; `delete_expired` removes exactly the expired sessions and
/// verification tokens.
///
/// Two methods have default implementations, for adapters written before they existed:
/// [`create_user_and_link`](Adapter::create_user_and_link) (not atomic: it compensates)
/// and [`delete_expired`](Adapter::delete_expired) (purges nothing). Override both.
///
/// The password methods ([`password_support`](Adapter::password_support),
/// [`get_password_hash`](Adapter::get_password_hash),
/// [`set_password_hash`](Adapter::set_password_hash)) are for the
/// [`password` provider](crate::providers::PasswordProvider); their defaults answer
/// [`AdapterError::Unsupported`], and `build()` refuses the provider with such an adapter.
/// An adapter that stores hashes overrides all three; deleting a user deletes its hash.
///
/// The two-factor methods ([`two_factor_support`](Adapter::two_factor_support),
/// [`get_two_factor`](Adapter::get_two_factor), [`set_two_factor`](Adapter::set_two_factor),
/// [`delete_two_factor`](Adapter::delete_two_factor),
/// [`use_two_factor_step`](Adapter::use_two_factor_step),
/// [`use_recovery_code`](Adapter::use_recovery_code)) are for
/// [two-factor sign-in](crate::TwoFactor); their defaults answer
/// [`AdapterError::Unsupported`], and `build()` refuses two-factor sign-in with such an
/// adapter. An adapter that stores them overrides all six; deleting a user deletes its
/// set-up and recovery codes.
#[async_trait::async_trait]
pub trait Adapter: Send + Sync + 'static {
    /// Creates a user and returns it with its new id.
    async fn create_user(&self, user: NewUser) -> Result<User, AdapterError>;
    /// A user by id.
    async fn get_user(&self, id: &str) -> Result<Option<User>, AdapterError>;
    /// A user by (normalised) email.
    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, AdapterError>;
    /// The user a provider account is linked to.
    async fn get_user_by_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<User>, AdapterError>;
    /// Changes a user; `NotFound` when it does not exist. A change of `email` without an
    /// explicit `email_verified` resets `email_verified` to `None` ([`UserUpdate`]).
    async fn update_user(&self, update: UserUpdate) -> Result<User, AdapterError>;
    /// Deletes a user with its accounts and sessions (no error when missing).
    async fn delete_user(&self, id: &str) -> Result<(), AdapterError>;
    /// Links an account (`account.user_id` must be set and exist).
    async fn link_account(&self, account: Account) -> Result<(), AdapterError>;
    /// Unlinks an account (no error when missing).
    async fn unlink_account(&self, provider: &str, provider_account_id: &str) -> Result<(), AdapterError>;
    /// Replaces a linked account's token-set fields (`extra`: `access_token`,
    /// `refresh_token`, `expires_at`, …), matched by `(provider, provider_account_id)`;
    /// its `user_id` and `kind` are left as linked. `NotFound` when no such account is
    /// linked. Used to store refreshed tokens ([`Auth::access_token`](crate::Auth::access_token)).
    async fn update_account(&self, account: Account) -> Result<(), AdapterError>;
    /// The accounts of a user.
    async fn list_accounts(&self, user_id: &str) -> Result<Vec<Account>, AdapterError>;
    /// Creates a session.
    async fn create_session(&self, session: AdapterSession) -> Result<AdapterSession, AdapterError>;
    /// A session and its user, in one round trip.
    async fn get_session_and_user(&self, session_token: &str) -> Result<Option<(AdapterSession, User)>, AdapterError>;
    /// Moves a session's expiry (no error when missing).
    async fn update_session(&self, session_token: &str, expires: SystemTime) -> Result<(), AdapterError>;
    /// Deletes a session, returning it when it existed.
    async fn delete_session(&self, session_token: &str) -> Result<Option<AdapterSession>, AdapterError>;
    /// A user's sessions, soonest expiry first.
    async fn list_sessions(&self, user_id: &str) -> Result<Vec<AdapterSession>, AdapterError>;
    /// Deletes a user's sessions except `keep`; returns how many were deleted.
    async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<u64, AdapterError>;
    /// Stores a verification token.
    async fn create_verification_token(&self, token: VerificationToken) -> Result<(), AdapterError>;
    /// Returns and deletes a verification token, atomically.
    async fn use_verification_token(
        &self,
        identifier: &str,
        token: &str,
    ) -> Result<Option<VerificationToken>, AdapterError>;

    /// Creates a user and links its first account (`account.user_id` is ignored and set to
    /// the new user's id) **in one transaction**: either both rows are stored or neither.
    /// A sign-up that fails half-way must not leave a user without its account, which
    /// would hold the email and block every later sign-in with that account.
    ///
    /// `Conflict` when the email or the provider account is taken; nothing is stored then.
    ///
    /// The default implementation is for adapters that predate this method and is **not
    /// atomic**: it calls [`create_user`](Adapter::create_user) and
    /// [`link_account`](Adapter::link_account), and when linking fails it deletes the new
    /// user again (compensation; a crash between the two still leaves the user behind).
    /// Override it with a real transaction.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use tessera::adapter::{Adapter, AdapterError, MemoryAdapter, NewUser};
    /// use tessera::{Account, AccountType};
    ///
    /// let db = MemoryAdapter::new();
    /// let account = Account {
    ///     provider: "github".into(),
    ///     kind: AccountType::OAuth,
    ///     provider_account_id: "42".into(),
    ///     user_id: None,
    ///     extra: Default::default(),
    /// };
    /// let new = |email: &str| NewUser { email: Some(email.into()), ..Default::default() };
    /// let user = db.create_user_and_link(new("a@b.c"), account.clone()).await.unwrap();
    /// assert_eq!(db.get_user_by_account("github", "42").await.unwrap().map(|u| u.id), Some(user.id));
    ///
    /// // The account is taken: the second user is not left behind.
    /// let taken = db.create_user_and_link(new("d@e.f"), account).await;
    /// assert!(matches!(taken, Err(AdapterError::Conflict(_))));
    /// assert!(db.get_user_by_email("d@e.f").await.unwrap().is_none());
    /// # });
    /// ```
    async fn create_user_and_link(&self, user: NewUser, account: Account) -> Result<User, AdapterError> {
        let created = self.create_user(user).await?;
        let account = Account {
            user_id: Some(created.id.clone()),
            ..account
        };
        if let Err(e) = self.link_account(account).await {
            if let Err(cleanup) = self.delete_user(&created.id).await {
                tracing::error!(
                    error = %cleanup,
                    user_id = %created.id,
                    "create_user_and_link: linking failed and deleting the new user failed too"
                );
            }
            return Err(e);
        }
        Ok(created)
    }

    /// Deletes every session and verification token whose `expires` is before `now`, and
    /// returns how many rows went. Rows expiring at or after `now` stay. Tessera calls it
    /// at most once an hour, from a sign-in (never from `GET /session`).
    ///
    /// The default implementation, for adapters that predate this method, deletes nothing
    /// and returns `Ok(0)`: such an adapter's tables keep every expired row until the
    /// application purges them itself. Override it.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::time::{Duration, SystemTime};
    /// use tessera::adapter::{Adapter, MemoryAdapter, VerificationToken};
    ///
    /// let db = MemoryAdapter::new();
    /// let now = SystemTime::now();
    /// for (token, expires) in [("old", now - Duration::from_secs(60)), ("live", now + Duration::from_secs(60))] {
    ///     let identifier = "a@b.c".into();
    ///     db.create_verification_token(VerificationToken { identifier, token: token.into(), expires }).await.unwrap();
    /// }
    /// assert_eq!(db.delete_expired(now).await.unwrap(), 1);
    /// assert!(db.use_verification_token("a@b.c", "live").await.unwrap().is_some());
    /// # });
    /// ```
    async fn delete_expired(&self, now: SystemTime) -> Result<u64, AdapterError> {
        let _ = now;
        Ok(0)
    }

    /// Whether this adapter stores password hashes: `Ok(())`, or
    /// [`AdapterError::Unsupported`] saying why not, which `build()` reports when the
    /// [`password` provider](crate::providers::PasswordProvider) is configured. Synchronous:
    /// it answers from what the adapter is, without a query.
    ///
    /// The default answers `Unsupported`.
    ///
    /// ```
    /// use tessera::adapter::{Adapter, MemoryAdapter};
    /// assert!(MemoryAdapter::new().password_support().is_ok());
    /// ```
    fn password_support(&self) -> Result<(), AdapterError> {
        Err(AdapterError::Unsupported(NO_PASSWORDS.into()))
    }

    /// The password hash (a PHC string) of a user: `None` when the user has none, or
    /// does not exist.
    ///
    /// The default answers [`AdapterError::Unsupported`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use tessera::adapter::{Adapter, MemoryAdapter, NewUser};
    /// let db = MemoryAdapter::new();
    /// let user = db.create_user(NewUser { email: Some("a@b.c".into()), ..Default::default() }).await.unwrap();
    /// assert_eq!(db.get_password_hash(&user.id).await.unwrap(), None);
    /// db.set_password_hash(&user.id, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").await.unwrap();
    /// assert!(db.get_password_hash(&user.id).await.unwrap().is_some());
    /// # });
    /// ```
    async fn get_password_hash(&self, user_id: &str) -> Result<Option<String>, AdapterError> {
        let _ = user_id;
        Err(AdapterError::Unsupported(NO_PASSWORDS.into()))
    }

    /// Sets (or replaces) the password hash of a user; [`AdapterError::NotFound`] when the
    /// user does not exist. The hash goes as it is: hashing is Tessera's.
    ///
    /// The default answers [`AdapterError::Unsupported`].
    async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<(), AdapterError> {
        let _ = (user_id, hash);
        Err(AdapterError::Unsupported(NO_PASSWORDS.into()))
    }

    /// Whether this adapter stores two-factor set-ups: `Ok(())`, or
    /// [`AdapterError::Unsupported`] saying why not, which `build()` reports when
    /// [two-factor sign-in](crate::TwoFactor) is configured. Synchronous, without a query.
    ///
    /// The default answers `Unsupported`.
    ///
    /// ```
    /// use tessera::adapter::{Adapter, MemoryAdapter};
    /// assert!(MemoryAdapter::new().two_factor_support().is_ok());
    /// ```
    fn two_factor_support(&self) -> Result<(), AdapterError> {
        Err(AdapterError::Unsupported(NO_TWO_FACTOR.into()))
    }

    /// The two-factor set-up of a user: `None` when two-factor sign-in is off for the user,
    /// or the user does not exist.
    ///
    /// The default answers [`AdapterError::Unsupported`].
    async fn get_two_factor(&self, user_id: &str) -> Result<Option<TwoFactorRecord>, AdapterError> {
        let _ = user_id;
        Err(AdapterError::Unsupported(NO_TWO_FACTOR.into()))
    }

    /// Turns two-factor sign-in on for a user, or replaces the set-up: stores the sealed
    /// `secret` with no last used step, and replaces every recovery code of the user by
    /// `recovery_codes` (their hashes), in one transaction. [`AdapterError::NotFound`]
    /// when the user does not exist.
    ///
    /// The default answers [`AdapterError::Unsupported`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use tessera::adapter::{Adapter, MemoryAdapter, NewUser};
    /// let db = MemoryAdapter::new();
    /// let user = db.create_user(NewUser { email: Some("a@b.c".into()), ..Default::default() }).await.unwrap();
    /// db.set_two_factor(&user.id, "sealed", &["h1".into(), "h2".into()]).await.unwrap();
    /// assert!(db.use_two_factor_step(&user.id, 7).await.unwrap());
    /// assert!(!db.use_two_factor_step(&user.id, 7).await.unwrap(), "a step is used once");
    /// assert!(db.use_recovery_code(&user.id, "h1").await.unwrap());
    /// assert!(!db.use_recovery_code(&user.id, "h1").await.unwrap(), "a recovery code is used once");
    /// # });
    /// ```
    async fn set_two_factor(&self, user_id: &str, secret: &str, recovery_codes: &[String]) -> Result<(), AdapterError> {
        let _ = (user_id, secret, recovery_codes);
        Err(AdapterError::Unsupported(NO_TWO_FACTOR.into()))
    }

    /// Turns two-factor sign-in off for a user: deletes the set-up and its recovery codes
    /// (no error when there is none).
    ///
    /// The default answers [`AdapterError::Unsupported`].
    async fn delete_two_factor(&self, user_id: &str) -> Result<(), AdapterError> {
        let _ = user_id;
        Err(AdapterError::Unsupported(NO_TWO_FACTOR.into()))
    }

    /// Records that a TOTP code of time step `step` was accepted, atomically: `true` when
    /// the user's last used step was unset or earlier (and is now `step`), `false` when it
    /// was `step` or later, or the user has no set-up. Of two concurrent uses of one
    /// step, exactly one gets `true`: a code is never accepted twice (RFC 6238 §5.2).
    ///
    /// The default answers [`AdapterError::Unsupported`].
    async fn use_two_factor_step(&self, user_id: &str, step: i64) -> Result<bool, AdapterError> {
        let _ = (user_id, step);
        Err(AdapterError::Unsupported(NO_TWO_FACTOR.into()))
    }

    /// Uses up one recovery code (by its hash), atomically: `true` when the user had it
    /// (it is deleted), `false` otherwise. Of two concurrent uses, exactly one gets `true`.
    ///
    /// The default answers [`AdapterError::Unsupported`].
    async fn use_recovery_code(&self, user_id: &str, code_hash: &str) -> Result<bool, AdapterError> {
        let _ = (user_id, code_hash);
        Err(AdapterError::Unsupported(NO_TWO_FACTOR.into()))
    }
}

/// A shared adapter is an adapter: `Arc<dyn Adapter>` (what `tessera_sqlx::connect`
/// returns) and `Arc<MemoryAdapter>` can be given to [`AuthBuilder::adapter`](crate::AuthBuilder::adapter)
/// while the app keeps a clone. Every method forwards, the defaulted ones included, so an
/// adapter's own `create_user_and_link` and `delete_expired` are the ones that run.
///
/// ```
/// use std::sync::Arc;
/// use tessera::adapter::{Adapter, MemoryAdapter};
///
/// let shared: Arc<dyn Adapter> = Arc::new(MemoryAdapter::new());
/// let auth = tessera::Auth::builder().secret("0123456789abcdef").adapter(shared.clone()).build();
/// assert!(auth.is_ok());
/// ```
#[async_trait::async_trait]
impl<A: Adapter + ?Sized> Adapter for std::sync::Arc<A> {
    async fn create_user(&self, user: NewUser) -> Result<User, AdapterError> {
        (**self).create_user(user).await
    }
    async fn get_user(&self, id: &str) -> Result<Option<User>, AdapterError> {
        (**self).get_user(id).await
    }
    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, AdapterError> {
        (**self).get_user_by_email(email).await
    }
    async fn get_user_by_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<User>, AdapterError> {
        (**self).get_user_by_account(provider, provider_account_id).await
    }
    async fn update_user(&self, update: UserUpdate) -> Result<User, AdapterError> {
        (**self).update_user(update).await
    }
    async fn delete_user(&self, id: &str) -> Result<(), AdapterError> {
        (**self).delete_user(id).await
    }
    async fn link_account(&self, account: Account) -> Result<(), AdapterError> {
        (**self).link_account(account).await
    }
    async fn unlink_account(&self, provider: &str, provider_account_id: &str) -> Result<(), AdapterError> {
        (**self).unlink_account(provider, provider_account_id).await
    }
    async fn update_account(&self, account: Account) -> Result<(), AdapterError> {
        (**self).update_account(account).await
    }
    async fn list_accounts(&self, user_id: &str) -> Result<Vec<Account>, AdapterError> {
        (**self).list_accounts(user_id).await
    }
    async fn create_session(&self, session: AdapterSession) -> Result<AdapterSession, AdapterError> {
        (**self).create_session(session).await
    }
    async fn get_session_and_user(&self, session_token: &str) -> Result<Option<(AdapterSession, User)>, AdapterError> {
        (**self).get_session_and_user(session_token).await
    }
    async fn update_session(&self, session_token: &str, expires: SystemTime) -> Result<(), AdapterError> {
        (**self).update_session(session_token, expires).await
    }
    async fn delete_session(&self, session_token: &str) -> Result<Option<AdapterSession>, AdapterError> {
        (**self).delete_session(session_token).await
    }
    async fn list_sessions(&self, user_id: &str) -> Result<Vec<AdapterSession>, AdapterError> {
        (**self).list_sessions(user_id).await
    }
    async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<u64, AdapterError> {
        (**self).delete_user_sessions(user_id, keep).await
    }
    async fn create_verification_token(&self, token: VerificationToken) -> Result<(), AdapterError> {
        (**self).create_verification_token(token).await
    }
    async fn use_verification_token(
        &self,
        identifier: &str,
        token: &str,
    ) -> Result<Option<VerificationToken>, AdapterError> {
        (**self).use_verification_token(identifier, token).await
    }
    async fn create_user_and_link(&self, user: NewUser, account: Account) -> Result<User, AdapterError> {
        (**self).create_user_and_link(user, account).await
    }
    async fn delete_expired(&self, now: SystemTime) -> Result<u64, AdapterError> {
        (**self).delete_expired(now).await
    }
    fn password_support(&self) -> Result<(), AdapterError> {
        (**self).password_support()
    }
    async fn get_password_hash(&self, user_id: &str) -> Result<Option<String>, AdapterError> {
        (**self).get_password_hash(user_id).await
    }
    async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<(), AdapterError> {
        (**self).set_password_hash(user_id, hash).await
    }
    fn two_factor_support(&self) -> Result<(), AdapterError> {
        (**self).two_factor_support()
    }
    async fn get_two_factor(&self, user_id: &str) -> Result<Option<TwoFactorRecord>, AdapterError> {
        (**self).get_two_factor(user_id).await
    }
    async fn set_two_factor(&self, user_id: &str, secret: &str, recovery_codes: &[String]) -> Result<(), AdapterError> {
        (**self).set_two_factor(user_id, secret, recovery_codes).await
    }
    async fn delete_two_factor(&self, user_id: &str) -> Result<(), AdapterError> {
        (**self).delete_two_factor(user_id).await
    }
    async fn use_two_factor_step(&self, user_id: &str, step: i64) -> Result<bool, AdapterError> {
        (**self).use_two_factor_step(user_id, step).await
    }
    async fn use_recovery_code(&self, user_id: &str, code_hash: &str) -> Result<bool, AdapterError> {
        (**self).use_recovery_code(user_id, code_hash).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    use super::{Adapter, MemoryAdapter, VerificationToken};

    /// Through an `Arc`, a defaulted method runs the adapter's override, not the default
    /// (which would purge nothing).
    #[tokio::test]
    async fn arc_forwards_defaulted_methods() {
        let db: Arc<dyn Adapter> = Arc::new(MemoryAdapter::new());
        let now = SystemTime::now();
        let token = VerificationToken {
            identifier: "a@b.c".into(),
            token: "old".into(),
            expires: now - Duration::from_secs(60),
        };
        db.create_verification_token(token).await.unwrap();
        let shared = Arc::new(db);
        assert_eq!(Adapter::delete_expired(&shared, now).await.unwrap(), 1);
    }
}
