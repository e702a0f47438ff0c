//! Redis for several Tessera instances behind one load balancer: rate limits, revocations
//! and the database-session cache, shared by every instance.
//!
//! * **Rate limits** ([`RedisRateLimits`], given to
//!   [`AuthBuilder::rate_limit_store`](tessera::AuthBuilder::rate_limit_store)): every
//!   instance counts against the same buckets, atomically, so three instances allow what
//!   one would.
//! * **Revocations** of JWT sessions: sign-out and [`Auth::revoke_user_sessions`] on one
//!   instance reach every other within milliseconds, and each keeps checking them from
//!   memory: no Redis round trip per request.
//! * **Database-session reads** are served from each instance's memory
//!   ([`Auth::session_cache`]) while Redis tells it of every other instance's writes
//!   (sign-out, session refresh, user update or deletion), which evict what they change
//!   everywhere within milliseconds.
//!
//! Built on [`redis`] (redis-rs) 1.x, the maintained Rust client, on tokio. Requires Redis
//! 7.0 or later (`EXPIREAT … NX` / `GT`, `PEXPIRETIME`).
//!
//! ```no_run
//! # async fn run() -> Result<(), tessera_redis::Error> {
//! let redis = tessera_redis::Redis::connect("redis://127.0.0.1:6379", "tessera:").await?;
//! let auth = tessera::Auth::builder()
//!     .secret("0123456789abcdef")
//!     .rate_limit_store(redis.rate_limits())
//!     .build()
//!     .expect("config");
//! redis.attach(&auth).await?;
//! // Serve `auth` as usual.
//! # Ok(()) }
//! ```

mod broadcast;
mod rate_limits;

use std::time::Duration;

use std::sync::Arc;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError};
use tessera::Auth;
use tokio::sync::mpsc;

pub use rate_limits::RedisRateLimits;

/// How many revocations and invalidations may wait for Redis before new ones are dropped
/// (with a warning).
pub const QUEUE_CAPACITY: usize = 1024;

/// The first wait before reconnecting or retrying a write; doubled each failure.
const BACKOFF_START: Duration = Duration::from_millis(100);
/// The longest wait between two attempts: an instance catches up at most this long after
/// Redis returns, for one connection attempt a second while it is down.
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// How long a connection attempt may take.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);

/// How long one command may take before it is an error (a rate-limit check then falls back
/// to the engine's own counts).
pub const TIMEOUT: Duration = Duration::from_millis(500);

/// An error connecting to Redis or attaching to an engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Redis answered with an error, or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] RedisError),
    /// The engine already has a revocation or invalidation publisher (attached twice?).
    #[error("this engine already has a revocation or invalidation publisher (attached twice?)")]
    AlreadyAttached,
}

/// A connection to the Redis that several instances share (see the [crate docs](crate)).
///
/// Keys and channels, all under the prefix given to [`connect`](Self::connect):
///
/// * `<prefix>rate:<hash>`: one rate-limit bucket ([`RedisRateLimits`]);
/// * `<prefix>revocations`: a sorted set of the revocations in force, scored by their end
///   (`until`, Unix seconds), whose expired members are removed at each write and which
///   expires as a whole with its last member; and the channel on which each is published;
/// * `<prefix>invalidations`: the channel of session-cache invalidations (not stored).
///
/// [`attach`](Self::attach) subscribes an engine to both channels: what arrives is applied
/// to its [`RevocationList`](tessera::revocations::RevocationList) and its
/// [`SessionCache`](tessera::session_cache::SessionCache), which every request reads from
/// memory; on start and after every reconnect it also loads the stored revocations still
/// in force, so an instance started (or cut off) after a revocation learns of it.
///
/// # When Redis fails
///
/// [`connect`](Self::connect) and [`attach`](Self::attach) need Redis: they fail if it
/// cannot be reached. Afterwards nothing fails because of Redis, and nothing panics:
///
/// * **rate limits** are counted by each instance in its own memory (up to *n* times the
///   attempts with *n* instances), Redis being tried again once a second; the counts Redis
///   holds count again when it returns, those made in memory meanwhile are not carried over;
/// * **revocations**: every revocation this instance knows of (its own and those received)
///   still holds. One made meanwhile holds at once on the instance that made it; it waits in
///   a queue of [`QUEUE_CAPACITY`] and its write is retried (backoff from 100 ms to 1 s)
///   until Redis takes it, and is then stored and broadcast (past the queue's capacity new
///   ones are dropped with a warning; one whose tokens have all expired meanwhile is dropped
///   as moot). Revocations made elsewhere meanwhile are not received; the subscription is
///   retried with the same backoff, and on reconnecting the instance loads every stored
///   revocation still in force, so it catches up on all that reached Redis, within one to
///   two seconds of Redis returning (measured: 0.99 s after an outage of half a second,
///   1.5 s after one of two seconds);
/// * **database sessions**: the session cache is turned off (and emptied) the moment the
///   subscription drops, so every read goes to the database, as without Redis, until the
///   instance has resubscribed; then it starts again, empty. No session ended elsewhere
///   meanwhile is served from memory.
///
/// Each failure and recovery is logged (`tracing`, target `tessera_redis`). A connection
/// that stays open but silent (a network partition rather than a stopped server) is only
/// noticed once the operating system closes it; the cache's time to live (30 s by
/// default) bounds how long a missed invalidation can be served meanwhile.
#[derive(Clone)]
pub struct Redis {
    client: Client,
    connection: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// Connects to Redis at `url` (`redis://[user:password@]host[:port][/db]`), naming its
    /// keys and channels `<key_prefix>…`: instances that work together share the prefix
    /// (for example `tessera:`). Fails if the URL is invalid or Redis cannot be reached.
    pub async fn connect(url: &str, key_prefix: &str) -> Result<Self, Error> {
        let client = Client::open(url)?;
        // Few retries of its own: the tasks retry with their own backoff, the rate limits
        // fall back to memory, and a Redis down at start fails `connect` in about a second
        // rather than half a minute.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_max_delay(BACKOFF_MAX)
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(TIMEOUT));
        let connection = client.get_connection_manager_with_config(config).await?;
        Ok(Redis {
            client,
            connection,
            prefix: key_prefix.to_owned(),
        })
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The sorted set and channel of revocations.
    pub fn revocations_key(&self) -> String {
        format!("{}revocations", self.prefix)
    }

    /// The channel of session-cache invalidations.
    pub fn invalidations_key(&self) -> String {
        format!("{}invalidations", self.prefix)
    }

    /// The rate-limit store, for
    /// [`AuthBuilder::rate_limit_store`](tessera::AuthBuilder::rate_limit_store).
    pub fn rate_limits(&self) -> RedisRateLimits {
        RedisRateLimits {
            connection: self.connection.clone(),
            prefix: self.prefix.clone(),
        }
    }

    /// Shares `auth`'s revocations and session-cache invalidations: subscribes to both
    /// channels and loads the stored revocations in force (before this returns, so the
    /// engine starts up to date), sets the engine's publishers, turns its session cache on,
    /// and spawns the two background tasks (publishing, subscribing) on the current tokio
    /// runtime, where they run as long as it does. Fails if Redis cannot be reached now, or
    /// if the engine already has a publisher.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn attach(&self, auth: &Auth) -> Result<(), Error> {
        let stream =
            broadcast::subscribe_and_load(&self.client, self.connection.clone(), self, auth.revocations()).await?;
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let publisher = Arc::new(broadcast::Publisher { sender });
        auth.revocations()
            .set_publisher(publisher.clone())
            .map_err(|_| Error::AlreadyAttached)?;
        auth.session_cache()
            .set_publisher(publisher)
            .map_err(|_| Error::AlreadyAttached)?;
        auth.session_cache().enable();
        tokio::spawn(broadcast::publish(self.clone(), receiver));
        tokio::spawn(broadcast::subscribe(self.clone(), auth.clone(), stream));
        Ok(())
    }
}
