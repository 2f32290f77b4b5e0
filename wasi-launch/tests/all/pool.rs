//! Issue 15: pooled linear memories through the launcher. Every way a
//! guest ends gives its slot back; a full pool is a typed error or a wait;
//! the pool's per-memory maximum and the configuration's memory limit both
//! bound pooled memories.

use std::time::Duration;

use crate::limits::{GROW, RECURSE, SLEEP_AN_HOUR, SPIN, captured, run_on};
use wasi_config::{Capabilities, ConfigBuilder};
use wasi_launch::{ExitStatus, LaunchError, Launcher, MemoryPoolConfig, StopReason, WhenExhausted};

fn pooled(config: MemoryPoolConfig) -> Launcher {
    Launcher::builder().memory_pool(config).build()
}

fn one_slot() -> Launcher {
    pooled(MemoryPoolConfig::new().with_slots(1))
}

fn in_use(launcher: &Launcher) -> usize {
    launcher.memory_pool().expect("pooled").in_use()
}

#[test]
fn a_trap_a_limit_an_interrupt_and_an_exit_each_release_the_slot() {
    let launcher = one_slot();
    let trap = r#"(module (memory (export "memory") 1) (func (export "_start") unreachable))"#;
    let (status, _) = run_on(&launcher, trap, Capabilities::default());
    assert!(
        matches!(status, Err(LaunchError::Trap { .. })),
        "{status:?}"
    );
    assert_eq!(in_use(&launcher), 0, "after a trap");

    let (status, _) = run_on(&launcher, SPIN, Capabilities::default().with_fuel(100_000));
    assert!(matches!(
        status,
        Ok(ExitStatus::Stopped(StopReason::FuelExhausted { .. }))
    ));
    assert_eq!(in_use(&launcher), 0, "after running out of fuel");

    let timeout = Capabilities::default().with_timeout(Duration::from_millis(50));
    let (status, _) = run_on(&launcher, SLEEP_AN_HOUR, timeout);
    assert!(matches!(
        status,
        Ok(ExitStatus::Stopped(StopReason::TimedOut { .. }))
    ));
    assert_eq!(in_use(&launcher), 0, "after a timeout");

    let (status, _) = run_on(&launcher, RECURSE, Capabilities::default());
    assert_eq!(
        status.unwrap(),
        ExitStatus::Stopped(StopReason::StackExhausted)
    );
    assert_eq!(in_use(&launcher), 0, "after stack exhaustion");

    let (env, module, out) = captured(&launcher, SPIN, Capabilities::default());
    let handle = env.interrupt_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        handle.interrupt();
    });
    assert_eq!(
        env.run(&module).unwrap(),
        ExitStatus::Stopped(StopReason::Interrupted)
    );
    stopper.join().unwrap();
    assert_eq!(out.contents(), b"before\n");
    assert_eq!(in_use(&launcher), 0, "after an interrupt");

    let (status, _) = run_on(&launcher, GROW, Capabilities::default());
    assert_eq!(status.unwrap(), ExitStatus::Exited(10));
    assert_eq!(in_use(&launcher), 0, "after proc_exit");
    let pool = launcher.memory_pool().unwrap();
    assert_eq!(
        (pool.reserved(), pool.retired()),
        (1, 0),
        "one slot, reused"
    );
}

#[test]
fn a_full_pool_refuses_a_launch_with_a_typed_error_and_leaks_nothing() {
    let launcher = one_slot();
    let config = ConfigBuilder::new("held").validate().unwrap();
    let env = launcher.environment(config.clone()).unwrap();
    let module = env.load_module(SPIN.as_bytes()).unwrap();
    let mut store = env.store();
    let held = env.instantiate(&module, &mut store).unwrap();
    assert_eq!(in_use(&launcher), 1);

    let refused = launcher.environment(config.clone()).unwrap().run(&module);
    assert!(
        matches!(refused, Err(LaunchError::MemoryPoolExhausted { slots: 1 })),
        "{refused:?}"
    );
    assert_eq!(
        launcher.control_plane().running(),
        1,
        "its permit was released"
    );

    held.finish(&mut store).unwrap();
    drop(store);
    assert_eq!(in_use(&launcher), 0);
    let empty = r#"(module (memory (export "memory") 1) (func (export "_start")))"#;
    let module = launcher.load_module(empty.as_bytes()).unwrap();
    let ran = launcher.environment(config).unwrap().run(&module);
    assert_eq!(ran.unwrap(), ExitStatus::Exited(0));
}

#[test]
fn a_launch_configured_to_wait_runs_when_another_guest_returns_its_slot() {
    let launcher = pooled(
        MemoryPoolConfig::new()
            .with_slots(1)
            .with_when_exhausted(WhenExhausted::Wait(Duration::from_secs(30))),
    );
    let spin_briefly = Capabilities::default().with_timeout(Duration::from_millis(100));
    let other = launcher.clone();
    let first = std::thread::spawn(move || run_on(&other, SPIN, spin_briefly).0);
    while in_use(&launcher) == 0 && !first.is_finished() {
        std::thread::yield_now();
    }
    let (second, _) = run_on(&launcher, GROW, Capabilities::default());
    assert_eq!(second.unwrap(), ExitStatus::Exited(10));
    assert!(matches!(
        first.join().unwrap(),
        Ok(ExitStatus::Stopped(StopReason::TimedOut { .. }))
    ));
    assert_eq!(in_use(&launcher), 0);
}

#[test]
fn a_memory_over_the_pools_per_memory_maximum_is_refused_by_name() {
    let launcher = pooled(MemoryPoolConfig::new().with_max_memory_bytes(2 << 16));
    let wat = r#"(module (memory (export "memory") 3) (func (export "_start")))"#;
    let (status, _) = run_on(&launcher, wat, Capabilities::default());
    match status {
        Err(LaunchError::MemoryPoolLimit { limit, requested }) => {
            assert_eq!((limit, requested), (2 << 16, 3 << 16));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(in_use(&launcher), 0);
    assert_eq!(launcher.control_plane().running(), 0);
}

#[test]
fn the_memory_limit_and_the_slot_maximum_both_bound_a_pooled_memory() {
    // GROW asks for 100 more pages, then 1: both limits below 101 pages
    // refuse the first and allow the second.
    let launcher = pooled(MemoryPoolConfig::new().with_max_memory_bytes(4 << 16));
    let (status, _) = run_on(&launcher, GROW, Capabilities::default());
    assert_eq!(status.unwrap(), ExitStatus::Exited(0), "the slot's maximum");
    let launcher = one_slot();
    let capped = Capabilities::default().with_max_memory_bytes(2 << 20);
    let (status, _) = run_on(&launcher, GROW, capped);
    assert_eq!(status.unwrap(), ExitStatus::Exited(0), "the configured cap");
    assert_eq!(launcher.memory_pool().unwrap().reserved(), 1, "pooled");
}
