//! A `redis-server` of a test's own, on a port of its own (loopback only), which the test
//! may stop and start again. The machine's own Redis is never touched.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{Process, wait_for};

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
