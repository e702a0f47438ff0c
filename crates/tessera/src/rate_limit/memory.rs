//! This process's own counters: fixed windows in a bounded table (see the
//! [module docs](super)).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{Key, Limit, Refused};

/// How many buckets the table holds at most.
const CAPACITY: usize = 100_000;

/// Expired buckets removed at most per call (more than a call can add, so they keep up).
const SWEEP: usize = 32;

/// When a window starting `now` ends (a window too long for the clock lasts a century).
fn window_end(now: Instant, window: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(window.min(CENTURY))
        .or_else(|| now.checked_add(Duration::from_secs(24 * 3600)))
        .unwrap_or(now)
}

/// One fixed window.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    ends: Instant,
    count: u32,
}

#[derive(Debug, Default)]
struct Table {
    buckets: HashMap<Key, Bucket>,
    /// Every bucket's window end, soonest first. An entry is stale (and skipped) when its
    /// bucket has since restarted or gone; stale entries are due, so the sweep drops them.
    ends: BinaryHeap<Reverse<(Instant, Key)>>,
    /// When a live bucket was last dropped for room (logged at most once a minute).
    last_full_warning: Option<Instant>,
}

impl Table {
    /// Takes up to `max` entries whose time has come by `now` off the heap, removing their
    /// buckets (the stale ones have none).
    fn sweep(&mut self, now: Instant, max: usize) {
        for _ in 0..max {
            match self.ends.peek() {
                Some(Reverse((ends, _))) if *ends <= now => {}
                _ => return,
            }
            if let Some(Reverse((ends, key))) = self.ends.pop() {
                self.remove_current(key, ends);
            }
        }
    }

    /// Removes `key`'s bucket if its window still ends at `ends`.
    fn remove_current(&mut self, key: Key, ends: Instant) -> bool {
        let current = self.buckets.get(&key).is_some_and(|b| b.ends == ends);
        if current {
            self.buckets.remove(&key);
        }
        current
    }

    /// Removes the bucket whose window ends first (skipping stale entries); returns its end.
    fn pop_bucket(&mut self) -> Option<Instant> {
        while let Some(Reverse((ends, key))) = self.ends.pop() {
            if self.remove_current(key, ends) {
                return Some(ends);
            }
        }
        None
    }

    /// Makes room for one more bucket under `capacity`.
    fn make_room(&mut self, now: Instant, capacity: usize) {
        while self.buckets.len() >= capacity {
            match self.pop_bucket() {
                Some(ends) if ends > now => {
                    if self
                        .last_full_warning
                        .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(60))
                    {
                        self.last_full_warning = Some(now);
                        tracing::warn!(
                            "rate limiter full ({capacity} buckets): dropping the buckets closest to their end"
                        );
                    }
                }
                Some(_) => {}
                None => return,
            }
        }
    }
}

/// Fixed-window counters with atomic reservations (see the module docs).
#[derive(Debug)]
pub(crate) struct Limiter {
    table: Mutex<Table>,
    capacity: usize,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter::with_capacity(CAPACITY)
    }
}

/// Counts taken by [`Limiter::acquire`]; [`Limiter::refund`] gives them back. Dropping it
/// keeps them.
#[derive(Debug)]
pub(crate) struct Reservation(Vec<(Key, Instant)>);

impl Limiter {
    /// A limiter holding at most `capacity` buckets.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Limiter {
            table: Mutex::new(Table::default()),
            capacity: capacity.max(1),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        // A panic elsewhere under the lock leaves counts that are still counts.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts one event against every bucket at once, or (when any is at its limit)
    /// against none and refuses.
    pub(crate) fn acquire(&self, buckets: &[(Key, Limit)], now: Instant) -> Result<Reservation, Refused> {
        let mut table = self.table();
        table.sweep(now, SWEEP);
        let blocked = buckets
            .iter()
            .filter_map(|(key, limit)| {
                let (count, ends) = match table.buckets.get(key) {
                    Some(b) if b.ends > now => (b.count, b.ends),
                    _ => (0, window_end(now, limit.window)),
                };
                (count >= limit.max).then(|| ends.saturating_duration_since(now))
            })
            .max();
        if let Some(retry_after) = blocked {
            return Err(Refused { retry_after });
        }
        let mut taken = Vec::with_capacity(buckets.len());
        for (key, limit) in buckets {
            let live = table.buckets.get_mut(key).filter(|b| b.ends > now);
            let ends = match live {
                Some(b) => {
                    b.count = b.count.saturating_add(1);
                    b.ends
                }
                None => {
                    let ends = window_end(now, limit.window);
                    if !table.buckets.contains_key(key) {
                        table.make_room(now, self.capacity);
                    }
                    table.buckets.insert(*key, Bucket { ends, count: 1 });
                    table.ends.push(Reverse((ends, *key)));
                    ends
                }
            };
            taken.push((*key, ends));
        }
        Ok(Reservation(taken))
    }

    /// Gives a reservation's counts back (to the windows they were taken in).
    pub(crate) fn refund(&self, reservation: Reservation) {
        let mut table = self.table();
        for (key, ends) in reservation.0 {
            if let Some(b) = table.buckets.get_mut(&key).filter(|b| b.ends == ends) {
                b.count = b.count.saturating_sub(1);
            }
        }
    }

    /// How many buckets are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table().buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Scopes, buckets, client_key};
    use super::*;
    use std::net::IpAddr;

    #[test]
    fn client_keys_map_ipv4_and_group_ipv6_by_64() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("an address");
        assert_eq!(client_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(
            client_key(ip("2001:db8:1:2:aaaa::1")),
            client_key(ip("2001:db8:1:2:bbbb::9"))
        );
    }

    fn key(s: &str) -> Key {
        Key::new(&[s.as_bytes()])
    }

    #[test]
    fn windows() {
        let l = Limiter::default();
        let limit = Limit::new(2, Duration::from_secs(10));
        let t = Instant::now();
        let k = [(key("k"), limit)];
        assert!(l.acquire(&k, t).is_ok());
        assert!(l.acquire(&k, t).is_ok());
        let refused = l
            .acquire(&k, t + Duration::from_millis(1500))
            .expect_err("at the limit");
        assert_eq!(refused.retry_after, Duration::from_millis(8500));
        assert!(l.acquire(&k, t + Duration::from_secs(10)).is_ok(), "a new window");
        assert!(l.acquire(&[(key("other"), limit)], t).is_ok());
        assert!(l.acquire(&[(key("zero"), Limit::new(0, limit.window))], t).is_err());
        assert!(l.acquire(&[(key("forever"), Limit::new(1, Duration::MAX))], t).is_ok());
        assert!(l.acquire(&[(key("forever"), Limit::new(1, Duration::MAX))], t).is_err());
    }

    #[test]
    fn m4_all_or_nothing_and_refunds() {
        let l = Limiter::default();
        let two = Limit::new(2, Duration::from_secs(10));
        let one = Limit::new(1, Duration::from_secs(10));
        let t = Instant::now();
        let (a, b) = (key("a"), key("b"));
        assert!(l.acquire(&[(a, two), (b, one)], t).is_ok());
        // `b` is full: nothing is counted, so `a` still has room.
        assert!(l.acquire(&[(a, two), (b, one)], t).is_err());
        let r = l.acquire(&[(a, two)], t).expect("a has one left");
        assert!(l.acquire(&[(a, two)], t).is_err());
        l.refund(r);
        let r = l.acquire(&[(a, two)], t).expect("refunded");
        // A refund into a later window changes nothing.
        let t2 = t + Duration::from_secs(10);
        let r2 = l.acquire(&[(a, two)], t2).expect("new window");
        l.refund(r);
        assert!(l.acquire(&[(a, two)], t2).is_ok());
        assert!(l.acquire(&[(a, two)], t2).is_err());
        l.refund(r2);
        assert!(l.acquire(&[(a, two)], t2).is_ok());
    }

    #[test]
    fn m3_keys_have_a_fixed_size() {
        let scopes = Scopes {
            client: Some(Limit::new(1, Duration::from_secs(1))),
            subject: Some(Limit::new(1, Duration::from_secs(1))),
            client_subject: Some(Limit::new(1, Duration::from_secs(1))),
        };
        let huge = "x".repeat(60_000);
        let b = buckets(
            "credentials",
            Some("192.0.2.1".parse().expect("ip")),
            Some(&huge),
            scopes,
        );
        assert_eq!(b.len(), 3);
        assert_eq!(std::mem::size_of::<Key>(), 16);
        let distinct: std::collections::HashSet<_> = b.iter().map(|(k, _)| *k).collect();
        assert_eq!(distinct.len(), 3, "scopes do not share keys");
        assert_ne!(
            buckets("email", None, Some("a"), scopes)[0].0,
            buckets("credentials", None, Some("a"), scopes)[0].0
        );
    }

    #[test]
    fn m3_distinct_subjects_stay_under_the_cap() {
        const CAP: usize = 1_000;
        let l = Limiter::with_capacity(CAP);
        let limit = Limit::new(5, Duration::from_secs(60));
        let t = Instant::now();
        let mut max_len = 0;
        for i in 0..200_000u32 {
            let now = t + Duration::from_millis(u64::from(i));
            assert!(l.acquire(&[(Key::new(&[&i.to_le_bytes()]), limit)], now).is_ok());
            max_len = max_len.max(l.len());
        }
        assert!(max_len <= CAP, "{max_len} buckets for a cap of {CAP}");
        // The table works as a window on the most recent buckets: the newest are intact.
        let last = Key::new(&[&199_999u32.to_le_bytes()]);
        let now = t + Duration::from_millis(200_000);
        for _ in 0..4 {
            assert!(l.acquire(&[(last, limit)], now).is_ok());
        }
        assert!(l.acquire(&[(last, limit)], now).is_err());
    }

    #[test]
    fn m3_expired_buckets_are_removed_as_requests_come() {
        let l = Limiter::with_capacity(100_000);
        let short = Limit::new(5, Duration::from_secs(60));
        let long = Limit::new(5, Duration::from_secs(3600));
        let t = Instant::now();
        for i in 0..10_000u32 {
            let limit = if i % 2 == 0 { short } else { long };
            assert!(l.acquire(&[(Key::new(&[&i.to_le_bytes()]), limit)], t).is_ok());
        }
        assert_eq!(l.len(), 10_000);
        // After the short window, requests sweep a bounded number each: the short buckets
        // are gone after enough of them, the long ones stay.
        let later = t + Duration::from_secs(61);
        let other = Limit::new(1_000_000, Duration::from_secs(1));
        for _ in 0..(5_000 / SWEEP + 1) {
            assert!(l.acquire(&[(key("probe"), other)], later).is_ok());
        }
        assert_eq!(l.len(), 5_000 + 1);
        let removed_per_call = {
            let l = Limiter::default();
            for i in 0..1_000u32 {
                assert!(l.acquire(&[(Key::new(&[&i.to_le_bytes()]), short)], t).is_ok());
            }
            assert!(l.acquire(&[(key("probe"), other)], later).is_ok());
            1_000 + 1 - l.len()
        };
        assert_eq!(removed_per_call, SWEEP, "one call sweeps a bounded amount");
    }

    #[test]
    fn m3_the_sweep_skips_stale_entries_without_touching_live_buckets() {
        let l = Limiter::default();
        let window = Duration::from_secs(10);
        let t = Instant::now();
        // More due entries than one sweep takes, ending just before `a`'s first window.
        for i in 0..(SWEEP as u32 + 8) {
            assert!(
                l.acquire(&[(Key::new(&[&i.to_le_bytes()]), Limit::new(9, window))], t)
                    .is_ok()
            );
        }
        let a = [(key("a"), Limit::new(1, window))];
        let t1 = t + Duration::from_millis(1);
        assert!(l.acquire(&a, t1).is_ok());
        // `a` restarts while its old entry is still on the heap (now stale)...
        let t2 = t1 + window;
        assert!(l.acquire(&a, t2).is_ok());
        // ...and the sweeps that take it must leave `a`'s live bucket alone.
        assert!(l.acquire(&a, t2).is_err());
        assert!(l.acquire(&a, t2).is_err());
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
