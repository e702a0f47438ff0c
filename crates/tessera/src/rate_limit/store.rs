//! The seam for a rate-limit store shared by several instances (`tessera-redis`).

use super::Limit;

/// One bucket an event counts against, as a shared store sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// The bucket's key: 32 lowercase hex digits (a hash of what it counts: the kind of
    /// event, the scope, the client address and/or the identifier), the same on every
    /// instance. It never contains the address or identifier itself.
    pub key: String,
    /// The limit of this bucket.
    pub limit: Limit,
}

/// One bucket counted by [`RateLimitStore::acquire`]: what
/// [`refund`](RateLimitStore::refund) needs to give the count back to the same window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// The bucket's key.
    pub key: String,
    /// The window the count was taken in, as the store names it (Redis: the key's expiry,
    /// Unix milliseconds). A refund into a later window changes nothing.
    pub window: i64,
}

/// A store refused: one of the buckets is at its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// Until the last blocking window ends.
    pub retry_after: std::time::Duration,
}

/// A shared store that failed (unreachable, timed out, answered an error). The engine
/// falls back to its own in-memory limits meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rate-limit store: {0}")]
pub struct StoreError(pub String);

/// Fixed-window counters shared by every instance, so that limits hold across a load
/// balancer ([`AuthBuilder::rate_limit_store`](crate::AuthBuilder::rate_limit_store);
/// `tessera-redis` implements it on Redis).
///
/// Both calls must be atomic across their buckets: `acquire` counts one event against
/// every bucket, or, when any is at its limit, against none. A window starts with the
/// first event counted in it and lasts `limit.window`.
///
/// When a call fails, the engine logs it, uses its in-memory limits (this process's
/// counts only) and tries the store again a second later; see the
/// [module docs](super#shared-across-instances).
#[crate::async_trait]
pub trait RateLimitStore: Send + Sync + 'static {
    /// Counts one event against every bucket, or refuses and counts nothing.
    async fn acquire(&self, buckets: &[Bucket]) -> Result<Result<Vec<Taken>, Refused>, StoreError>;

    /// Gives back the counts of an [`acquire`](Self::acquire), in the windows they were
    /// taken in (a credentials sign-in that succeeded does not count as a failure).
    async fn refund(&self, taken: &[Taken]) -> Result<(), StoreError>;
}
