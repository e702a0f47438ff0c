//! A cache of database-session reads, so that `GET /session` with a database session does
//! not read the database on every request.
//!
//! [`SessionCache`] keeps, per session token, the session row and its user as the adapter
//! last returned them, for at most its time to live (30 s by default,
//! [`AuthBuilder::session_cache_ttl`](crate::AuthBuilder::session_cache_ttl)). The engine
//! reads sessions through an adapter wrapper that consults it, and every write the engine
//! makes through the adapter ([`Auth::adapter`](crate::Auth::adapter) included) evicts
//! what it changes, here and, through an [`InvalidationPublisher`], on every other
//! instance:
//!
//! | adapter call                  | evicts                                  |
//! |-------------------------------|-----------------------------------------|
//! | `update_session`, `delete_session` | that session ([`Invalidation::Session`]) |
//! | `update_user`, `delete_user`, `delete_user_sessions` | every session of the user ([`Invalidation::User`]) |
//!
//! An `update()` (`POST /session`) also evicts the user's sessions once the `session`
//! callback has run, since apps commonly write the user there, through an adapter handle of
//! their own. Any other write made behind the engine's back (SQL from the app, another
//! service, an adapter handle other than [`Auth::adapter`](crate::Auth::adapter)) is seen
//! when an entry's time to live ends.
//!
//! # Only while invalidations arrive
//!
//! A cache that missed an invalidation would keep serving a session another instance has
//! ended, so the cache serves nothing until it is [enabled](SessionCache::enable), which a
//! shared backend (`tessera-redis`) does once it receives the invalidations of the other
//! instances, and [disables](SessionCache::disable) (emptying it) the moment it stops
//! receiving them. Without such a backend the cache stays off and every read goes to the
//! database, as in a single instance of NextAuth. A single process that wants the cache
//! without Redis can enable it itself: it then sees its own writes at once and outside
//! writes within the time to live.
//!
//! # Races
//!
//! A read that misses starts at a generation (a counter); every eviction
//! moves the generation on, and a read stores what it found only if no eviction happened
//! meanwhile, so a session ended while another request was reading it is not brought back.
//!
//! # Bounds
//!
//! At most [`CAPACITY`] entries (new reads are not cached when full, until entries expire);
//! expired entries are dropped a few at a time as new ones come, oldest first. Keys are
//! the first 16 bytes of the SHA-256 of the token: invalidations name sessions by that hash,
//! never by the token.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::adapter::{Adapter, AdapterError, AdapterSession, NewUser, TwoFactorRecord, UserUpdate, VerificationToken};
use crate::user::{Account, User};

/// The most entries a cache holds.
pub const CAPACITY: usize = 100_000;

/// How long an entry lives by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// Expired entries dropped at most per insert.
const SWEEP: usize = 8;

/// What a write evicts, on this instance and (through an [`InvalidationPublisher`]) on the
/// others: what a shared backend broadcasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Invalidation {
    /// One session, by [`SessionCache::token_hash`] of its token.
    #[serde(rename_all = "camelCase")]
    Session {
        /// 32 hex digits.
        token_hash: String,
    },
    /// Every session of a user.
    #[serde(rename_all = "camelCase")]
    User {
        /// The user's id.
        user_id: String,
    },
}

/// Where the invalidations this process makes go besides its own cache: a shared backend
/// that tells the other instances (`tessera-redis`).
pub trait InvalidationPublisher: Send + Sync + 'static {
    /// Called once per write, on the request's task, after the local cache is evicted:
    /// hand it to a background task rather than block.
    fn publish(&self, invalidation: &Invalidation);
}

/// A session token's key: 16 bytes of its SHA-256.
type Key = [u8; 16];

fn key_of(token: &str) -> Key {
    let digest = Sha256::digest(token.as_bytes());
    let mut key = [0; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

fn hex(key: &Key) -> String {
    use std::fmt::Write;
    key.iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn parse_hex(hex: &str) -> Option<Key> {
    let bytes = hex.as_bytes();
    if bytes.len() != 32 {
        return None;
    }
    let mut key = [0; 16];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let digit = |b: u8| (b as char).to_digit(16);
        key[i] = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
    }
    Some(key)
}

struct Cached {
    row: AdapterSession,
    user: User,
    stored: Instant,
}

#[derive(Default)]
struct State {
    entries: HashMap<Key, Cached>,
    /// User id → the keys of their cached sessions.
    by_user: HashMap<String, HashSet<Key>>,
    /// Keys in the order they were stored (an entry stored again appears twice; the
    /// older mention is skipped because its time does not match).
    order: VecDeque<(Instant, Key)>,
}

impl State {
    fn remove(&mut self, key: &Key) {
        if let Some(old) = self.entries.remove(key)
            && let MapEntry::Occupied(mut keys) = self.by_user.entry(old.row.user_id)
        {
            keys.get_mut().remove(key);
            if keys.get().is_empty() {
                keys.remove();
            }
        }
    }

    fn remove_user(&mut self, user_id: &str) {
        if let Some(keys) = self.by_user.remove(user_id) {
            for key in keys {
                self.entries.remove(&key);
            }
        }
    }

    /// Drops up to `max` entries stored before `before`.
    fn sweep(&mut self, before: Instant, max: usize) {
        for _ in 0..max {
            match self.order.front() {
                Some((stored, _)) if *stored < before => {}
                _ => return,
            }
            if let Some((stored, key)) = self.order.pop_front()
                && self.entries.get(&key).is_some_and(|c| c.stored == stored)
            {
                self.remove(&key);
            }
        }
    }
}

/// Database-session reads kept in memory (see the [module docs](self)).
pub struct SessionCache {
    ttl: Duration,
    enabled: AtomicBool,
    generation: AtomicU64,
    publisher: OnceLock<Arc<dyn InvalidationPublisher>>,
    state: RwLock<State>,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache")
            .field("ttl", &self.ttl)
            .field("enabled", &self.is_enabled())
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

impl SessionCache {
    /// A cache whose entries live at most `ttl` (`Duration::ZERO`: it never serves), off.
    pub(crate) fn new(ttl: Duration) -> Self {
        SessionCache {
            ttl,
            enabled: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            publisher: OnceLock::new(),
            state: RwLock::default(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts serving, empty. A shared backend calls it once it receives the other
    /// instances' invalidations (and again after each reconnection).
    pub fn enable(&self) {
        self.clear();
        self.enabled.store(!self.ttl.is_zero(), Ordering::Release);
    }

    /// Stops serving and empties the cache: every read goes to the database until
    /// [`enable`](Self::enable). A shared backend calls it when it stops receiving
    /// invalidations.
    pub fn disable(&self) {
        self.enabled.store(false, Ordering::Release);
        self.clear();
    }

    fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        *self.write() = State::default();
    }

    /// Whether reads are served from memory.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    /// How long an entry lives at most.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// How many sessions are cached.
    pub fn len(&self) -> usize {
        self.read().entries.len()
    }

    /// Whether no session is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sets the publisher told of every invalidation made here. Only one: a second call
    /// returns its argument back.
    pub fn set_publisher(
        &self,
        publisher: Arc<dyn InvalidationPublisher>,
    ) -> Result<(), Arc<dyn InvalidationPublisher>> {
        self.publisher.set(publisher)
    }

    /// How [`Invalidation::Session`] names a session token: 32 hex digits of its SHA-256.
    pub fn token_hash(token: &str) -> String {
        hex(&key_of(token))
    }

    /// Evicts what another instance's write changed (does not publish it again). An
    /// invalidation that names no valid hash is ignored.
    pub fn apply(&self, invalidation: &Invalidation) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut state = self.write();
        match invalidation {
            Invalidation::Session { token_hash } => {
                if let Some(key) = parse_hex(token_hash) {
                    state.remove(&key);
                }
            }
            Invalidation::User { user_id } => state.remove_user(user_id),
        }
    }

    /// Evicts every cached session of `user_id`, here and (published) everywhere.
    pub(crate) fn evict_user(&self, user_id: &str) {
        self.invalidate(&Invalidation::User {
            user_id: user_id.to_owned(),
        });
    }

    /// Evicts here and publishes.
    fn invalidate(&self, invalidation: &Invalidation) {
        self.apply(invalidation);
        if let Some(publisher) = self.publisher.get() {
            publisher.publish(invalidation);
        }
    }

    /// The generation a read that misses starts at.
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn get(&self, key: &Key, now: Instant) -> Option<(AdapterSession, User)> {
        if !self.is_enabled() {
            return None;
        }
        let state = self.read();
        let cached = state.entries.get(key)?;
        (now.saturating_duration_since(cached.stored) < self.ttl).then(|| (cached.row.clone(), cached.user.clone()))
    }

    /// Stores a read made at `generation`, unless an eviction happened since.
    fn store(&self, key: Key, row: &AdapterSession, user: &User, generation: u64, now: Instant) {
        if !self.is_enabled() {
            return;
        }
        let mut state = self.write();
        // Under the lock, so no eviction slips between the check and the insert.
        if self.generation() != generation {
            return;
        }
        if let Some(before) = now.checked_sub(self.ttl) {
            state.sweep(before, SWEEP);
        }
        if !state.entries.contains_key(&key) && state.entries.len() >= CAPACITY {
            return;
        }
        if state.order.len() >= 2 * CAPACITY {
            return;
        }
        state.remove(&key);
        state.by_user.entry(row.user_id.clone()).or_default().insert(key);
        state.entries.insert(
            key,
            Cached {
                row: row.clone(),
                user: user.clone(),
                stored: now,
            },
        );
        state.order.push_back((now, key));
    }
}

/// The adapter the engine uses when it has a session cache: reads sessions through it and
/// evicts on every write (see the [module docs](self)). Everything else is forwarded.
pub(crate) struct CachedSessions {
    pub(crate) inner: Arc<dyn Adapter>,
    pub(crate) cache: Arc<SessionCache>,
}

#[crate::async_trait]
impl Adapter for CachedSessions {
    async fn create_user(&self, user: NewUser) -> Result<User, AdapterError> {
        self.inner.create_user(user).await
    }
    async fn get_user(&self, id: &str) -> Result<Option<User>, AdapterError> {
        self.inner.get_user(id).await
    }
    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, AdapterError> {
        self.inner.get_user_by_email(email).await
    }
    async fn get_user_by_account(
        &self,
        provider: &str,
        provider_account_id: &str,
    ) -> Result<Option<User>, AdapterError> {
        self.inner.get_user_by_account(provider, provider_account_id).await
    }
    async fn update_user(&self, update: UserUpdate) -> Result<User, AdapterError> {
        let user_id = update.id.clone();
        let result = self.inner.update_user(update).await;
        self.cache.invalidate(&Invalidation::User { user_id });
        result
    }
    async fn delete_user(&self, id: &str) -> Result<(), AdapterError> {
        let result = self.inner.delete_user(id).await;
        self.cache.invalidate(&Invalidation::User { user_id: id.to_owned() });
        result
    }
    async fn link_account(&self, account: Account) -> Result<(), AdapterError> {
        self.inner.link_account(account).await
    }
    async fn unlink_account(&self, provider: &str, provider_account_id: &str) -> Result<(), AdapterError> {
        self.inner.unlink_account(provider, provider_account_id).await
    }
    async fn update_account(&self, account: Account) -> Result<(), AdapterError> {
        self.inner.update_account(account).await
    }
    async fn list_accounts(&self, user_id: &str) -> Result<Vec<Account>, AdapterError> {
        self.inner.list_accounts(user_id).await
    }
    async fn create_session(&self, session: AdapterSession) -> Result<AdapterSession, AdapterError> {
        self.inner.create_session(session).await
    }
    async fn get_session_and_user(&self, session_token: &str) -> Result<Option<(AdapterSession, User)>, AdapterError> {
        if !self.cache.is_enabled() {
            return self.inner.get_session_and_user(session_token).await;
        }
        let key = key_of(session_token);
        let now = Instant::now();
        if let Some(hit) = self.cache.get(&key, now) {
            return Ok(Some(hit));
        }
        let generation = self.cache.generation();
        let found = self.inner.get_session_and_user(session_token).await?;
        if let Some((row, user)) = &found {
            self.cache.store(key, row, user, generation, now);
        }
        Ok(found)
    }
    async fn update_session(&self, session_token: &str, expires: SystemTime) -> Result<(), AdapterError> {
        let result = self.inner.update_session(session_token, expires).await;
        self.cache.invalidate(&Invalidation::Session {
            token_hash: SessionCache::token_hash(session_token),
        });
        result
    }
    async fn delete_session(&self, session_token: &str) -> Result<Option<AdapterSession>, AdapterError> {
        let result = self.inner.delete_session(session_token).await;
        self.cache.invalidate(&Invalidation::Session {
            token_hash: SessionCache::token_hash(session_token),
        });
        result
    }
    async fn list_sessions(&self, user_id: &str) -> Result<Vec<AdapterSession>, AdapterError> {
        self.inner.list_sessions(user_id).await
    }
    async fn delete_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<u64, AdapterError> {
        let result = self.inner.delete_user_sessions(user_id, keep).await;
        self.cache.invalidate(&Invalidation::User {
            user_id: user_id.to_owned(),
        });
        result
    }
    async fn create_verification_token(&self, token: VerificationToken) -> Result<(), AdapterError> {
        self.inner.create_verification_token(token).await
    }
    async fn use_verification_token(
        &self,
        identifier: &str,
        token: &str,
    ) -> Result<Option<VerificationToken>, AdapterError> {
        self.inner.use_verification_token(identifier, token).await
    }
    async fn create_user_and_link(&self, user: NewUser, account: Account) -> Result<User, AdapterError> {
        self.inner.create_user_and_link(user, account).await
    }
    async fn delete_expired(&self, now: SystemTime) -> Result<u64, AdapterError> {
        // Expired rows are never served: every read checks the row's expiry.
        self.inner.delete_expired(now).await
    }
    fn password_support(&self) -> Result<(), AdapterError> {
        self.inner.password_support()
    }
    async fn get_password_hash(&self, user_id: &str) -> Result<Option<String>, AdapterError> {
        self.inner.get_password_hash(user_id).await
    }
    async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<(), AdapterError> {
        self.inner.set_password_hash(user_id, hash).await
    }
    fn two_factor_support(&self) -> Result<(), AdapterError> {
        self.inner.two_factor_support()
    }
    async fn get_two_factor(&self, user_id: &str) -> Result<Option<TwoFactorRecord>, AdapterError> {
        self.inner.get_two_factor(user_id).await
    }
    async fn set_two_factor(&self, user_id: &str, secret: &str, recovery_codes: &[String]) -> Result<(), AdapterError> {
        self.inner.set_two_factor(user_id, secret, recovery_codes).await
    }
    async fn delete_two_factor(&self, user_id: &str) -> Result<(), AdapterError> {
        self.inner.delete_two_factor(user_id).await
    }
    async fn use_two_factor_step(&self, user_id: &str, step: i64) -> Result<bool, AdapterError> {
        self.inner.use_two_factor_step(user_id, step).await
    }
    async fn use_recovery_code(&self, user_id: &str, code_hash: &str) -> Result<bool, AdapterError> {
        self.inner.use_recovery_code(user_id, code_hash).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::MemoryAdapter;

    fn cached(ttl: Duration) -> (CachedSessions, Arc<SessionCache>) {
        let cache = Arc::new(SessionCache::new(ttl));
        let adapter = CachedSessions {
            inner: Arc::new(MemoryAdapter::new()),
            cache: cache.clone(),
        };
        (adapter, cache)
    }

    async fn session(adapter: &CachedSessions, user: &str, token: &str) {
        let user = adapter
            .create_user(NewUser {
                email: Some(format!("{user}@example.com")),
                ..Default::default()
            })
            .await
            .expect("user");
        adapter
            .create_session(AdapterSession {
                session_token: token.into(),
                user_id: user.id,
                expires: SystemTime::now() + Duration::from_secs(3600),
            })
            .await
            .expect("session");
    }

    #[tokio::test]
    async fn reads_are_cached_only_while_enabled_and_writes_evict() {
        let (adapter, cache) = cached(Duration::from_secs(30));
        session(&adapter, "a", "token-a").await;
        assert!(adapter.get_session_and_user("token-a").await.expect("read").is_some());
        assert!(cache.is_empty(), "off until enabled");

        cache.enable();
        assert!(adapter.get_session_and_user("token-a").await.expect("read").is_some());
        assert_eq!(cache.len(), 1);
        // Deleted behind the cache's back: still served (what the time to live bounds).
        adapter.inner.delete_session("token-a").await.expect("delete");
        assert!(adapter.get_session_and_user("token-a").await.expect("read").is_some());
        // Deleted through it: gone.
        adapter.delete_session("token-a").await.expect("delete");
        assert!(adapter.get_session_and_user("token-a").await.expect("read").is_none());
        assert!(cache.is_empty());

        session(&adapter, "b", "token-b").await;
        let (_, user) = adapter
            .get_session_and_user("token-b")
            .await
            .expect("read")
            .expect("a session");
        adapter
            .update_user(UserUpdate {
                id: user.id.clone(),
                name: Some(Some("Bea".into())),
                ..Default::default()
            })
            .await
            .expect("update");
        let (_, user) = adapter
            .get_session_and_user("token-b")
            .await
            .expect("read")
            .expect("a session");
        assert_eq!(user.name.as_deref(), Some("Bea"), "a user update evicts");

        cache.disable();
        assert!(cache.is_empty() && !cache.is_enabled());
    }

    #[tokio::test]
    async fn invalidations_from_elsewhere_evict_by_hash_and_user() {
        let (adapter, cache) = cached(Duration::from_secs(30));
        cache.enable();
        session(&adapter, "c", "token-c1").await;
        let (_, user) = adapter
            .get_session_and_user("token-c1")
            .await
            .expect("read")
            .expect("s");
        assert_eq!(cache.len(), 1);
        cache.apply(&Invalidation::Session {
            token_hash: SessionCache::token_hash("token-c1"),
        });
        assert!(cache.is_empty());
        adapter.get_session_and_user("token-c1").await.expect("read");
        cache.apply(&Invalidation::User { user_id: user.id });
        assert!(cache.is_empty());
        // Malformed hashes are ignored.
        cache.apply(&Invalidation::Session {
            token_hash: "zz".repeat(16),
        });
        cache.apply(&Invalidation::Session {
            token_hash: "é".into()
        });
    }

    #[test]
    fn a_read_that_raced_an_eviction_is_not_stored() {
        let cache = SessionCache::new(Duration::from_secs(30));
        cache.enable();
        let row = AdapterSession {
            session_token: "t".into(),
            user_id: "u".into(),
            expires: SystemTime::now(),
        };
        let user = User::new("u");
        let generation = cache.generation();
        cache.apply(&Invalidation::User { user_id: "u".into() });
        cache.store(key_of("t"), &row, &user, generation, Instant::now());
        assert!(cache.is_empty());
        cache.store(key_of("t"), &row, &user, cache.generation(), Instant::now());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn entries_expire_and_are_swept() {
        let cache = SessionCache::new(Duration::from_secs(30));
        cache.enable();
        let t = Instant::now();
        for i in 0..20 {
            let row = AdapterSession {
                session_token: format!("t{i}"),
                user_id: format!("u{i}"),
                expires: SystemTime::now(),
            };
            cache.store(key_of(&row.session_token), &row, &User::new("u"), cache.generation(), t);
        }
        assert_eq!(cache.len(), 20);
        assert!(
            cache.get(&key_of("t0"), t + Duration::from_secs(31)).is_none(),
            "expired"
        );
        let later = t + Duration::from_secs(31);
        let row = AdapterSession {
            session_token: "new".into(),
            user_id: "n".into(),
            expires: SystemTime::now(),
        };
        cache.store(key_of("new"), &row, &User::new("n"), cache.generation(), later);
        assert_eq!(cache.len(), 20 - SWEEP + 1, "a store sweeps a bounded number");
        assert!(cache.read().by_user.len() <= 20 - SWEEP + 1, "the user index follows");
    }

    #[test]
    fn hashes_round_trip() {
        let key = key_of("token");
        assert_eq!(parse_hex(&hex(&key)), Some(key));
        assert_eq!(parse_hex("0"), None);
    }
}
