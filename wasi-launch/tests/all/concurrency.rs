//! Concurrent launches (issue 6): one launcher shared by many threads.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use wasi_config::ConfigBuilder;
use wasi_launch::{
    Compiler, ExitStatus, LaunchError, Launcher, MemoryPoolConfig, Package, PackageCache,
    WhenExhausted,
};

/// Exits with its `argv_buf_size`, so each launch's code follows from its
/// arguments.
const EXIT_WITH_ARGV_SIZE: &str = r#"(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (call $exit (i32.load (i32.const 4)))))"#;

const THREADS: usize = 8;
const LAUNCHES_PER_THREAD: usize = 500;
const MAX_TASKS: usize = 4;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn the_launcher_and_package_cache_are_send_and_sync() {
    assert_send_sync::<Launcher>();
    assert_send_sync::<PackageCache>();
    assert_send_sync::<Package>();
    assert_send_sync::<Arc<Package>>();
}

#[test]
fn eight_threads_share_one_launcher_under_a_task_limit_of_four() {
    let launcher = Launcher::builder()
        .compiler(Compiler::Singlepass)
        .max_tasks(NonZeroUsize::new(MAX_TASKS).expect("nonzero"))
        .build();
    eight_threads_share(&launcher);
}

/// Issue 15: the same stress with memories from a pool of as many slots as
/// tasks (a launch whose permit came before the previous guest's slot was
/// returned waits for it): every exit code right, no slot leaked, no slot
/// reserved beyond the task limit.
#[test]
fn eight_threads_share_one_pooled_launcher_and_leak_no_slot() {
    let launcher = Launcher::builder()
        .compiler(Compiler::Singlepass)
        .max_tasks(NonZeroUsize::new(MAX_TASKS).expect("nonzero"))
        .memory_pool(
            MemoryPoolConfig::new()
                .with_slots(MAX_TASKS)
                .with_when_exhausted(WhenExhausted::Wait(Duration::from_secs(30))),
        )
        .build();
    eight_threads_share(&launcher);
    let pool = launcher.memory_pool().expect("pooled");
    assert_eq!(pool.in_use(), 0, "a slot leaked");
    assert!(pool.reserved() <= MAX_TASKS, "{} slots", pool.reserved());
    assert!(pool.reserved() >= 1);
    assert_eq!(pool.retired(), 0);
}

/// 8 threads x 500 launches of one launcher, each with its own exit code.
fn eight_threads_share(launcher: &Launcher) {
    let refusals = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let launcher = launcher.clone();
            let refusals = &refusals;
            s.spawn(move || {
                let module = launcher
                    .load_module(EXIT_WITH_ARGV_SIZE.as_bytes())
                    .expect("compile");
                for i in 0..LAUNCHES_PER_THREAD {
                    let n = (t * 31 + i) % 64;
                    // "g\0" + n bytes + NUL.
                    let expected = 2 + n as u32 + 1;
                    let mut b = ConfigBuilder::new("g");
                    b.args(["x".repeat(n)]);
                    let config = b.validate().expect("config");
                    let status = loop {
                        let env = launcher.environment(config.clone()).expect("environment");
                        match env.run(&module) {
                            Err(LaunchError::TaskLimit { max }) => {
                                assert_eq!(max.get(), MAX_TASKS);
                                refusals.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                std::thread::yield_now();
                            }
                            other => break other.expect("run"),
                        }
                    };
                    assert_eq!(
                        status,
                        ExitStatus::Exited(expected),
                        "thread {t} launch {i}"
                    );
                }
            });
        }
    });
    let control = launcher.control_plane();
    assert!(control.peak() <= MAX_TASKS, "peak {}", control.peak());
    assert!(control.peak() >= 1);
    assert_eq!(control.running(), 0, "a permit leaked");
    assert_eq!(launcher.module_cache().stats().compiles, 1);
    eprintln!(
        "peak {} of {MAX_TASKS}; {} refused launches retried",
        control.peak(),
        refusals.load(std::sync::atomic::Ordering::Relaxed)
    );
}
