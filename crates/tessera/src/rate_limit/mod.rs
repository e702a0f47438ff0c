//! Abuse limits (security invariant 9): email sign-in requests per address and per client,
//! failed credentials attempts per client, per identifier and per (client, identifier).
//! Fixed windows, on by default; in memory, or in a store shared by several instances.
//!
//! * Client addresses are canonical: IPv4-mapped IPv6 folds to IPv4 and IPv6 is grouped by
//!   /64, so rotating addresses inside one network share a bucket. Behind a reverse proxy,
//!   the client is found through the trusted proxies ([`crate::AuthBuilder::trusted_proxies`]).
//! * An attempt is counted before it runs, atomically across its buckets, and a successful
//!   credentials sign-in gives its count back: concurrent attempts cannot all pass one check.
//! * Memory is bounded: buckets are keyed by a 16-byte hash of what they count, expire with
//!   their window (removed a few at a time as requests come in, never by a full scan), and
//!   the table holds at most 100 000 buckets. When it is full of live buckets, the one
//!   whose window ends soonest is dropped, so an attacker who creates that many buckets
//!   within a window shortens windows (the limits still apply, per shorter window); refusing
//!   new buckets instead would let the same attacker either lock everyone out or switch
//!   the limits off.
//!
//! # Shared across instances
//!
//! Behind a load balancer each process counts only what reaches it, so three instances
//! allow three times the guesses. A [`RateLimitStore`] set with
//! [`AuthBuilder::rate_limit_store`](crate::AuthBuilder::rate_limit_store) (Redis, in
//! `tessera-redis`) keeps the counts for all of them instead, atomically, with the same
//! keys, limits and refunds.
//!
//! When the store fails (Redis down, or slower than its timeout), nothing fails with it:
//! the attempt is counted in this process's own table, as without a store, and the store
//! is tried again a second later (at most one failing call per second, logged once per
//! outage). Meanwhile the limits hold per process only (with *n* instances, up to *n*
//! times the attempts), and the counts taken in memory are not carried over when the
//! store returns; those the store took before the outage still count there after it.

mod memory;
mod store;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http::HeaderValue;
use sha2::{Digest, Sha256};

pub use store::{Bucket, RateLimitStore, Refused, StoreError, Taken};

use crate::response::AuthResponse;

/// `max` events per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Events allowed in one window.
    pub max: u32,
    /// Window length.
    pub window: Duration,
}

impl Limit {
    /// `max` per `window`.
    pub const fn new(max: u32, window: Duration) -> Self {
        Limit { max, window }
    }
}

/// Which limits apply; `None` turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Email links requested for one address (default 5 per hour).
    pub email_per_address: Option<Limit>,
    /// Email links requested by one client (default 20 per hour).
    pub email_per_client: Option<Limit>,
    /// Failed credentials attempts from one client (default 20 per 15 minutes).
    pub credentials_per_client: Option<Limit>,
    /// Failed credentials attempts for one `username`/`email` (default 10 per 15 minutes).
    /// It blocks the right password too, from anywhere, until the window ends: the price of
    /// stopping password guessing spread over many addresses.
    pub credentials_per_identifier: Option<Limit>,
    /// Failed credentials attempts from one client for one `username`/`email` (default 5 per
    /// 15 minutes): below the per-identifier limit, so one client alone cannot lock an
    /// account out for everyone else.
    pub credentials_per_client_identifier: Option<Limit>,
    /// Failed two-factor codes for one user ([`TwoFactor`](crate::TwoFactor); default 10 per
    /// 15 minutes): with three codes good at a time, a guesser's chance is about 3 in 100,000
    /// a window. Like the per-identifier limit, it blocks the right code too until the
    /// window ends; recovery codes count here as well.
    pub two_factor_per_user: Option<Limit>,
    /// Failed two-factor codes from one client (default 20 per 15 minutes).
    pub two_factor_per_client: Option<Limit>,
}

impl Default for RateLimits {
    fn default() -> Self {
        const HOUR: Duration = Duration::from_secs(3600);
        const QUARTER: Duration = Duration::from_secs(900);
        RateLimits {
            email_per_address: Some(Limit::new(5, HOUR)),
            email_per_client: Some(Limit::new(20, HOUR)),
            credentials_per_client: Some(Limit::new(20, QUARTER)),
            credentials_per_identifier: Some(Limit::new(10, QUARTER)),
            credentials_per_client_identifier: Some(Limit::new(5, QUARTER)),
            two_factor_per_user: Some(Limit::new(10, QUARTER)),
            two_factor_per_client: Some(Limit::new(20, QUARTER)),
        }
    }
}

impl RateLimits {
    /// Every limit off.
    pub const fn disabled() -> Self {
        RateLimits {
            email_per_address: None,
            email_per_client: None,
            credentials_per_client: None,
            credentials_per_identifier: None,
            credentials_per_client_identifier: None,
            two_factor_per_user: None,
            two_factor_per_client: None,
        }
    }
}

/// The connection's peer address, put in the request extensions by the framework
/// integration (`tessera-axum` does it from axum's `ConnectInfo`, unless the app has put
/// one there already). When it is a trusted proxy ([`crate::AuthBuilder::trusted_proxies`]),
/// the client is the address that proxy reports; otherwise it is the client. Without it,
/// the per-client limits are off (and a warning says so once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The bucket key of an address: IPv4-mapped addresses as IPv4, IPv6 grouped by /64.
pub(crate) fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// A bucket's key: the first 16 bytes of the SHA-256 of what it counts, so a key's size
/// does not depend on the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Key([u8; 16]);

impl Key {
    /// The key of `parts` (each length-prefixed, so no two lists share a key).
    fn new(parts: &[&[u8]]) -> Key {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        let digest = h.finalize();
        let mut key = [0; 16];
        key.copy_from_slice(&digest[..16]);
        Key(key)
    }

    /// The key as a shared store names it: 32 lowercase hex digits.
    fn hex(&self) -> String {
        use std::fmt::Write;
        self.0.iter().fold(String::with_capacity(32), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}

/// The limits of one kind of event, by what they key on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scopes {
    /// Per client address.
    pub client: Option<Limit>,
    /// Per subject (an identifier or an email address).
    pub subject: Option<Limit>,
    /// Per (client, subject).
    pub client_subject: Option<Limit>,
}

/// The buckets one `kind` event counts against: its client's, its subject's and the pair's,
/// each when its limit is on and what it keys on is known.
pub(crate) fn buckets(kind: &str, client: Option<IpAddr>, subject: Option<&str>, scopes: Scopes) -> Vec<(Key, Limit)> {
    let client = client.map(client_key);
    let kind = kind.as_bytes();
    let mut out = Vec::with_capacity(3);
    if let (Some(c), Some(l)) = (&client, scopes.client) {
        out.push((Key::new(&[kind, b"client", c.as_bytes()]), l));
    }
    if let (Some(s), Some(l)) = (subject, scopes.subject) {
        out.push((Key::new(&[kind, b"subject", s.as_bytes()]), l));
    }
    if let (Some(c), Some(s), Some(l)) = (&client, subject, scopes.client_subject) {
        out.push((Key::new(&[kind, b"client+subject", c.as_bytes(), s.as_bytes()]), l));
    }
    out
}

/// How long the engine keeps to its own counts after a store failed, before it tries the
/// store again.
const STORE_RETRY: Duration = Duration::from_secs(1);

/// Counts taken by [`Limits::acquire`]; [`Limits::refund`] gives them back. Dropping it
/// keeps them.
#[derive(Debug)]
pub(crate) enum Reservation {
    /// In this process's table.
    Local(memory::Reservation),
    /// In the shared store.
    Shared(Vec<Taken>),
}

/// The engine's rate limiter: the shared store when one is set and answering, this
/// process's table otherwise (see the [module docs](self#shared-across-instances)).
pub(crate) struct Limits {
    local: memory::Limiter,
    store: Option<Arc<dyn RateLimitStore>>,
    /// When the store failed last, in milliseconds since `epoch` (plus one; 0: never). It
    /// is not called again before [`STORE_RETRY`] has passed.
    failed_at: AtomicU64,
    /// Whether the store is failing: a warning when it starts, a note when it ends.
    down: AtomicBool,
    epoch: Instant,
}

impl Limits {
    /// In memory, and in `store` when there is one.
    pub(crate) fn new(store: Option<Arc<dyn RateLimitStore>>) -> Self {
        Limits {
            local: memory::Limiter::default(),
            store,
            failed_at: AtomicU64::new(0),
            down: AtomicBool::new(false),
            epoch: Instant::now(),
        }
    }

    fn millis(&self, now: Instant) -> u64 {
        u64::try_from(now.duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX - 1) + 1
    }

    /// The store, unless it failed less than [`STORE_RETRY`] ago.
    fn store(&self, now: Instant) -> Option<&dyn RateLimitStore> {
        let store = self.store.as_deref()?;
        let failed_at = self.failed_at.load(Ordering::Acquire);
        let retry = u64::try_from(STORE_RETRY.as_millis()).expect("a second fits in u64");
        (failed_at == 0 || self.millis(now) >= failed_at.saturating_add(retry)).then_some(store)
    }

    fn store_answered(&self) {
        if self.failed_at.swap(0, Ordering::AcqRel) != 0 && self.down.swap(false, Ordering::AcqRel) {
            tracing::info!("rate-limit store answering again: limits are shared again");
        }
    }

    fn store_failed(&self, error: &StoreError) {
        self.failed_at.store(self.millis(Instant::now()), Ordering::Release);
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!(%error, "rate-limit store failed: limits are counted in this process only until it answers");
        }
    }

    /// Counts one event against every bucket at once, or (when any is at its limit)
    /// against none and refuses: in the store when it answers, in memory otherwise.
    pub(crate) async fn acquire(&self, buckets: &[(Key, Limit)]) -> Result<Reservation, Refused> {
        let now = Instant::now();
        if let Some(store) = self.store(now).filter(|_| !buckets.is_empty()) {
            let shared: Vec<Bucket> = buckets
                .iter()
                .map(|(key, limit)| Bucket {
                    key: key.hex(),
                    limit: *limit,
                })
                .collect();
            match store.acquire(&shared).await {
                Ok(answer) => {
                    self.store_answered();
                    return answer.map(Reservation::Shared);
                }
                Err(error) => self.store_failed(&error),
            }
        }
        self.local.acquire(buckets, now).map(Reservation::Local)
    }

    /// Gives a reservation's counts back (to the windows they were taken in).
    pub(crate) async fn refund(&self, reservation: Reservation) {
        match reservation {
            Reservation::Local(reservation) => self.local.refund(reservation),
            Reservation::Shared(taken) => {
                if let Some(store) = self.store.as_deref()
                    && let Err(error) = store.refund(&taken).await
                {
                    self.store_failed(&error);
                }
            }
        }
    }
}

/// A rate-limited answer: 429 with `Retry-After` (whole seconds, at least 1).
pub(crate) fn too_many(response: AuthResponse, refused: Refused) -> AuthResponse {
    let secs = refused.retry_after.as_secs() + u64::from(refused.retry_after.subsec_nanos() > 0);
    response
        .status(http::StatusCode::TOO_MANY_REQUESTS)
        .header(http::header::RETRY_AFTER, HeaderValue::from(secs.max(1)))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A store that answers as told and counts its calls.
    #[derive(Default)]
    struct Scripted {
        fail: AtomicBool,
        refuse: AtomicBool,
        calls: AtomicU64,
        refunds: Mutex<Vec<Taken>>,
    }

    #[crate::async_trait]
    impl RateLimitStore for Arc<Scripted> {
        async fn acquire(&self, buckets: &[Bucket]) -> Result<Result<Vec<Taken>, Refused>, StoreError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            assert!(buckets.iter().all(|b| b.key.len() == 32), "keys are 32 hex digits");
            if self.fail.load(Ordering::SeqCst) {
                return Err(StoreError("down".into()));
            }
            if self.refuse.load(Ordering::SeqCst) {
                return Ok(Err(Refused {
                    retry_after: Duration::from_secs(7),
                }));
            }
            Ok(Ok(buckets
                .iter()
                .map(|b| Taken {
                    key: b.key.clone(),
                    window: 42,
                })
                .collect()))
        }
        async fn refund(&self, taken: &[Taken]) -> Result<(), StoreError> {
            self.refunds.lock().expect("lock").extend_from_slice(taken);
            Ok(())
        }
    }

    fn one(max: u32) -> Vec<(Key, Limit)> {
        vec![(Key::new(&[b"k"]), Limit::new(max, Duration::from_secs(60)))]
    }

    #[tokio::test]
    async fn the_store_decides_while_it_answers() {
        let store = Arc::new(Scripted::default());
        let limits = Limits::new(Some(Arc::new(store.clone())));
        let r = limits.acquire(&one(1)).await.expect("counted");
        assert!(matches!(&r, Reservation::Shared(t) if t.len() == 1 && t[0].window == 42));
        limits.refund(r).await;
        assert_eq!(store.refunds.lock().expect("lock").len(), 1, "refunded in the store");
        // The local table was not used: its own limit of 1 is untouched.
        assert!(limits.local.acquire(&one(1), Instant::now()).is_ok());
        store.refuse.store(true, Ordering::SeqCst);
        let refused = limits.acquire(&one(100)).await.expect_err("the store refuses");
        assert_eq!(refused.retry_after, Duration::from_secs(7));
    }

    #[tokio::test]
    async fn a_failing_store_falls_back_to_memory_and_is_retried_a_second_later() {
        let store = Arc::new(Scripted::default());
        store.fail.store(true, Ordering::SeqCst);
        let mut limits = Limits::new(Some(Arc::new(store.clone())));
        // The clock starts ten seconds back, so that a failure can be moved a second back.
        limits.epoch = Instant::now().checked_sub(Duration::from_secs(10)).expect("uptime");
        assert!(matches!(limits.acquire(&one(2)).await, Ok(Reservation::Local(_))));
        assert!(matches!(limits.acquire(&one(2)).await, Ok(Reservation::Local(_))));
        // Counted in memory: the third is over this process's limit.
        assert!(limits.acquire(&one(2)).await.is_err());
        assert_eq!(
            store.calls.load(Ordering::SeqCst),
            1,
            "not called again within the second"
        );
        assert!(limits.down.load(Ordering::SeqCst));

        // A second later (the failure moved back by hand), the store is asked again, and answers.
        store.fail.store(false, Ordering::SeqCst);
        limits.failed_at.store(1, Ordering::SeqCst);
        assert!(matches!(limits.acquire(&one(2)).await, Ok(Reservation::Shared(_))));
        assert!(!limits.down.load(Ordering::SeqCst), "recovered");
        assert_eq!(store.calls.load(Ordering::SeqCst), 2);
    }
}
