//! Runs `wasi_snapshot_preview1` modules on wasmer.
//!
//! The top layer of a three-layer WASI environment builder: `wasi-config`
//! checks the configuration, `wasi-fs-setup` builds the guest's file world,
//! and this crate wires the runtime, the compiled-module and package caches,
//! the control plane (task limits) and the preview1 host functions, and
//! ships the `wasi-run` command-line program.
//!
//! ```
//! use wasi_config::ConfigBuilder;
//! use wasi_fs_setup::StdioSlot;
//! use wasi_launch::{ExitStatus, Launcher};
//!
//! let launcher = Launcher::new();
//! let module = launcher.load_module(br#"(module
//!     (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
//!     (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
//!     (memory (export "memory") 1)
//!     (data (i32.const 16) "hi\n")
//!     (func (export "_start")
//!       (i32.store (i32.const 0) (i32.const 16))
//!       (i32.store (i32.const 4) (i32.const 3))
//!       (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
//!       (call $exit (i32.const 3))))"#)?;
//!
//! let config = ConfigBuilder::new("hi").validate()?;
//! let (stdout, captured) = StdioSlot::capture();
//! let env = launcher.environment_with(config, |world| world.stdout(stdout))?;
//! assert_eq!(env.run(&module)?, ExitStatus::Exited(3));
//! assert_eq!(captured.contents(), b"hi\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Modules:
//! - [`launcher`]: the [`Launcher`] (one engine, module cache, package
//!   cache, control plane and runtime shared by every environment) and
//!   [`environment`]: an [`Environment`] that instantiates and runs a module,
//!   flushing every fd on every exit path.
//! - [`preview1`]: the host functions, by area; [`guest_memory`] is the one
//!   module through which every guest memory access goes, with checked
//!   offsets and capped guest-sized allocations; [`errno`] holds the
//!   preview1 errno and its one conversion from the file world's errors.
//! - [`runtime`]: what an environment needs from its host (clocks,
//!   waiting, entropy), with deterministic replacements.
//! - [`engine`] and [`module_cache`]: the compiler choice, and compiled
//!   modules shared in memory and kept in an on-disk directory that is
//!   checked before any unsafe load.
//! - [`package`] and [`commands`]: webc packages, `uses` resolution, package
//!   and mapped commands.
//! - [`control_plane`]: the limit on concurrently running tasks, as RAII
//!   permits, and the process and thread ids.
//!
//! # Host memory a guest controls
//!
//! Every host-side structure whose size a guest decides has a named bound,
//! enforced where the structure grows:
//!
//! | what | bound | past it |
//! |---|---|---|
//! | one table's elements | [`MAX_TABLE_ELEMENTS`] (10 million, 80 MB), [`LauncherBuilder::max_table_elements`] | `table.grow` returns -1; a larger minimum fails to instantiate |
//! | `fd_readdir` listings kept per environment | [`preview1::MAX_LISTING_BYTES`] (64 MiB), shared between fds of one directory | least recently read dropped, taken again when needed |
//! | iovec arrays copied per call | [`guest_memory::MAX_IOVS`] (1024) | EINVAL |
//! | host buffer of one transfer (`fd_read`, `fd_write`, `random_get`, ...) | [`guest_memory::CHUNK_LEN`] (64 KiB) | streamed in pieces |
//! | a guest path | `wasi_fs_setup::resolve::PATH_MAX` (4096) | ENAMETOOLONG |
//! | `poll_oneoff` subscriptions per call | [`preview1::poll::MAX_SUBSCRIPTIONS`] (65,536, 3 MiB) | EINVAL |
//! | captured stdout or stderr | [`wasi_fs_setup::MAX_CAPTURE_BYTES`] (256 MiB) unless set | short write, then ENOSPC |
//! | the in-memory sandbox (file data and objects) | [`wasi_fs_setup::MAX_SANDBOX_BYTES`] (1 GiB) unless set | ENOSPC, checked before allocating |
//! | open fds | `Capabilities` (1024 by default) | EMFILE |
//! | inode numbers of a virtual filesystem | one per object of that filesystem | (bounded by the filesystem) |
//!
//! Packages and modules are chosen by the host, never by the guest; a module
//! cache file is read only up to [`module_cache::MAX_FILE_LEN`]. Linear
//! memory is bounded by the module's own maximum (4 GiB for `wasm32`).
//!
//! `unsafe` code is denied in the whole crate except [`module_cache`], whose
//! one `unsafe` block (`Module::deserialize`) carries a `SAFETY` comment, and
//! the engine tunables (the table bound, [`MAX_TABLE_ELEMENTS`]), whose two
//! blocks forward wasmer's own `unsafe` constructors.

pub mod commands;
pub mod control_plane;
pub mod engine;
pub mod environment;
pub mod errno;
pub mod error;
pub mod guest_memory;
pub mod launcher;
pub mod module_cache;
pub mod package;
pub mod preview1;
pub mod runtime;
pub mod state;
mod tunables;

pub use commands::CommandSource;
pub use control_plane::{ControlPlane, TaskLimitError, TaskPermit};
pub use engine::{Compiler, EngineIdentity};
pub use environment::{Environment, WasiInstance};
pub use errno::{Errno, SysResult};
pub use error::{ExitStatus, LaunchError};
pub use guest_memory::{GuestMemory, MemoryError};
pub use launcher::{Launcher, LauncherBuilder};
pub use module_cache::{CacheStats, ModuleCache, ModuleError};
pub use package::{Package, PackageCache, PackageError};
pub use runtime::{DefaultRuntime, Runtime};
pub use state::WasiEnv;
pub use tunables::MAX_TABLE_ELEMENTS;
