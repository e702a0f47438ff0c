//! What the tests share: the Redis they use, a Redis of their own, key prefixes, logs.

use std::time::{Duration, Instant};

use tessera_redis::Redis;

use crate::service;

pub(crate) fn redis_url() -> String {
    std::env::var("TESSERA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Connects under a fresh key prefix, or reports Redis unavailable (`None`: skip).
pub(crate) async fn connect(prefix: &str) -> Option<Redis> {
    match Redis::connect(&redis_url(), prefix).await {
        Ok(redis) => Some(redis),
        Err(err) => {
            service::unavailable(
                "Redis",
                &format!("cannot connect to {}: {err}", redis_url()),
                "Start it (`redis-server --daemonize yes`, as scripts/test.sh does) or set TESSERA_TEST_REDIS_URL.",
            );
            None
        }
    }
}

pub(crate) fn prefix() -> String {
    format!("tessera-test:{}:", uuid::Uuid::new_v4().simple())
}

pub(crate) fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("tessera_redis=debug")
        .with_test_writer()
        .try_init();
}

/// Deletes the test's keys (the revocations would otherwise live as long as their sessions).
pub(crate) async fn clean_up(prefix: &str) {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut connection)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: i64 = redis::cmd("DEL").arg(keys).query_async(&mut connection).await.unwrap();
    }
}

/// Writes a measurement straight to stderr (libtest captures `eprintln!` of passing tests).
pub(crate) fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "tessera-redis: {line}");
}

/// A `redis-server` of the test's own, on a free port, so stopping it disturbs no other test.
pub(crate) struct OwnRedis {
    pub(crate) port: u16,
    child: std::process::Child,
}

impl OwnRedis {
    /// Starts one on `port` (a free one when 0); `None` when `redis-server` cannot run.
    pub(crate) fn start(port: u16) -> Option<OwnRedis> {
        let port = if port == 0 {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        } else {
            port
        };
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(err) => {
                service::unavailable(
                    "redis-server",
                    &format!("cannot start it: {err}"),
                    "Install Debian's redis-server.",
                );
                return None;
            }
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not open port {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(OwnRedis { port, child })
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub(crate) fn stop(mut self) -> u16 {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.port
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
