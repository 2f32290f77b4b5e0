//! Whole-process start of `wasi-run` with a warm on-disk module cache, and
//! cold (a fresh, empty cache directory for every run: the module is
//! compiled and written to the cache), beside a native Rust hello world
//! started the same way in the same run.
//!
//! This is the start a command-line user sees: exec, dynamic loading, engine
//! set-up, the cache lookup and deserialize, instantiation, the guest's run
//! and exit. It measures the release binary (fat LTO, as shipped), which the
//! bench profile does not build, so build it first:
//!
//! ```text
//! cargo build --release --bin wasi-run
//! cargo bench --bench process_start
//! ```
//!
//! `WASI_RUN=/path/to/wasi-run` measures another build instead.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot set up has nothing to measure"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

/// The `wasi-run` binary to measure: `$WASI_RUN`, else the workspace's
/// release build.
fn wasi_run() -> PathBuf {
    if let Some(path) = std::env::var_os("WASI_RUN") {
        return path.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("release/wasi-run");
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build --release --bin wasi-run` first (or set WASI_RUN)",
        path.display()
    );
    path
}

/// Runs `command` to completion with stdout discarded; it must succeed.
fn run(command: &mut Command) {
    let status = command
        .stdout(Stdio::null())
        .status()
        .expect("the benchmarked program starts");
    assert!(status.success(), "{command:?} failed: {status}");
}

fn process_start(c: &mut Criterion) {
    let wasi_run = wasi_run();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let cache = tempfile::tempdir().expect("temp cache dir");
    let guest_in = |cache: &Path, module: &str| {
        let mut command = Command::new(&wasi_run);
        command
            .arg("--cache-dir")
            .arg(cache)
            .arg(examples.join(module));
        command
    };
    let guest = |module: &str| guest_in(cache.path(), module);
    // Fill the cache, so every measured run is a disk hit.
    for module in ["hello.wasm", "hello.wat"] {
        run(&mut guest(module));
    }
    // A run that compiles: a new empty cache directory each time (made and
    // removed outside the timing).
    let cold = |module: &'static str| {
        move |b: &mut criterion::Bencher<'_>| {
            b.iter_batched(
                || tempfile::tempdir().expect("temp cache dir"),
                |fresh| run(&mut guest_in(fresh.path(), module)),
                BatchSize::PerIteration,
            )
        }
    };

    let mut group = c.benchmark_group("process_start");
    group.bench_function("native_hello (baseline)", |b| {
        b.iter(|| run(&mut Command::new(env!("CARGO_BIN_EXE_native-hello"))))
    });
    group.bench_function("wasi_run/hello.wasm (C, warm cache)", |b| {
        b.iter(|| run(&mut guest("hello.wasm")))
    });
    group.bench_function("wasi_run/hello.wat (warm cache)", |b| {
        b.iter(|| run(&mut guest("hello.wat")))
    });
    group.bench_function(
        "wasi_run/hello.wasm (C, cold: compiles)",
        cold("hello.wasm"),
    );
    group.bench_function("wasi_run/hello.wat (cold: compiles)", cold("hello.wat"));
    group.finish();
}

criterion_group!(benches, process_start);
criterion_main!(benches);
