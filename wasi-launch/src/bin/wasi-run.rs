//! The `wasi-run` command-line program.
fn main() {}
