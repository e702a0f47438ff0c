//! Regression tests for the security review of `a1d7d4c` (`shared/reviews/security-review.md`).
//! Each test names the finding it covers (`h1_…`, `m2_…`, `l7_…`, `i3_…`); each fails on
//! `a1d7d4c` and passes now. One binary, one module per area.
mod accounts;
mod config;
mod origin;
mod parsers;
mod proxies;
