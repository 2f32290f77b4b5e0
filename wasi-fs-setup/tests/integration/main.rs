//! Integration tests of `wasi-fs-setup`: one binary, one module per concern.

mod common;
mod escape;
mod hardening;
mod matrix;
mod prop;
mod world;
