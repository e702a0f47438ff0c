//! Redis for several Tessera instances behind one load balancer.
//!
//! Shared so far: **revocations** of JWT sessions ([`RedisRevocations`]). Sign-out and
//! [`Auth::revoke_user_sessions`] on one instance reach every other instance within
//! milliseconds, and each instance keeps checking them from memory: no Redis round trip
//! per request. Not shared yet: rate limits and a cache of database-session reads (each
//! instance keeps its own).
//!
//! Built on [`redis`] (redis-rs) 1.x, the maintained Rust client, on tokio. Requires Redis
//! 7.0 or later (`EXPIREAT … NX` / `GT`).
//!
//! ```no_run
//! # async fn run() -> Result<(), tessera_redis::Error> {
//! let auth = tessera::Auth::builder().secret("0123456789abcdef").build().expect("config");
//! let redis = tessera_redis::RedisRevocations::connect("redis://127.0.0.1:6379", "tessera:").await?;
//! redis.attach(&auth).await?;
//! // Serve `auth` as usual: revocations made here are stored and broadcast, and those
//! // of the other instances are applied to `auth.revocations()` as they arrive.
//! # Ok(()) }
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSubStream};
use redis::{Client, RedisError};
use tessera::Auth;
use tessera::revocations::{Revocation, RevocationList, RevocationPublisher};
use tokio::sync::mpsc;

/// How many revocations may wait for Redis before new ones are dropped (with a warning).
pub const QUEUE_CAPACITY: usize = 1024;

/// The first wait before reconnecting or retrying a write; doubled each failure.
const BACKOFF_START: Duration = Duration::from_millis(100);
/// The longest wait between two attempts: an instance catches up at most this long after
/// Redis returns, for one connection attempt a second while it is down.
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// How long a connection attempt may take.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);

/// An error connecting to Redis or attaching to an engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Redis answered with an error, or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] RedisError),
    /// The engine already has a revocation publisher (attached twice?).
    #[error("this engine already has a revocation publisher")]
    AlreadyAttached,
}

/// The revocations of every instance, shared through Redis.
///
/// Each revocation made by an attached engine (sign-out, [`Auth::revoke_user_sessions`]) is
/// stored in a sorted set `<prefix>revocations` scored by its end (`until`, Unix seconds),
/// whose expired members are removed at each write and which expires as a whole with its
/// last member, and published on the channel `<prefix>revocations`. Each attached engine
/// subscribes to that channel and applies what arrives to its
/// [`RevocationList`], which every request reads
/// from memory; on start and after every reconnect it also loads the stored revocations
/// still in force, so an instance started (or cut off) after a revocation learns of it.
///
/// # When Redis fails
///
/// [`connect`](Self::connect) and [`attach`](Self::attach) need Redis: they fail if it
/// cannot be reached. Afterwards nothing fails because of Redis, and nothing panics:
///
/// * requests are unaffected; every revocation this instance knows of (its own and those
///   received) still holds;
/// * a revocation made meanwhile holds at once on the instance that made it; it waits in a
///   queue of [`QUEUE_CAPACITY`] and its write is retried (backoff from 100 ms to 1 s)
///   until Redis takes it, and is then stored and broadcast; past the queue's capacity new
///   ones are dropped with a warning (they still hold where they were made), and one whose
///   tokens have all expired meanwhile is dropped as moot;
/// * revocations made elsewhere meanwhile are not received; the subscription is retried
///   with the same backoff, and on reconnecting the instance loads every stored revocation
///   still in force, so it catches up on all that reached Redis, within about a second of
///   Redis returning (measured: 0.99 s, after an outage of half a second).
///
/// Each failure and recovery is logged (`tracing`, target `tessera_redis`). A connection
/// that stays open but silent (a network partition rather than a stopped server) is only
/// noticed once the operating system closes it.
#[derive(Clone)]
pub struct RedisRevocations {
    client: Client,
    connection: ConnectionManager,
    key: String,
}

impl std::fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRevocations")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl RedisRevocations {
    /// Connects to Redis at `url` (`redis://[user:password@]host[:port][/db]`), naming its
    /// key and channel `<key_prefix>revocations`: instances that share revocations share
    /// the prefix (for example `tessera:`). Fails if the URL is invalid or Redis cannot be
    /// reached.
    pub async fn connect(url: &str, key_prefix: &str) -> Result<Self, Error> {
        let client = Client::open(url)?;
        // Few retries of its own: the tasks below retry with their own backoff, and a
        // Redis down at start fails `connect` in about a second rather than half a minute.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_max_delay(BACKOFF_MAX)
            .set_connection_timeout(Some(CONNECTION_TIMEOUT));
        let connection = client.get_connection_manager_with_config(config).await?;
        Ok(RedisRevocations {
            client,
            connection,
            key: format!("{key_prefix}revocations"),
        })
    }

    /// The name of the sorted set and of the channel.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Shares `auth`'s revocations: subscribes to the channel and loads the stored
    /// revocations in force (both done before this returns, so the engine starts up to
    /// date), sets the engine's [`RevocationPublisher`], and spawns the two background
    /// tasks (publishing, subscribing) on the current tokio runtime, where they run as long
    /// as it does. Fails if Redis cannot be reached now, or if the engine already has a
    /// publisher.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn attach(&self, auth: &Auth) -> Result<(), Error> {
        let stream = subscribe_and_load(&self.client, self.connection.clone(), &self.key, auth.revocations()).await?;
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        auth.revocations()
            .set_publisher(std::sync::Arc::new(Publisher { sender }))
            .map_err(|_| Error::AlreadyAttached)?;
        tokio::spawn(publish(self.connection.clone(), self.key.clone(), receiver));
        tokio::spawn(subscribe(self.clone(), auth.clone(), stream));
        Ok(())
    }
}

/// The engine's side of the queue: never blocks.
struct Publisher {
    sender: mpsc::Sender<Revocation>,
}

impl RevocationPublisher for Publisher {
    fn publish(&self, revocation: &Revocation) {
        match self.sender.try_send(revocation.clone()) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => tracing::warn!(
                target: "tessera_redis",
                ?revocation,
                "revocation queue full (Redis slow or down): not shared with the other instances; it holds on this one"
            ),
            Err(mpsc::error::TrySendError::Closed(_)) => tracing::warn!(
                target: "tessera_redis",
                ?revocation,
                "revocation publisher stopped (runtime shut down?): not shared with the other instances"
            ),
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn until(revocation: &Revocation) -> i64 {
    match revocation {
        Revocation::Session { until, .. } | Revocation::User { until, .. } => *until,
        // `Revocation` is non-exhaustive: keep a future kind for a day.
        _ => unix_now() + 86_400,
    }
}

/// The publishing task: stores and broadcasts each revocation, retrying while Redis fails.
async fn publish(mut connection: ConnectionManager, key: String, mut receiver: mpsc::Receiver<Revocation>) {
    while let Some(revocation) = receiver.recv().await {
        let json = match serde_json::to_string(&revocation) {
            Ok(json) => json,
            Err(err) => {
                tracing::error!(target: "tessera_redis", %err, ?revocation, "cannot serialise a revocation");
                continue;
            }
        };
        let until = until(&revocation);
        let mut backoff = BACKOFF_START;
        let mut failed = false;
        loop {
            let now = unix_now();
            if until < now {
                tracing::warn!(target: "tessera_redis", ?revocation, "revocation expired before Redis took it: dropped");
                break;
            }
            let stored: Result<(), RedisError> = redis::pipe()
                .atomic()
                .cmd("ZADD")
                .arg(&key)
                .arg(until)
                .arg(&json)
                .ignore()
                .cmd("ZREMRANGEBYSCORE")
                .arg(&key)
                .arg("-inf")
                .arg(now - 1)
                .ignore()
                // NX sets the first expiry, GT only ever extends it: the set lives as long
                // as its latest member.
                .cmd("EXPIREAT")
                .arg(&key)
                .arg(until)
                .arg("NX")
                .ignore()
                .cmd("EXPIREAT")
                .arg(&key)
                .arg(until)
                .arg("GT")
                .ignore()
                .cmd("PUBLISH")
                .arg(&key)
                .arg(&json)
                .ignore()
                .query_async(&mut connection)
                .await;
            match stored {
                Ok(()) => {
                    if failed {
                        tracing::info!(target: "tessera_redis", "Redis writes resumed");
                    }
                    break;
                }
                Err(err) => {
                    tracing::warn!(target: "tessera_redis", %err, retry_in = ?backoff, "cannot store a revocation in Redis");
                    failed = true;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
    }
}

/// Subscribes to the channel, then loads the stored revocations in force into `list` (in
/// that order, so that none published in between is missed).
async fn subscribe_and_load(
    client: &Client,
    mut connection: ConnectionManager,
    key: &str,
    list: &RevocationList,
) -> Result<PubSubStream, RedisError> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(key).await?;
    let now = unix_now();
    let stored: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg(key)
        .arg(now)
        .arg("+inf")
        .query_async(&mut connection)
        .await?;
    for json in &stored {
        apply(list, json.as_bytes(), now);
    }
    tracing::debug!(target: "tessera_redis", loaded = stored.len(), "subscribed to revocations");
    Ok(pubsub.into_on_message())
}

/// Applies one revocation in JSON; logs and ignores anything else.
fn apply(list: &RevocationList, json: &[u8], now: i64) {
    match serde_json::from_slice::<Revocation>(json) {
        Ok(revocation) => list.apply(revocation, now),
        Err(err) => tracing::warn!(
            target: "tessera_redis",
            %err,
            message = %String::from_utf8_lossy(json),
            "ignoring a malformed revocation"
        ),
    }
}

/// The subscribing task: applies each message; when the subscription drops, resubscribes
/// (with backoff) and reloads the stored revocations.
async fn subscribe(redis: RedisRevocations, auth: Auth, mut stream: PubSubStream) {
    let list = auth.revocations();
    loop {
        while let Some(message) = stream.next().await {
            apply(list, message.get_payload_bytes(), unix_now());
        }
        tracing::warn!(target: "tessera_redis", "lost the Redis subscription to revocations: reconnecting");
        let mut backoff = BACKOFF_START;
        stream = loop {
            tokio::time::sleep(backoff).await;
            match subscribe_and_load(&redis.client, redis.connection.clone(), &redis.key, list).await {
                Ok(stream) => {
                    tracing::info!(target: "tessera_redis", "resubscribed to revocations");
                    break stream;
                }
                Err(err) => {
                    tracing::warn!(target: "tessera_redis", %err, retry_in = ?backoff, "cannot resubscribe to revocations");
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        };
    }
}
