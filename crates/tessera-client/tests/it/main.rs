//! The native integration tests of `tessera-client`, in one binary: `Client` and
//! `SessionStore` against a demo-like server served in process (`common::Demo`), in
//! next-auth 4 mode and (`v5`) next-auth 5 mode. The browser tests are
//! `tests/browser.rs`, a wasm-only binary run by `scripts/wasm-test.sh`.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod client;
mod layering;
mod password;
mod store;
mod two_factor;
mod v5;
