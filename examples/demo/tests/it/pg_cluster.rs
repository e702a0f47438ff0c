//! A throw-away PostgreSQL cluster for a fault test: `initdb` in a temporary directory, a
//! server on a port of its own (loopback only, its socket in that directory), stopped and
//! started again by the test through `pg_ctl`, and removed when dropped. The machine's own
//! PostgreSQL is never touched.
//!
//! PostgreSQL refuses to run as root: as root, every command runs as the `postgres` user
//! (`runuser -u postgres --`), in a directory that user owns.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A running (or stopped) throw-away cluster.
pub(crate) struct PgCluster {
    bin: PathBuf,
    /// The temporary directory: `data/`, the socket and the server's log.
    dir: PathBuf,
    pub(crate) port: u16,
}

/// Where the PostgreSQL server binaries are: the directory of `pg_ctl` on `PATH`, or else
/// the newest `/usr/lib/postgresql/<version>/bin` (Debian's packages). `None`: not installed.
pub(crate) fn bin_dir() -> Option<PathBuf> {
    let has_all = |dir: &Path| ["initdb", "pg_ctl", "postgres"].iter().all(|b| dir.join(b).is_file());
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_all(&dir) {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| has_all(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program args…`, as the `postgres` user when running as root.
fn command(program: &Path, args: &[&str]) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program).args(args);
        c
    } else {
        let mut c = Command::new(program);
        c.args(args);
        c
    }
}

fn run(mut command: Command, what: &str) -> Result<Output, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

impl PgCluster {
    /// Creates a cluster with the binaries of `bin` (trust authentication, superuser
    /// `postgres`) and starts it on `port`. `Err` says why it could not.
    pub(crate) fn start(bin: PathBuf, port: u16) -> Result<PgCluster, String> {
        // `mktemp` as the user that will own the directory.
        let template = std::env::temp_dir().join("tessera-faults-pg-XXXXXX");
        let template = template.to_str().ok_or("a temporary directory that is not UTF-8")?;
        let out = run(command(Path::new("mktemp"), &["-d", template]), "mktemp")?;
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let cluster = PgCluster { bin, dir, port };
        let data = cluster.data();
        let initdb = cluster.bin.join("initdb");
        let args = [
            "-D",
            &data,
            "-A",
            "trust",
            "-U",
            "postgres",
            "-N",
            "--locale=C",
            "-E",
            "UTF8",
        ];
        run(command(&initdb, &args), "initdb")?;
        cluster.resume()?;
        Ok(cluster)
    }

    fn data(&self) -> String {
        self.dir.join("data").to_string_lossy().into_owned()
    }

    fn pg_ctl(&self, args: &[&str]) -> Command {
        let mut all = vec!["-D".to_owned(), self.data(), "-s".to_owned()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        command(&self.bin.join("pg_ctl"), &all)
    }

    /// The database URL of the cluster's `postgres` database.
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub(crate) fn resume(&self) -> Result<(), String> {
        let log = self.dir.join("server.log").to_string_lossy().into_owned();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        run(
            self.pg_ctl(&["start", "-w", "-l", &log, "-o", &options]),
            "pg_ctl start",
        )?;
        Ok(())
    }

    /// Stops the server in `mode` (`fast`: open connections are ended and the server shuts
    /// down cleanly) and waits until it is gone.
    pub(crate) fn stop(&self, mode: &str) -> Result<(), String> {
        run(self.pg_ctl(&["stop", "-w", "-m", mode]), "pg_ctl stop")?;
        Ok(())
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        // Already stopped is fine: the data goes either way.
        let _ = self.stop("immediate");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
