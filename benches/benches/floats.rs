//! What NaN canonicalisation costs (issue 22, item 7): with
//! `Nans::Canonical` (`wasi-run --deterministic`) the compilers make every
//! NaN a float operation returns the canonical one, on any CPU.
//!
//! - `float_loop/canonical`: [`FLOAT_GUEST`]'s `run(n)`, `n` rounds of
//!   dependent `f64` arithmetic (mul, add, div, sqrt, min, ten float
//!   operators a round), compiled by Cranelift with `Nans::Canonical`.
//! - `float_loop/baseline`: the same module compiled with the default,
//!   `Nans::Hardware` (wasmer's and wasmtime's default), in the same run.
//!
//! No target: the issue asks for the cost to be measured and reported.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot set up has nothing to measure"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use wasmer::{Engine, Instance, Module, Store, TypedFunction, imports};

/// Rounds of one `run` call.
const ROUNDS: i32 = 1_000_000;

/// `run(n) -> f64`: `n` rounds of float arithmetic whose results feed the
/// next round.
const FLOAT_GUEST: &str = r#"(module
  (func (export "run") (param $n i32) (result f64) (local $x f64) (local $y f64)
    (local.set $x (f64.const 1.5))
    (local.set $y (f64.const 0.25))
    (loop $round
      (local.set $x (f64.add (f64.mul (local.get $x) (f64.const 1.0000001)) (local.get $y)))
      (local.set $y (f64.div (local.get $y) (f64.add (local.get $x) (f64.const 3))))
      (local.set $x (f64.min (f64.sqrt (f64.mul (local.get $x) (local.get $x))) (f64.const 1e300)))
      (local.set $y (f64.add (local.get $y) (f64.const 0.125)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $round (i32.gt_s (local.get $n) (i32.const 0))))
    (f64.add (local.get $x) (local.get $y))))"#;

/// `run` of [`FLOAT_GUEST`] compiled by `engine`, in a store of its own.
fn float_loop(engine: Engine) -> (Store, TypedFunction<i32, f64>) {
    let module = Module::new(&engine, FLOAT_GUEST).unwrap();
    let mut store = Store::new(engine);
    let instance = Instance::new(&mut store, &module, &imports! {}).unwrap();
    let run = instance
        .exports
        .get_typed_function::<i32, f64>(&store, "run")
        .unwrap();
    (store, run)
}

fn floats(c: &mut Criterion) {
    let mut group = c.benchmark_group("float_loop");
    let engines = [
        (
            "canonical",
            wasi_launch::Compiler::Cranelift.engine_with(wasi_launch::Nans::Canonical),
        ),
        ("baseline", wasi_launch::Compiler::Cranelift.engine()),
    ];
    for (name, engine) in engines {
        let (mut store, run) = float_loop(engine);
        group.bench_function(name, |b| {
            b.iter(|| black_box(run.call(&mut store, black_box(ROUNDS)).unwrap()));
        });
    }
    group.finish();
}

criterion_group!(benches, floats);
criterion_main!(benches);
