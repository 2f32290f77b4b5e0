//! The baseline of the `process_start` benchmark: a native Rust hello world,
//! started the same way as `wasi-run`, so the benchmark can report how much
//! of `wasi-run`'s start is the cost of any Rust process on this machine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot set up has nothing to measure"
)]

fn main() {
    println!("Hello, world!");
}
