//! Runs `wasi_snapshot_preview1` modules on wasmer.
//!
//! The top layer of a three-layer WASI environment builder: `wasi-config`
//! checks the configuration, `wasi-fs-setup` builds the guest's file world,
//! and this crate wires the runtime, the compiled-module and package caches,
//! the control plane (task limits) and the preview1 host functions, and
//! ships the `wasi-run` command-line program (default feature `cli`; embed
//! the library with `default-features = false` to compile none of it).
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
//! let env = launcher.environment_with(config, |world| {
//!     world.stdout(stdout);
//! })?;
//! assert_eq!(env.run(&module)?, ExitStatus::Exited(3));
//! assert_eq!(captured.contents(), b"hi\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Where things live
//!
//! The crate's public API is the flat list of items below; its modules are
//! private, one concept each:
//! - `launcher` and `environment`: the [`Launcher`] (one engine, module
//!   cache, package cache, control plane and runtime shared by every
//!   environment) and the [`Environment`] that instantiates and runs a
//!   module, flushing every fd on every exit path; `exit_status` holds
//!   [`ExitStatus`], `error` the one error type [`LaunchError`].
//! - `preview1`: the host functions, by area, with every ABI layout and
//!   flag mask in `preview1/abi.rs`; `guest_memory` is the one module
//!   through which every guest memory access goes, with checked offsets and
//!   capped guest-sized allocations; `errno` holds the preview1 [`Errno`]
//!   and its one conversion from the file world's errors.
//! - `runtime`: what an environment needs from its host ([`Runtime`]:
//!   clocks, waiting, entropy), with deterministic replacements.
//! - `engine`, `tunables` and `module_cache`: the [`Compiler`], the engine
//!   tunables (table bound) and compiled modules shared in memory and kept in
//!   an on-disk directory that is checked before any unsafe load
//!   ([`ModuleCache`]); `tiering` runs a module never compiled before
//!   from a quick singlepass compile while the optimised one is made
//!   ([`Tiering`]).
//! - `memory_pool`: linear-memory slots reserved once per launcher and
//!   reused, reset before reuse ([`MemoryPool`], [`MemoryPoolConfig`]).
//! - `package` and `commands`: webc packages ([`Package`],
//!   [`PackageCache`]), `uses` resolution, package and mapped commands
//!   ([`CommandSource`]).
//! - `control_plane`: the limit on concurrently running tasks, as RAII
//!   permits ([`ControlPlane`], [`TaskPermit`]), and the process and thread
//!   ids.
//! - `interrupt`: stopping a guest from outside ([`InterruptHandle`], the
//!   timeout's timer thread) and why it stopped ([`StopReason`]).
//! - `threads` and `state`: wasi-threads (`wasi`.`thread-spawn` with a
//!   shared memory): every thread is an instance of the module in a store
//!   of its own, sharing one locked [`WasiEnv`] (fd table, file positions,
//!   captures) and holding a control-plane permit; the first exit, trap or
//!   limit in any thread ends the environment, every thread is stopped and
//!   joined before `run` returns.
//!
//! # Limits
//!
//! The configuration's [`Capabilities`](wasi_config::Capabilities) are
//! enforced by the [`Environment`]:
//!
//! | limit | how | when hit |
//! |---|---|---|
//! | memory (`max_memory_bytes`) | engine tunables of the environment's store, per linear memory, clamped to 4 GiB | `memory.grow` returns -1; a larger minimum is [`LaunchError::MemoryLimit`] |
//! | total memory (`max_total_memory_bytes`) | every memory the store makes is counted (`env_memory`), and each instance's tables, threads' included | `memory.grow`/`table.grow` return -1; a spawn gets EAGAIN; over it at start is [`LaunchError::TotalMemoryLimit`] |
//! | wasm stack (`max_wasm_stack`) | the stack wasm code runs on, per thread (host calls run on the host's) | [`StopReason::StackExhausted`] |
//! | fuel | our metering middleware (`metering`), one unit per wasm operator ([`METERING`], its own cache keys); one budget per environment (`fuel`'s bank), that every thread's counter draws slices from | [`StopReason::FuelExhausted`] |
//! | timeout | the [`InterruptHandle`] fired by a timer; also interrupts host calls that wait (stdin, blocked stdout/stderr pipes, `poll_oneoff`, sleeps) | [`StopReason::TimedOut`] |
//! | tasks, open fds | control plane, fd table | `TaskLimit` (a spawn gets EAGAIN), EMFILE |
//! | pooled memories ([`MemoryPool`], a launcher option) | slots of the pool, each up to its per-memory maximum | `memory.grow` returns -1; a full pool is [`LaunchError::MemoryPoolExhausted`] (or a wait) |
//! | captured output (`max_capture_bytes`) | the capture buffers | short write, then ENOSPC |
//!
//! Fuel meters wasm only, as wasmtime's does: a host call costs the one
//! unit of its `call` operator however long the host works (a path lookup
//! through many symlinks, a large write). The timeout is the bound on host
//! work. A module load that compiles is not interrupted by either; the
//! `wasi-run` command bounds its compiles by `--compile-timeout`.
//! A stopped guest ends its run with [`ExitStatus::Stopped`], everything it
//! wrote flushed and every fd closed.
//!
//! # Deterministic runs
//!
//! Three pieces make every run of a guest give the same output on any CPU
//! (`wasi-run --deterministic` uses all three):
//! [`LauncherBuilder::nans`] with [`Nans::Canonical`] (the only NaN is the
//! canonical one, and no tiering is mixed in: set no [`Tiering`]); a
//! [`DefaultRuntime`] with a [`FixedClock`] and [`SeededEntropy`]; and
//! one task (`Capabilities::with_max_tasks(1)`), so no thread schedule
//! shows. What the host's files say and wall-clock limits stay outside.
//!
//! # Host memory a guest controls
//!
//! Every host-side structure whose size a guest decides has a named bound,
//! enforced where the structure grows:
//!
//! | what | bound | past it |
//! |---|---|---|
//! | one table's elements | [`MAX_TABLE_ELEMENTS`] (10 million, 80 MB), [`LauncherBuilder::max_table_elements`] | `table.grow` returns -1; a larger minimum fails to instantiate |
//! | `fd_readdir` listings kept per environment | [`MAX_LISTING_BYTES`] (64 MiB), shared between fds of one directory | least recently read dropped, taken again when needed |
//! | iovec arrays copied per call | [`MAX_IOVS`] (1024) | EINVAL |
//! | host buffer of one transfer (`fd_read`, `fd_write`, `random_get`, ...) | [`CHUNK_LEN`] (64 KiB) | streamed in pieces |
//! | a guest path | `wasi_fs_setup::PATH_MAX` (4096) | ENAMETOOLONG |
//! | `poll_oneoff` subscriptions per call | [`MAX_SUBSCRIPTIONS`] (65,536, 3 MiB) | EINVAL |
//! | captured stdout or stderr | [`wasi_fs_setup::MAX_CAPTURE_BYTES`] (256 MiB) unless set | short write, then ENOSPC |
//! | the in-memory sandbox (file data and objects) | [`wasi_fs_setup::MAX_SANDBOX_BYTES`] (1 GiB) unless set | ENOSPC, checked before allocating |
//! | open fds | `Capabilities` (1024 by default) | EMFILE |
//! | inode numbers of a virtual filesystem | one per object of that filesystem | (bounded by the filesystem) |
//!
//! Packages and modules are chosen by the host, never by the guest; a module
//! cache file is read only up to [`MAX_CACHE_FILE_LEN`]. Linear
//! memory is bounded by the module's own maximum (4 GiB for `wasm32`).
//!
//! `unsafe` code is denied in the whole crate except `module_cache`, whose
//! `unsafe` blocks (`Module::deserialize` of a checked file and of a metered
//! artifact just compiled) carry `SAFETY` comments, and the engine tunables
//! (the table bound and memory limit), whose blocks forward wasmer's own
//! `unsafe` constructors, the memory pool (`memory_pool`: the slots'
//! `mmap`, `mprotect` and `madvise`, and the `LinearMemory` wasmer's
//! compiled code reads and writes), and `env_memory` (the `LinearMemory`
//! wrapper that counts growth against the environment's total and answers
//! fuel refills, forwarding wasmer's `unsafe` methods). The `wasi-run`
//! binary's `inherited_fds` closes the fds a tier-up child inherited.

mod commands;
mod control_plane;
mod engine;
mod env_memory;
mod environment;
mod errno;
mod error;
mod exit_status;
mod fuel;
mod guest_memory;
mod host_file;
mod interrupt;
mod launcher;
mod lock;
mod memory_pool;
mod metering;
mod module_cache;
mod package;
mod preview1;
mod runtime;
mod state;
mod threads;
mod tiering;
mod tunables;

pub use commands::CommandSource;
pub use control_plane::{ControlPlane, DEFAULT_TASKS_PER_CPU, Pid, TaskPermit, Tid};
pub use engine::{Compiler, EngineIdentity, METERING, Nans, WASMER_VERSION};
pub use env_memory::default_total_memory;
pub use environment::{Environment, WasiInstance};
pub use errno::{Errno, SysResult};
pub use error::LaunchError;
pub use exit_status::ExitStatus;
pub use guest_memory::{CHUNK_LEN, MAX_IOVS};
pub use host_file::{MAX_HOST_FILE_LEN, read_module_file};
pub use interrupt::{InterruptHandle, RESEND_INTERVAL, StopReason, THREAD_GRACE};
pub use launcher::{Launcher, LauncherBuilder};
pub use memory_pool::{MemoryPool, MemoryPoolConfig, WhenExhausted};
pub use module_cache::{
    CacheKey, CacheStats, FILE_EXTENSION as CACHE_FILE_EXTENSION,
    FILE_FORMAT_VERSION as CACHE_FILE_FORMAT_VERSION, FILE_MAGIC as CACHE_FILE_MAGIC,
    MAX_FILE_LEN as MAX_CACHE_FILE_LEN, MAX_KEY_LEN as MAX_CACHE_KEY_LEN, ModuleCache, Precompiled,
};
pub use package::{MAX_VOLUME_ENTRIES, Package, PackageCache, VolumeMount, mount_packages};
pub use preview1::{
    MAX_LISTING_BYTES, MAX_SUBSCRIPTIONS, PREVIEW1_FUNCTIONS, PREVIEW1_MODULE, Termination,
};
pub use runtime::{
    Clock, DefaultRuntime, Entropy, FixedClock, OsEntropy, Runtime, SeededEntropy, SystemClock,
    Timestamp,
};
pub use state::WasiEnv;
pub use tiering::{DEFAULT_TIERING_MAX_WASM_BYTES, TierUp, Tiering};
pub use tunables::MAX_TABLE_ELEMENTS;
