//! Integration tests of `wasi-fs-setup`: one binary, one module per concern.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers report failures by panicking"
)]

mod common;
mod escape;
mod hardening;
mod matrix;
mod prop;
mod world;
