//! One launcher serving several threads (issue 6).
//!
//! - `concurrent_launches`: `examples/hello.wat` from the launcher's warm
//!   module cache, run to completion (environment with captured stdout,
//!   instantiate, `_start`, flush, release the permit) on 1 and 2 threads
//!   sharing one launcher; criterion reports the time per launch of the
//!   whole batch, so launches per second is its inverse. `baseline` runs
//!   the same compiled module on bare wasmer (new store, do-nothing
//!   `fd_write`, `Instance::new`, `_start`) on the same threads. `pooled`
//!   is the launcher with a memory pool (issue 15): the same launches, each
//!   memory in a reused slot instead of a fresh 8 GiB mapping.
//! - `idle_instances`: resident memory per live idle instance, 1,000
//!   instances held at once (each in its own store), read from `VmRSS` plus
//!   `VmPTE` (page tables) in `/proc/self/status` before and after; the
//!   launcher, a pooled launcher and bare wasmer, each measured in a fresh
//!   child process of this binary. Not a criterion timing: one sample per
//!   run, printed on stderr.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot set up has nothing to measure"
)]

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use wasi_config::{Config, ConfigBuilder};
use wasi_fs_setup::StdioSlot;
use wasi_launch::{Launcher, MemoryPoolConfig};
use wasmer::{Function, Instance, Module, Store, imports};

const HELLO: &[u8] = include_bytes!("../../examples/hello.wat");

/// How many instances the memory measurement holds at once.
const HELD: usize = 1_000;

/// The configuration every launch shares (one `Arc`, as a host launching
/// many guests of one configuration would).
fn hello_config() -> Arc<Config> {
    Arc::new(
        ConfigBuilder::new("hello")
            .validate()
            .expect("valid configuration"),
    )
}

fn run_hello(launcher: &Launcher, module: &Module, config: &Arc<Config>) {
    let (stdout, captured) = StdioSlot::capture();
    let status = launcher
        .environment_with(Arc::clone(config), |w| {
            w.stdout(stdout);
        })
        .and_then(|env| env.run(module))
        .expect("hello runs");
    black_box((status, captured.len()));
}

fn bare_imports(store: &mut Store) -> wasmer::Imports {
    let fd_write = Function::new_typed(store, |_: i32, _: i32, _: i32, _: i32| -> i32 { 0 });
    imports! { "wasi_snapshot_preview1" => { "fd_write" => fd_write } }
}

fn run_bare(engine: &wasmer::Engine, module: &Module) {
    let mut store = Store::new(engine.clone());
    let imports = bare_imports(&mut store);
    let instance = Instance::new(&mut store, module, &imports).expect("instantiate");
    let start = instance.exports.get_function("_start").expect("_start");
    black_box(start.call(&mut store, &[]).expect("_start returns"));
}

/// Runs `iters` launches split over `threads` threads; the wall time.
fn on_threads(threads: usize, iters: u64, launch: impl Fn() + Sync) -> Duration {
    let per = iters.div_ceil(threads as u64);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per {
                    launch();
                }
            });
        }
    });
    // Scale to exactly `iters` launches.
    started
        .elapsed()
        .mul_f64(iters as f64 / (per * threads as u64) as f64)
}

fn concurrent_launches(c: &mut Criterion) {
    let launcher = Launcher::builder()
        .max_tasks(NonZeroUsize::new(64).expect("nonzero"))
        .build();
    let module = launcher.load_module(HELLO).expect("hello compiles");
    let pooled = Launcher::builder()
        .max_tasks(NonZeroUsize::new(64).expect("nonzero"))
        .memory_pool(MemoryPoolConfig::new().with_slots(64))
        .build();
    let pooled_module = pooled.load_module(HELLO).expect("hello compiles");
    let engine = launcher.engine().clone();
    let config = hello_config();
    let mut group = c.benchmark_group("concurrent_launches");
    group.throughput(Throughput::Elements(1));
    for threads in [1usize, 2] {
        group.bench_function(format!("launcher/{threads}_threads"), |b| {
            b.iter_custom(|iters| {
                on_threads(threads, iters, || run_hello(&launcher, &module, &config))
            })
        });
        group.bench_function(format!("pooled/{threads}_threads"), |b| {
            b.iter_custom(|iters| {
                on_threads(threads, iters, || {
                    run_hello(&pooled, &pooled_module, &config)
                })
            })
        });
        group.bench_function(format!("baseline/{threads}_threads"), |b| {
            b.iter_custom(|iters| on_threads(threads, iters, || run_bare(&engine, &module)))
        });
    }
    group.finish();
    assert_eq!(launcher.module_cache().stats().compiles, 1, "stayed warm");
    assert_eq!(launcher.control_plane().running(), 0);
    let pool = pooled.memory_pool().expect("pooled");
    assert_eq!(pool.in_use(), 0, "a slot leaked");
    eprintln!("pooled: {} slots reserved for 2 threads", pool.reserved());
}

/// The environment variable that makes this binary a child measuring one
/// configuration's idle instances (`launcher`, `pooled` or `bare`).
const IDLE_CHILD: &str = "WASI_ENV_BENCH_IDLE_INSTANCES";

/// A line of `/proc/self/status` in KiB (`VmRSS`, `VmPTE`).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| {
            v.trim_start_matches(':')
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()
        })
        .expect("status field")
}

/// Resident memory (pages plus page tables) in KiB.
fn resident_kib() -> u64 {
    status_kib("VmRSS") + status_kib("VmPTE")
}

/// In a child process: holds `HELD` idle instances of one configuration
/// and prints the resident KiB each added.
fn measure_idle(which: &str) {
    let mut builder = Launcher::builder();
    builder.max_tasks(NonZeroUsize::new(HELD + 1).expect("nonzero"));
    if which == "pooled" {
        builder.memory_pool(MemoryPoolConfig::new().with_slots(HELD));
    }
    let launcher = builder.build();
    let module = launcher.load_module(HELLO).expect("hello compiles");
    let config = hello_config();
    let before = resident_kib();
    let mut held = Vec::with_capacity(HELD);
    for _ in 0..HELD {
        let mut store = Store::new(launcher.engine().clone());
        let instance = match which {
            "bare" => {
                let imports = bare_imports(&mut store);
                Instance::new(&mut store, &module, &imports).expect("instantiate");
                None
            }
            _ => {
                let (stdout, _) = StdioSlot::capture();
                let env = launcher
                    .environment_with(Arc::clone(&config), |w| {
                        w.stdout(stdout);
                    })
                    .expect("environment");
                Some(env.instantiate(&module, &mut store).expect("instantiate"))
            }
        };
        held.push((store, instance));
    }
    let kib = resident_kib().saturating_sub(before);
    println!("{:.1}", kib as f64 / HELD as f64);
}

fn idle_instances(_c: &mut Criterion) {
    // Each configuration in a fresh process: resident-size deltas depend
    // on what the allocator already holds, so measuring one after another
    // in one process favours the later ones.
    let exe = std::env::current_exe().expect("this benchmark's path");
    let measure = |which: &str| -> String {
        let out = std::process::Command::new(&exe)
            .env(IDLE_CHILD, which)
            .output()
            .expect("child runs");
        assert!(out.status.success(), "{which}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    eprintln!(
        "idle_instances: {HELD} held at once, resident KiB each (VmRSS + VmPTE delta, fresh process each): launcher {}, pooled {}, bare wasmer {}",
        measure("launcher"),
        measure("pooled"),
        measure("bare")
    );
}

criterion_group!(benches, concurrent_launches, idle_instances);

fn main() {
    if let Ok(which) = std::env::var(IDLE_CHILD) {
        measure_idle(&which);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
