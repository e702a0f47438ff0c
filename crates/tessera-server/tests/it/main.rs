//! `tessera-server` as its users run it: configuration files and environments, and the
//! server itself on real sockets, PostgreSQL and Redis. When PostgreSQL is unreachable its
//! tests fail if `CI=true` and are skipped (loudly) otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tessera/tests/it/common/service.rs"]
mod service;

#[path = "../../../tessera-sqlx/tests/it/pg_schema.rs"]
#[allow(unused_macros, unused_imports, dead_code)]
mod pg_schema;

mod config;
mod serve;
