//! `tessera-server` as its users run it: configuration files and environments; the server
//! itself on real sockets and PostgreSQL; and the HTTP hooks end to end, with a
//! `tessera::Auth` whose `authorize` and callbacks are hooks on a loopback server of the
//! tests' own, which verifies every signature with `hooks::verify`, the wire answers
//! (status, error codes, cookies) asserted as a next-auth client sees them. When PostgreSQL
//! is unreachable its tests fail if `CI=true` and are skipped (loudly) otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tessera/tests/it/common/service.rs"]
mod service;

#[path = "../../../tessera-sqlx/tests/it/pg_schema.rs"]
#[allow(unused_macros, unused_imports, dead_code)]
mod pg_schema;

#[path = "../../../tessera-smtp/tests/common/smtp_server.rs"]
mod smtp_server;

#[path = "../../../tessera/tests/it/common/browser.rs"]
#[allow(dead_code, reason = "the engine's tests use all of it, these part")]
mod browser;

mod authorize;
mod callbacks;
mod config;
mod doctor;
mod harness;
mod hook_server;
mod hook_settings;
mod logs;
mod mailbox;
mod serve;
mod signature;
mod update;
