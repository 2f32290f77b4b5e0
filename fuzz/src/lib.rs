//! Fuzz generators and oracles.
pub mod alloc_meter;
pub mod config;
pub mod host_calls;
pub mod package;
pub mod resolve;

/// Every fuzz target and test of this crate counts its allocations, so the
/// oracles can bound the host memory one operation costs.
#[global_allocator]
static METER: alloc_meter::Meter = alloc_meter::Meter;
