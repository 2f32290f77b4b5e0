//! Runs `wasi_snapshot_preview1` modules on wasmer.
//!
//! This crate wires the runtime, the compiled-module and package cache, the
//! control plane (task limits) and the preview1 host functions, and ships the
//! `wasi-run` command-line program.
