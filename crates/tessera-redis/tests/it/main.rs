//! `tessera-redis` against a real Redis: the one at 127.0.0.1:6379 (or
//! `TESSERA_TEST_REDIS_URL`), each test under a random key prefix so tests can run beside
//! each other, and `redis-server`s of the tests' own where Redis is stopped. Several
//! engines in one process, each attached as if it were an instance of its own.
//!
//! If Redis cannot be reached, the tests print a loud SKIP and pass, unless `CI=true`,
//! where they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tessera/tests/it/common/service.rs"]
mod service;

#[path = "../../../tessera/tests/it/common/browser.rs"]
#[allow(dead_code, reason = "the engine's tests use all of it, these part")]
mod browser;

#[path = "../../../tessera/tests/it/common/counting.rs"]
#[allow(dead_code, reason = "the engine's tests use all of it, these part")]
mod counting;

mod common;
mod rate_limits;
mod revocations;
mod session_cache;
