//! Fuzz generators and oracles.
