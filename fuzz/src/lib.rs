//! Fuzz generators and oracles.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "fuzz oracles report a broken property by panicking, which is how libFuzzer and the tests see it"
)]
pub mod alloc_meter;
pub mod config;
pub mod host_calls;
pub mod package;
pub mod resolve;

/// Every fuzz target and test of this crate counts its allocations, so the
/// oracles can bound the host memory one operation costs.
#[global_allocator]
static METER: alloc_meter::Meter = alloc_meter::Meter;
