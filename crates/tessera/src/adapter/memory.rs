//! An in-memory [`Adapter`]: for tests and demos. Everything is lost when the process ends.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use super::{Adapter, AdapterError, AdapterSession, NewUser, TwoFactorRecord, UserUpdate, VerificationToken};
use crate::user::{Account, User};

#[derive(Debug, Default)]
struct State {
    users: HashMap<String, User>,
    accounts: Vec<Account>,
    sessions: HashMap<String, AdapterSession>,
    tokens: Vec<VerificationToken>,
    /// Password hashes by user id.
    passwords: HashMap<String, String>,
    /// Two-factor set-ups by user id.
    two_factor: HashMap<String, TwoFactorRecord>,
    /// Recovery code hashes by user id.
    recovery_codes: HashMap<String, Vec<String>>,
}

impl State {
    /// Stores a new user, unless its email is taken.
    fn insert_user(&mut self, user: NewUser) -> Result<User, AdapterError> {
        if let Some(email) = &user.email
            && self.users.values().any(|u| u.email.as_ref() == Some(email))
        {
            return Err(AdapterError::Conflict(format!("a user with email {email} exists")));
        }
        let created = User {
            id: crate::random::uuid_v4(),
            name: user.name,
            email: user.email,
            image: user.image,
            email_verified: user.email_verified,
            extra: Default::default(),
        };
        self.users.insert(created.id.clone(), created.clone());
        Ok(created)
    }

    /// `Conflict` when the account's `(provider, provider_account_id)` is linked already.
    fn check_unlinked(&self, account: &Account) -> Result<(), AdapterError> {
        if self
            .accounts
            .iter()
            .any(|a| a.provider == account.provider && a.provider_account_id == account.provider_account_id)
        {
            return Err(AdapterError::Conflict(format!(
                "account {}/{} is linked",
                account.provider, account.provider_account_id
            )));
        }
        Ok(())
    }
}

/// Keeps users, accounts, sessions and tokens in memory.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use tessera::adapter::{Adapter, MemoryAdapter, NewUser};
/// let db = MemoryAdapter::new();
/// let user = db.create_user(NewUser { email: Some("a@b.c".into()), ..Default::default() }).await.unwrap();
/// assert_eq!(db.get_user_by_email("a@b.c").await.unwrap().unwrap().id, user.id);
/// # });
/// ```
#[derive(Debug, Default)]
pub struct MemoryAdapter {
    state: Mutex<State>,
}

impl MemoryAdapter {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, AdapterError> {
        self.state
            .lock()
            .map_err(|_| AdapterError::Backend("memory adapter lock poisoned".into()))
    }
}

#[async_trait::async_trait]
impl Adapter for MemoryAdapter {
    async fn create_user(&self, user: NewUser) -> Result<User, AdapterError> {
        let mut s = self.lock()?;
        s.insert_user(user)
    }

    async fn get_user(&self, id: &str) -> Result<Option<User>, AdapterError> {
        Ok(self.lock()?.users.get(id).cloned())
    }

    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, AdapterError> {
        Ok(self
            .lock()?
            .users
            .values()
            .find(|u| u.email.as_deref() == Some(email))
            .cloned())
    }

    async fn get_user_by_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<User>, AdapterError> {
        let s = self.lock()?;
        let user_id = s
            .accounts
            .iter()
            .find(|a| a.provider == provider && a.provider_account_id == provider_account_id)
            .and_then(|a| a.user_id.clone());
        Ok(user_id.and_then(|id| s.users.get(&id).cloned()))
    }

    async fn update_user(&self, update: UserUpdate) -> Result<User, AdapterError> {
        let mut s = self.lock()?;
        if let Some(Some(email)) = &update.email
            && s.users
                .values()
                .any(|u| u.id != update.id && u.email.as_ref() == Some(email))
        {
            return Err(AdapterError::Conflict(format!("a user with email {email} exists")));
        }
        let user = s
            .users
            .get_mut(&update.id)
            .ok_or_else(|| AdapterError::NotFound(format!("user {}", update.id)))?;
        if let Some(v) = update.name {
            user.name = v;
        }
        if let Some(v) = update.email {
            // A new address is unverified, unless the update says otherwise (below).
            if v != user.email {
                user.email_verified = None;
            }
            user.email = v;
        }
        if let Some(v) = update.image {
            user.image = v;
        }
        if let Some(v) = update.email_verified {
            user.email_verified = v;
        }
        Ok(user.clone())
    }

    async fn delete_user(&self, id: &str) -> Result<(), AdapterError> {
        let mut s = self.lock()?;
        s.users.remove(id);
        s.accounts.retain(|a| a.user_id.as_deref() != Some(id));
        s.sessions.retain(|_, sess| sess.user_id != id);
        s.passwords.remove(id);
        s.two_factor.remove(id);
        s.recovery_codes.remove(id);
        Ok(())
    }

    async fn link_account(&self, account: Account) -> Result<(), AdapterError> {
        let mut s = self.lock()?;
        let user_id = account
            .user_id
            .clone()
            .ok_or_else(|| AdapterError::NotFound("account without user_id".into()))?;
        if !s.users.contains_key(&user_id) {
            return Err(AdapterError::NotFound(format!("user {user_id}")));
        }
        s.check_unlinked(&account)?;
        s.accounts.push(account);
        Ok(())
    }

    async fn unlink_account(&self, provider: &str, provider_account_id: &str) -> Result<(), AdapterError> {
        self.lock()?
            .accounts
            .retain(|a| !(a.provider == provider && a.provider_account_id == provider_account_id));
        Ok(())
    }

    async fn update_account(&self, account: Account) -> Result<(), AdapterError> {
        let mut s = self.lock()?;
        let stored = s
            .accounts
            .iter_mut()
            .find(|a| a.provider == account.provider && a.provider_account_id == account.provider_account_id)
            .ok_or_else(|| {
                AdapterError::NotFound(format!("account {}/{}", account.provider, account.provider_account_id))
            })?;
        stored.extra = account.extra;
        Ok(())
    }

    async fn list_accounts(&self, user_id: &str) -> Result<Vec<Account>, AdapterError> {
        Ok(self
            .lock()?
            .accounts
            .iter()
            .filter(|a| a.user_id.as_deref() == Some(user_id))
            .cloned()
            .collect())
    }

    async fn create_session(&self, session: AdapterSession) -> Result<AdapterSession, AdapterError> {
        let mut s = self.lock()?;
        if !s.users.contains_key(&session.user_id) {
            return Err(AdapterError::NotFound(format!("user {}", session.user_id)));
        }
        if s.sessions.contains_key(&session.session_token) {
            return Err(AdapterError::Conflict("session token exists".into()));
        }
        s.sessions.insert(session.session_token.clone(), session.clone());
        Ok(session)
    }

    async fn get_session_and_user(&self, session_token: &str) -> Result<Option<(AdapterSession, User)>, AdapterError> {
        let s = self.lock()?;
        Ok(s.sessions
            .get(session_token)
            .and_then(|sess| s.users.get(&sess.user_id).map(|u| (sess.clone(), u.clone()))))
    }

    async fn update_session(&self, session_token: &str, expires: SystemTime) -> Result<(), AdapterError> {
        if let Some(sess) = self.lock()?.sessions.get_mut(session_token) {
            sess.expires = expires;
        }
        Ok(())
    }

    async fn delete_session(&self, session_token: &str) -> Result<Option<AdapterSession>, AdapterError> {
        Ok(self.lock()?.sessions.remove(session_token))
    }

    async fn list_sessions(&self, user_id: &str) -> Result<Vec<AdapterSession>, AdapterError> {
        let mut out: Vec<_> = self
            .lock()?
            .sessions
            .values()
            .filter(|s| s.user_id == user_id)
            .cloned()
            .collect();
        out.sort_by_key(|s| s.expires);
        Ok(out)
    }

    async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<u64, AdapterError> {
        let mut s = self.lock()?;
        let before = s.sessions.len();
        s.sessions
            .retain(|token, sess| sess.user_id != user_id || Some(token.as_str()) == keep);
        Ok((before - s.sessions.len()) as u64)
    }

    async fn create_verification_token(&self, token: VerificationToken) -> Result<(), AdapterError> {
        let mut s = self.lock()?;
        if s.tokens
            .iter()
            .any(|t| t.identifier == token.identifier && t.token == token.token)
        {
            return Err(AdapterError::Conflict("verification token exists".into()));
        }
        s.tokens.push(token);
        Ok(())
    }

    async fn use_verification_token(
        &self,
        identifier: &str,
        token: &str,
    ) -> Result<Option<VerificationToken>, AdapterError> {
        let mut s = self.lock()?;
        let pos = s
            .tokens
            .iter()
            .position(|t| t.identifier == identifier && t.token == token);
        Ok(pos.map(|i| s.tokens.swap_remove(i)))
    }

    /// Both checks first, then both inserts, under one lock: all or nothing.
    async fn create_user_and_link(&self, user: NewUser, account: Account) -> Result<User, AdapterError> {
        let mut s = self.lock()?;
        s.check_unlinked(&account)?;
        let created = s.insert_user(user)?;
        s.accounts.push(Account {
            user_id: Some(created.id.clone()),
            ..account
        });
        Ok(created)
    }

    async fn delete_expired(&self, now: SystemTime) -> Result<u64, AdapterError> {
        let mut s = self.lock()?;
        let before = s.sessions.len() + s.tokens.len();
        s.sessions.retain(|_, sess| sess.expires >= now);
        s.tokens.retain(|t| t.expires >= now);
        Ok((before - s.sessions.len() - s.tokens.len()) as u64)
    }

    fn password_support(&self) -> Result<(), AdapterError> {
        Ok(())
    }

    async fn get_password_hash(&self, user_id: &str) -> Result<Option<String>, AdapterError> {
        Ok(self.lock()?.passwords.get(user_id).cloned())
    }

    async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<(), AdapterError> {
        let mut s = self.lock()?;
        if !s.users.contains_key(user_id) {
            return Err(AdapterError::NotFound(format!("user {user_id}")));
        }
        s.passwords.insert(user_id.to_owned(), hash.to_owned());
        Ok(())
    }

    fn two_factor_support(&self) -> Result<(), AdapterError> {
        Ok(())
    }

    async fn get_two_factor(&self, user_id: &str) -> Result<Option<TwoFactorRecord>, AdapterError> {
        Ok(self.lock()?.two_factor.get(user_id).cloned())
    }

    async fn set_two_factor(&self, user_id: &str, secret: &str, recovery_codes: &[String]) -> Result<(), AdapterError> {
        let mut s = self.lock()?;
        if !s.users.contains_key(user_id) {
            return Err(AdapterError::NotFound(format!("user {user_id}")));
        }
        let record = TwoFactorRecord {
            secret: secret.to_owned(),
            last_used_step: None,
        };
        s.two_factor.insert(user_id.to_owned(), record);
        s.recovery_codes.insert(user_id.to_owned(), recovery_codes.to_vec());
        Ok(())
    }

    async fn delete_two_factor(&self, user_id: &str) -> Result<(), AdapterError> {
        let mut s = self.lock()?;
        s.two_factor.remove(user_id);
        s.recovery_codes.remove(user_id);
        Ok(())
    }

    async fn use_two_factor_step(&self, user_id: &str, step: i64) -> Result<bool, AdapterError> {
        let mut s = self.lock()?;
        let Some(record) = s.two_factor.get_mut(user_id) else {
            return Ok(false);
        };
        if record.last_used_step.is_some_and(|last| last >= step) {
            return Ok(false);
        }
        record.last_used_step = Some(step);
        Ok(true)
    }

    async fn use_recovery_code(&self, user_id: &str, code_hash: &str) -> Result<bool, AdapterError> {
        let mut s = self.lock()?;
        let Some(codes) = s.recovery_codes.get_mut(user_id) else {
            return Ok(false);
        };
        let before = codes.len();
        codes.retain(|c| c != code_hash);
        Ok(codes.len() < before)
    }
}
