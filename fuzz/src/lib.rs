//! Fuzz generators and oracles.
pub mod config;
pub mod host_calls;
pub mod package;
pub mod resolve;
