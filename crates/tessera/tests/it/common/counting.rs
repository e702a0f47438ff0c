//! An adapter that delegates to a `MemoryAdapter`, records which methods were called, and
//! fails on request (a database outage).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use tessera::adapter::{Adapter, AdapterError, AdapterSession, MemoryAdapter, NewUser, UserUpdate, VerificationToken};
use tessera::{Account, User};

/// Delegates to a `MemoryAdapter` and records which methods were called.
#[derive(Default)]
pub(crate) struct Counting {
    pub inner: MemoryAdapter,
    pub calls: Mutex<Vec<&'static str>>,
    /// When set, storing verification tokens fails (a database outage).
    pub fail_token_store: AtomicBool,
    /// When set, creating users fails.
    pub fail_create_user: AtomicBool,
    /// When set, every call fails (the database is down).
    pub down: AtomicBool,
    /// When set, the password methods forward (else they are unsupported, as for an
    /// adapter that predates them).
    pub passwords: AtomicBool,
}

impl Counting {
    pub(crate) fn log(&self, m: &'static str) {
        self.calls.lock().unwrap().push(m);
    }
    /// Records the call `m`; fails it when the database is down.
    fn call(&self, m: &'static str) -> Result<(), AdapterError> {
        self.log(m);
        if self.down.load(Ordering::SeqCst) {
            return Err(AdapterError::Backend("the database is down".into()));
        }
        Ok(())
    }
    pub(crate) fn take(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

#[tessera::async_trait]
impl Adapter for Counting {
    async fn create_user(&self, u: NewUser) -> Result<User, AdapterError> {
        self.call("create_user")?;
        if self.fail_create_user.load(Ordering::SeqCst) {
            return Err(AdapterError::Backend("the database is down".into()));
        }
        self.inner.create_user(u).await
    }
    async fn get_user(&self, id: &str) -> Result<Option<User>, AdapterError> {
        self.call("get_user")?;
        self.inner.get_user(id).await
    }
    async fn get_user_by_email(&self, e: &str) -> Result<Option<User>, AdapterError> {
        self.call("get_user_by_email")?;
        self.inner.get_user_by_email(e).await
    }
    async fn get_user_by_account(&self, p: &str, id: &str) -> Result<Option<User>, AdapterError> {
        self.call("get_user_by_account")?;
        self.inner.get_user_by_account(p, id).await
    }
    async fn update_user(&self, u: UserUpdate) -> Result<User, AdapterError> {
        self.call("update_user")?;
        self.inner.update_user(u).await
    }
    async fn delete_user(&self, id: &str) -> Result<(), AdapterError> {
        self.call("delete_user")?;
        self.inner.delete_user(id).await
    }
    async fn link_account(&self, a: Account) -> Result<(), AdapterError> {
        self.call("link_account")?;
        self.inner.link_account(a).await
    }
    async fn unlink_account(&self, p: &str, id: &str) -> Result<(), AdapterError> {
        self.call("unlink_account")?;
        self.inner.unlink_account(p, id).await
    }
    async fn update_account(&self, a: Account) -> Result<(), AdapterError> {
        self.call("update_account")?;
        self.inner.update_account(a).await
    }
    async fn list_accounts(&self, id: &str) -> Result<Vec<Account>, AdapterError> {
        self.call("list_accounts")?;
        self.inner.list_accounts(id).await
    }
    async fn create_session(&self, s: AdapterSession) -> Result<AdapterSession, AdapterError> {
        self.call("create_session")?;
        self.inner.create_session(s).await
    }
    async fn get_session_and_user(&self, t: &str) -> Result<Option<(AdapterSession, User)>, AdapterError> {
        self.call("get_session_and_user")?;
        self.inner.get_session_and_user(t).await
    }
    async fn update_session(&self, t: &str, e: SystemTime) -> Result<(), AdapterError> {
        self.call("update_session")?;
        self.inner.update_session(t, e).await
    }
    async fn delete_session(&self, t: &str) -> Result<Option<AdapterSession>, AdapterError> {
        self.call("delete_session")?;
        self.inner.delete_session(t).await
    }
    async fn list_sessions(&self, id: &str) -> Result<Vec<AdapterSession>, AdapterError> {
        self.call("list_sessions")?;
        self.inner.list_sessions(id).await
    }
    async fn delete_user_sessions(&self, id: &str, keep: Option<&str>) -> Result<u64, AdapterError> {
        self.call("delete_user_sessions")?;
        self.inner.delete_user_sessions(id, keep).await
    }
    async fn create_verification_token(&self, t: VerificationToken) -> Result<(), AdapterError> {
        self.call("create_verification_token")?;
        if self.fail_token_store.load(Ordering::SeqCst) {
            return Err(AdapterError::Backend("the database is down".into()));
        }
        self.inner.create_verification_token(t).await
    }
    async fn use_verification_token(&self, i: &str, t: &str) -> Result<Option<VerificationToken>, AdapterError> {
        self.call("use_verification_token")?;
        self.inner.use_verification_token(i, t).await
    }
    fn password_support(&self) -> Result<(), AdapterError> {
        if self.passwords.load(Ordering::SeqCst) {
            self.inner.password_support()
        } else {
            Err(AdapterError::Unsupported("Counting: passwords off".into()))
        }
    }
    async fn get_password_hash(&self, user_id: &str) -> Result<Option<String>, AdapterError> {
        self.call("get_password_hash")?;
        self.inner.get_password_hash(user_id).await
    }
    async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<(), AdapterError> {
        self.call("set_password_hash")?;
        self.inner.set_password_hash(user_id, hash).await
    }
}
