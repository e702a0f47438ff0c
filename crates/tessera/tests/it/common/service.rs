//! The one policy for a test that needs an outside service (Node, PostgreSQL, an SMTP
//! server, the demo binary): under `CI=true` a missing service fails the test; elsewhere
//! the test is skipped, loudly.
//!
//! `cargo test` reports a skipped test as passed, so the skip is written straight to the
//! process's stderr (libtest captures `eprintln!` of passing tests), and, when
//! `TESSERA_TEST_SKIPS` names a file, appended to it as one line
//! `<test>\t<service>: <problem>`, for a run's summary of what it did not test.
//!
//! Shared by the integration tests of several crates with
//! `#[path = "…/crates/tessera/tests/it/common/service.rs"] mod service;`; it uses only std.

use std::io::Write;

/// Reports that `service` is unavailable because of `problem`, with `remedy` saying how
/// to provide it: panics under `CI=true`; otherwise prints a SKIP banner, and the caller
/// returns from its test.
#[track_caller]
pub(crate) fn unavailable(service: &str, problem: &str, remedy: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{service} is required under CI=true, but {problem}. {remedy}");
    }
    let test = std::thread::current().name().unwrap_or("?").to_owned();
    let banner = format!(
        "\n************************************************************************\n\
         *  SKIPPED {test}: {service}: {problem}.\n\
         *  {remedy}\n\
         *  (With CI=true this is a failure, not a skip.)\n\
         ************************************************************************\n"
    );
    let _ = std::io::stderr().lock().write_all(banner.as_bytes());
    if let Some(log) = std::env::var_os("TESSERA_TEST_SKIPS") {
        let line = format!("{test}\t{service}: {problem}\n");
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(err) = appended {
            let _ = writeln!(
                std::io::stderr(),
                "could not record the skip in TESSERA_TEST_SKIPS: {err}"
            );
        }
    }
}
