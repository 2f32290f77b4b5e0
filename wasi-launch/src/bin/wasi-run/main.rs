//! `wasi-run`: run a WASI preview1 program on wasmer.
//!
//! `wasi-run [OPTIONS] MODULE [ARGS]...`; see `wasi-run --help`. Options go
//! before MODULE; everything after it is the guest's, byte for byte, even
//! what looks like a wasi-run option (`prog.wasm --help` passes `--help` to
//! the guest).
//! Exit status: the guest's exit code (255 for one above 255); 134 on a
//! trap (one-line message and the wasm backtrace on stderr) or when a limit
//! stops the guest (fuel, timeout, stack; a one-line message naming it);
//! 130 and 143 when SIGINT or SIGTERM stopped it (through the same
//! interrupt, its output flushed); 2 for usage and configuration errors; 1
//! for a module that cannot be read, parsed or linked, or whose minimum
//! memory is over `max-memory-size`. `--precompile` exits 0 once MODULE is
//! in the cache.
//!
//! A module the cache has never compiled runs from a quick singlepass
//! compile while a detached `wasi-run --precompile` writes its Cranelift
//! compile to the cache (`tier_up.rs`); `--no-tiering` waits for Cranelift
//! instead.
//!
//! A thin layer over the library's public API, built only with the `cli`
//! feature of `wasi-launch` (on by default). This folder is the only code
//! that uses clap (command line, `args.rs`) and tracing-subscriber (log
//! output); a crate that embeds the launcher with `default-features = false`
//! compiles neither.

mod args;
mod explain;
mod inherited_fds;
mod tier_up;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use clap::Parser;
use wasi_config::Capabilities;
use wasi_launch::{
    DefaultRuntime, ExitStatus, FixedClock, InterruptHandle, LaunchError, Launcher, ModuleCache,
    Nans, SeededEntropy, StopReason,
};

use crate::args::Cli;

/// Exit status for usage and configuration errors.
const EXIT_USAGE: u8 = 2;
/// Exit status for a module that cannot be read, parsed or linked.
const EXIT_MODULE: u8 = 1;
/// Exit status when the guest traps (as a process killed by SIGABRT).
const EXIT_TRAP: u8 = 134;

fn main() -> ExitCode {
    // The detached compile of tiering drops what it inherited first,
    // before anything here opens a file or starts a thread.
    let tier_up_child = std::env::args_os().any(|a| a == "--tier-up-child");
    let cli = Cli::try_parse();
    if let (true, Ok(cli)) = (tier_up_child, &cli) {
        tier_up::enter_child(cli.compile_timeout);
    }
    init_tracing();
    // Guest or host bugs must not print a Rust panic message: report one
    // line and exit as a trap would.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("wasi-run: internal error: {}", panic_message(info));
    }));
    let cli = match cli {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match std::panic::catch_unwind(|| run(&cli)) {
        Ok(code) => code,
        Err(_) => ExitCode::from(EXIT_TRAP),
    }
}

fn panic_message(info: &std::panic::PanicHookInfo<'_>) -> String {
    if let Some(s) = info.payload().downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = info.payload().downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

/// Logs go to stderr when `RUST_LOG` asks for them (e.g. `RUST_LOG=wasi=trace`
/// shows every host call).
fn init_tracing() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .try_init();
    }
}

fn run(cli: &Cli) -> ExitCode {
    let config = match cli.config_builder().validate_all() {
        Ok(c) => c,
        Err(errors) => {
            eprintln!("wasi-run: {errors}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut builder = Launcher::builder();
    builder.compiler(cli.compiler);
    if cli.deterministic {
        builder
            .nans(Nans::Canonical)
            .runtime(Arc::new(deterministic_runtime()));
    }
    let cache_dir = if cli.no_cache {
        None
    } else {
        cli.cache_dir.clone().or_else(ModuleCache::default_disk_dir)
    };
    match &cache_dir {
        Some(dir) => {
            builder.cache_dir(dir.clone());
            // Tiering only pays when a later run finds the optimised compile.
            if !cli.no_tiering && !cli.precompile && !cli.deterministic {
                builder.tiering(tier_up::tiering(dir.clone(), cli.compile_timeout));
            }
        }
        None if cli.precompile => {
            eprintln!("wasi-run: --precompile needs a cache directory (--cache-dir)");
            return ExitCode::from(EXIT_USAGE);
        }
        None => {}
    }
    let launcher = builder.build();
    // With fuel, every module is loaded metered (and cached apart).
    let launcher = match config.capabilities().fuel() {
        Some(_) => match launcher.metered() {
            Ok(metered) => metered,
            Err(e) => return report(&e),
        },
        None => launcher,
    };
    let mut packages = match launcher.resolve_packages(&config) {
        Ok(p) => p,
        Err(e) => return report(&e),
    };
    // Read MODULE once. A `.webc` MODULE is a package: load it, mount its
    // volumes first; anything else is a `.wasm` or `.wat` module.
    let module_bytes = match wasi_launch::read_module_file(cli.module()) {
        Ok(bytes) => bytes,
        Err(e) => return report(&e),
    };
    let main_package = if module_bytes.starts_with(&webc::MAGIC) {
        match launcher.include_package_file(cli.module()) {
            Ok(p) => {
                packages.retain(|q| !std::sync::Arc::ptr_eq(q, &p));
                packages.insert(0, std::sync::Arc::clone(&p));
                Some(p)
            }
            Err(e) => return report(&e),
        }
    } else {
        None
    };
    if cli.command.is_some() && main_package.is_none() {
        eprintln!("wasi-run: --command needs a .webc package as MODULE");
        return ExitCode::from(EXIT_USAGE);
    }
    let mut builder = wasi_fs_setup::World::builder(&config);
    let world = match wasi_launch::mount_packages(&mut builder, &packages).build() {
        Ok(w) => w,
        Err(e) => return report(&LaunchError::from(e)),
    };
    if cli.explain {
        explain::print(&config, &world);
        return ExitCode::SUCCESS;
    }
    let caps = *config.capabilities();
    if cli.precompile && main_package.is_none() {
        // Busy: another process is compiling it for the cache right now.
        return match launcher.precompile(&module_bytes) {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => report(&e),
        };
    }
    let module = within_compile_deadline(cli, &caps, || match &main_package {
        Some(p) => launcher.package_command_module(p, cli.command.as_deref()),
        None => launcher.load_module(&module_bytes),
    });
    let module = match module {
        Ok(m) => m,
        Err(e) => return report(&e),
    };
    if cli.precompile {
        return ExitCode::SUCCESS;
    }
    let env = launcher.environment_with_world(config, world);
    let signal = forward_signals(env.interrupt_handle());
    match env.run(&module) {
        Ok(ExitStatus::Stopped(reason)) => stopped(reason, &caps, signal.load(Ordering::SeqCst)),
        Ok(status) => exit_code(status),
        Err(e) => report(&e),
    }
}

/// `--deterministic`'s clocks and entropy: every clock at 0, moving 1 µs
/// at each read (so a guest waiting for time to pass makes progress) and by
/// each sleep; random bytes from seed 0.
fn deterministic_runtime() -> DefaultRuntime {
    DefaultRuntime::new()
        .with_clock(Arc::new(FixedClock::stepping(0, 1_000)))
        .with_entropy(Arc::new(SeededEntropy::new(0)))
}

/// Runs `compile` (a module load, which may compile), ending the process
/// with an error when it takes longer than `--compile-timeout`, or than
/// `-W timeout` if that is sooner (a compile of one pathological function
/// cannot be interrupted, so the process ends instead of waiting for it).
fn within_compile_deadline<T>(cli: &Cli, caps: &Capabilities, compile: impl FnOnce() -> T) -> T {
    use std::sync::mpsc::{RecvTimeoutError, channel};
    let by_timeout = caps.timeout().filter(|t| *t < cli.compile_timeout);
    let deadline = by_timeout.unwrap_or(cli.compile_timeout);
    let module = cli.module().to_path_buf();
    let (done, finished) = channel::<()>();
    let watchdog = std::thread::Builder::new()
        .name("wasi-run-compile-deadline".into())
        .spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(deadline) {
                let shown = wasi_config::ByteDisplay(wasi_config::AsBytes::as_bytes(&module));
                let code = match by_timeout {
                    Some(after) => {
                        eprintln!(
                            "wasi-run: guest timed out after {after:?} (timeout) while {shown} was compiled"
                        );
                        EXIT_TRAP
                    }
                    None => {
                        eprintln!(
                            "wasi-run: compiling {shown} took longer than {deadline:?} (--compile-timeout)"
                        );
                        EXIT_MODULE
                    }
                };
                std::process::exit(i32::from(code));
            }
        });
    let out = compile();
    drop(done);
    if let Ok(watchdog) = watchdog {
        let _ = watchdog.join();
    }
    out
}

/// Turns SIGINT and SIGTERM into `handle`'s interrupt; the returned cell
/// holds the signal that came (0 while none did). If the handler cannot be
/// installed the signals keep their default action (ending the process).
fn forward_signals(handle: InterruptHandle) -> Arc<AtomicI32> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let signal = Arc::new(AtomicI32::new(0));
    let seen = Arc::clone(&signal);
    if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
        // The thread ends with the process; it holds no guest.
        let _ = std::thread::Builder::new()
            .name("wasi-run-signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    let _ = seen.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
                    handle.interrupt();
                }
            });
    }
    signal
}

/// Reports a guest stopped by `reason` on one line and returns the exit
/// status: 128 plus the signal for SIGINT and SIGTERM, else as a trap.
fn stopped(reason: StopReason, caps: &Capabilities, signal: i32) -> ExitCode {
    match reason {
        StopReason::Interrupted if signal != 0 => {
            let name = match signal {
                signal_hook::consts::SIGINT => "SIGINT",
                signal_hook::consts::SIGTERM => "SIGTERM",
                _ => "a signal",
            };
            eprintln!("wasi-run: guest interrupted by {name}");
            return ExitCode::from(u8::try_from(128 + signal).unwrap_or(EXIT_TRAP));
        }
        StopReason::FuelExhausted { fuel } => {
            eprintln!("wasi-run: guest ran out of fuel (fuel={fuel})");
        }
        StopReason::TimedOut { after } => {
            eprintln!("wasi-run: guest timed out after {after:?} (timeout)");
        }
        StopReason::StackExhausted => match caps.max_wasm_stack() {
            Some(bytes) => {
                eprintln!("wasi-run: guest exhausted its wasm stack (max-wasm-stack={bytes})")
            }
            None => eprintln!(
                "wasi-run: guest exhausted its wasm stack (the default of 1 MiB; raise it with -W max-wasm-stack=BYTES)"
            ),
        },
        other => eprintln!("wasi-run: guest {other}"),
    }
    ExitCode::from(EXIT_TRAP)
}

/// The process exit status for a guest's status
/// ([`ExitStatus::process_status`](wasi_launch::ExitStatus::process_status)).
fn exit_code(status: wasi_launch::ExitStatus) -> ExitCode {
    ExitCode::from(status.process_status())
}

/// Prints `e` on one line (plus the backtrace of a trap) and returns the
/// matching exit status.
fn report(e: &LaunchError) -> ExitCode {
    let mut line = format!("wasi-run: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        line.push_str(&format!(": {s}"));
        source = s.source();
    }
    eprintln!("{}", line.replace('\n', " "));
    match e {
        LaunchError::Trap { backtrace, .. } => {
            for frame in backtrace {
                eprintln!("    at {frame}");
            }
            ExitCode::from(EXIT_TRAP)
        }
        // Items the user named that do not fit: a bad option value, a
        // preopen that cannot be set up, a `--use` the cache cannot satisfy,
        // a `--command` the package does not have (or none for a package
        // without an entrypoint).
        LaunchError::Config(_)
        | LaunchError::ConfigErrors(_)
        | LaunchError::Setup(_)
        | LaunchError::MissingPackage { .. }
        | LaunchError::UnknownCommand { .. }
        | LaunchError::NoEntrypoint { .. } => ExitCode::from(EXIT_USAGE),
        LaunchError::Flush { status, .. } => exit_code(*status),
        _ => ExitCode::from(EXIT_MODULE),
    }
}
