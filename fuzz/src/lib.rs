//! Fuzz generators and oracles.
pub mod config;
pub mod resolve;
