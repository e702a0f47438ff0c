//! Abuse limits (security invariant 9): email sign-in requests per address and per client,
//! failed credentials attempts per client and per identifier. In memory, fixed windows;
//! on by default. Client addresses are canonical: IPv4-mapped IPv6 folds to IPv4 and
//! IPv6 is grouped by /64, so rotating addresses inside one network share a bucket.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    pub credentials_per_identifier: Option<Limit>,
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
        }
    }
}

/// The client's address, put in the request extensions by the framework integration
/// (`tessera-axum` does it from axum's `ConnectInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The bucket key of an address.
///
/// ```
/// use tessera::rate_limit::client_key;
/// assert_eq!(client_key("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.1");
/// assert_eq!(client_key("2001:db8:1:2:aaaa::1".parse().unwrap()), client_key("2001:db8:1:2:bbbb::9".parse().unwrap()));
/// ```
pub fn client_key(ip: IpAddr) -> String {
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

/// Fixed-window counters.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    buckets: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Limiter {
    /// Whether `key` is already at its limit (does not count).
    pub fn exhausted(&self, key: &str, limit: Limit, now: Instant) -> bool {
        let Ok(buckets) = self.buckets.lock() else { return false };
        buckets
            .get(key)
            .is_some_and(|(start, n)| now.duration_since(*start) < limit.window && *n >= limit.max)
    }

    /// Counts one event; returns false when that went over the limit.
    pub fn hit(&self, key: &str, limit: Limit, now: Instant) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        if buckets.len() > 100_000 {
            buckets.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(24 * 3600));
        }
        let entry = buckets.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= limit.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= limit.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        let l = Limiter::default();
        let limit = Limit::new(2, Duration::from_secs(10));
        let t = Instant::now();
        assert!(l.hit("k", limit, t));
        assert!(!l.exhausted("k", limit, t));
        assert!(l.hit("k", limit, t));
        assert!(l.exhausted("k", limit, t));
        assert!(!l.hit("k", limit, t));
        assert!(!l.exhausted("k", limit, t + Duration::from_secs(10)));
        assert!(l.hit("k", limit, t + Duration::from_secs(10)));
        assert!(l.hit("other", limit, t));
    }

    #[test]
    fn canonical_addresses() {
        assert_eq!(client_key("192.0.2.1".parse().unwrap()), "192.0.2.1");
        assert_eq!(client_key("::ffff:c000:201".parse().unwrap()), "192.0.2.1");
        assert_eq!(client_key("2001:db8::1".parse().unwrap()), "2001:db8:0:0::/64");
        assert_ne!(
            client_key("2001:db8:0:1::1".parse().unwrap()),
            client_key("2001:db8::1".parse().unwrap())
        );
    }
}
