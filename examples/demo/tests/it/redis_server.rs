//! A `redis-server` of a test's own, on a port of its own (loopback only), which the test
//! may stop and start again. The machine's own Redis is never touched.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{Process, free_port, service, start_demo, wait_for};

/// A running `redis-server`, killed when dropped.
pub(crate) struct RedisServer {
    process: Process,
}

impl RedisServer {
    /// Starts `redis-server` on `port` and waits until it listens. With `dir`, it keeps
    /// its data there (an append-only file, written at every command), so a restart on the
    /// same `dir` finds it again; without, it keeps nothing. `Err`: it could not be run.
    pub(crate) fn start(port: u16, dir: Option<&Path>) -> Result<RedisServer, std::io::Error> {
        let mut command = Command::new("redis-server");
        command.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""]);
        match dir {
            Some(dir) => command
                .arg("--dir")
                .arg(dir)
                .args(["--appendonly", "yes", "--appendfsync", "always"]),
            None => command.args(["--appendonly", "no"]),
        };
        let process = Process(command.stdout(Stdio::null()).spawn()?);
        wait_for(port, "redis-server");
        Ok(RedisServer { process })
    }

    /// Stops it as an operator would (SIGTERM: it writes its data and exits) and waits
    /// until it has.
    pub(crate) fn stop(mut self) {
        let pid = self.process.0.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(status.success(), "kill -TERM {pid}: {status}");
        let exited = self.process.0.wait().expect("wait for redis-server");
        assert!(exited.success(), "redis-server stopped with {exited}");
    }
}

/// Starts one (as [`RedisServer::start`]), or reports it unavailable for `what` (`None`:
/// the test skips, or fails under `CI=true`).
pub(crate) fn start_or_skip(port: u16, dir: Option<&Path>, what: &str) -> Option<RedisServer> {
    match RedisServer::start(port, dir) {
        Ok(redis) => Some(redis),
        Err(e) => {
            service::unavailable(
                &format!("redis-server ({what})"),
                &format!("cannot start it ({e})"),
                "Install Debian's redis-server.",
            );
            None
        }
    }
}

/// Two demo processes with JWT sessions sharing the Redis on `redis_port`: their ports and
/// processes (killed when dropped).
pub(crate) fn two_jwt_demos(redis_port: u16) -> ([u16; 2], [Process; 2]) {
    let env = jwt_demo_env(redis_port);
    let (pa, pb) = (free_port(), free_port());
    ([pa, pb], [start_demo(pa, &env), start_demo(pb, &env)])
}

/// The environment of a demo with JWT sessions sharing the Redis on `redis_port`.
pub(crate) fn jwt_demo_env(redis_port: u16) -> [(&'static str, String); 3] {
    [
        ("DATABASE_URL", "sqlite::memory:".to_owned()),
        ("DEMO_SESSION_STRATEGY", "jwt".to_owned()),
        ("REDIS_URL", format!("redis://127.0.0.1:{redis_port}")),
    ]
}
