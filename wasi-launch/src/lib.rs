//! Runs `wasi_snapshot_preview1` modules on wasmer.
//!
//! This crate wires the runtime, the compiled-module and package cache, the
//! control plane (task limits) and the preview1 host functions, and ships the
//! `wasi-run` command-line program.
//!
//! Foundation modules:
//! - [`guest_memory`]: the one module through which every guest memory access
//!   goes, with checked offsets and capped guest-sized allocations.
//! - [`errno`]: the errno values host functions return, and [`SysResult`].
//! - [`runtime`]: what an environment needs from its host (blocking on
//!   futures, clocks, entropy), with deterministic replacements for tests.
//! - [`engine`]: the compiler choice and the engine identity used in cache
//!   keys.
//! - [`module_cache`]: compiled modules shared between environments, in
//!   memory and in an on-disk directory checked before any unsafe load.
//! - [`control_plane`]: the limit on concurrently running tasks, as RAII
//!   permits, and the process and thread ids.
//!
//! `unsafe` code is denied in the whole crate except [`module_cache`], whose
//! one `unsafe` block (`Module::deserialize`) carries a `SAFETY` comment.

pub mod control_plane;
pub mod engine;
pub mod errno;
pub mod guest_memory;
pub mod module_cache;
pub mod runtime;

pub use control_plane::{ControlPlane, TaskLimitError, TaskPermit};
pub use engine::{Compiler, EngineIdentity};
pub use errno::{Errno, SysResult};
pub use guest_memory::{GuestMemory, MemoryError};
pub use module_cache::{CacheStats, ModuleCache, ModuleError};
pub use runtime::{DefaultRuntime, Runtime, RuntimeExt};
pub mod commands;
pub mod environment;
pub mod error;
pub mod fs_errno;
pub mod launcher;
pub mod package;
pub mod preview1;
pub mod state;

pub use commands::CommandSource;
pub use environment::{Environment, WasiInstance};
pub use error::{ExitStatus, LaunchError};
pub use launcher::{Launcher, LauncherBuilder};
pub use package::{Package, PackageCache, PackageError};
pub use state::WasiEnv;
