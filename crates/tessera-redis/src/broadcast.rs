//! Revocations and session-cache invalidations between instances: the queue the engine
//! hands them to, the task that writes them to Redis, and the task that receives the other
//! instances' (see [`Redis`](crate::Redis) for the keys and what happens when Redis fails).

use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use redis::aio::{ConnectionManager, PubSubStream};
use redis::{Client, RedisError};
use tessera::Auth;
use tessera::revocations::{Revocation, RevocationList, RevocationPublisher};
use tessera::session_cache::{Invalidation, InvalidationPublisher};
use tokio::sync::mpsc;

use crate::{BACKOFF_MAX, BACKOFF_START, Redis};

/// What this instance tells the others.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// Stored (so that an instance started later learns of it) and published.
    Revocation(Revocation),
    /// Published only: an instance that misses it has its cache off meanwhile.
    Invalidation(Invalidation),
}

/// The engine's side of the queue: never blocks.
pub(crate) struct Publisher {
    pub(crate) sender: mpsc::Sender<Outbound>,
}

impl Publisher {
    fn send(&self, outbound: Outbound) {
        match self.sender.try_send(outbound) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(outbound)) => tracing::warn!(
                target: "tessera_redis",
                ?outbound,
                "queue to Redis full (Redis slow or down): not shared with the other instances; it holds on this one"
            ),
            Err(mpsc::error::TrySendError::Closed(outbound)) => tracing::warn!(
                target: "tessera_redis",
                ?outbound,
                "publisher stopped (runtime shut down?): not shared with the other instances"
            ),
        }
    }
}

impl RevocationPublisher for Publisher {
    fn publish(&self, revocation: &Revocation) {
        self.send(Outbound::Revocation(revocation.clone()));
    }
}

impl InvalidationPublisher for Publisher {
    fn publish(&self, invalidation: &Invalidation) {
        self.send(Outbound::Invalidation(invalidation.clone()));
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

/// One attempt at writing `outbound` to Redis; `Ok(false)`: moot (a revocation whose
/// tokens have all expired), dropped.
async fn write(connection: &mut ConnectionManager, redis: &Redis, outbound: &Outbound) -> Result<bool, RedisError> {
    let now = unix_now();
    match outbound {
        Outbound::Revocation(revocation) => {
            let until = until(revocation);
            if until < now {
                return Ok(false);
            }
            let json = serde_json::to_string(revocation).expect("a revocation serialises");
            let key = redis.revocations_key();
            redis::pipe()
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
                .query_async::<()>(connection)
                .await?;
        }
        Outbound::Invalidation(invalidation) => {
            let json = serde_json::to_string(invalidation).expect("an invalidation serialises");
            redis::cmd("PUBLISH")
                .arg(redis.invalidations_key())
                .arg(&json)
                .query_async::<()>(connection)
                .await?;
        }
    }
    Ok(true)
}

/// The publishing task: writes each item, retrying while Redis fails.
pub(crate) async fn publish(redis: Redis, mut receiver: mpsc::Receiver<Outbound>) {
    let mut connection = redis.connection.clone();
    while let Some(outbound) = receiver.recv().await {
        let mut backoff = BACKOFF_START;
        let mut failed = false;
        loop {
            match write(&mut connection, &redis, &outbound).await {
                Ok(written) => {
                    if !written {
                        tracing::warn!(target: "tessera_redis", ?outbound, "revocation expired before Redis took it: dropped");
                    }
                    if failed {
                        tracing::info!(target: "tessera_redis", "Redis writes resumed");
                    }
                    break;
                }
                Err(err) => {
                    tracing::warn!(target: "tessera_redis", %err, retry_in = ?backoff, "cannot write to Redis");
                    failed = true;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
    }
}

/// Subscribes to both channels, then loads the stored revocations in force into `list`
/// (in that order, so that none published in between is missed).
pub(crate) async fn subscribe_and_load(
    client: &Client,
    mut connection: ConnectionManager,
    redis: &Redis,
    list: &RevocationList,
) -> Result<PubSubStream, RedisError> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub
        .subscribe(&[redis.revocations_key(), redis.invalidations_key()])
        .await?;
    let now = unix_now();
    let stored: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg(redis.revocations_key())
        .arg(now)
        .arg("+inf")
        .query_async(&mut connection)
        .await?;
    for json in &stored {
        apply_revocation(list, json.as_bytes(), now);
    }
    tracing::debug!(target: "tessera_redis", loaded = stored.len(), "subscribed to revocations and invalidations");
    Ok(pubsub.into_on_message())
}

/// Applies one revocation in JSON; logs and ignores anything else.
fn apply_revocation(list: &RevocationList, json: &[u8], now: i64) {
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

/// Applies one message of either channel.
fn receive(auth: &Auth, redis: &Redis, channel: &str, json: &[u8]) {
    if channel == redis.revocations_key() {
        apply_revocation(auth.revocations(), json, unix_now());
        return;
    }
    match serde_json::from_slice::<Invalidation>(json) {
        Ok(invalidation) => auth.session_cache().apply(&invalidation),
        Err(err) => tracing::warn!(
            target: "tessera_redis",
            %err,
            message = %String::from_utf8_lossy(json),
            "ignoring a malformed invalidation"
        ),
    }
}

/// The subscribing task: applies each message; when the subscription drops, turns the
/// session cache off, resubscribes (with backoff), reloads the stored revocations, and
/// turns the cache back on, empty.
pub(crate) async fn subscribe(redis: Redis, auth: Auth, mut stream: PubSubStream) {
    let list = auth.revocations();
    loop {
        while let Some(message) = stream.next().await {
            receive(&auth, &redis, message.get_channel_name(), message.get_payload_bytes());
        }
        auth.session_cache().disable();
        tracing::warn!(
            target: "tessera_redis",
            "lost the Redis subscription: reconnecting (database sessions are read from the database meanwhile)"
        );
        let mut backoff = BACKOFF_START;
        stream = loop {
            tokio::time::sleep(backoff).await;
            match subscribe_and_load(&redis.client, redis.connection.clone(), &redis, list).await {
                Ok(stream) => {
                    tracing::info!(target: "tessera_redis", "resubscribed to revocations and invalidations");
                    break stream;
                }
                Err(err) => {
                    tracing::warn!(target: "tessera_redis", %err, retry_in = ?backoff, "cannot resubscribe");
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        };
        auth.session_cache().enable();
    }
}
