//! Whole-process start of `wasi-run` with a warm on-disk module cache, and
//! cold (a fresh, empty cache directory for every run: the module is
//! compiled), beside a native Rust hello world started the same way in the
//! same run.
//!
//! Cold runs are measured with tiering (the default: the run starts from a
//! quick singlepass compile and a detached `wasi-run --precompile` writes
//! the Cranelift compile) and with `--no-tiering` (the run compiles with
//! Cranelift and writes the cache itself). The time is the run's, from
//! spawn to exit; after each run, outside the timing, the bench waits for
//! the cache file, so no precompile overlaps the next run and each one is
//! checked to have written its file.
//!
//! The C guests are `examples/hello.wasm` (29 KB, printf) and
//! `benches/guests/count.wasm` (12 KB, read/write).
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
//! `WASMTIME_COLD=/path/to/runner` adds rows for a wasmtime runner that
//! compiles every time (no cache), called as `runner FILE.wasm`: the
//! anchor of the cold rows. It is not part of this repository: any program
//! on wasmtime and wasmtime-wasi that compiles the file, links WASI
//! preview1 with inherited stdio and calls `_start` will do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot set up has nothing to measure"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

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

/// Runs `command` to completion with stdin empty and stdout discarded; it
/// must succeed.
fn run(command: &mut Command) {
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("the benchmarked program starts");
    assert!(status.success(), "{command:?} failed: {status}");
}

/// Waits (up to a minute) until `dir` holds a cache file.
fn wait_for_cache_file(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let written = std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension() == Some("wlmod".as_ref()))
        });
        if written {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no cache file in {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn process_start(c: &mut Criterion) {
    let wasi_run = wasi_run();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path_of = |module: &str| match module {
        "count.wasm" => root.join("guests").join(module),
        _ => root.join("../examples").join(module),
    };
    let cache = tempfile::tempdir().expect("temp cache dir");
    let guest_in = |cache: &Path, options: &[&str], module: &str| {
        let mut command = Command::new(&wasi_run);
        command
            .args(options)
            .arg("--cache-dir")
            .arg(cache)
            .arg(path_of(module));
        command
    };
    let guest = |module: &str| guest_in(cache.path(), &[], module);
    // Fill the cache, so every measured run is a disk hit.
    let modules = ["hello.wasm", "count.wasm", "hello.wat"];
    for module in modules {
        run(&mut guest_in(cache.path(), &["--precompile"], module));
    }
    // A run that compiles: a new empty cache directory each time (made,
    // waited on and removed outside the timing).
    let cold = |options: &'static [&'static str], module: &'static str| {
        let guest_in = &guest_in;
        move |b: &mut criterion::Bencher<'_>| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let fresh = tempfile::tempdir().expect("temp cache dir");
                    let mut command = guest_in(fresh.path(), options, module);
                    let start = Instant::now();
                    run(&mut command);
                    total += start.elapsed();
                    wait_for_cache_file(fresh.path());
                }
                total
            })
        }
    };

    let mut group = c.benchmark_group("process_start");
    group.bench_function("native_hello (baseline)", |b| {
        b.iter(|| run(&mut Command::new(env!("CARGO_BIN_EXE_native-hello"))))
    });
    for module in modules {
        group.bench_function(format!("wasi_run/{module} (warm cache)"), |b| {
            b.iter(|| run(&mut guest(module)))
        });
    }
    for module in modules {
        group.bench_function(
            format!("wasi_run/{module} (cold, tiered)"),
            cold(&[], module),
        );
        group.bench_function(
            format!("wasi_run/{module} (cold, --no-tiering)"),
            cold(&["--no-tiering"], module),
        );
    }
    if let Some(runner) = std::env::var_os("WASMTIME_COLD") {
        for module in ["hello.wasm", "count.wasm"] {
            let path = path_of(module);
            group.bench_function(format!("wasmtime/{module} (compiles every time)"), |b| {
                b.iter(|| run(Command::new(&runner).arg(&path)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, process_start);
criterion_main!(benches);
