//! The demo's integration tests: several demo processes sharing their state, and the
//! faults they survive (one test binary; see `common` for the process and HTTP helpers).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cluster;
mod common;
mod compat_env;
mod faults;
mod load;
mod password;
mod pg_adapter_tables;
mod pg_cluster;
mod redis_server;
mod shared_postgres;
mod shared_redis;
