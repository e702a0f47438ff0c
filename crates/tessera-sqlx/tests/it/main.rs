//! `tessera-sqlx` against real databases: SQLite files in the temp dir and the PostgreSQL at
//! `postgres://postgres@127.0.0.1:5432/test` (or `TESSERA_TEST_POSTGRES_URL`). When
//! PostgreSQL is unreachable its tests fail if `CI=true` and are skipped (loudly) otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tessera/tests/it/common/service.rs"]
mod service;

#[path = "../../../tessera/tests/it/common/browser.rs"]
#[allow(dead_code, reason = "shared with tessera's tests; this crate uses part of it")]
mod browser;

mod conformance;
mod database_url;
mod drizzle;
mod drizzle_sqlite;
mod email_code;
mod password;
mod pg_adapter;
mod pg_schema;
mod prisma;
mod prisma_sqlite;
mod prisma_v4;
mod sqlite_file;
