//! A modest, bounded load of `GET /api/auth/session` on demo processes, in background
//! threads, recording what each request saw and when.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::common::http;

/// The longest a load runs, whatever the test does.
const MAX_RUN: Duration = Duration::from_secs(30);
/// The most requests one thread makes.
const MAX_REQUESTS: usize = 5_000;
/// The pause between two requests of one thread.
const PAUSE: Duration = Duration::from_millis(5);

/// What one `GET /session` saw.
#[derive(Debug)]
pub(crate) struct Sample {
    pub(crate) sent: Instant,
    pub(crate) took: Duration,
    pub(crate) status: u16,
    /// The demo user's session came back.
    pub(crate) signed_in: bool,
    /// `{}`: no session.
    pub(crate) signed_out: bool,
    /// The reply cleared the session cookie.
    pub(crate) cleared: bool,
}

impl Sample {
    /// Whether the request ran entirely between `from` and `to`.
    pub(crate) fn within(&self, from: Instant, to: Instant) -> bool {
        self.sent >= from && self.sent + self.took <= to
    }

    /// Whether the answer came between `from` and `to`.
    pub(crate) fn answered_within(&self, from: Instant, to: Instant) -> bool {
        (from..=to).contains(&(self.sent + self.took))
    }
}

/// Threads sending `GET /session` until [`finish`](Self::finish).
pub(crate) struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Vec<Sample>>>,
}

impl Load {
    /// `threads` threads for each `(port, cookie header)` of `targets`.
    pub(crate) fn start(targets: &[(u16, String)], threads: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let mut handles = Vec::new();
        for (port, cookie) in targets {
            for _ in 0..threads {
                let (port, cookie, stop) = (*port, cookie.clone(), stop.clone());
                handles.push(std::thread::spawn(move || {
                    let mut samples = Vec::new();
                    while !stop.load(Ordering::SeqCst) && started.elapsed() < MAX_RUN && samples.len() < MAX_REQUESTS {
                        let sent = Instant::now();
                        let r = http(port, "GET", "/api/auth/session", &cookie, None);
                        samples.push(Sample {
                            sent,
                            took: sent.elapsed(),
                            status: r.status,
                            signed_in: r.body.contains("demo@example.com"),
                            signed_out: r.body == "{}",
                            cleared: r.clears_session(),
                        });
                        std::thread::sleep(PAUSE);
                    }
                    samples
                }));
            }
        }
        Load { stop, threads: handles }
    }

    /// Stops the threads and returns every sample.
    pub(crate) fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::SeqCst);
        self.threads
            .into_iter()
            .flat_map(|t| t.join().expect("a load thread panicked"))
            .collect()
    }
}
