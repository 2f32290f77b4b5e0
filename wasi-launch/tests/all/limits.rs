//! Issue 13: the configuration's limits, through the library. Each limit
//! hit and not hit; output written before every kind of stop kept.
//! Durations here are generous bounds for correctness (a stop within
//! seconds rather than never), not performance assertions.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasi_config::{Capabilities, Config, ConfigBuilder};
use wasi_fs_setup::{CaptureBuffer, StdioSlot};
use wasi_launch::{Environment, ExitStatus, LaunchError, Launcher, StopReason};
use wasmer::{Memory, MemoryType};

/// Writes "before\n" to stdout, then spins for ever.
pub(crate) const SPIN: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "before\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 7))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (loop br 0)))"#;

/// Writes "before\n", then sleeps an hour in `poll_oneoff`.
pub(crate) const SLEEP_AN_HOUR: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "before\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 7))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i64.store (i32.const 100) (i64.const 1))
    (i32.store8 (i32.const 108) (i32.const 0))
    (i32.store (i32.const 116) (i32.const 1))
    (i64.store (i32.const 124) (i64.const 3600000000000))
    (drop (call $poll (i32.const 100) (i32.const 200) (i32.const 1) (i32.const 300)))))"#;

/// Counts to 100,000 (a few hundred thousand operators), writes "done\n".
pub(crate) const COUNT: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "done\n")
  (func (export "_start") (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100000))))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 5))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;

/// Grows its memory (declared up to 4 GiB) past a 2 MiB cap, then by one
/// page; exits 0 when the first grow gave -1 and the second succeeded.
pub(crate) const GROW: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1 65536)
  (func (export "_start")
    (if (i32.ne (memory.grow (i32.const 100)) (i32.const -1)) (then (call $exit (i32.const 10))))
    (if (i32.ne (memory.grow (i32.const 1)) (i32.const 1)) (then (call $exit (i32.const 11))))
    (call $exit (i32.const 0))))"#;

/// Writes "before\n", then recurses without end.
pub(crate) const RECURSE: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "before\n")
  (func $f (param i32) (result i32)
    (i32.add (call $f (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 7))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $f (i32.const 0)))))"#;

fn config_with(caps: Capabilities) -> Config {
    let mut b = ConfigBuilder::new("limits");
    b.capabilities(caps);
    b.validate().expect("valid configuration")
}

/// An environment of `launcher` for `caps` with stdout captured, and `wat`
/// loaded the way the environment needs (metered with fuel).
pub(crate) fn captured(
    launcher: &Launcher,
    wat: &str,
    caps: Capabilities,
) -> (Environment, wasmer::Module, CaptureBuffer) {
    let (stdout, out) = StdioSlot::capture();
    let env = launcher
        .environment_with(config_with(caps), |w| {
            w.stdout(stdout);
        })
        .expect("the environment builds");
    let module = env
        .load_module(wat.as_bytes())
        .expect("the module compiles");
    (env, module, out)
}

/// Runs `wat` with `caps` on `launcher` (stdout captured).
pub(crate) fn run_on(
    launcher: &Launcher,
    wat: &str,
    caps: Capabilities,
) -> (Result<ExitStatus, LaunchError>, CaptureBuffer) {
    let (env, module, out) = captured(launcher, wat, caps);
    (env.run(&module), out)
}

fn run(wat: &str, caps: Capabilities) -> (Result<ExitStatus, LaunchError>, CaptureBuffer) {
    run_on(&Launcher::new(), wat, caps)
}

#[test]
fn infinite_loop_is_stopped_by_fuel_with_its_output_kept() {
    let caps = Capabilities::default().with_fuel(1_000_000);
    let (status, out) = run(SPIN, caps);
    assert_eq!(
        status.unwrap(),
        ExitStatus::Stopped(StopReason::FuelExhausted { fuel: 1_000_000 })
    );
    assert_eq!(out.contents(), b"before\n");
}

#[test]
fn program_within_its_fuel_runs_to_the_end_with_the_same_output() {
    let (plain, plain_out) = run(COUNT, Capabilities::default());
    let (metered, metered_out) = run(COUNT, Capabilities::default().with_fuel(10_000_000));
    assert_eq!(plain.unwrap(), ExitStatus::Exited(0));
    assert_eq!(metered.unwrap(), ExitStatus::Exited(0));
    assert_eq!(plain_out.contents(), b"done\n");
    assert_eq!(metered_out.contents(), plain_out.contents());
    // The same program with too little fuel stops before its output.
    let (short, short_out) = run(COUNT, Capabilities::default().with_fuel(1000));
    assert_eq!(
        short.unwrap(),
        ExitStatus::Stopped(StopReason::FuelExhausted { fuel: 1000 })
    );
    assert!(short_out.is_empty());
}

/// A spinning guest and one asleep in `poll_oneoff` for an hour are both
/// stopped by the timeout, their output kept.
#[test]
fn a_loop_and_a_sleeper_are_stopped_by_the_timeout_with_their_output_kept() {
    let after = Duration::from_millis(200);
    for wat in [SPIN, SLEEP_AN_HOUR] {
        let started = Instant::now();
        let (status, out) = run(wat, Capabilities::default().with_timeout(after));
        assert_eq!(
            status.unwrap(),
            ExitStatus::Stopped(StopReason::TimedOut { after })
        );
        assert!(started.elapsed() >= after);
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(out.contents(), b"before\n");
    }
}

#[test]
fn a_timeout_not_reached_changes_nothing() {
    let caps = Capabilities::default().with_timeout(Duration::from_secs(600));
    let (status, out) = run(COUNT, caps);
    assert_eq!(status.unwrap(), ExitStatus::Exited(0));
    assert_eq!(out.contents(), b"done\n");
}

#[test]
fn interrupt_sent_before_the_run_starts_is_not_lost() {
    let launcher = Launcher::new();
    let (env, module, out) = captured(&launcher, SPIN, Capabilities::default());
    env.interrupt_handle().interrupt();
    assert_eq!(
        env.run(&module).unwrap(),
        ExitStatus::Stopped(StopReason::Interrupted)
    );
    assert!(out.is_empty(), "the guest must not have run");
    // The permit was given back.
    assert_eq!(launcher.control_plane().running(), 0);
}

#[test]
fn interrupt_from_another_thread_stops_a_loop_and_a_sleeper() {
    for wat in [SPIN, SLEEP_AN_HOUR] {
        let launcher = Launcher::new();
        let (env, module, out) = captured(&launcher, wat, Capabilities::default());
        let handle = env.interrupt_handle();
        let watcher = out.clone();
        let stopper = std::thread::spawn(move || {
            // Once the guest has written, it is in its loop or sleep.
            while watcher.is_empty() {
                std::thread::sleep(Duration::from_millis(1));
            }
            handle.interrupt();
        });
        let started = Instant::now();
        assert_eq!(
            env.run(&module).unwrap(),
            ExitStatus::Stopped(StopReason::Interrupted)
        );
        assert!(started.elapsed() < Duration::from_secs(30));
        stopper.join().unwrap();
        assert_eq!(out.contents(), b"before\n");
    }
}

#[test]
fn memory_grow_past_the_cap_returns_minus_one_and_the_guest_goes_on() {
    let (capped, _) = run(GROW, Capabilities::default().with_max_memory_bytes(2 << 20));
    assert_eq!(capped.unwrap(), ExitStatus::Exited(0));
    // Without the cap the same grow succeeds (the guest reports 10).
    let (free, _) = run(GROW, Capabilities::default());
    assert_eq!(free.unwrap(), ExitStatus::Exited(10));
}

#[test]
fn module_whose_minimum_memory_exceeds_the_cap_is_refused() {
    let wat = r#"(module (memory (export "memory") 40) (func (export "_start")))"#;
    let (status, _) = run(wat, Capabilities::default().with_max_memory_bytes(2 << 20));
    match status {
        Err(LaunchError::MemoryLimit { limit, requested }) => {
            assert_eq!(limit, 2 << 20);
            assert_eq!(requested, 40 << 16);
        }
        other => panic!("expected MemoryLimit, got {other:?}"),
    }
    let (fits, _) = run(wat, Capabilities::default().with_max_memory_bytes(40 << 16));
    assert_eq!(fits.unwrap(), ExitStatus::Exited(0));
}

#[test]
fn memories_the_host_creates_obey_the_cap() {
    let launcher = Launcher::new();
    let env = launcher
        .environment(config_with(
            Capabilities::default().with_max_memory_bytes(4 << 16),
        ))
        .unwrap();
    let mut store = env.store();
    assert!(Memory::new(&mut store, MemoryType::new(5, None, false)).is_err());
    let memory = Memory::new(&mut store, MemoryType::new(1, None, false)).unwrap();
    assert!(memory.grow(&mut store, 4).is_err());
    assert_eq!(memory.grow(&mut store, 3).unwrap().0, 1);
}

#[test]
fn unbounded_recursion_is_stack_exhaustion_with_its_output_kept() {
    for caps in [
        Capabilities::default(),
        Capabilities::default().with_max_wasm_stack(64 << 10),
    ] {
        let (status, out) = run(RECURSE, caps);
        assert_eq!(
            status.unwrap(),
            ExitStatus::Stopped(StopReason::StackExhausted),
            "{caps:?}"
        );
        assert_eq!(out.contents(), b"before\n");
    }
}

#[test]
fn a_larger_stack_lets_deeper_recursion_finish() {
    // Recurses 20,000 deep, then returns.
    let wat = r#"(module (memory (export "memory") 1)
      (func $f (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (call $f (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
      (func (export "_start") (drop (call $f (i32.const 20000)))))"#;
    // (wasmer may reuse a larger pooled stack for a smaller request, so
    // only the guarantee is checked: the stack is at least what was set.)
    let (large, _) = run(wat, Capabilities::default().with_max_wasm_stack(16 << 20));
    assert_eq!(large.unwrap(), ExitStatus::Exited(0));
}

#[test]
fn fuel_with_an_unmetered_module_is_refused() {
    let launcher = Launcher::new();
    let module = launcher.load_module(SPIN.as_bytes()).unwrap();
    let env = launcher
        .environment(config_with(Capabilities::default().with_fuel(10)))
        .unwrap();
    assert!(matches!(env.run(&module), Err(LaunchError::NotMetered)));
}

#[test]
fn cached_unmetered_module_is_never_used_for_a_metered_run() {
    let dir = tempfile::tempdir().unwrap();
    let build = || Launcher::builder().cache_dir(dir.path()).build();
    // An unmetered compile lands in the disk cache.
    let plain = build();
    plain.load_module(SPIN.as_bytes()).unwrap();
    assert_eq!(plain.module_cache().stats().compiles, 1);
    // A metered run from the same directory compiles its own artifact and
    // is really metered.
    let metered = build();
    let (status, _) = run_on(&metered, SPIN, Capabilities::default().with_fuel(5000));
    assert_eq!(
        status.unwrap(),
        ExitStatus::Stopped(StopReason::FuelExhausted { fuel: 5000 })
    );
    let stats = metered.metered().unwrap().module_cache().stats();
    assert_eq!((stats.compiles, stats.disk_hits), (1, 0));
    // A later metered launcher finds the metered artifact on disk ...
    let again = build();
    let (status, _) = run_on(&again, SPIN, Capabilities::default().with_fuel(5000));
    assert!(matches!(status.unwrap(), ExitStatus::Stopped(_)));
    let stats = again.metered().unwrap().module_cache().stats();
    assert_eq!((stats.compiles, stats.disk_hits), (0, 1));
    // ... and an unmetered one still finds only the unmetered artifact.
    let unmetered = build();
    unmetered.load_module(SPIN.as_bytes()).unwrap();
    let stats = unmetered.module_cache().stats();
    assert_eq!((stats.compiles, stats.disk_hits), (0, 1));
    let keys = [
        unmetered
            .module_cache()
            .key(&wasmer::wat2wasm(SPIN.as_bytes()).unwrap()),
        again
            .metered()
            .unwrap()
            .module_cache()
            .key(&wasmer::wat2wasm(SPIN.as_bytes()).unwrap()),
    ];
    assert_ne!(keys[0], keys[1]);
    assert!(keys[1].as_str().contains(wasi_launch::METERING));
}

#[test]
fn captured_output_past_its_configured_cap_is_a_short_write_then_enospc() {
    // Writes "0123456789" twice and exits with the second fd_write's errno.
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "0123456789")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 16))
        (i32.store (i32.const 4) (i32.const 10))
        (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (call $exit (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
    let (status, out) = run(wat, Capabilities::default().with_max_capture_bytes(4));
    // ENOSPC is 51 in preview1.
    assert_eq!(status.unwrap(), ExitStatus::Exited(51));
    assert_eq!(out.contents(), b"0123");
    assert!(out.limit_reached());
}

#[test]
fn the_interrupt_handle_is_shared_and_send() {
    fn send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    send_sync_clone::<wasi_launch::InterruptHandle>();
    let launcher = Arc::new(Launcher::new());
    let (env, module, out) = captured(&launcher, COUNT, Capabilities::default());
    let handle = env.interrupt_handle();
    assert!(!handle.is_stopped());
    // Interrupting after the run ended does nothing.
    assert_eq!(env.run(&module).unwrap(), ExitStatus::Exited(0));
    assert_eq!(out.contents(), b"done\n");
    handle.interrupt();
    assert_eq!(handle.reason(), Some(StopReason::Interrupted));
}

/// The timeout also covers the module's start function, which runs during
/// instantiation: a start function that spins is stopped too.
#[test]
fn a_start_function_that_spins_is_stopped_by_the_timeout() {
    let wat = r#"(module (memory (export "memory") 1)
      (func $spin (loop br 0))
      (start $spin)
      (func (export "_start")))"#;
    let after = Duration::from_millis(100);
    let (status, _) = run(wat, Capabilities::default().with_timeout(after));
    assert_eq!(
        status.unwrap(),
        ExitStatus::Stopped(StopReason::TimedOut { after })
    );
}
