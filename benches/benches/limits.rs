//! What the resource limits of issue 13 cost a guest that never hits them,
//! and how fast an interrupt stops one.
//!
//! - `fuel`: a CPU-bound guest ([`CPU_GUEST`]: [`ITERATIONS`] rounds of
//!   integer mixing and a load and store into a 4 KiB table in linear
//!   memory, then `proc_exit` with the checksum) run `unmetered`, and
//!   `metered` (compiled with the launcher's fuel metering, given
//!   [`FUEL`], far more than it uses). Every run is a whole embedder run
//!   (configuration, environment, instantiation, `_start`, flush); the
//!   modules are compiled before measuring. Target: `metered` at most 1.3x
//!   `unmetered`. The guest's time goes to the dependency chain through
//!   `acc`, beside which the metering's own chain (load, subtract, compare
//!   and store the remaining fuel, once a round) runs for free;
//!   `tight_loop_*` is the worst case beside it, no target: [`TIGHT_GUEST`]
//!   only counts down and sums (10 operators a round), so the metering's
//!   chain through memory sets the pace.
//! - `timeout_and_memory_cap`: the same guest and module `unlimited`, with
//!   a 60 s timeout armed (`timeout_60s`, never fires) and with a 16 MiB
//!   memory cap (`memory_cap_16m`, the guest uses one page). Target: both
//!   within 1.05x of `unlimited`.
//! - `interrupt_latency`: the time from `InterruptHandle::interrupt` to
//!   `Environment::run` returning `Stopped(Interrupted)`, for a guest
//!   spinning in `(loop br 0)` (`spin`) and one asleep in `poll_oneoff` on
//!   a one-hour clock subscription (`poll_sleep`). Each guest first writes a
//!   byte to its captured stdout; the run is on its own thread, and the
//!   interrupt is sent once that byte is there and 1 ms more has passed
//!   (the guest is surely spinning or asleep). The end is taken on the run's
//!   thread as `run` returns, so it includes the flush and close but not the
//!   thread's exit. `baseline` is the floor any cross-thread stop pays: a
//!   thread blocked on a channel, woken by a send, timed the same way.
//!   Target: under 10 ms.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark that cannot set up has nothing to measure"
)]

use std::hint::black_box;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use wasi_config::{Capabilities, Config, ConfigBuilder};
use wasi_fs_setup::StdioSlot;
use wasi_launch::{ExitStatus, Launcher, StopReason};
use wasmer::Module;

/// Rounds of the CPU-bound guest's loop.
const ITERATIONS: u32 = 20_000_000;

/// The fuel of the metered runs: a round of [`CPU_GUEST`]'s loop is 32
/// operators (one unit each), so this is about twice what a run uses.
const FUEL: u64 = 64 * ITERATIONS as u64;

/// The armed, never-hit timeout of `timeout_60s`.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The memory cap of `memory_cap_16m`.
const MEMORY_CAP: u64 = 16 << 20;

/// The CPU-bound guest: `ITERATIONS` rounds of
/// `acc = acc * 0x9E3779B1; acc ^= acc >> 15; acc += i;
/// table[i % 1024] += acc; i -= 1`, then `proc_exit(acc ^ table[0])`
/// (see [`expected_checksum`]). `{ITERATIONS}` is replaced by the count.
const CPU_GUEST: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $i i32) (local $acc i32) (local $at i32)
    (local.set $i (i32.const {ITERATIONS}))
    (local.set $acc (i32.const 1))
    (loop $round
      (local.set $acc (i32.mul (local.get $acc) (i32.const 0x9E3779B1)))
      (local.set $acc
        (i32.xor (local.get $acc) (i32.shr_u (local.get $acc) (i32.const 15))))
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $at (i32.shl (i32.and (local.get $i) (i32.const 1023)) (i32.const 2)))
      (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (local.get $acc)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $round (local.get $i)))
    (call $exit (i32.xor (local.get $acc) (i32.load (i32.const 0))))))"#;

/// What [`CPU_GUEST`] exits with, computed natively.
fn expected_checksum() -> u32 {
    let mut table = [0u32; 1024];
    let mut acc: u32 = 1;
    let mut i = ITERATIONS;
    while i != 0 {
        acc = acc.wrapping_mul(0x9E37_79B1);
        acc ^= acc >> 15;
        acc = acc.wrapping_add(i);
        let at = (i & 1023) as usize;
        table[at] = table[at].wrapping_add(acc);
        i -= 1;
    }
    acc ^ table[0]
}

/// The metering's worst case: `ITERATIONS` rounds of `acc += i; i -= 1`,
/// then `proc_exit(acc)` (see [`expected_sum`]).
const TIGHT_GUEST: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $i i32) (local $acc i32)
    (local.set $i (i32.const {ITERATIONS}))
    (loop $round
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $round (local.get $i)))
    (call $exit (local.get $acc))))"#;

/// What [`TIGHT_GUEST`] exits with: `1 + 2 + ... + ITERATIONS`, modulo 2^32.
fn expected_sum() -> u32 {
    let n = u64::from(ITERATIONS);
    (n * (n + 1) / 2) as u32
}

/// Writes one byte to stdout (the sign it runs), then spins forever.
const SPIN_GUEST: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "!")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 1))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (loop br 0)))"#;

/// Writes one byte to stdout, then sleeps in `poll_oneoff` on one relative
/// monotonic-clock subscription of an hour (the subscription at 64: clock
/// tag at 72, clock id 1 at 80, timeout at 88; the event at 128, the count
/// at 192). Returns if the sleep ever ends.
const SLEEP_GUEST: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "!")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 1))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i64.store (i32.const 64) (i64.const 7))
    (i32.store8 (i32.const 72) (i32.const 0))
    (i32.store (i32.const 80) (i32.const 1))
    (i64.store (i32.const 88) (i64.const 3600000000000))
    (i64.store (i32.const 96) (i64.const 0))
    (i32.store16 (i32.const 104) (i32.const 0))
    (drop (call $poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 192)))))"#;

/// A configuration with the limits `caps` and nothing else.
fn config_with(caps: Capabilities) -> Config {
    let mut b = ConfigBuilder::new("limits");
    b.capabilities(caps);
    b.validate().expect("valid configuration")
}

/// One whole run of `module` under `config`; the guest must exit with
/// `expected`.
fn run_cpu(launcher: &Launcher, module: &Module, config: &Config, expected: u32) {
    let status = launcher
        .environment(config.clone())
        .and_then(|env| env.run(module))
        .expect("the guest runs");
    assert_eq!(status, ExitStatus::Exited(expected));
    black_box(status);
}

/// `guest` with its round count.
fn with_rounds(guest: &str) -> String {
    guest.replace("{ITERATIONS}", &ITERATIONS.to_string())
}

fn fuel(c: &mut Criterion) {
    let launcher = Launcher::new();
    let wat = with_rounds(CPU_GUEST);
    let plain = launcher
        .load_module(wat.as_bytes())
        .expect("guest compiles");
    let metered_launcher = launcher.metered().expect("the launcher can meter");
    let metered = metered_launcher
        .load_module(wat.as_bytes())
        .expect("guest compiles metered");
    let expected = expected_checksum();
    let tight_wat = with_rounds(TIGHT_GUEST);
    let tight_plain = launcher
        .load_module(tight_wat.as_bytes())
        .expect("compiles");
    let tight_metered = metered_launcher
        .load_module(tight_wat.as_bytes())
        .expect("compiles metered");
    let tight_expected = expected_sum();
    let unlimited = config_with(Capabilities::default());
    let fueled = config_with(Capabilities::default().with_fuel(FUEL));
    // The fuel is real: 1,000 units (some 30 rounds) stop the guest.
    let status = launcher
        .environment(config_with(Capabilities::default().with_fuel(1_000)))
        .and_then(|env| env.run(&metered))
        .expect("the guest runs");
    assert_eq!(
        status,
        ExitStatus::Stopped(StopReason::FuelExhausted { fuel: 1_000 })
    );
    // An environment with fuel loads the same metered module from the cache.
    let env = launcher.environment(fueled.clone()).expect("environment");
    let from_env = env.load_module(wat.as_bytes()).expect("cached metered");
    assert_eq!(metered_launcher.module_cache().stats().compiles, 2);
    assert_eq!(
        env.run(&from_env).expect("runs"),
        ExitStatus::Exited(expected)
    );

    let mut group = c.benchmark_group("fuel");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("unmetered", |b| {
        b.iter(|| run_cpu(&launcher, &plain, &unlimited, expected))
    });
    group.bench_function("metered", |b| {
        b.iter(|| run_cpu(&launcher, &metered, &fueled, expected))
    });
    group.bench_function("tight_loop_unmetered", |b| {
        b.iter(|| run_cpu(&launcher, &tight_plain, &unlimited, tight_expected))
    });
    group.bench_function("tight_loop_metered", |b| {
        b.iter(|| run_cpu(&launcher, &tight_metered, &fueled, tight_expected))
    });
    group.finish();
}

fn timeout_and_memory_cap(c: &mut Criterion) {
    let launcher = Launcher::new();
    let wat = with_rounds(CPU_GUEST);
    let module = launcher
        .load_module(wat.as_bytes())
        .expect("guest compiles");
    let expected = expected_checksum();
    let unlimited = config_with(Capabilities::default());
    let timed = config_with(Capabilities::default().with_timeout(TIMEOUT));
    let capped = config_with(Capabilities::default().with_max_memory_bytes(MEMORY_CAP));
    // The cap is real: one under the guest's one page (half a page)
    // refuses it.
    let refused = launcher
        .environment(config_with(
            Capabilities::default().with_max_memory_bytes(32 << 10),
        ))
        .and_then(|env| env.run(&module));
    assert!(
        matches!(refused, Err(wasi_launch::LaunchError::MemoryLimit { .. })),
        "{refused:?}"
    );

    let mut group = c.benchmark_group("timeout_and_memory_cap");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("unlimited", |b| {
        b.iter(|| run_cpu(&launcher, &module, &unlimited, expected))
    });
    group.bench_function("timeout_60s", |b| {
        b.iter(|| run_cpu(&launcher, &module, &timed, expected))
    });
    group.bench_function("memory_cap_16m", |b| {
        b.iter(|| run_cpu(&launcher, &module, &capped, expected))
    });
    group.finish();
}

/// Starts `module` on its own thread, waits until it has written to stdout
/// and 1 ms more, interrupts it, and returns the time from the interrupt
/// to `run` returning. The run must end `Stopped(Interrupted)`.
fn interrupt_once(launcher: &Launcher, module: &Module, config: &Config) -> Duration {
    let (stdout, captured) = StdioSlot::capture();
    let env = launcher
        .environment_with(config.clone(), |w| {
            w.stdout(stdout);
        })
        .expect("environment");
    let handle = env.interrupt_handle();
    let module = module.clone();
    let runner = thread::spawn(move || {
        let status = env.run(&module);
        (status, Instant::now())
    });
    let waiting = Instant::now();
    while captured.is_empty() {
        assert!(
            waiting.elapsed() < Duration::from_secs(30),
            "the guest never started"
        );
        thread::sleep(Duration::from_micros(50));
    }
    thread::sleep(Duration::from_millis(1));
    let fired = Instant::now();
    handle.interrupt();
    let (status, ended) = runner.join().expect("the run's thread");
    assert_eq!(
        status.expect("the run ends"),
        ExitStatus::Stopped(StopReason::Interrupted)
    );
    assert_eq!(captured.contents(), b"!");
    ended.duration_since(fired)
}

/// The floor: a thread blocked on a channel, woken by a send; the time from
/// the send to the thread running again.
fn channel_wake_once() -> Duration {
    let (tx, rx) = mpsc::channel::<()>();
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let waiter = thread::spawn(move || {
        ready_tx.send(()).expect("ready");
        rx.recv().expect("woken");
        Instant::now()
    });
    ready_rx.recv().expect("the waiter runs");
    thread::sleep(Duration::from_millis(1));
    let sent = Instant::now();
    tx.send(()).expect("send");
    let woke = waiter.join().expect("the waiter's thread");
    woke.duration_since(sent)
}

fn interrupt_latency(c: &mut Criterion) {
    let launcher = Launcher::new();
    let spin = launcher.load_module(SPIN_GUEST.as_bytes()).expect("spin");
    let sleep = launcher.load_module(SLEEP_GUEST.as_bytes()).expect("sleep");
    let config = config_with(Capabilities::default());
    // Sanity: both stop well under the target once.
    for module in [&spin, &sleep] {
        let took = interrupt_once(&launcher, module, &config);
        assert!(took < Duration::from_secs(1), "took {took:?}");
    }

    let mut group = c.benchmark_group("interrupt_latency");
    // Each iteration really takes a millisecond or two of setup and waiting
    // beside the microseconds it reports; criterion plans the iteration
    // count from the reported time, so the times are kept tiny.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(20))
        .measurement_time(Duration::from_millis(200));
    for (name, module) in [("spin", &spin), ("poll_sleep", &sleep)] {
        let (mut runs, mut worst) = (0u64, Duration::ZERO);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let took = interrupt_once(&launcher, module, &config);
                    worst = worst.max(took);
                    total += took;
                }
                runs += iters;
                total
            })
        });
        // Criterion reports the mean; a latency target is about the tail.
        // (No runs when a filter left this benchmark out.)
        if runs > 0 {
            eprintln!(
                "interrupt_latency/{name}: worst of {runs} interrupts: {worst:?} (target < 10 ms)"
            );
        }
    }
    group.bench_function("baseline", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| channel_wake_once()).sum())
    });
    group.finish();
}

criterion_group!(benches, fuel, timeout_and_memory_cap, interrupt_latency);
criterion_main!(benches);
