//! The SMTP test server (aiosmtpd, started by `crates/tessera-smtp/tests/smtp-server.sh`
//! on an ephemeral 127.0.0.1 port), which writes every mail it receives as JSON into a
//! directory of its own; and the links in those mails. When it cannot be started (no
//! Python, aiosmtpd not installable) the test fails under `CI=true` and is skipped loudly
//! otherwise.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::service;

/// A running aiosmtpd; stopped on drop (it also exits when its standard input closes).
pub(crate) struct Mailbox {
    child: Child,
    _stdin: ChildStdin,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    dir: PathBuf,
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn script() -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tessera-smtp/tests/smtp-server.sh"));
    if std::env::var_os("TESSERA_SMTP_VENV").is_none() {
        // The venv tessera-smtp's tests install aiosmtpd into, in the shared target dir.
        cmd.env(
            "TESSERA_SMTP_VENV",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("tessera-smtp-venv"),
        );
    }
    cmd
}

fn try_start() -> Result<Mailbox, String> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "tessera-server-mail-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut child = script()
        .arg("--dir")
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut mailbox = Mailbox {
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
    // Installing aiosmtpd into the venv the first time takes a while.
    let line = rx
        .recv_timeout(Duration::from_secs(180))
        .map_err(|_| "the SMTP server did not report READY within 180 s".to_owned())?;
    mailbox.port = line
        .strip_prefix("READY ")
        .and_then(|p| p.trim().parse().ok())
        .ok_or_else(|| format!("the SMTP server did not start (said {line:?})"))?;
    Ok(mailbox)
}

impl Mailbox {
    /// Starts the server, or says loudly why not: a failure under `CI=true`, else a SKIP.
    pub(crate) fn start() -> Option<Mailbox> {
        match try_start() {
            Ok(mailbox) => Some(mailbox),
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

    /// `smtp+insecure://127.0.0.1:<port>` (no TLS, no login).
    pub(crate) fn url(&self) -> String {
        format!("smtp+insecure://127.0.0.1:{}", self.port)
    }

    /// The mails received so far, oldest first.
    fn mails(&self) -> Vec<Value> {
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

    /// The first link containing `path` in the latest mail to `to` (waits up to 10 s).
    pub(crate) async fn link(&self, to: &str, path: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.mails().into_iter().rev().find_map(|mail| {
                let rcpt = mail["rcpt_tos"].as_array()?;
                if !rcpt.iter().any(|r| r == to) {
                    return None;
                }
                mail["text"]
                    .as_str()?
                    .split_whitespace()
                    .find(|word| word.starts_with("http") && word.contains(path))
                    .map(str::to_owned)
            });
            if let Some(link) = found {
                return link;
            }
            assert!(Instant::now() < deadline, "no mail to {to} with a link to {path}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
