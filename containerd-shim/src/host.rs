//! What the shim takes from the host before runwasi forks the process its
//! containers are made from. A container's process sees only the
//! container's root, so both are taken in `main`, whose working directory
//! containerd sets to the container's bundle:
//! - the bundle's OCI spec (`config.json`), for the memory limit and this
//!   shim's annotations ([`crate::limits`]);
//! - an open handle on the module cache directory. Handles survive the
//!   container's set-up (libcontainer marks them close-on-exec, and the
//!   shim runs the guest without an exec), so inside the container the
//!   directory is reached through `/proc/self/fd/N`.

use std::fs::{DirBuilder, File};
use std::os::fd::AsRawFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::sync::OnceLock;

use oci_spec::runtime::Spec;

/// The environment variable naming the module cache directory. containerd
/// passes its own environment to the shims it starts.
pub const CACHE_DIR_ENV: &str = "CONTAINERD_SHIM_WASIENV_CACHE_DIR";

/// The module cache directory when [`CACHE_DIR_ENV`] is not set.
pub const DEFAULT_CACHE_DIR: &str = "/var/lib/containerd-shim-wasienv/modules";

/// What [`prepare`] found.
#[derive(Debug)]
pub struct Host {
    /// The bundle's spec; `None` outside a bundle or when it cannot be read.
    pub spec: Option<Spec>,
    /// The module cache directory, open; `None` when it cannot be made.
    cache_dir: Option<File>,
    /// What went wrong, logged by the container once runwasi's logger is up.
    pub problems: Vec<String>,
}

impl Host {
    /// A path to the cache directory that works inside the container.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        let fd = self.cache_dir.as_ref()?.as_raw_fd();
        Some(PathBuf::from(format!("/proc/self/fd/{fd}")))
    }
}

static HOST: OnceLock<Host> = OnceLock::new();

/// Reads the bundle's spec from the working directory and opens (making
/// it, mode 0700, if missing) the module cache directory. Never fails: what
/// is missing is recorded in [`Host::problems`].
pub fn prepare() {
    let mut problems = Vec::new();
    let spec = match Spec::load("config.json") {
        Ok(spec) => Some(spec),
        Err(e) => {
            problems.push(format!("the bundle's config.json cannot be read: {e}"));
            None
        }
    };
    let dir = std::env::var_os(CACHE_DIR_ENV)
        .map_or_else(|| PathBuf::from(DEFAULT_CACHE_DIR), PathBuf::from);
    let cache_dir = DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .and_then(|()| File::open(&dir));
    let cache_dir = match cache_dir {
        Ok(file) => Some(file),
        Err(e) => {
            problems.push(format!(
                "module cache {} unavailable (compiling every time): {e}",
                dir.display()
            ));
            None
        }
    };
    let _ = HOST.set(Host {
        spec,
        cache_dir,
        problems,
    });
}

/// What [`prepare`] found, if it ran.
pub fn get() -> Option<&'static Host> {
    HOST.get()
}
