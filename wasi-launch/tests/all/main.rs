//! The integration tests of `wasi-launch`, as one test binary: each
//! binary links all of wasmer, so one binary links it once. One module per
//! concern; the `wasi-run` tests need the binary, so the `cli` feature.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests report failures by panicking"
)]

#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod cli_hardening;
mod concurrency;
mod conformance;
mod hardening;
mod launch;
mod limits;
mod packages;
mod pool;
mod threads;
mod tiering;
