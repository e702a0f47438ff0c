//! The amortised purge of expired sessions and verification tokens: without it the tables
//! grow by one row per sign-in forever. [`purge_if_due`] runs
//! [`Adapter::delete_expired`] at most once per [`PurgeSchedule::INTERVAL`] per engine,
//! from the write paths (issuing a database session, storing a verification token), never
//! from `GET /session`. Concurrent requests race for one atomic timestamp, so exactly one of
//! them purges.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::Adapter;

/// When this engine last purged (Unix seconds; `0`: not yet).
#[derive(Debug, Default)]
pub(crate) struct PurgeSchedule {
    last: AtomicU64,
}

impl PurgeSchedule {
    /// The least time between two purges, in seconds.
    pub(crate) const INTERVAL: u64 = 3600;

    /// Whether the caller should purge at `now` (Unix seconds): true when the last purge is
    /// at least [`Self::INTERVAL`] old, and then for one caller only (the one whose
    /// compare-exchange moved the timestamp).
    fn claim(&self, now: u64) -> bool {
        let last = self.last.load(Ordering::Acquire);
        if last != 0 && now < last.saturating_add(Self::INTERVAL) {
            return false;
        }
        self.last
            .compare_exchange(last, now.max(1), Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// Purges expired rows when due (see the module docs). A failure is logged and does not
/// affect the request; the next try comes an interval later.
pub(crate) async fn purge_if_due(schedule: &PurgeSchedule, adapter: &dyn Adapter, now: SystemTime) {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if !schedule.claim(secs) {
        return;
    }
    match adapter.delete_expired(now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(rows = n, "purged expired sessions and verification tokens"),
        Err(e) => tracing::error!(error = %e, "purging expired sessions and verification tokens failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::PurgeSchedule;

    #[test]
    fn claims_once_per_interval() {
        let s = PurgeSchedule::default();
        assert!(s.claim(1_000_000), "the first write after start purges");
        assert!(!s.claim(1_000_000));
        assert!(!s.claim(1_000_000 + PurgeSchedule::INTERVAL - 1));
        assert!(s.claim(1_000_000 + PurgeSchedule::INTERVAL));
        assert!(!s.claim(1_000_000 + PurgeSchedule::INTERVAL));
    }

    #[test]
    fn of_many_concurrent_callers_one_purges() {
        let s = std::sync::Arc::new(PurgeSchedule::default());
        let wins: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8).map(|_| scope.spawn(|| usize::from(s.claim(5_000)))).collect();
            handles.into_iter().map(|h| h.join().expect("no panic")).sum()
        });
        assert_eq!(wins, 1);
    }
}
