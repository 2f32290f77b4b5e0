//! Issue 22 through the library: limits a red-team pass found holes in,
//! each pinned by the guest that showed it (the thread and fuel ones are
//! in `threads.rs`, the command-line ones in `cli_hardening.rs`).

use wasi_config::{Capabilities, ConfigBuilder};
use wasi_launch::{ExitStatus, LaunchError, Launcher};

/// Runs `wat` with `caps` on a fresh launcher.
fn run(wat: &str, caps: Capabilities) -> Result<ExitStatus, LaunchError> {
    let launcher = Launcher::new();
    let mut b = ConfigBuilder::new("hardening");
    b.capabilities(caps);
    let env = launcher.environment(b.validate().unwrap()).unwrap();
    let module = env.load_module(wat.as_bytes()).expect("the guest compiles");
    let status = env.run(&module);
    assert_eq!(launcher.control_plane().running(), 0, "a permit leaked");
    status
}

const PAGE: u64 = 65_536;

/// Item 5: the environment total bounds all memories together. Two
/// memories of one page under a total of four pages: the first grows by
/// two, then neither can grow (each memory alone is far below its own
/// maximum).
#[test]
fn the_memory_total_bounds_every_memory_together() {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory $a (export "memory") 1 1000)
      (memory $b 1 1000)
      (func (export "_start")
        (if (i32.ne (memory.grow $a (i32.const 2)) (i32.const 1)) (then (call $exit (i32.const 10))))
        (if (i32.ne (memory.grow $b (i32.const 1)) (i32.const -1)) (then (call $exit (i32.const 11))))
        (if (i32.ne (memory.grow $a (i32.const 1)) (i32.const -1)) (then (call $exit (i32.const 12))))
        (call $exit (i32.const 0))))"#;
    let caps = Capabilities::default().with_max_total_memory_bytes(4 * PAGE);
    assert_eq!(run(wat, caps).unwrap(), ExitStatus::Exited(0));
    // Without the total, both grow.
    let wide = Capabilities::default().with_max_total_memory_bytes(1000 * PAGE);
    assert_eq!(run(wat, wide).unwrap(), ExitStatus::Exited(11));
}

/// Item 5: a module whose memories' minimums and tables do not fit the
/// total is refused before it runs, naming the total.
#[test]
fn a_module_over_the_memory_total_does_not_instantiate() {
    let wat = r#"(module
      (memory (export "memory") 3)
      (table 1000 1000 funcref)
      (func (export "_start")))"#;
    let caps = Capabilities::default().with_max_total_memory_bytes(3 * PAGE);
    match run(wat, caps) {
        Err(e @ LaunchError::TotalMemoryLimit { limit, requested }) => {
            assert_eq!(limit, 3 * PAGE);
            assert_eq!(requested, 3 * PAGE + 8000);
            assert!(e.to_string().contains("max-total-memory"), "{e}");
        }
        other => panic!("expected TotalMemoryLimit, got {other:?}"),
    }
    let fits = Capabilities::default().with_max_total_memory_bytes(3 * PAGE + 8000);
    assert_eq!(run(wat, fits).unwrap(), ExitStatus::Exited(0));
}

/// Item 5: every thread's instance has tables of its own, and they count
/// against the total: with a table that may grow to the launcher's bound
/// (80 MB), a total with room for the main instance's tables only makes
/// the first spawn fail with EAGAIN, instead of letting each thread
/// allocate its own.
#[test]
fn each_threads_tables_count_against_the_memory_total() {
    let wat = r#"(module
      (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (import "env" "memory") 1 1 shared)
      (export "memory" (memory 0))
      (table 1 funcref)
      (func (export "wasi_thread_start") (param i32 i32))
      (func (export "_start") (call $exit (i32.sub (i32.const 0) (call $spawn (i32.const 0))))))"#;
    let tables = u64::from(wasi_launch::MAX_TABLE_ELEMENTS) * 8;
    let caps = Capabilities::default().with_max_total_memory_bytes(PAGE + tables + tables / 2);
    // EAGAIN (6), negated by the guest.
    assert_eq!(run(wat, caps).unwrap(), ExitStatus::Exited(6));
    // With room for a second instance's tables, the spawn succeeds (its
    // tid, negated, is the exit code: -1 as a u32).
    let room = Capabilities::default().with_max_total_memory_bytes(PAGE + 2 * tables);
    assert_eq!(run(wat, room).unwrap(), ExitStatus::Exited(u32::MAX));
}

/// Item 8: a per-memory limit above what a 32-bit memory can have is no
/// limit, not an error for every module.
#[test]
fn a_memory_limit_above_4_gib_is_clamped() {
    let wat = r#"(module
      (memory (export "memory") 1)
      (func (export "_start") (drop (memory.grow (i32.const 1)))))"#;
    for limit in [4 << 30, 8 << 30, u64::MAX] {
        let caps = Capabilities::default().with_max_memory_bytes(limit);
        assert_eq!(run(wat, caps).unwrap(), ExitStatus::Exited(0), "{limit}");
    }
}
