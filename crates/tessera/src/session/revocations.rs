//! Revoked JWT sessions, checked from memory on every JWT read (`GET /session`,
//! `POST /session`, [`Auth::session`](crate::Auth::session), [`Auth::token`](crate::Auth::token)).
//!
//! Two kinds of entry ([`Revocation`]):
//!
//! * **A session**: every token carrying a session id (the `sid` claim Tessera puts in each
//!   JWT it mints at sign-in, kept across refreshes and `update()`). Sign-out adds one.
//! * **A user epoch**: every session of a user that started before an instant, except one
//!   kept session id. [`Auth::revoke_user_sessions`](crate::Auth::revoke_user_sessions)
//!   adds one. A session's start is read from its `sid` (a version 7 UUID, whose first 48 bits are
//!   the Unix time in milliseconds of the sign-in); a token without a `sid` (minted by
//!   next-auth, or by [`Auth::encode_token`](crate::Auth::encode_token)) started at its
//!   `iat`, whole seconds, so it is refused when its `iat` is at or before the second of the
//!   revocation.
//!
//! Every entry is kept until no token it refuses can still be live (`until`, the latest
//! expiry of such a token, clock tolerance included), then pruned, so the list is bounded by
//! the revocations of the last session lifetime and is empty in the common case. A read
//! first checks an atomic count, so an empty list costs one load and no lock:
//! `benches/profile.rs jwt` under callgrind, 62,279 instructions per `GET /session` before
//! revocations and 63,121 after, of which about 100 are new code on the read path (the
//! `sid` kept across the `jwt` callback, this check inlined) and the rest inlining changes
//! in unchanged code (`serde_json`'s map visitor, `indexmap`'s insert).
//!
//! # The seam for a shared store
//!
//! The list is the read side of every backend: it is always consulted from memory, never
//! over the network. A shared backend (Redis, in `tessera-redis`) plugs in beside it,
//! through [`Auth::revocations`](crate::Auth::revocations):
//!
//! * outbound, a [`RevocationPublisher`] set with [`RevocationList::set_publisher`] is told
//!   of each [`Revocation`] this process makes (sign-out, `revoke_user_sessions`; plain,
//!   serialisable values), after the local list has it, and stores and broadcasts it;
//! * inbound, it feeds the revocations of other instances, and those stored before this
//!   process started, to [`RevocationList::apply`], which does not publish them again.
//!
//! `apply` is idempotent and order-independent (a session's `until` only grows; a user's
//! epoch only moves later), so a backend may replay or reorder deliveries. Without a
//! backend, revocations hold in this process only.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The claim that carries a session id.
pub(crate) const SID: &str = "sid";

/// One revocation: what a shared backend stores and broadcasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Revocation {
    /// Every token carrying this session id (`sid` claim).
    Session {
        /// The session id.
        sid: String,
        /// Unix seconds after which no token of the session can be live: the entry's end.
        until: i64,
    },
    /// Every session of a user that started at or before `at_ms`, except the session
    /// `keep`.
    #[serde(rename_all = "camelCase")]
    User {
        /// The user id (the tokens' `sub`).
        user_id: String,
        /// Unix milliseconds of the revocation.
        at_ms: i64,
        /// A session id left alone.
        keep: Option<String>,
        /// Unix seconds after which no token started before `at_ms` can be live.
        until: i64,
    },
}

/// Where the revocations this process makes go besides its own list: a shared store that
/// keeps them and tells the other instances (`tessera-redis`). See the [module docs](self).
pub trait RevocationPublisher: Send + Sync + 'static {
    /// Called once per revocation made here, on the request's task, after the local list
    /// has it: hand it to a background task rather than block. It cannot fail the request:
    /// a publisher that loses a revocation must say so itself (log, retry).
    fn publish(&self, revocation: &Revocation);
}

/// The revocations this process knows of. See the [module docs](self).
pub struct RevocationList {
    /// The shared store's outbound side, when one is set.
    publisher: OnceLock<Arc<dyn RevocationPublisher>>,
    /// Sessions plus user epochs: 0 means nothing to check.
    entries: AtomicUsize,
    /// The earliest `until` of the entries (`i64::MAX` when empty): pruning is due past it.
    next_expiry: AtomicI64,
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Session id → until.
    sessions: HashMap<String, i64>,
    /// User id → epoch.
    users: HashMap<String, Epoch>,
}

#[derive(Debug)]
struct Epoch {
    at_ms: i64,
    keep: Option<String>,
    until: i64,
}

impl std::fmt::Debug for RevocationList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationList")
            .field("entries", &self.len())
            .field("publisher", &self.publisher.get().is_some())
            .finish_non_exhaustive()
    }
}

impl Default for RevocationList {
    fn default() -> Self {
        RevocationList {
            publisher: OnceLock::new(),
            entries: AtomicUsize::new(0),
            next_expiry: AtomicI64::new(i64::MAX),
            state: RwLock::default(),
        }
    }
}

impl RevocationList {
    /// Sets the publisher told of every revocation made here from now on. Only one: a
    /// second call returns its argument back.
    pub fn set_publisher(&self, publisher: Arc<dyn RevocationPublisher>) -> Result<(), Arc<dyn RevocationPublisher>> {
        self.publisher.set(publisher)
    }

    /// A revocation made here (sign-out, `revoke_user_sessions`): applied, then published.
    pub(crate) fn revoke(&self, revocation: Revocation, now: i64) {
        match self.publisher.get() {
            Some(publisher) => {
                self.apply(revocation.clone(), now);
                publisher.publish(&revocation);
            }
            None => self.apply(revocation, now),
        }
    }

    /// Records a revocation learnt from another instance (or made here), and prunes what
    /// expired by `now` (Unix seconds). Idempotent: a session's `until` only grows, and a
    /// user's epoch is replaced only by a later one.
    pub fn apply(&self, revocation: Revocation, now: i64) {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        match revocation {
            Revocation::Session { sid, until } => {
                let entry = state.sessions.entry(sid).or_insert(until);
                *entry = (*entry).max(until);
            }
            Revocation::User {
                user_id,
                at_ms,
                keep,
                until,
            } => {
                let epoch = Epoch { at_ms, keep, until };
                match state.users.get_mut(&user_id) {
                    Some(old) if old.at_ms > epoch.at_ms => old.until = old.until.max(epoch.until),
                    Some(old) => {
                        let until = old.until.max(epoch.until);
                        *old = Epoch { until, ..epoch };
                    }
                    None => {
                        state.users.insert(user_id, epoch);
                    }
                }
            }
        }
        self.prune_locked(&mut state, now);
    }

    /// How many entries the list holds (sessions and user epochs), expired ones not yet
    /// pruned included.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.load(Ordering::Acquire)
    }

    /// Whether the list holds no entry.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a token with these claims is revoked, at `now` (Unix seconds). An empty list
    /// answers with one atomic load, inlined at the caller.
    #[inline]
    pub(crate) fn is_revoked(&self, claims: &Map<String, Value>, now: i64) -> bool {
        !self.is_empty() && self.lookup(claims, now)
    }

    /// [`is_revoked`](Self::is_revoked) on a list that is not empty.
    #[cold]
    #[inline(never)]
    fn lookup(&self, claims: &Map<String, Value>, now: i64) -> bool {
        if now > self.next_expiry.load(Ordering::Acquire) {
            let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
            self.prune_locked(&mut state, now);
        }
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        let sid = claims.get(SID).and_then(Value::as_str);
        if sid.is_some_and(|sid| state.sessions.contains_key(sid)) {
            return true;
        }
        let Some(epoch) = claims
            .get("sub")
            .and_then(Value::as_str)
            .and_then(|s| state.users.get(s))
        else {
            return false;
        };
        if sid.is_some() && sid == epoch.keep.as_deref() {
            return false;
        }
        match sid.and_then(started_ms) {
            Some(started) => started <= epoch.at_ms,
            // No session start: the token's `iat`, in whole seconds, at or before the
            // revocation's second (a token without one is refused).
            None => claims
                .get("iat")
                .and_then(Value::as_f64)
                .is_none_or(|iat| iat <= epoch.at_ms.div_euclid(1000) as f64),
        }
    }

    /// Drops the entries whose `until` is before `now`, and recounts.
    fn prune_locked(&self, state: &mut State, now: i64) {
        state.sessions.retain(|_, until| *until >= now);
        state.users.retain(|_, epoch| epoch.until >= now);
        let next = state
            .sessions
            .values()
            .chain(state.users.values().map(|e| &e.until))
            .min()
            .copied()
            .unwrap_or(i64::MAX);
        self.next_expiry.store(next, Ordering::Release);
        self.entries
            .store(state.sessions.len() + state.users.len(), Ordering::Release);
    }
}

/// A new session id: a version 7 UUID (its first 48 bits the Unix time in milliseconds of `now_ms`,
/// then 74 random bits), so a user epoch can tell when the session started.
pub(crate) fn new_sid(now_ms: i64) -> String {
    let ms = u64::try_from(now_ms).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(ms, &crate::random::bytes::<10>())
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// The start (Unix milliseconds) of the session `sid`, when it is a hyphenated version 7 UUID.
fn started_ms(sid: &str) -> Option<i64> {
    let b = sid.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[14] != b'7' {
        return None;
    }
    let hex = sid.get(..8)?.to_owned() + sid.get(9..13)?;
    i64::from_str_radix(&hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(sub: &str, sid: Option<&str>, iat: i64) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("sub".into(), sub.into());
        if let Some(sid) = sid {
            m.insert(SID.into(), sid.into());
        }
        m.insert("iat".into(), iat.into());
        m
    }

    #[test]
    fn sid_carries_its_start() {
        let sid = new_sid(1_797_938_695_705);
        assert_eq!(started_ms(&sid), Some(1_797_938_695_705));
        assert_ne!(new_sid(1_797_938_695_705), sid);
        assert_eq!(started_ms("6f1c2a52-7f0e-4c55-9d0b-8f5d3c1e2a77"), None); // a v4
        assert_eq!(started_ms("not a uuid"), None);
    }

    #[test]
    fn empty_list_revokes_nothing() {
        let list = RevocationList::default();
        assert!(list.is_empty());
        assert!(!list.is_revoked(&claims("1", Some(&new_sid(1000)), 1), 10));
    }

    #[test]
    fn a_session_is_revoked_until_its_end_then_pruned() {
        let list = RevocationList::default();
        let sid = new_sid(1_000_000);
        list.apply(
            Revocation::Session {
                sid: sid.clone(),
                until: 2000,
            },
            1000,
        );
        assert_eq!(list.len(), 1);
        assert!(list.is_revoked(&claims("1", Some(&sid), 1000), 1500));
        assert!(!list.is_revoked(&claims("1", Some(&new_sid(1_000_000)), 1000), 1500));
        assert!(list.is_revoked(&claims("1", Some(&sid), 1000), 2000));
        // Past its end: pruned on the next read.
        assert!(!list.is_revoked(&claims("1", Some(&sid), 1000), 2001));
        assert!(list.is_empty());
    }

    #[test]
    fn a_user_epoch_ends_earlier_sessions_but_the_kept_one_and_later_ones() {
        let list = RevocationList::default();
        let (old, kept, later) = (new_sid(999_000), new_sid(999_500), new_sid(1_000_001));
        list.apply(
            Revocation::User {
                user_id: "1".into(),
                at_ms: 1_000_000,
                keep: Some(kept.clone()),
                until: 5000,
            },
            1000,
        );
        // Refreshed since (iat 1200), still a session that started before the epoch.
        assert!(list.is_revoked(&claims("1", Some(&old), 1200), 1200));
        assert!(!list.is_revoked(&claims("1", Some(&kept), 999), 1200));
        assert!(!list.is_revoked(&claims("1", Some(&later), 1000), 1200));
        assert!(!list.is_revoked(&claims("2", Some(&old), 999), 1200));
        // Without a sid: by iat, the revocation's second included.
        assert!(list.is_revoked(&claims("1", None, 999), 1200));
        assert!(list.is_revoked(&claims("1", None, 1000), 1200));
        assert!(!list.is_revoked(&claims("1", None, 1001), 1200));
        // An older epoch delivered late does not undo the newer one.
        list.apply(
            Revocation::User {
                user_id: "1".into(),
                at_ms: 500_000,
                keep: Some(old.clone()),
                until: 3000,
            },
            1000,
        );
        assert!(list.is_revoked(&claims("1", Some(&old), 1200), 1200));
        assert_eq!(list.len(), 1);
        assert!(!list.is_revoked(&claims("1", None, 999), 5001));
        assert!(list.is_empty());
    }

    #[test]
    fn revocations_made_here_are_published_and_applied_ones_are_not() {
        #[derive(Default)]
        struct Recorder(std::sync::Mutex<Vec<Revocation>>);
        impl RevocationPublisher for Recorder {
            fn publish(&self, revocation: &Revocation) {
                self.0.lock().unwrap().push(revocation.clone());
            }
        }
        let list = RevocationList::default();
        let recorder = Arc::new(Recorder::default());
        assert!(list.set_publisher(recorder.clone()).is_ok());
        assert!(list.set_publisher(recorder.clone()).is_err());
        let here = Revocation::Session {
            sid: "a".into(),
            until: 10,
        };
        let remote = Revocation::Session {
            sid: "b".into(),
            until: 10,
        };
        list.revoke(here.clone(), 0);
        list.apply(remote, 0);
        assert_eq!(list.len(), 2);
        assert_eq!(*recorder.0.lock().unwrap(), vec![here]);
    }

    #[test]
    fn revocations_round_trip_as_json() {
        let r = Revocation::User {
            user_id: "1".into(),
            at_ms: 5,
            keep: None,
            until: 9,
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"kind":"user","userId":"1","atMs":5,"keep":null,"until":9}"#);
        assert_eq!(serde_json::from_str::<Revocation>(&json).unwrap(), r);
    }
}
