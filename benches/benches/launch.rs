//! Launching guests through `wasi-launch`.
//!
//! - `launch_hello`: `examples/hello.wat` (one `fd_write` to stdout, then
//!   `_start` returns), compiled once and then taken from the launcher's
//!   warm module cache. `environment` is what an embedder does per run:
//!   validate a configuration, build the environment (file world with a
//!   captured stdout, fd table) and `run` it (new store, preview1 imports,
//!   instantiate, `_start`, flush and close every fd, release the task
//!   permit). `environment_with_lookup` also asks the cache for the module
//!   each time (`load_module` on the `.wat` text: parse, hash, memory hit).
//!   `baseline` instantiates the same compiled module on bare wasmer: a new
//!   store, a do-nothing `fd_write` import, `Instance::new`, `_start`. The
//!   target is `environment` within 1.5x of `baseline`.
//! - `build_environment`: a typical configuration (10 args, 20 env vars, 3
//!   host preopens of temp dirs) validated and turned into an environment;
//!   `baseline` only opens the same 3 directories with `std::fs::File::open`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot set up has nothing to measure"
)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use wasi_config::{Config, ConfigBuilder, Permissions, PreopenSpec};
use wasi_fs_setup::StdioSlot;
use wasi_launch::{ExitStatus, Launcher};
use wasmer::{Function, Instance, Module, Store, imports};

const HELLO: &[u8] = include_bytes!("../../examples/hello.wat");

fn hello_config() -> Config {
    ConfigBuilder::new("hello")
        .validate()
        .expect("valid configuration")
}

/// One run of hello through the library, stdout captured.
fn run_hello(launcher: &Launcher, module: &Module) {
    let (stdout, captured) = StdioSlot::capture();
    let env = launcher
        .environment_with(hello_config(), |w| {
            w.stdout(stdout);
        })
        .expect("environment");
    let status = env.run(module).expect("hello runs");
    debug_assert_eq!(status, ExitStatus::Exited(0));
    black_box((status, captured.len()));
}

/// One run of hello on bare wasmer with a do-nothing `fd_write`.
fn run_bare(engine: &wasmer::Engine, module: &Module) {
    let mut store = Store::new(engine.clone());
    let fd_write = Function::new_typed(&mut store, |_: i32, _: i32, _: i32, _: i32| -> i32 { 0 });
    let imports = imports! {
        "wasi_snapshot_preview1" => { "fd_write" => fd_write },
    };
    let instance = Instance::new(&mut store, module, &imports).expect("instantiate");
    let start = instance.exports.get_function("_start").expect("_start");
    black_box(start.call(&mut store, &[]).expect("_start returns"));
}

fn launch_hello(c: &mut Criterion) {
    let launcher = Launcher::new();
    // Compile once; every later request is a memory hit.
    launcher.load_module(HELLO).expect("hello compiles");
    let module = launcher.load_module(HELLO).expect("warm cache");
    assert_eq!(launcher.module_cache().stats().compiles, 1);
    let engine = launcher.engine().clone();
    // Sanity: the library run prints the greeting.
    let (stdout, captured) = StdioSlot::capture();
    launcher
        .environment_with(hello_config(), |w| {
            w.stdout(stdout);
        })
        .and_then(|env| env.run(&module))
        .expect("hello runs");
    assert_eq!(captured.contents(), b"Hello, world!\n");

    let mut group = c.benchmark_group("launch_hello");
    group.bench_function("environment", |b| b.iter(|| run_hello(&launcher, &module)));
    group.bench_function("environment_with_lookup", |b| {
        b.iter(|| {
            let module = launcher.load_module(black_box(HELLO)).expect("warm cache");
            run_hello(&launcher, &module);
        })
    });
    group.bench_function("baseline", |b| b.iter(|| run_bare(&engine, &module)));
    group.finish();
    assert_eq!(launcher.module_cache().stats().compiles, 1, "stayed warm");
}

/// 10 args, 20 env vars and the 3 host preopens.
fn typical_config(dirs: &[PathBuf]) -> Config {
    let mut b = ConfigBuilder::new("/usr/local/bin/tool");
    for i in 0..10 {
        b.arg(format!("--option-{i}=value-{i}"));
    }
    for i in 0..20 {
        b.env(
            format!("VARIABLE_{i:02}"),
            format!("/usr/local/lib/{i}:/usr/lib"),
        );
    }
    for (i, dir) in dirs.iter().enumerate() {
        b.preopen(
            PreopenSpec::host(dir)
                .guest_path(format!("/mnt/{i}"))
                .permissions(Permissions::ALL),
        );
    }
    b.validate().expect("valid configuration")
}

fn build_environment(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dirs: Vec<PathBuf> = (0..3)
        .map(|i| {
            let d = tmp.path().join(format!("dir{i}"));
            std::fs::create_dir(&d).expect("mkdir");
            d
        })
        .collect();
    let launcher = Launcher::new();
    let env = launcher
        .environment(typical_config(&dirs))
        .expect("environment");
    assert_eq!(env.world().fds().preopens().count(), 3);

    let mut group = c.benchmark_group("build_environment");
    group.bench_function("environment", |b| {
        b.iter(|| {
            let config = typical_config(black_box(&dirs));
            black_box(launcher.environment(config).expect("environment"))
        })
    });
    group.bench_function("baseline", |b| {
        b.iter(|| {
            let files: Vec<std::fs::File> = black_box(&dirs)
                .iter()
                .map(|d| std::fs::File::open(d).expect("open"))
                .collect();
            black_box(files)
        })
    });
    group.finish();
}

criterion_group!(benches, launch_hello, build_environment);
criterion_main!(benches);
