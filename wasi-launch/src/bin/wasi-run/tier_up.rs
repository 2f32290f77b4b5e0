//! Tiering in a process that ends with its guest: the optimised compile of
//! a module that runs from a quick compile is made by a detached
//! `wasi-run --precompile`, which writes it to the same cache directory
//! through the same checked cache code, for the next run.

use std::fs::File;
use std::io::{self, Seek, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use wasi_launch::{TierUp, Tiering};

/// The tiering of `wasi-run` with the cache directory `cache_dir`: modules
/// up to the default size, each optimised by a detached precompile.
pub fn tiering(cache_dir: PathBuf) -> Tiering {
    Tiering::up_to_default().with_optimizer(move |tier_up| {
        if let Err(err) = spawn_precompile(&cache_dir, tier_up) {
            tracing::debug!(error = %err, "wasi-run: no optimised compile this run");
        }
    })
}

/// Starts `wasi-run --precompile` on the module's wasm, handed over as its
/// stdin (an in-memory file, so this process never waits on a pipe). The
/// child is not waited for: it runs in a process group of its own (a
/// terminal's Ctrl-C does not reach it), with stdout and stderr closed, and
/// outlives this process when the guest is quicker than Cranelift.
fn spawn_precompile(cache_dir: &Path, tier_up: TierUp<'_>) -> io::Result<()> {
    let exe = std::env::current_exe()?;
    let mut wasm = File::from(rustix::fs::memfd_create(
        c"wasi-run-precompile",
        rustix::fs::MemfdFlags::CLOEXEC,
    )?);
    wasm.write_all(tier_up.wasm())?;
    wasm.rewind()?;
    let mut command = Command::new(exe);
    command
        .args(["--precompile", "--compiler", "cranelift", "--cache-dir"])
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
