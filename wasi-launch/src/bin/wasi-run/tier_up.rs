//! Tiering in a process that ends with its guest: the optimised compile of
//! a module that runs from a quick compile is made by a detached
//! `wasi-run --precompile`, which writes it to the same cache directory
//! through the same checked cache code, for the next run.
//!
//! The child is a daemon of its own, on purpose: it must outlive a guest
//! quicker than Cranelift. It runs in a process group of its own (a
//! terminal's Ctrl-C, or killing the caller's group, does not reach it),
//! with stdout and stderr closed and every other inherited fd closed at
//! its start, at a lower priority, and limited to `--compile-timeout` of
//! CPU time (`RLIMIT_CPU`: past it the kernel ends it). There is at most
//! one per module at a time: it holds the module's compile lock in the
//! cache directory, and a run whose module is being compiled elsewhere
//! starts none.

use std::fs::File;
use std::io::{self, Seek, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use wasi_launch::{TierUp, Tiering};

/// How much the child lowers its priority (`nice`).
const CHILD_NICENESS: i32 = 10;

/// The tiering of `wasi-run` with the cache directory `cache_dir`: modules
/// up to the default size, each optimised by a detached precompile
/// limited to `cpu_limit` of CPU time.
pub fn tiering(cache_dir: PathBuf, cpu_limit: Duration) -> Tiering {
    Tiering::up_to_default().with_optimizer(move |tier_up| {
        if let Err(err) = spawn_precompile(&cache_dir, cpu_limit, tier_up) {
            tracing::debug!(error = %err, "wasi-run: no optimised compile this run");
        }
    })
}

/// What the child does before anything else (`--tier-up-child`): closes
/// the fds it inherited beyond stdio, lowers its priority and limits its
/// CPU time to `cpu_limit`. Failing to lower the priority or set the
/// limit is not fatal (an unprivileged process may always do both).
pub fn enter_child(cpu_limit: Duration) {
    crate::inherited_fds::close_inherited();
    let _ = rustix::process::setpriority_process(None, CHILD_NICENESS);
    let seconds = cpu_limit.as_secs().max(1);
    let _ = rustix::process::setrlimit(
        rustix::process::Resource::Cpu,
        rustix::process::Rlimit {
            current: Some(seconds),
            // SIGXCPU at the soft limit ends the process; the hard limit
            // (SIGKILL) is a second later.
            maximum: Some(seconds + 1),
        },
    );
}

/// Starts `wasi-run --precompile --tier-up-child` on the module's wasm,
/// handed over as its stdin (an in-memory file, so this process never
/// waits on a pipe). The child is not waited for; see the module docs.
fn spawn_precompile(cache_dir: &Path, cpu_limit: Duration, tier_up: TierUp<'_>) -> io::Result<()> {
    let exe = std::env::current_exe()?;
    let mut wasm = File::from(rustix::fs::memfd_create(
        c"wasi-run-precompile",
        rustix::fs::MemfdFlags::CLOEXEC,
    )?);
    wasm.write_all(tier_up.wasm())?;
    wasm.rewind()?;
    let mut command = Command::new(exe);
    command
        .args(["--precompile", "--tier-up-child", "--compiler", "cranelift"])
        .arg(format!("--compile-timeout={}ns", cpu_limit.as_nanos()))
        .arg("--cache-dir")
        .arg(cache_dir);
    if tier_up.is_metered() {
        // Any fuel makes the compile metered, under the metered key.
        command.args(["-W", "fuel=1"]);
    }
    command
        .arg("/dev/stdin")
        .stdin(Stdio::from(wasm))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()?;
    Ok(())
}
