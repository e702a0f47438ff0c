//! The SMTP test server: aiosmtpd, started by `crates/tessera-smtp/tests/smtp-server.sh` on
//! an ephemeral 127.0.0.1 port, writing every mail it receives as JSON into a directory of
//! its own. Shared by the integration tests of several crates with
//! `#[path = "…/crates/tessera-smtp/tests/common/smtp_server.rs"] mod smtp_server;` (it
//! needs the including crate's `service` module, for the skip-or-fail policy).

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::service;

/// A running aiosmtpd; stopped on drop (it also exits when its standard input closes, so
/// it cannot outlive the test process).
pub(crate) struct SmtpServer {
    child: Child,
    _stdin: ChildStdin,
    /// The port it listens on, on 127.0.0.1.
    pub(crate) port: u16,
    dir: PathBuf,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `smtp-server.sh`, wherever the including crate is in the workspace.
fn script() -> Command {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let own = manifest.join("tests/smtp-server.sh");
    let path = if own.exists() {
        own
    } else {
        manifest.join("../tessera-smtp/tests/smtp-server.sh")
    };
    let mut cmd = Command::new("sh");
    cmd.arg(path);
    if std::env::var_os("TESSERA_SMTP_VENV").is_none() {
        // The venv aiosmtpd is installed into once, in the shared target dir.
        cmd.env(
            "TESSERA_SMTP_VENV",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("tessera-smtp-venv"),
        );
    }
    cmd
}

/// Makes sure aiosmtpd is importable (installing it into the venv once), bounded in time.
fn install() -> Result<(), String> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let mut child = script()
                .arg("--install")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot run sh: {e}"))?;
            let deadline = Instant::now() + Duration::from_secs(180);
            loop {
                match child.try_wait().map_err(|e| e.to_string())? {
                    Some(status) if status.success() => return Ok(()),
                    Some(status) => return Err(format!("smtp-server.sh --install: {status}")),
                    None if Instant::now() > deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err("installing aiosmtpd timed out".into());
                    }
                    None => std::thread::sleep(Duration::from_millis(100)),
                }
            }
        })
        .clone()
}

impl SmtpServer {
    /// Starts a server with `args` for `smtp-server.sh` beyond `--dir` (`--mode`, `--cert`,
    /// `--key`, `--auth`).
    pub(crate) fn try_start(args: Vec<OsString>) -> Result<SmtpServer, String> {
        install()?;
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "tessera-smtp-mail-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let mut child = script()
            .arg("--dir")
            .arg(&dir)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the SMTP server: {e}"))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut server = SmtpServer {
            child,
            _stdin: stdin,
            port: 0,
            dir,
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .map_err(|_| "the SMTP server did not report READY within 20 s".to_owned())?;
        server.port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .ok_or_else(|| format!("the SMTP server did not start (said {line:?})"))?;
        Ok(server)
    }

    /// [`try_start`](Self::try_start), or says loudly why not: a failure under `CI=true`,
    /// else a SKIP (and `None`).
    pub(crate) fn start(args: Vec<OsString>) -> Option<SmtpServer> {
        match Self::try_start(args) {
            Ok(server) => Some(server),
            Err(why) => {
                service::unavailable(
                    "the aiosmtpd test server",
                    &why,
                    "It needs python3 with venv and pip (PyPI), or Debian's python3-aiosmtpd: \
                     `bash crates/tessera-smtp/tests/smtp-server.sh --install`.",
                );
                None
            }
        }
    }

    /// The mails received so far, oldest first.
    pub(crate) fn mails(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .expect("the mail directory")
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).expect("a mail")).expect("a mail's JSON"))
            .collect()
    }
}
