//! runwasi's traits, implemented with `wasi-launch`: [`WasiEnvShim`] names
//! the shim, and [`WasiEnvSandbox`] runs a container's entrypoint inside
//! the container runwasi has set up.
//!
//! The guest gets the container's process arguments and environment (from
//! the image config and `ctr run` / the pod spec), the container's root
//! preopened at `/` (read, write, create), the container's stdio (inherited:
//! containerd's pipes), and the limits of [`crate::limits`]. Its exit code
//! is the task's; a trap or a limit ends it with 134 and one line on
//! stderr, as with `wasi-run`; SIGTERM or SIGINT (`ctr task kill`, pod
//! deletion) stops it through the interrupt, its output flushed, with 128
//! plus the signal.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use containerd_shim_wasm::sandbox::Sandbox;
use containerd_shim_wasm::sandbox::context::RuntimeContext;
use containerd_shim_wasm::shim::{Shim, Version, version};
use wasi_config::ConfigBuilder;
use wasi_launch::{ExitStatus, InterruptHandle, LaunchError, Launcher, StopReason};

use crate::error::ShimError;
use crate::{host, limits};

/// The shim of runtime `io.containerd.wasienv.v1`.
pub struct WasiEnvShim;

impl Shim for WasiEnvShim {
    type Sandbox = WasiEnvSandbox;

    fn name() -> &'static str {
        "wasienv"
    }

    fn version() -> Version {
        version!()
    }
}

/// Runs one container's wasm entrypoint.
#[derive(Default)]
pub struct WasiEnvSandbox;

impl Sandbox for WasiEnvSandbox {
    async fn run_wasi(&self, ctx: &impl RuntimeContext) -> anyhow::Result<i32> {
        match run(ctx) {
            Ok(code) => Ok(code),
            Err(e) => {
                let line = one_line(&e);
                // The container's stderr (what `ctr run` shows), then
                // containerd's log.
                eprintln!("containerd-shim-wasienv: {line}");
                log::error!("{line}");
                Err(e.into())
            }
        }
    }
}

/// The exit status of a guest that trapped or that a limit stopped.
const EXIT_TRAP: i32 = 134;

/// Runs the container's entrypoint to its end; its exit code.
fn run(ctx: &impl RuntimeContext) -> Result<i32, ShimError> {
    let host = host::get();
    for problem in host.iter().flat_map(|h| &h.problems) {
        log::warn!("{problem}");
    }
    let args = ctx.args();
    let Some(arg0) = args.first() else {
        return Err(ShimError::NoEntrypoint);
    };
    let entry = ctx.entrypoint();
    if entry.func != "_start" {
        return Err(ShimError::NotACommand {
            arg0: arg0.clone(),
            func: entry.func,
        });
    }
    let bytes = entry.source.as_bytes().map_err(|e| ShimError::ReadModule {
        path: arg0.into(),
        source: e.into(),
    })?;

    let mut builder = ConfigBuilder::new(arg0.as_bytes());
    builder.args(args[1..].iter().map(String::as_bytes));
    for var in ctx.envs() {
        // The runtime spec's `KEY=VALUE`; a bare `KEY` sets it empty.
        let (key, value) = var.split_once('=').unwrap_or((var, ""));
        builder.env(key.as_bytes(), value.as_bytes());
    }
    builder.map_dir("/", "/");
    // The bundle's spec is this container's only when the shim serves one
    // container (as with `ctr run`); a shim serving a pod read the first
    // container's, whose process differs.
    if let Some(spec) = host.and_then(|h| h.spec.as_ref()) {
        let same = spec.process().as_ref().and_then(|p| p.args().as_deref()) == Some(args);
        if same {
            builder.capabilities(limits::capabilities(spec)?);
        } else {
            log::warn!("the bundle's spec is another container's: limits from it not applied");
        }
    }
    let config = builder.validate()?;
    let metered = config.capabilities().fuel().is_some();

    let mut launcher = Launcher::builder();
    if let Some(dir) = host.and_then(host::Host::cache_dir) {
        launcher.cache_dir(dir);
    }
    let launcher = launcher.build();
    let env = launcher.environment(config)?;
    // Before compiling: a signal that comes meanwhile stops the run at its
    // start instead of being ignored.
    let signal = forward_signals(env.interrupt_handle());
    let module = env.load_module(&bytes)?;
    let cache = if metered {
        launcher.metered()?.module_cache().stats()
    } else {
        launcher.module_cache().stats()
    };
    log::info!(
        "module {arg0}: compiles={} disk_hits={}",
        cache.compiles,
        cache.disk_hits
    );
    match env.run(&module) {
        Ok(ExitStatus::Stopped(reason)) => Ok(stopped(&reason, signal.load(Ordering::SeqCst))),
        // The task's status is a process's, one byte; 256 is 255, not 0.
        Ok(status) => Ok(i32::from(status.process_status())),
        Err(e @ LaunchError::Trap { .. }) => {
            eprintln!("containerd-shim-wasienv: {}", one_line(&e));
            Ok(EXIT_TRAP)
        }
        Err(e) => Err(e.into()),
    }
}

/// Turns SIGTERM and SIGINT into `handle`'s interrupt; the returned cell
/// holds the signal that came (0 while none did). The container's process
/// is its pid namespace's init, which the kernel gives no default action
/// for these signals, so without this they would be ignored.
fn forward_signals(handle: InterruptHandle) -> Arc<AtomicI32> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let signal = Arc::new(AtomicI32::new(0));
    let seen = Arc::clone(&signal);
    match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
        Ok(mut signals) => {
            let spawned = std::thread::Builder::new()
                .name("wasienv-signals".into())
                .spawn(move || {
                    for sig in signals.forever() {
                        let _ = seen.compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
                        handle.interrupt();
                    }
                });
            if let Err(e) = spawned {
                log::warn!("no signal thread: SIGTERM will not stop the guest: {e}");
            }
        }
        Err(e) => log::warn!("no signal handler: SIGTERM will not stop the guest: {e}"),
    }
    signal
}

/// Reports a guest stopped by `reason` and returns its exit status: 128
/// plus the signal when one stopped it, else as a trap.
fn stopped(reason: &StopReason, signal: i32) -> i32 {
    if *reason == StopReason::Interrupted && signal != 0 {
        log::info!("guest stopped by signal {signal}");
        return 128 + signal;
    }
    eprintln!("containerd-shim-wasienv: guest {reason}");
    EXIT_TRAP
}

/// `e` and its sources on one line.
fn one_line(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        line.push_str(": ");
        line.push_str(&s.to_string());
        source = s.source();
    }
    line.replace('\n', " ")
}
