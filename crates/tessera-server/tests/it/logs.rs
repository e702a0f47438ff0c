//! A failed hook is logged at `warn` with its URL (without the query) and the cause, and
//! never with the credentials or the answer.

use std::io::Write;
use std::sync::{Arc, Mutex};

use http::StatusCode;

use crate::harness::{browser, settings, sign_in};
use crate::hook_server::HookServer;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn failures_are_logged_without_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = HookServer::start().await;
    let mut s = settings();
    s.authorize = Some(server.url("/authorize/status-500?key=query-secret"));
    let mut b = browser(s);
    let r = sign_in(&mut b, "alice", "password-value").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("hook failed"))
        .unwrap_or_else(|| panic!("no hook failure logged: {logs}"));
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("hook=\"authorize\""), "{line}");
    assert!(line.contains(&server.url("/authorize/status-500")), "{line}");
    assert!(line.contains("answered HTTP 500"), "{line}");
    for secret in [
        "query-secret",
        "password-value",
        crate::hook_server::HOOK_SECRET,
        "Alice",
    ] {
        assert!(!logs.contains(secret), "{secret} logged: {logs}");
    }
}
