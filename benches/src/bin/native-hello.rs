//! The baseline of the `process_start` benchmark: a native Rust hello world,
//! started the same way as `wasi-run`, so the benchmark can report how much
//! of `wasi-run`'s start is the cost of any Rust process on this machine.

fn main() {
    println!("Hello, world!");
}
