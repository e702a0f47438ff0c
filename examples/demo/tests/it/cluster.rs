//! Three demo processes behind a real nginx (round robin on loopback, started and stopped
//! here), sharing the test PostgreSQL and Redis, once with JWT sessions and once with
//! database sessions (issue 13):
//!
//! * a session made through nginx is valid on every instance;
//! * a sign-out through nginx ends it on every instance, a kept copy of the cookie
//!   included, within 200 ms (polled on each instance directly);
//! * killing one instance while four clients read their sessions through nginx loses no
//!   session and answers no error (nginx retries the next instance: `proxy_next_upstream`);
//! * failed sign-ins spread over the instances reach the limit as if on one instance (its
//!   own tests: this needs the rate limits kept in Redis).
//!
//! Isolation from the tests running beside these: each cluster has a PostgreSQL schema of
//! its own (`search_path` in `DATABASE_URL`, dropped at the end) and a Redis key prefix of
//! its own (`REDIS_PREFIX`, its keys deleted at the end). nginx connects to the demos from
//! 127.0.0.2 (`proxy_bind`), the one proxy they trust (`AUTH_TRUSTED_PROXIES`), and sets
//! `X-Forwarded-For`; the test's own requests straight to a demo come from 127.0.0.1, an
//! ordinary client. nginx says which instance answered in `X-Upstream` (`$upstream_addr`:
//! several addresses when it retried).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tessera_sqlx::sqlx::{self, Connection, Executor};

use crate::common::{
    Process, Reply, SignedIn, cookie_value, free_port, http, service, sign_in, sign_out, start_demo, wait_for,
};

const PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const REDIS: &str = "127.0.0.1:6379";
const INSTANCES: usize = 3;
/// The demo's limit on failed credentials attempts by one client for one username.
const PER_CLIENT_IDENTIFIER: usize = 5;
/// How long a sign-out may take to reach every instance.
const PROPAGATION: Duration = Duration::from_millis(200);
/// The address nginx connects to the demos from, and the one proxy they trust.
const NGINX_ADDR: &str = "127.0.0.2";

#[test]
fn jwt_sessions_across_three_instances_behind_nginx() {
    sessions_across_instances("jwt");
}

#[test]
fn database_sessions_across_three_instances_behind_nginx() {
    sessions_across_instances("database");
}

#[test]
fn jwt_failed_sign_ins_spread_over_the_instances_reach_the_limit_as_if_on_one() {
    failed_sign_ins_reach_the_limit_as_if_on_one("jwt");
}

#[test]
fn database_failed_sign_ins_spread_over_the_instances_reach_the_limit_as_if_on_one() {
    failed_sign_ins_reach_the_limit_as_if_on_one("database");
}

/// Valid on all, signed out on all within 200 ms, and one instance killed under load.
fn sessions_across_instances(strategy: &str) {
    let Some(mut cluster) = Cluster::start(strategy, "sessions") else {
        return;
    };

    // A session made through nginx is valid on every instance, and through nginx on each.
    let browser = sign_in(cluster.port);
    assert_session_kind(strategy, &browser);
    for (i, &port) in cluster.demo_ports.iter().enumerate() {
        assert!(
            signed_in(&http(port, "GET", "/api/auth/session", &browser.cookie, None)),
            "instance {i}"
        );
    }
    let mut served = [0; INSTANCES];
    for _ in 0..INSTANCES {
        let r = http(cluster.port, "GET", "/api/auth/session", &browser.cookie, None);
        assert!(signed_in(&r), "{}", r.body);
        served[cluster.instance(&r)] += 1;
    }
    assert_eq!(
        served, [1; INSTANCES],
        "nginx's round robin gives each instance one of three reads"
    );

    // Sign-out through nginx: the kept cookie is refused by every instance within 200 ms.
    let kept = sign_in(cluster.port);
    for &port in &cluster.demo_ports {
        let r = http(port, "GET", "/api/auth/session", &kept.cookie, None);
        assert!(signed_in(&r), "before the sign-out: {}", r.body);
    }
    let since = Instant::now();
    sign_out(cluster.port, &kept);
    let signed_out = Instant::now();
    let mut pending: Vec<usize> = (0..INSTANCES).collect();
    while !pending.is_empty() {
        pending.retain(|&i| {
            signed_in(&http(
                cluster.demo_ports[i],
                "GET",
                "/api/auth/session",
                &kept.cookie,
                None,
            ))
        });
        assert!(
            pending.is_empty() || since.elapsed() < PROPAGATION,
            "{strategy}: the signed-out session is still valid on instance(s) {pending:?} after {:?}",
            since.elapsed()
        );
    }
    let latency = since.elapsed();
    let r = http(cluster.port, "GET", "/api/auth/session", &kept.cookie, None);
    assert_eq!(r.body, "{}", "through nginx too");
    if strategy == "jwt" {
        assert_eq!(
            redis(&["EXISTS", &format!("{}revocations", cluster.redis_prefix)])
                .ok()
                .as_deref(),
            Some(":1"),
            "the revocation is stored under the cluster's own key prefix"
        );
    }
    note(&format!(
        "{strategy}: sign-out through nginx ended the session on all {INSTANCES} instances in {latency:?} \
         (sign-out request {:?}, HTTP round trips included)",
        signed_out - since
    ));
    // The first session is untouched by the other's sign-out.
    assert!(signed_in(&http(
        cluster.port,
        "GET",
        "/api/auth/session",
        &browser.cookie,
        None
    )));

    stop_one_instance_under_load(&mut cluster, strategy);
}

/// Six sessions read through nginx by four clients; instance 1 is killed a third of the way
/// in. Every answer, before and after, is 200 with the session; afterwards every session
/// is still valid on the instances left.
fn stop_one_instance_under_load(cluster: &mut Cluster, strategy: &str) {
    const CLIENTS: usize = 4;
    const SESSIONS: usize = 6;
    const MAX_REQUESTS_PER_CLIENT: usize = 1500;
    let sessions: Vec<SignedIn> = (0..SESSIONS).map(|_| sign_in(cluster.port)).collect();
    let victim = 1;
    let victim_addr = format!("127.0.0.1:{}", cluster.demo_ports[victim]);
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let mut killed_at = Duration::ZERO;
    let port = cluster.port;
    // (since start, status, X-Upstream, signed in) per request.
    let results: Vec<Vec<(Duration, u16, String, bool)>> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (sessions, stop) = (&sessions, &stop);
                scope.spawn(move || {
                    let mut seen = Vec::new();
                    for n in 0..MAX_REQUESTS_PER_CLIENT {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let s = &sessions[(c + n) % SESSIONS];
                        let r = http(port, "GET", "/api/auth/session", &s.cookie, None);
                        let upstream = r.header("x-upstream").unwrap_or("").to_owned();
                        seen.push((start.elapsed(), r.status, upstream, signed_in(&r)));
                    }
                    seen
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(400));
        cluster.kill(victim);
        killed_at = start.elapsed();
        std::thread::sleep(Duration::from_millis(800));
        stop.store(true, Ordering::Relaxed);
        clients.into_iter().map(|h| h.join().expect("a load client")).collect()
    });
    let all: Vec<_> = results.into_iter().flatten().collect();
    let failed: Vec<_> = all.iter().filter(|(_, status, _, ok)| *status != 200 || !ok).collect();
    let after: Vec<_> = all.iter().filter(|(t, ..)| *t > killed_at).collect();
    let retried = all.iter().filter(|(_, _, upstream, _)| upstream.contains(',')).count();
    let victim_after = after
        .iter()
        .filter(|(t, _, upstream, _)| *t > killed_at + Duration::from_millis(50) && upstream.ends_with(&victim_addr))
        .count();
    note(&format!(
        "{strategy}: {} session reads through nginx by {CLIENTS} clients, {} after instance {victim} was killed \
         at {killed_at:?}; {retried} retried on another instance by nginx; {} failed",
        all.len(),
        after.len(),
        failed.len()
    ));
    assert!(
        failed.is_empty(),
        "{strategy}: answers that were not a valid session: {failed:?}"
    );
    assert!(
        after.len() >= 20,
        "{strategy}: only {} requests after the kill",
        after.len()
    );
    assert!(
        retried > 0,
        "{strategy}: no request met the killed instance, so nginx never had to retry"
    );
    assert_eq!(victim_after, 0, "answered by the killed instance");
    for (s, session) in sessions.iter().enumerate() {
        for (i, &port) in cluster.demo_ports.iter().enumerate() {
            if i != victim {
                let r = http(port, "GET", "/api/auth/session", &session.cookie, None);
                assert!(signed_in(&r), "session {s} on instance {i} after the load: {}", r.body);
            }
        }
    }
}

/// Five failed sign-ins for `demo` spread over the three instances (the demo allows five
/// per client and username): then the right password is refused on every instance, as one
/// instance would refuse it. Fails while each instance counts its own failures.
///
/// The control first: one instance alone, asked directly, refuses the sixth attempt (for
/// another username, so the two do not share a count).
fn failed_sign_ins_reach_the_limit_as_if_on_one(strategy: &str) {
    let Some(cluster) = Cluster::start(strategy, "limits") else {
        return;
    };
    // One CSRF token for every attempt: it is valid on every instance (the secret is shared).
    let r = http(cluster.port, "GET", "/api/auth/csrf", "", None);
    let csrf_cookie = cookie_value(&r.cookies, "next-auth.csrf-token").expect("the CSRF cookie");
    let body: serde_json::Value = serde_json::from_str(&r.body).expect("the CSRF JSON");
    let token = body["csrfToken"].as_str().expect("csrfToken").to_owned();
    let jar = format!("next-auth.csrf-token={csrf_cookie}");
    let attempt = |port: u16, username: &str, password: &str| {
        let form = format!("username={username}&password={password}&csrfToken={token}&json=true");
        http(port, "POST", "/api/auth/callback/credentials", &jar, Some(&form))
    };

    let one = cluster.demo_ports[0];
    for n in 1..=PER_CLIENT_IDENTIFIER {
        let r = attempt(one, "control", "wrong");
        assert_eq!(r.status, 401, "control: failed attempt {n} on one instance: {}", r.body);
    }
    let r = attempt(one, "control", "wrong");
    assert_eq!(
        r.status,
        429,
        "control: one instance refuses attempt {}",
        PER_CLIENT_IDENTIFIER + 1
    );

    let mut failures = [0; INSTANCES];
    for n in 1..=PER_CLIENT_IDENTIFIER {
        let r = attempt(cluster.port, "demo", "wrong");
        assert_eq!(r.status, 401, "failed attempt {n}: {}", r.body);
        failures[cluster.instance(&r)] += 1;
    }
    assert!(
        failures.iter().all(|&f| f > 0),
        "round robin spreads the failures over every instance: {failures:?}"
    );
    for _ in 0..INSTANCES {
        let r = attempt(cluster.port, "demo", "demo");
        let i = cluster.instance(&r);
        assert_eq!(
            r.status, 429,
            "{strategy}: after {PER_CLIENT_IDENTIFIER} failed sign-ins spread over the instances ({failures:?}), \
             instance {i}, which counted {} of them, let the right password through: the instances count \
             failures apart instead of together",
            failures[i]
        );
    }
}

/// The session cookie is what `strategy` makes: a JWT or a database session token.
fn assert_session_kind(strategy: &str, browser: &SignedIn) {
    if strategy == "jwt" {
        assert!(browser.session.len() > 100, "a JWT session cookie");
    } else {
        assert_eq!(browser.session.len(), 36, "a database session token");
    }
}

/// The reply is the demo user's session.
fn signed_in(r: &Reply) -> bool {
    serde_json::from_str::<serde_json::Value>(&r.body).is_ok_and(|b| b["user"]["email"] == "demo@example.com")
}

fn note(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "cluster: {line}");
}

/// nginx in front of three demos, and the schema and key prefix they share; all stopped
/// and removed when dropped.
struct Cluster {
    /// nginx's port.
    port: u16,
    demo_ports: Vec<u16>,
    demos: Vec<Option<Process>>,
    nginx: Option<Nginx>,
    redis_prefix: String,
    schema: String,
    dir: PathBuf,
}

impl Cluster {
    /// Starts the cluster for `strategy` (`jwt` or `database`); `None` after a visible skip
    /// when nginx, PostgreSQL or Redis is missing (a failure under `CI=true`).
    fn start(strategy: &str, purpose: &str) -> Option<Cluster> {
        let Some(nginx_bin) = nginx_binary() else {
            service::unavailable(
                "nginx (three demo instances behind a load balancer)",
                "no nginx on PATH or at /usr/sbin/nginx",
                "Install Debian's nginx (apt-get install -y nginx).",
            );
            return None;
        };
        if let Err(e) = pg(&[]) {
            service::unavailable(
                "PostgreSQL (three demo instances sharing sessions)",
                &format!("{PG_URL} is unreachable ({e})"),
                "Start PostgreSQL on 127.0.0.1:5432 with a database `test`.",
            );
            return None;
        }
        if let Err(e) = redis(&["PING"]) {
            service::unavailable(
                "Redis (three demo instances sharing revocations and limits)",
                &format!("nothing answers PING at {REDIS} ({e})"),
                "Start redis-server on 127.0.0.1:6379.",
            );
            return None;
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .subsec_nanos();
        let tag = format!("{strategy}_{purpose}_{}_{nanos}", std::process::id());
        let schema = format!("tessera_cluster_{tag}");
        pg(&[&format!("CREATE SCHEMA {schema}")]).expect("create the cluster's schema");
        let dir = std::env::temp_dir().join(format!("tessera-cluster-{tag}"));
        let mut cluster = Cluster {
            port: free_port(),
            demo_ports: Vec::new(),
            demos: Vec::new(),
            nginx: None,
            redis_prefix: format!("tessera-test:cluster:{tag}:"),
            schema,
            dir,
        };
        let env = [
            (
                "DATABASE_URL",
                format!("{PG_URL}?options[search_path]={}", cluster.schema),
            ),
            ("DEMO_SESSION_STRATEGY", strategy.to_owned()),
            ("REDIS_URL", format!("redis://{REDIS}")),
            ("REDIS_PREFIX", cluster.redis_prefix.clone()),
            ("AUTH_TRUSTED_PROXIES", format!("{NGINX_ADDR}/32")),
            ("NEXTAUTH_URL", format!("http://localhost:{}", cluster.port)),
        ];
        // One after the other: the first creates the tables.
        for _ in 0..INSTANCES {
            let mut port = free_port();
            while port == cluster.port || cluster.demo_ports.contains(&port) {
                port = free_port();
            }
            cluster.demos.push(Some(start_demo(port, &env)));
            cluster.demo_ports.push(port);
        }
        cluster.nginx = Some(cluster.start_nginx(&nginx_bin));
        Some(cluster)
    }

    fn start_nginx(&self, bin: &Path) -> Nginx {
        let dir = &self.dir;
        std::fs::create_dir_all(dir.join("temp")).expect("nginx's directory");
        let d = dir.display();
        let servers: String = self
            .demo_ports
            .iter()
            .map(|p| format!("    server 127.0.0.1:{p};\n"))
            .collect();
        let conf = format!(
            "worker_processes 1;\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/error.log error;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n\
             \x20 access_log off;\n\
             \x20 client_body_temp_path {d}/temp/body;\n\
             \x20 proxy_temp_path {d}/temp/proxy;\n\
             \x20 fastcgi_temp_path {d}/temp/fastcgi;\n\
             \x20 uwsgi_temp_path {d}/temp/uwsgi;\n\
             \x20 scgi_temp_path {d}/temp/scgi;\n\
             \x20 upstream demos {{\n{servers}  }}\n\
             \x20 server {{\n\
             \x20   listen 127.0.0.1:{port};\n\
             \x20   location / {{\n\
             \x20     proxy_pass http://demos;\n\
             \x20     proxy_bind {NGINX_ADDR};\n\
             \x20     proxy_set_header Host $http_host;\n\
             \x20     proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
             \x20     proxy_set_header X-Forwarded-Proto $scheme;\n\
             \x20     proxy_next_upstream error timeout;\n\
             \x20     proxy_connect_timeout 1s;\n\
             \x20     add_header X-Upstream $upstream_addr always;\n\
             \x20   }}\n\
             \x20 }}\n\
             }}\n",
            port = self.port
        );
        std::fs::write(dir.join("nginx.conf"), conf).expect("write nginx.conf");
        let child = nginx_command(bin, dir)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nginx");
        let nginx = Nginx {
            master: Some(Process(child)),
            bin: bin.to_owned(),
            dir: dir.clone(),
        };
        wait_for(self.port, "nginx");
        nginx
    }

    /// Which instance answered `r` through nginx (the last address nginx tried).
    fn instance(&self, r: &Reply) -> usize {
        let upstream = r.header("x-upstream").expect("nginx's X-Upstream header");
        let last = upstream.rsplit(", ").next().unwrap_or(upstream);
        self.demo_ports
            .iter()
            .position(|p| last == format!("127.0.0.1:{p}"))
            .unwrap_or_else(|| panic!("X-Upstream {upstream} is none of the instances"))
    }

    /// Kills instance `i` (SIGKILL: no graceful shutdown).
    fn kill(&mut self, i: usize) {
        drop(self.demos[i].take());
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.demos.clear();
        self.nginx = None;
        let _ = pg(&[&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema)]);
        let _ = redis(&[
            "EVAL",
            "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 0",
            "0",
            &format!("{}*", self.redis_prefix),
        ]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// nginx with its prefix, error log and configuration in `dir`.
fn nginx_command(bin: &Path, dir: &Path) -> Command {
    let mut command = Command::new(bin);
    command
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(dir.join("nginx.conf"));
    command
}

/// A running nginx, stopped when dropped: `nginx -s stop` (SIGTERM to the master, which
/// stops its worker; killing the master alone would leave the worker running), then a kill
/// if it has not exited within 5 s.
struct Nginx {
    master: Option<Process>,
    bin: PathBuf,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let Some(mut master) = self.master.take() else {
            return;
        };
        let _ = nginx_command(&self.bin, &self.dir)
            .args(["-s", "stop"])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !matches!(master.0.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(master);
    }
}

fn nginx_binary() -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file())
}

/// Runs `statements` on the test database (none: only connects).
fn pg(statements: &[&str]) -> Result<(), sqlx::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let mut conn = tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(PG_URL))
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
        for statement in statements {
            conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string())))
                .await?;
        }
        conn.close().await
    })
}

/// Sends one command to the test Redis; its reply's first line (`+PONG`, `:1`, …).
fn redis(args: &[&str]) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(REDIS)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut command = format!("*{}\r\n", args.len());
    for a in args {
        command.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    stream.write_all(command.as_bytes())?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line)?;
    Ok(line.trim_end().to_owned())
}
