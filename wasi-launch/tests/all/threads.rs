//! Issue 14: wasi-threads through the library, with guests of our own
//! (WAT with a shared memory and atomics). After every run no permit is
//! left: `run` joins every thread, and each thread gives its permit back.

use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use wasi_config::{Capabilities, ConfigBuilder};
use wasi_fs_setup::{CaptureBuffer, StdioSlot};
use wasi_launch::{ExitStatus, LaunchError, Launcher, StopReason};

/// The imports every guest here starts with.
const IMPORTS: &str = r#"
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (import "env" "memory") 1 1 shared)
  (export "memory" (memory 0))"#;

fn module(body: &str) -> String {
    format!("(module {IMPORTS}\n{body})")
}

/// Runs `wat` with `caps` (stdout captured) on a fresh launcher; returns
/// how it ended, its stdout, and the launcher (to count permits).
fn run(
    wat: &str,
    caps: Capabilities,
) -> (Result<ExitStatus, LaunchError>, CaptureBuffer, Launcher) {
    run_on(Launcher::new(), wat, caps)
}

/// [`run`] on `launcher`.
fn run_on(
    launcher: Launcher,
    wat: &str,
    caps: Capabilities,
) -> (Result<ExitStatus, LaunchError>, CaptureBuffer, Launcher) {
    let mut b = ConfigBuilder::new("threads");
    b.capabilities(caps);
    let (stdout, out) = StdioSlot::capture();
    let env = launcher
        .environment_with(b.validate().unwrap(), |w| {
            w.stdout(stdout);
        })
        .unwrap();
    let module = env.load_module(wat.as_bytes()).expect("the guest compiles");
    let status = env.run(&module);
    assert_eq!(launcher.control_plane().running(), 0, "a permit leaked");
    (status, out, launcher)
}

/// A guest whose eight threads each write 100 lines of `0123456789\n` to
/// the fd `fd` (a WAT expression) and count themselves done; `_start` runs
/// `prelude`, spawns them, waits for all eight and exits with the count.
fn eight_writers(fd: &str, prelude: &str) -> String {
    module(&format!(
        r#"
  (data (i32.const 512) "0123456789\n")
  (data (i32.const 600) "out.txt")
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32) (local $i i32) (local $io i32)
    (local.set $io (i32.add (i32.const 1024) (i32.mul (local.get $arg) (i32.const 16))))
    (i32.store (local.get $io) (i32.const 512))
    (i32.store (i32.add (local.get $io) (i32.const 4)) (i32.const 11))
    (loop $l
      (drop (call $write {fd} (local.get $io) (i32.const 1) (i32.add (local.get $io) (i32.const 8))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100))))
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
  (func (export "_start") (local $n i32) (local $c i32) (local $err i32)
    {prelude}
    (loop $s
      (if (i32.le_s (call $spawn (local.get $n)) (i32.const 0)) (then (call $exit (i32.const 100))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $s (i32.lt_u (local.get $n) (i32.const 8))))
    (loop $w
      (local.set $c (i32.atomic.load (i32.const 0)))
      (if (i32.lt_u (local.get $c) (i32.const 8))
        (then (drop (memory.atomic.wait32 (i32.const 0) (local.get $c) (i64.const -1))) (br $w))))
    (call $exit (i32.atomic.load (i32.const 0))))"#
    ))
}

/// What [`eight_writers`] must have written: every line, whole.
fn assert_eight_hundred_lines(written: &[u8]) {
    assert_eq!(written.len(), 8 * 100 * 11);
    assert!(written.chunks(11).all(|line| line == b"0123456789\n"));
}

#[test]
fn eight_threads_write_to_one_capture_and_nothing_is_lost() {
    let wat = eight_writers("(i32.const 1)", "");
    let (status, out, launcher) = run(&wat, Capabilities::default());
    assert_eq!(status.unwrap(), ExitStatus::Exited(8));
    assert_eight_hundred_lines(&out.contents());
    // The main task and its eight threads each held a permit.
    assert!(launcher.control_plane().peak() >= 2);
}

/// With a task maximum of 2 (main and one thread), a second spawn fails
/// with EAGAIN; once the first thread has ended, a spawn succeeds again.
#[test]
fn a_spawn_past_the_task_cap_is_eagain_and_a_later_one_succeeds() {
    let wat = module(
        r#"
  (func (export "wasi_thread_start") (param i32 i32)
    (if (i32.eqz (local.get 1))
      (then (loop $w
        (if (i32.eqz (i32.atomic.load (i32.const 0)))
          (then (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))) (br $w)))))))
  (func (export "_start") (local $r i32) (local $tries i32)
    (if (i32.le_s (call $spawn (i32.const 0)) (i32.const 0)) (then (call $exit (i32.const 1))))
    (local.set $r (call $spawn (i32.const 1)))
    (if (i32.ne (local.get $r) (i32.const -6)) (then (call $exit (i32.const 2))))
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
    (loop $retry
      (local.set $r (call $spawn (i32.const 1)))
      (if (i32.gt_s (local.get $r) (i32.const 0)) (then (call $exit (i32.const 0))))
      (drop (memory.atomic.wait32 (i32.const 100) (i32.const 0) (i64.const 1000000)))
      (local.set $tries (i32.add (local.get $tries) (i32.const 1)))
      (br_if $retry (i32.lt_u (local.get $tries) (i32.const 5000))))
    (call $exit (i32.const 3)))"#,
    );
    let caps = Capabilities::default().with_max_tasks(NonZeroUsize::new(2).unwrap());
    let (status, _, launcher) = run(&wat, caps);
    assert_eq!(status.unwrap(), ExitStatus::Exited(0));
    assert_eq!(launcher.control_plane().peak(), 2);
}

/// A thread that traps ends the environment as a trap, while `_start`
/// waits for ever.
#[test]
fn a_thread_trapping_while_main_waits_ends_the_run_as_a_trap() {
    let wat = module(
        r#"
  (func (export "wasi_thread_start") (param i32 i32) unreachable)
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))"#,
    );
    let started = Instant::now();
    let (status, _, _) = run(&wat, Capabilities::default());
    assert!(
        matches!(status, Err(LaunchError::Trap { .. })),
        "{status:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// `proc_exit` in a thread ends the environment with its code while
/// `_start` sleeps an hour in `poll_oneoff`.
#[test]
fn proc_exit_in_a_thread_ends_main_asleep_in_poll_oneoff() {
    let wat = module(
        r#"
  (func (export "wasi_thread_start") (param i32 i32)
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 100000000)))
    (call $exit (i32.const 42)))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (i64.store (i32.const 100) (i64.const 1))
    (i32.store8 (i32.const 108) (i32.const 0))
    (i32.store (i32.const 116) (i32.const 1))
    (i64.store (i32.const 124) (i64.const 3600000000000))
    (drop (call $poll (i32.const 100) (i32.const 200) (i32.const 1) (i32.const 300))))"#,
    );
    let started = Instant::now();
    let (status, _, _) = run(&wat, Capabilities::default());
    assert_eq!(status.unwrap(), ExitStatus::Exited(42));
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// `_start` returning ends the environment with 0 without waiting for a
/// thread that loops for ever; the thread is stopped and joined.
#[test]
fn start_returning_stops_a_busy_thread() {
    let wat = module(
        r#"
  (func (export "wasi_thread_start") (param i32 i32) (loop br 0))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 50000000))))"#,
    );
    let (status, _, _) = run(&wat, Capabilities::default());
    assert_eq!(status.unwrap(), ExitStatus::Exited(0));
}

/// The timeout stops every thread: one busy, main waiting for ever.
#[test]
fn the_timeout_stops_every_thread() {
    let wat = module(
        r#"
  (func (export "wasi_thread_start") (param i32 i32) (loop br 0))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))"#,
    );
    let after = Duration::from_millis(200);
    let (status, _, _) = run(&wat, Capabilities::default().with_timeout(after));
    assert_eq!(
        status.unwrap(),
        ExitStatus::Stopped(StopReason::TimedOut { after })
    );
}

#[test]
fn a_module_without_wasi_thread_start_gets_a_failed_spawn() {
    let wat = module(
        r#"
  (func (export "_start") (call $exit (i32.sub (i32.const 0) (call $spawn (i32.const 0)))))"#,
    );
    let (status, _, _) = run(&wat, Capabilities::default());
    // ENOSYS (52), negated by the guest.
    assert_eq!(status.unwrap(), ExitStatus::Exited(52));
}

#[test]
fn thread_spawn_with_a_memory_that_is_not_shared_is_refused() {
    let wat = r#"(module
      (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
      (memory (import "env" "memory") 1 1)
      (export "memory" (memory 0))
      (func (export "wasi_thread_start") (param i32 i32))
      (func (export "_start")))"#;
    let launcher = Launcher::new();
    let env = launcher
        .environment(ConfigBuilder::new("x").validate().unwrap())
        .unwrap();
    let module = env.load_module(wat.as_bytes()).unwrap();
    match env.run(&module) {
        Err(LaunchError::Threads { reason }) => assert!(reason.contains("not shared"), "{reason}"),
        other => panic!("expected a threads error, got {other:?}"),
    }
    assert_eq!(launcher.control_plane().running(), 0);
}

/// The memory cap bounds the shared memory: a module whose shared memory
/// needs more is refused.
#[test]
fn the_memory_cap_bounds_the_shared_memory() {
    let wat = r#"(module
      (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
      (memory (import "env" "memory") 4 4 shared)
      (export "memory" (memory 0))
      (func (export "wasi_thread_start") (param i32 i32))
      (func (export "_start")))"#;
    let (status, _, _) = run(wat, Capabilities::default().with_max_memory_bytes(2 << 16));
    assert!(
        matches!(status, Err(LaunchError::MemoryLimit { .. })),
        "{status:?}"
    );
}

/// Eight threads append 100 lines each to one host file through one fd
/// (opened by `_start` with O_APPEND in a host preopen at fd 3): the file
/// holds every line, whole.
#[test]
fn eight_threads_append_to_one_file_and_nothing_is_lost() {
    // path_open(3, 0, "out.txt", O_CREAT, FD_WRITE, 0, FDFLAGS_APPEND, &fd at 8)
    let open = r#"(local.set $err (call $open (i32.const 3) (i32.const 0) (i32.const 600) (i32.const 7)
      (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 1) (i32.const 8)))
    (if (local.get $err) (then (call $exit (i32.add (i32.const 200) (local.get $err)))))"#;
    let wat = eight_writers("(i32.load (i32.const 8))", open);
    let dir = tempfile::tempdir().unwrap();
    let launcher = Launcher::new();
    let mut b = ConfigBuilder::new("threads");
    b.preopen(
        wasi_config::PreopenSpec::host(dir.path())
            .guest_path("/out")
            .permissions(wasi_config::Permissions::ALL),
    );
    let env = launcher.environment(b.validate().unwrap()).unwrap();
    let module = env.load_module(wat.as_bytes()).unwrap();
    assert_eq!(env.run(&module).unwrap(), ExitStatus::Exited(8));
    assert_eq!(launcher.control_plane().running(), 0);
    assert_eight_hundred_lines(&std::fs::read(dir.path().join("out.txt")).unwrap());
}

/// Fuel applies to every thread: a thread spinning for ever runs out of
/// the configured fuel and ends the environment as out of fuel, while a
/// metered module run without fuel lets its threads run to their end.
#[test]
fn fuel_stops_a_spinning_thread_and_metered_threads_without_fuel_run() {
    let spin = module(
        r#"
  (func (export "wasi_thread_start") (param i32 i32) (loop br 0))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))"#,
    );
    let (status, _, _) = run(&spin, Capabilities::default().with_fuel(1_000_000));
    assert_eq!(
        status.unwrap(),
        ExitStatus::Stopped(StopReason::FuelExhausted { fuel: 1_000_000 })
    );
    // A metered launcher, no fuel: the thread counts and notifies.
    let counts = module(
        r#"
  (func (export "wasi_thread_start") (param i32 i32)
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (loop $w
      (if (i32.eqz (i32.atomic.load (i32.const 0)))
        (then (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))) (br $w))))
    (call $exit (i32.atomic.load (i32.const 0))))"#,
    );
    let launcher = Launcher::new().metered().unwrap();
    let env = launcher
        .environment(ConfigBuilder::new("t").validate().unwrap())
        .unwrap();
    let metered = env.load_module(counts.as_bytes()).unwrap();
    assert_eq!(env.run(&metered).unwrap(), ExitStatus::Exited(1));
}

/// A guest whose `_start` runs `threads` threads one after another (each
/// waits for the last to finish), each spinning `rounds` rounds of about
/// six operators, then exits 0.
fn sequential_spinners(threads: u32, rounds: u32) -> String {
    module(&format!(
        r#"
  (func (export "wasi_thread_start") (param $tid i32) (param $n i32)
    (loop $spin
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $spin (i32.gt_s (local.get $n) (i32.const 0))))
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))
  (func (export "_start") (local $k i32) (local $c i32)
    (loop $next
      (if (i32.le_s (call $spawn (i32.const {rounds})) (i32.const 0)) (then (call $exit (i32.const 1))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (loop $w
        (local.set $c (i32.atomic.load (i32.const 0)))
        (if (i32.lt_u (local.get $c) (local.get $k))
          (then (drop (memory.atomic.wait32 (i32.const 0) (local.get $c) (i64.const -1))) (br $w))))
      (br_if $next (i32.lt_u (local.get $k) (i32.const {threads}))))
    (call $exit (i32.const 0)))"#
    ))
}

/// Issue 22, item 2: threads draw on the environment's one fuel budget.
/// Twenty threads of about 120,000 operators each, one after another,
/// need about 2.4 million: under a budget of one million the environment
/// runs out of fuel (each thread used to get a fresh million and the run
/// ended normally), while five of them (about 600,000) finish, as the
/// leftovers of returned threads go back to the budget.
#[test]
fn threads_draw_on_one_fuel_budget() {
    let fuel = 1_000_000;
    let caps = Capabilities::default().with_fuel(fuel);
    for compiler in wasi_launch::Compiler::ALL {
        let launcher = || Launcher::builder().compiler(compiler).build();
        let (status, _, _) = run_on(launcher(), &sequential_spinners(20, 20_000), caps);
        assert_eq!(
            status.unwrap(),
            ExitStatus::Stopped(StopReason::FuelExhausted { fuel }),
            "{compiler}"
        );
        let (status, _, _) = run_on(launcher(), &sequential_spinners(5, 20_000), caps);
        assert_eq!(status.unwrap(), ExitStatus::Exited(0), "{compiler}");
    }
}

/// Issue 22, item 2: threads spinning at the same time share the budget
/// too: four threads that would each spin for ever stop the environment
/// as out of fuel, and the budget is never overdrawn (what is left is
/// zero or more, never a wrap-around).
#[test]
fn concurrent_threads_share_one_fuel_budget() {
    let wat = module(
        r#"
  (func (export "wasi_thread_start") (param i32 i32) (loop br 0))
  (func (export "_start") (local $k i32)
    (loop $next
      (if (i32.le_s (call $spawn (i32.const 0)) (i32.const 0)) (then (call $exit (i32.const 1))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $k) (i32.const 4))))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))"#,
    );
    let fuel = 2_000_000;
    let (status, _, _) = run(&wat, Capabilities::default().with_fuel(fuel));
    assert_eq!(
        status.unwrap(),
        ExitStatus::Stopped(StopReason::FuelExhausted { fuel })
    );
}
