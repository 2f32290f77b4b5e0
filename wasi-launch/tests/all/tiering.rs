//! Tiering through the launcher: a module run from its quick singlepass
//! compile behaves as its Cranelift compile does (output, exit status,
//! fuel to the unit, every limit), and the launcher moves to the
//! Cranelift compile once it is ready.

use std::time::Duration;

use wasi_config::Capabilities;
use wasi_launch::{ExitStatus, LaunchError, Launcher, StopReason, Tiering};

use crate::limits::{COUNT, GROW, RECURSE, SPIN, run_on};

/// A launcher whose modules stay quick: its optimizer does nothing, so no
/// Cranelift compile ever replaces them.
fn quick_only() -> Launcher {
    let mut builder = Launcher::builder();
    builder.tiering(Tiering::up_to_default().with_optimizer(|_| {}));
    builder.build()
}

/// What a run gave, comparable across launchers (a trap by its message).
fn outcome(
    launcher: &Launcher,
    wat: &str,
    caps: Capabilities,
) -> (Result<ExitStatus, String>, Vec<u8>) {
    let (status, out) = run_on(launcher, wat, caps);
    (
        status.map_err(|e: LaunchError| e.to_string()),
        out.contents(),
    )
}

#[test]
fn a_quick_module_stops_and_finishes_exactly_as_the_optimised_one() {
    let optimised = Launcher::new();
    let quick = quick_only();
    let trap = r#"(module (memory (export "memory") 1) (func (export "_start") unreachable))"#;
    let exited = |code| Some(ExitStatus::Exited(code));
    let stopped = |reason| Some(ExitStatus::Stopped(reason));
    // Each guest, its limits, and how it ends (`None`: a trap).
    let cases = [
        (COUNT, Capabilities::default(), exited(0)),
        (
            COUNT,
            Capabilities::default().with_fuel(10_000_000),
            exited(0),
        ),
        (
            COUNT,
            Capabilities::default().with_fuel(1000),
            stopped(StopReason::FuelExhausted { fuel: 1000 }),
        ),
        (
            SPIN,
            Capabilities::default().with_timeout(Duration::from_millis(50)),
            stopped(StopReason::TimedOut {
                after: Duration::from_millis(50),
            }),
        ),
        (
            RECURSE,
            Capabilities::default().with_max_wasm_stack(64 << 10),
            stopped(StopReason::StackExhausted),
        ),
        (
            GROW,
            Capabilities::default().with_max_memory_bytes(2 << 20),
            exited(0),
        ),
        (trap, Capabilities::default(), None),
    ];
    for (wat, caps, ends) in cases {
        let expected = outcome(&optimised, wat, caps);
        assert_eq!(
            expected.0.as_ref().ok(),
            ends.as_ref(),
            "{caps:?}: {expected:?}"
        );
        assert_eq!(outcome(&quick, wat, caps), expected, "{caps:?}");
    }
    let stats = quick.module_cache().stats();
    assert_eq!(stats.compiles, 0, "{stats:?}");
    assert!(stats.quick_compiles >= 4, "{stats:?}");
}

/// The fuel a metered run of COUNT needs, to the unit, is the same for
/// the quick and the optimised compile: metering counts wasm operators,
/// whichever compiler emits the code.
#[test]
fn a_quick_module_uses_exactly_the_fuel_of_the_optimised_one() {
    let finishes = |launcher: &Launcher, fuel: u64| {
        let (status, _) = run_on(launcher, COUNT, Capabilities::default().with_fuel(fuel));
        status.unwrap() == ExitStatus::Exited(0)
    };
    let optimised = Launcher::new();
    // The least fuel COUNT finishes with, by bisection.
    let (mut low, mut high) = (1u64, 10_000_000u64);
    while low < high {
        let mid = low + (high - low) / 2;
        if finishes(&optimised, mid) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    let quick = quick_only();
    assert!(finishes(&quick, low));
    assert!(!finishes(&quick, low - 1));
}

#[test]
fn a_tiered_launcher_moves_to_the_optimised_module_when_it_is_ready() {
    let mut builder = Launcher::builder();
    builder.tiering(Tiering::up_to_default());
    let launcher = builder.build();
    let (status, out) = run_on(&launcher, COUNT, Capabilities::default());
    assert_eq!(
        (status.unwrap(), out.contents()),
        (ExitStatus::Exited(0), b"done\n".to_vec())
    );
    launcher.module_cache().finish_tier_ups();
    let stats = launcher.module_cache().stats();
    assert_eq!((stats.quick_compiles, stats.compiles), (1, 1), "{stats:?}");
    let (status, out) = run_on(&launcher, COUNT, Capabilities::default());
    assert_eq!(
        (status.unwrap(), out.contents()),
        (ExitStatus::Exited(0), b"done\n".to_vec())
    );
    let stats = launcher.module_cache().stats();
    assert_eq!(
        (stats.quick_compiles, stats.compiles, stats.memory_hits),
        (1, 1, 1)
    );
}

#[test]
fn tiering_needs_the_launchers_own_cranelift() {
    let mut builder = Launcher::builder();
    builder
        .compiler(wasi_launch::Compiler::Singlepass)
        .tiering(Tiering::up_to_default());
    assert_eq!(builder.build().module_cache().tiering().max_wasm_bytes(), 0);
    let mut builder = Launcher::builder();
    builder
        .engine(wasi_launch::Compiler::Cranelift.engine())
        .tiering(Tiering::up_to_default());
    assert_eq!(builder.build().module_cache().tiering().max_wasm_bytes(), 0);
}
