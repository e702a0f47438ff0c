//! Rate-limit counts in Redis, shared by every instance: [`RedisRateLimits`].

use std::time::Duration;

use redis::aio::ConnectionManager;
use tessera::rate_limit::{Bucket, RateLimitStore, Refused, StoreError, Taken};

/// The longest window kept in Redis (ten years, in milliseconds): a longer limit's window
/// ends then.
const MAX_WINDOW_MS: u64 = 10 * 365 * 24 * 3600 * 1000;

/// Counts one event against every bucket (`KEYS`), or none when one is at its limit.
/// `ARGV`: per key, its maximum and its window in milliseconds. Answers `{0, retry_ms}`
/// when refused, `{1, end_1, …, end_n}` (each key's expiry, Unix ms: its window) when
/// counted. A window starts with its first count (`INCR` to 1 sets the expiry).
const ACQUIRE: &str = r"
local blocked = -1
for i, key in ipairs(KEYS) do
  local max = tonumber(ARGV[2 * i - 1])
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= max then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = tonumber(ARGV[2 * i]) end
    if ttl > blocked then blocked = ttl end
  end
end
if blocked >= 0 then return {0, blocked} end
local out = {1}
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[2 * i]) end
  out[#out + 1] = redis.call('PEXPIRETIME', key)
end
return out
";

/// Gives one count back to each key (`KEYS`) whose window is still the one it was taken in
/// (`ARGV[i]`, the key's expiry then). `DECR` keeps the expiry.
const REFUND: &str = r"
for i, key in ipairs(KEYS) do
  if redis.call('PEXPIRETIME', key) == tonumber(ARGV[i]) and tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
  end
end
return 0
";

/// Fixed-window rate-limit counters in Redis, for
/// [`AuthBuilder::rate_limit_store`](tessera::AuthBuilder::rate_limit_store): every instance
/// with the same key prefix counts against the same buckets, so three instances allow what
/// one would. Made by [`Redis::rate_limits`](crate::Redis::rate_limits).
///
/// Each bucket is a key `<prefix>rate:<32 hex digits>` (a hash of what it counts: never an
/// address or an identifier in the clear) holding its count and expiring with its window.
/// Both calls are one Lua script each, so a check and its count are atomic across
/// instances and across the buckets of one event. A call that fails or takes longer than
/// [`TIMEOUT`](crate::TIMEOUT) is an error, and the engine falls back to its own counts
/// for a second (see [`tessera::rate_limit`]).
#[derive(Clone)]
pub struct RedisRateLimits {
    pub(crate) connection: ConnectionManager,
    pub(crate) prefix: String,
}

impl std::fmt::Debug for RedisRateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateLimits")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn store_error(error: &redis::RedisError) -> StoreError {
    StoreError(error.to_string())
}

impl RedisRateLimits {
    fn key(&self, bucket_key: &str) -> String {
        format!("{}rate:{bucket_key}", self.prefix)
    }
}

#[tessera::async_trait]
impl RateLimitStore for RedisRateLimits {
    async fn acquire(&self, buckets: &[Bucket]) -> Result<Result<Vec<Taken>, Refused>, StoreError> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(ACQUIRE).arg(buckets.len());
        for bucket in buckets {
            cmd.arg(self.key(&bucket.key));
        }
        for bucket in buckets {
            let window = u64::try_from(bucket.limit.window.as_millis()).unwrap_or(u64::MAX);
            cmd.arg(bucket.limit.max).arg(window.clamp(1, MAX_WINDOW_MS));
        }
        let answer: Vec<i64> = cmd
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|e| store_error(&e))?;
        match answer.as_slice() {
            [0, retry_ms] => Ok(Err(Refused {
                retry_after: Duration::from_millis(u64::try_from(*retry_ms).unwrap_or(0)),
            })),
            [1, windows @ ..] if windows.len() == buckets.len() => Ok(Ok(buckets
                .iter()
                .zip(windows)
                .map(|(bucket, window)| Taken {
                    key: bucket.key.clone(),
                    window: *window,
                })
                .collect())),
            other => Err(StoreError(format!(
                "unexpected answer from the rate-limit script: {other:?}"
            ))),
        }
    }

    async fn refund(&self, taken: &[Taken]) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(REFUND).arg(taken.len());
        for t in taken {
            cmd.arg(self.key(&t.key));
        }
        for t in taken {
            cmd.arg(t.window);
        }
        let _: i64 = cmd
            .query_async(&mut self.connection.clone())
            .await
            .map_err(|e| store_error(&e))?;
        Ok(())
    }
}
