//! `tessera_server::hooks` end to end: a `tessera::Auth` whose `authorize` and callbacks
//! are hooks on a loopback server of the tests' own, which verifies every signature with
//! `hooks::verify`; the wire answers (status, error codes, cookies) are asserted as a
//! next-auth client sees them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tessera/tests/it/common/browser.rs"]
#[allow(dead_code, reason = "the engine's tests use all of it, these part")]
mod browser;

mod authorize;
mod callbacks;
mod config;
mod harness;
mod hook_server;
mod logs;
mod signature;
mod update;
