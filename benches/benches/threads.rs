//! What wasi-threads (issue 14) cost and what they buy, each beside a
//! baseline measured in the same group.
//!
//! - `spawn_join`: the cost of a guest thread, spawned and joined. The
//!   guest ([`SPAWN_GUEST`]) spawns `n` threads (arg = index) whose
//!   `wasi_thread_start` only increments an atomic counter and notifies;
//!   `_start` waits until the counter is `n` and `proc_exit`s with it, and
//!   the environment stops and joins every thread before `run` returns.
//!   `guest_0_threads` and `guest_16_threads` are whole runs (environment,
//!   instantiation, `_start`, joins, flush) of the same WAT with `n` = 0
//!   and `n` = [`THREADS`] (modules compiled before measuring); both assert
//!   `Exited(n)`. `std_thread_16` is `std::thread::spawn` of [`THREADS`]
//!   empty closures, then `join` of each. The last two carry
//!   `Throughput::Elements(16)`, so criterion's elements/s is threads per
//!   second of the whole run; the per-thread cost of a guest thread,
//!   `(t_16 - t_0) / 16`, is printed to stderr beside `t_std / 16`.
//! - `cpu_split`: a CPU-bound guest ([`CPU_GUEST`]: [`PARTS`] parts of
//!   [`HALF`] rounds of integer mixing, each part's checksum stored into
//!   the shared memory) done by `1_thread` (main spawns one thread that
//!   does both parts) and by `2_threads` (main spawns two, one part each).
//!   Main waits on an atomic counter for its threads and exits with the
//!   combined checksum, which the bench asserts against
//!   [`expected_checksum`]. Target: `2_threads` at least 1.8x faster on a
//!   2-core machine; the ratio (and the load average before and after) is
//!   printed to stderr.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot set up has nothing to measure"
)]

use std::cell::Cell;
use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use wasi_config::{Config, ConfigBuilder};
use wasi_launch::{ExitStatus, Launcher};
use wasmer::Module;

/// The threads spawned by the measured `spawn_join` runs.
const THREADS: u32 = 16;

/// The imports every guest here starts with: `thread-spawn`, `proc_exit`
/// and a shared memory of one page.
const IMPORTS: &str = r#"
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (import "env" "memory") 1 1 shared)
  (export "memory" (memory 0))"#;

/// Spawns `{N}` threads that each add one to the counter at 0 and notify;
/// waits until the counter is `{N}` and exits with it. A failed spawn exits
/// with 1000.
const SPAWN_GUEST: &str = r#"
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
  (func (export "_start") (local $n i32) (local $c i32)
    (block $spawned
      (loop $s
        (br_if $spawned (i32.ge_u (local.get $n) (i32.const {N})))
        (if (i32.le_s (call $spawn (local.get $n)) (i32.const 0))
          (then (call $exit (i32.const 1000))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $s)))
    (loop $w
      (local.set $c (i32.atomic.load (i32.const 0)))
      (if (i32.lt_u (local.get $c) (i32.const {N}))
        (then
          (drop (memory.atomic.wait32 (i32.const 0) (local.get $c) (i64.const -1)))
          (br $w))))
    (call $exit (i32.atomic.load (i32.const 0))))"#;

/// The parts of the CPU-bound work.
const PARTS: u32 = 2;

/// Rounds of mixing in one part: the whole run is 200 M rounds.
const HALF: u32 = 100_000_000;

/// Part `p` runs rounds `i` in `[p * HALF, (p + 1) * HALF)` of
/// `acc = acc * 0x9E3779B1; acc ^= acc >> 15; acc += i`, from
/// `acc = p + 1`, and stores `acc` at `16 + 4 p`. Thread `k` (arg `k`) of
/// `{THREADS}` does parts `k, k + {THREADS}, ...`, then adds one to the
/// counter at 0 and notifies; `_start` spawns `{THREADS}` threads, waits
/// for the counter and exits with `part0 ^ part1`. A failed spawn exits
/// with 1000.
const CPU_GUEST: &str = r#"
  (func $work (param $part i32) (result i32) (local $i i32) (local $end i32) (local $acc i32)
    (local.set $i (i32.mul (local.get $part) (i32.const {HALF})))
    (local.set $end (i32.add (local.get $i) (i32.const {HALF})))
    (local.set $acc (i32.add (local.get $part) (i32.const 1)))
    (loop $round
      (local.set $acc (i32.mul (local.get $acc) (i32.const 0x9E3779B1)))
      (local.set $acc
        (i32.xor (local.get $acc) (i32.shr_u (local.get $acc) (i32.const 15))))
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $round (i32.ne (local.get $i) (local.get $end))))
    (local.get $acc))
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32) (local $part i32)
    (local.set $part (local.get $arg))
    (loop $parts
      (i32.atomic.store
        (i32.add (i32.const 16) (i32.shl (local.get $part) (i32.const 2)))
        (call $work (local.get $part)))
      (local.set $part (i32.add (local.get $part) (i32.const {THREADS})))
      (br_if $parts (i32.lt_u (local.get $part) (i32.const {PARTS}))))
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
  (func (export "_start") (local $n i32) (local $c i32)
    (loop $s
      (if (i32.le_s (call $spawn (local.get $n)) (i32.const 0))
        (then (call $exit (i32.const 1000))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $s (i32.lt_u (local.get $n) (i32.const {THREADS}))))
    (loop $w
      (local.set $c (i32.atomic.load (i32.const 0)))
      (if (i32.lt_u (local.get $c) (i32.const {THREADS}))
        (then
          (drop (memory.atomic.wait32 (i32.const 0) (local.get $c) (i64.const -1)))
          (br $w))))
    (call $exit
      (i32.xor (i32.atomic.load (i32.const 16)) (i32.atomic.load (i32.const 20)))))"#;

/// What [`CPU_GUEST`] exits with, computed natively.
fn expected_checksum() -> u32 {
    let part = |p: u32| {
        let mut acc = p + 1;
        for i in p * HALF..(p + 1) * HALF {
            acc = acc.wrapping_mul(0x9E37_79B1);
            acc ^= acc >> 15;
            acc = acc.wrapping_add(i);
        }
        acc
    };
    (0..PARTS).map(part).fold(0, |x, y| x ^ y)
}

/// A whole module around `body`.
fn module(body: &str) -> String {
    format!("(module {IMPORTS}\n{body})")
}

/// One whole run of `module` under `config`; the guest must exit with
/// `expected`.
fn run(launcher: &Launcher, module: &Module, config: &Config, expected: u32) {
    let status = launcher
        .environment(config.clone())
        .and_then(|env| env.run(module))
        .expect("the guest runs");
    assert_eq!(status, ExitStatus::Exited(expected));
    black_box(status);
}

/// `THREADS` empty closures on `std::thread`, spawned, then joined.
fn std_spawn_join(n: u32) {
    let handles: Vec<_> = (0..n).map(|_| thread::spawn(|| {})).collect();
    for handle in handles {
        handle.join().expect("an empty closure");
    }
}

/// Times `iters` calls of `f`, adding the time and the count to `tally`
/// (warm-up included) for the figures printed after the group.
fn timed(iters: u64, tally: &Cell<(Duration, u64)>, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    let took = start.elapsed();
    let (total, count) = tally.get();
    tally.set((total + took, count + iters));
    took
}

/// The mean of a tally, `None` when a filter left its benchmark out.
fn mean(tally: &Cell<(Duration, u64)>) -> Option<Duration> {
    let (total, count) = tally.get();
    let count = u32::try_from(count).ok().filter(|&c| c > 0)?;
    Some(total / count)
}

/// The load average, to tell a quiet machine from a busy one.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

fn config() -> Config {
    ConfigBuilder::new("threads")
        .validate()
        .expect("valid configuration")
}

fn spawn_join(c: &mut Criterion) {
    let launcher = Launcher::new();
    let load = |n: u32| {
        let wat = module(&SPAWN_GUEST.replace("{N}", &n.to_string()));
        launcher
            .load_module(wat.as_bytes())
            .expect("guest compiles")
    };
    let none = load(0);
    let some = load(THREADS);
    let config = config();
    run(&launcher, &none, &config, 0);
    run(&launcher, &some, &config, THREADS);
    assert_eq!(launcher.control_plane().running(), 0, "a permit leaked");

    let (t0, tn, tstd) = (Cell::default(), Cell::default(), Cell::default());
    let mut group = c.benchmark_group("spawn_join");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("guest_0_threads", |b| {
        b.iter_custom(|iters| timed(iters, &t0, || run(&launcher, &none, &config, 0)))
    });
    group.throughput(Throughput::Elements(u64::from(THREADS)));
    group.bench_function(format!("guest_{THREADS}_threads"), |b| {
        b.iter_custom(|iters| timed(iters, &tn, || run(&launcher, &some, &config, THREADS)))
    });
    group.bench_function(format!("std_thread_{THREADS}"), |b| {
        b.iter_custom(|iters| timed(iters, &tstd, || std_spawn_join(black_box(THREADS))))
    });
    group.finish();
    assert_eq!(launcher.control_plane().running(), 0, "a permit leaked");
    if let (Some(t0), Some(tn), Some(tstd)) = (mean(&t0), mean(&tn), mean(&tstd)) {
        eprintln!(
            "spawn_join: per thread (mean of every timed run): guest (t_{THREADS} - t_0) / {THREADS} = \
             ({tn:?} - {t0:?}) / {THREADS} = {:?}; std::thread {:?}",
            tn.saturating_sub(t0) / THREADS,
            tstd / THREADS,
        );
    }
}

fn cpu_split(c: &mut Criterion) {
    let launcher = Launcher::new();
    let load = |threads: u32| {
        let wat = module(
            &CPU_GUEST
                .replace("{THREADS}", &threads.to_string())
                .replace("{PARTS}", &PARTS.to_string())
                .replace("{HALF}", &HALF.to_string()),
        );
        launcher
            .load_module(wat.as_bytes())
            .expect("guest compiles")
    };
    let one = load(1);
    let two = load(2);
    let config = config();
    let expected = expected_checksum();
    run(&launcher, &one, &config, expected);
    run(&launcher, &two, &config, expected);

    let before = loadavg();
    let (t1, t2) = (Cell::default(), Cell::default());
    let mut group = c.benchmark_group("cpu_split");
    // Each run takes a few hundred ms: ten runs a sample set, not 55.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("1_thread", |b| {
        b.iter_custom(|iters| timed(iters, &t1, || run(&launcher, &one, &config, expected)))
    });
    group.bench_function("2_threads", |b| {
        b.iter_custom(|iters| timed(iters, &t2, || run(&launcher, &two, &config, expected)))
    });
    group.finish();
    if let (Some(t1), Some(t2)) = (mean(&t1), mean(&t2)) {
        eprintln!(
            "cpu_split: 1 thread {t1:?}, 2 threads {t2:?}, speed-up {:.2}x (target >= 1.8x); \
             load average before {before}, after {}",
            t1.as_secs_f64() / t2.as_secs_f64(),
            loadavg(),
        );
    }
}

criterion_group!(benches, spawn_join, cpu_split);
criterion_main!(benches);
