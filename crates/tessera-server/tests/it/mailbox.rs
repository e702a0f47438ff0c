//! The SMTP test server (`crate::smtp_server`, shared with tessera-smtp's tests) and the
//! links in its mails. When it cannot be started (no Python, aiosmtpd not installable) the
//! test fails under `CI=true` and is skipped loudly otherwise.

use std::time::{Duration, Instant};

use crate::smtp_server::SmtpServer;

/// The SMTP test server, plain (no TLS, no login), and the links in its mails.
pub(crate) struct Mailbox(SmtpServer);

impl Mailbox {
    /// Starts the server, or says loudly why not: a failure under `CI=true`, else a SKIP.
    pub(crate) fn start() -> Option<Mailbox> {
        SmtpServer::start(Vec::new()).map(Mailbox)
    }

    /// `smtp+insecure://127.0.0.1:<port>` (no TLS, no login).
    pub(crate) fn url(&self) -> String {
        format!("smtp+insecure://127.0.0.1:{}", self.0.port)
    }

    /// The first link containing `path` in the latest mail to `to` (waits up to 10 s).
    pub(crate) async fn link(&self, to: &str, path: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.0.mails().into_iter().rev().find_map(|mail| {
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
