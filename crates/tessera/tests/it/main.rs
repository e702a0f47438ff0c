//! The integration tests of `tessera`, in one binary (one link of the dependency graph
//! instead of one per file): one module per area, sharing the in-process `Browser` and the
//! fakes of `common`.
//!
//! Run one area with a name filter, e.g. `cargo test -p tessera --test it -- routes::`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod compat_v5;

mod database;
mod email;
mod email_code;
mod interop_node;
mod layering;
mod oauth;
#[cfg(feature = "reqwest")]
mod oidc_e2e;
mod password;
mod presets;
mod rate_limit;
mod review;
mod revocation;
mod routes;
mod security;
mod token_refresh;
mod two_factor;
