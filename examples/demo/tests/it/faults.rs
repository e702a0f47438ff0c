//! Issue 13 item 5, "faults survived, nothing lost": the demo under a modest load of
//! `GET /session` while its PostgreSQL, or its Redis, stops and comes back, and its rate
//! limits while Redis is away (per process) and back (shared again). Each test
//! starts its own server on a port of its own (a throw-away PostgreSQL cluster, a second
//! `redis-server`), so stopping it disturbs no other test and none of the machine's own
//! services.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::common::{
    Reply, SignedIn, assert_signed_in, cookie_value, free_port, http, service, sign_in, sign_out, start_demo,
};
use crate::load::{Load, Sample};
use crate::pg_cluster::{self, PgCluster};
use crate::redis_server::{RedisServer, jwt_demo_env, start_or_skip, two_jwt_demos};

/// Where a write that failed because the database did sends the next-auth client.
const UNAVAILABLE_PAGE: &str = "/api/auth/error?error=ServiceUnavailable";

/// No request may take longer than this while a server is down: the PostgreSQL pool's
/// acquire timeout (`PostgresAdapter::ACQUIRE_TIMEOUT`, 2 s) with room for a busy machine.
const LATENCY_BOUND: Duration = Duration::from_secs(5);

/// How long PostgreSQL stays down: longer than the pool's acquire timeout (2 s).
const PG_OUTAGE: Duration = Duration::from_secs(3);

/// How long Redis stays down: long enough for the retries to reach their 1 s cap.
const REDIS_OUTAGE: Duration = Duration::from_millis(2_000);

fn say(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "faults: {line}");
}

/// Polls `GET /session` with `cookie` on `port` until `signed_in` is what it says, and
/// returns how long that took; fails after `bound`.
fn wait_until(port: u16, cookie: &str, signed_in: bool, bound: Duration) -> Duration {
    let since = Instant::now();
    loop {
        let r = http(port, "GET", "/api/auth/session", cookie, None);
        assert_eq!(r.status, 200, "{}", r.body);
        if r.body.contains("demo@example.com") == signed_in {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < bound,
            "port {port}: still signed_in = {} after {bound:?}: {}",
            !signed_in,
            r.body
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn assert_refused(port: u16, cookie: &str) {
    let r = http(port, "GET", "/api/auth/session", cookie, None);
    assert_eq!((r.status, r.body.as_str()), (200, "{}"), "port {port}");
}

/// A 503 that sends the next-auth client to the error page, with `Retry-After`, and that
/// leaves the session cookie alone.
fn assert_unavailable_json(r: &Reply, what: &str) {
    assert_eq!(r.status, 503, "{what}: {}", r.body);
    assert_eq!(r.header("retry-after"), Some("5"), "{what}");
    let body: serde_json::Value = serde_json::from_str(&r.body).expect("a JSON body");
    let url = body["url"].as_str().unwrap_or_default();
    assert!(url.ends_with(UNAVAILABLE_PAGE), "{what}: {}", r.body);
    assert!(!r.clears_session(), "{what}: {:?}", r.cookies);
}

/// A line of figures on the samples of a load.
fn summary(samples: &[&Sample]) -> String {
    let max = samples.iter().map(|s| s.took).max().unwrap_or_default();
    let signed_out = samples.iter().filter(|s| s.signed_out).count();
    format!(
        "{} requests ({signed_out} said signed out), slowest {max:?}",
        samples.len()
    )
}

/// What the whole load must show, whatever happened: every `GET /session` answered 200
/// (no 5xx at any point), with the session or `{}`, within [`LATENCY_BOUND`], and never
/// cleared the session cookie.
fn assert_clean(samples: &[Sample]) {
    assert!(!samples.is_empty());
    for s in samples {
        assert_eq!(s.status, 200, "{s:?}");
        assert!(s.signed_in || s.signed_out, "{s:?}");
        assert!(s.took < LATENCY_BOUND, "{s:?}");
    }
}

#[test]
fn postgres_restart_under_load_signs_nobody_out_and_everything_resumes() {
    let Some(bin) = pg_cluster::bin_dir() else {
        service::unavailable(
            "PostgreSQL server binaries (the PostgreSQL fault test)",
            "no initdb, pg_ctl and postgres on PATH or under /usr/lib/postgresql",
            "Install Debian's postgresql package.",
        );
        return;
    };
    let pg = PgCluster::start(bin, free_port()).expect("a throw-away PostgreSQL cluster");
    let port = free_port();
    let _demo = start_demo(port, &[("DATABASE_URL", pg.url())]);
    let browser = sign_in(port);
    assert_eq!(browser.session.len(), 36, "a database session");
    assert_signed_in(port, &browser.cookie);

    let load = Load::start(&[(port, browser.cookie.clone())], 3);
    std::thread::sleep(Duration::from_millis(300));
    let stopping = Instant::now();
    pg.stop("fast").expect("stop PostgreSQL");
    let stopped = Instant::now();

    // While it is down, the routes that write, and a read, side by side (each waits for
    // the pool's acquire timeout).
    let (signout_json, signout_page, signin, update, (read, read_while_down)) = std::thread::scope(|s| {
        let csrf = &browser.csrf_token;
        let cookie = browser.cookie.as_str();
        let csrf_cookie = cookie.split("; ").next().expect("the CSRF cookie comes first");
        let signout_json = s.spawn(move || {
            let form = format!("csrfToken={csrf}&json=true");
            http(port, "POST", "/api/auth/signout", cookie, Some(&form))
        });
        let signout_page = s.spawn(move || {
            let form = format!("csrfToken={csrf}");
            http(port, "POST", "/api/auth/signout", cookie, Some(&form))
        });
        let update = s.spawn(move || {
            let form = format!("csrfToken={csrf}&data=x");
            http(port, "POST", "/api/auth/session", cookie, Some(&form))
        });
        // Another browser signing in, as next-auth/react's signIn('credentials') does.
        let signin = s.spawn(move || {
            let form = format!("username=demo&password=demo&csrfToken={csrf}&json=true");
            http(port, "POST", "/api/auth/callback/credentials", csrf_cookie, Some(&form))
        });
        let since = Instant::now();
        let read = http(port, "GET", "/api/auth/session", cookie, None);
        let read = (read, since.elapsed());
        let join = |h: std::thread::ScopedJoinHandle<'_, Reply>| h.join().expect("a request thread");
        (join(signout_json), join(signout_page), join(signin), join(update), read)
    });
    assert_unavailable_json(&signout_json, "sign-out (json)");
    assert_unavailable_json(&signin, "credentials sign-in (json)");
    assert!(
        !signin.cookies.iter().any(|c| c.starts_with("next-auth.session-token=")),
        "no new session: {:?}",
        signin.cookies
    );
    assert_eq!(signout_page.status, 503, "sign-out (browser): {}", signout_page.body);
    assert_eq!(signout_page.header("retry-after"), Some("5"));
    assert!(
        signout_page.body.contains("Service unavailable"),
        "{}",
        signout_page.body
    );
    assert!(!signout_page.clears_session(), "{:?}", signout_page.cookies);
    assert_eq!(update.status, 503, "update(): {}", update.body);
    assert_eq!(update.header("retry-after"), Some("5"));
    assert_eq!((read.status, read.body.as_str()), (200, "{}"));
    assert!(!read.clears_session(), "{:?}", read.cookies);
    // Down long enough for the load's requests to fail, not only to wait: a request waits
    // for the pool up to 2 s, and succeeds if the server is back by then.
    std::thread::sleep(PG_OUTAGE.saturating_sub(stopped.elapsed()));

    pg.resume().expect("start PostgreSQL again");
    let resumed = Instant::now();
    let outage = resumed - stopped;
    // The same cookie is signed in again, with no restart of the demo.
    let recovery = wait_until(port, &browser.cookie, true, Duration::from_secs(10));
    // A request still waiting for the pool retries connecting with a backoff of up to
    // 400 ms: give the load's threads time to be served, and to send some more.
    std::thread::sleep(Duration::from_secs(1));
    let samples = load.finish();

    // New sign-ins work, and so does signing out.
    let other = sign_in(port);
    assert_signed_in(port, &other.cookie);
    sign_out(port, &browser);
    assert_refused(port, &browser.cookie);
    assert_signed_in(port, &other.cookie);

    assert_clean(&samples);
    assert!(samples.iter().all(|s| !s.cleared), "no reply cleared the cookie");
    let before: Vec<&Sample> = samples.iter().filter(|s| s.sent + s.took <= stopping).collect();
    // Those answered while it was down (a request waits up to 2 s for the pool: those
    // still waiting when it returned were served).
    let during: Vec<&Sample> = samples.iter().filter(|s| s.answered_within(stopped, resumed)).collect();
    let after: Vec<&Sample> = samples.iter().filter(|s| s.sent >= resumed + recovery).collect();
    let last_signed_out = samples
        .iter()
        .filter(|s| s.signed_out)
        .map(|s| (s.sent + s.took).saturating_duration_since(resumed))
        .max()
        .unwrap_or_default();
    assert!(before.iter().all(|s| s.signed_in), "signed in before the outage");
    assert!(
        !during.is_empty() && during.iter().all(|s| s.signed_out),
        "signed out during it"
    );
    assert!(
        !after.is_empty() && after.iter().all(|s| s.signed_in),
        "signed in after it: {:?}",
        after
            .iter()
            .filter(|s| !s.signed_in)
            .map(|s| (s.sent - resumed, s.took))
            .collect::<Vec<_>>()
    );
    say(&format!(
        "PostgreSQL down for {outage:?}; GET /session meanwhile: {}; one read while down took \
         {read_while_down:?}; the same cookie signed in again {recovery:?} after the restart (a \
         fresh request), the load's last \"signed out\" {last_signed_out:?} after it; before: \
         {}; after: {}",
        summary(&during),
        summary(&before),
        summary(&after)
    ));
}

/// Signs in on `port` and checks it is valid on `others` too.
fn sign_in_everywhere(port: u16, others: &[u16]) -> SignedIn {
    let browser = sign_in(port);
    for other in others {
        assert_signed_in(*other, &browser.cookie);
    }
    browser
}

#[test]
fn redis_outage_under_load_keeps_revocations_and_catches_up() {
    let redis_port = free_port();
    let dir = std::env::temp_dir().join(format!("tessera-faults-redis-{}-{redis_port}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory for Redis's data");
    /// Removes Redis's data directory at the end, whatever happens.
    struct Remove(std::path::PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _remove = Remove(dir.clone());
    let Some(redis) = start_or_skip(redis_port, Some(&dir), "the Redis fault test") else {
        return;
    };
    let env = jwt_demo_env(redis_port);
    let ([pa, pb], _demos) = two_jwt_demos(redis_port);

    // A revocation made before the outage, known to both.
    let revoked = sign_in_everywhere(pa, &[pb]);
    sign_out(pa, &revoked);
    wait_until(pb, &revoked.cookie, false, Duration::from_secs(1));
    let kept = sign_in_everywhere(pa, &[pb]);

    let load = Load::start(&[(pa, kept.cookie.clone()), (pb, kept.cookie.clone())], 2);
    std::thread::sleep(Duration::from_millis(200));
    redis.stop();
    let stopped = Instant::now();

    // Revocations known so far still hold, on both.
    assert_refused(pa, &revoked.cookie);
    assert_refused(pb, &revoked.cookie);
    // Signing in and out still works; a sign-out holds at once where it is made...
    let fresh = sign_in_everywhere(pb, &[pa]);
    sign_out(pb, &kept);
    assert_refused(pb, &kept.cookie);
    // ...and reaches the other instances only once Redis is back (the README says so).
    std::thread::sleep(Duration::from_millis(300));
    assert_signed_in(pa, &kept.cookie);
    // Down long enough for the instances' retries to back off to their longest wait (1 s).
    std::thread::sleep(REDIS_OUTAGE.saturating_sub(stopped.elapsed()));

    let _redis = RedisServer::start(redis_port, Some(&dir)).expect("start redis-server again");
    let resumed = Instant::now();
    let outage = resumed - stopped;
    let catch_up = wait_until(pa, &kept.cookie, false, Duration::from_secs(5));
    let samples = load.finish();

    // A process started now learns both revocations from Redis (kept across its restart).
    let pc = free_port();
    let _c = start_demo(pc, &env);
    assert_refused(pc, &revoked.cookie);
    assert_refused(pc, &kept.cookie);
    assert_signed_in(pc, &fresh.cookie);

    assert_clean(&samples);
    let during: Vec<&Sample> = samples.iter().filter(|s| s.within(stopped, resumed)).collect();
    assert!(!during.is_empty(), "requests during the outage");
    say(&format!(
        "Redis down for {outage:?}; GET /session meanwhile: {}; a sign-out made during it \
         reached the other process {catch_up:?} after Redis returned; all: {}",
        summary(&during),
        summary(&samples.iter().collect::<Vec<_>>())
    ));
}

/// The demo's limit on failed credentials attempts by one client for one username (its
/// other limits, per client and per username, are higher).
const PER_CLIENT_IDENTIFIER: usize = 5;

/// Failed credentials sign-ins as one browser (one CSRF token, valid on every process).
struct Attempts {
    jar: String,
    token: String,
}

impl Attempts {
    fn new(port: u16) -> Attempts {
        let r = http(port, "GET", "/api/auth/csrf", "", None);
        let cookie = cookie_value(&r.cookies, "next-auth.csrf-token").expect("the CSRF cookie");
        let body: serde_json::Value = serde_json::from_str(&r.body).expect("the CSRF JSON");
        Attempts {
            jar: format!("next-auth.csrf-token={cookie}"),
            token: body["csrfToken"].as_str().expect("csrfToken").to_owned(),
        }
    }

    /// One sign-in as `username` with `password` on `port`: its status (401 wrong, 429
    /// refused by the limit, 200 signed in).
    fn status(&self, port: u16, username: &str, password: &str) -> u16 {
        let form = format!(
            "username={username}&password={password}&csrfToken={}&json=true",
            self.token
        );
        http(port, "POST", "/api/auth/callback/credentials", &self.jar, Some(&form)).status
    }

    /// Whether `PER_CLIENT_IDENTIFIER` failures for `username`, alternating between `ports`,
    /// are counted together: the next attempt, with the right password, is refused.
    fn counted_together(&self, ports: [u16; 2], username: &str) -> bool {
        for n in 0..PER_CLIENT_IDENTIFIER {
            let status = self.status(ports[n % 2], username, "wrong");
            assert_eq!(status, 401, "failed attempt {n} for {username}");
        }
        self.status(ports[PER_CLIENT_IDENTIFIER % 2], username, "demo") == 429
    }
}

#[test]
fn redis_outage_rate_limits_fall_back_to_each_process_and_are_shared_again() {
    let redis_port = free_port();
    let Some(redis) = start_or_skip(redis_port, None, "the Redis fault test of rate limits") else {
        return;
    };
    let ([pa, pb], _demos) = two_jwt_demos(redis_port);
    let attempts = Attempts::new(pa);
    assert!(attempts.counted_together([pa, pb], "before"), "shared through Redis");

    redis.stop();
    // Per process: A refuses after its own failures, B has counted none of them.
    for n in 0..PER_CLIENT_IDENTIFIER {
        assert_eq!(attempts.status(pa, "during", "wrong"), 401, "failed attempt {n} on A");
    }
    assert_eq!(attempts.status(pa, "during", "demo"), 429, "A counts in its own memory");
    assert_eq!(attempts.status(pb, "during", "wrong"), 401, "B counts apart");
    assert!(!attempts.counted_together([pa, pb], "apart"), "not shared meanwhile");

    let _redis = RedisServer::start(redis_port, None).expect("start redis-server again");
    let resumed = Instant::now();
    // Each process tries Redis again a second after its last failure; poll with fresh
    // usernames (three rounds at most, well within the per-client limit of 20 failures).
    let mut rounds = 0;
    loop {
        rounds += 1;
        if attempts.counted_together([pa, pb], &format!("after-{rounds}")) {
            break;
        }
        assert!(
            rounds < 3,
            "limits not shared again {:?} after Redis returned",
            resumed.elapsed()
        );
        std::thread::sleep(Duration::from_millis(1_100));
    }
    say(&format!(
        "rate limits: per process while Redis was down, shared again {:?} after it returned ({rounds} round(s))",
        resumed.elapsed()
    ));
}
