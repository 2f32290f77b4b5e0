//! The one error type of this layer.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use crate::exit_status::ExitStatus;

/// A problem launching or running a guest: the one public error type of
/// this crate. Each variant names the offending item (a path, a package, a
/// command, a limit) and chains the error it came from.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] wasi_config::ConfigError),
    /// The configuration is invalid (every problem).
    #[error(transparent)]
    ConfigErrors(#[from] wasi_config::ConfigErrors),
    /// The file world could not be built.
    #[error(transparent)]
    Setup(Box<wasi_fs_setup::SetupError>),
    /// The module file could not be read.
    #[error(
        "cannot read module {}",
        wasi_config::ByteDisplay(wasi_config::AsBytes::as_bytes(path))
    )]
    ReadModule {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are neither a wasm binary nor valid `.wat` text.
    #[error("the module is neither a wasm binary nor valid wasm text")]
    ModuleText(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The wasm binary does not validate or compile.
    #[error("the module does not compile")]
    Compile(#[source] Box<wasmer::CompileError>),
    /// The module's imports cannot be satisfied (an import from another
    /// module, an unknown or mistyped preview1 import), or wasmer could not
    /// create its memories or tables (a table over the launcher's bound).
    #[error("cannot instantiate the module")]
    Link(#[source] Box<wasmer::InstantiationError>),
    /// The module is not a WASI command.
    #[error("not a WASI module: {reason}")]
    NotWasi {
        /// What is missing.
        reason: &'static str,
    },
    /// The module exports no `_start` function.
    #[error("the module exports no `_start` function")]
    MissingStart,
    /// The module's start function ended the guest (`proc_exit` or
    /// `proc_raise`) while it was being instantiated, so there is no
    /// instance; what it wrote was flushed. [`Environment::run`] reports
    /// this as the guest's status, as if `_start` had ended it.
    ///
    /// [`Environment::run`]: crate::Environment::run
    #[error("the guest ended during instantiation ({status:?})")]
    ExitedDuringInstantiation {
        /// How the guest ended.
        status: ExitStatus,
    },
    /// The guest trapped (in `_start`, or in the module's start function
    /// during instantiation).
    #[error("the guest trapped: {message}")]
    Trap {
        /// The trap's message (one line).
        message: String,
        /// The wasm backtrace, innermost frame first.
        backtrace: Vec<String>,
        /// The runtime error the trap came from.
        #[source]
        source: Box<wasmer::RuntimeError>,
    },
    /// A task limit was reached: the launcher's, or an environment's own.
    #[error("task limit reached: at most {max} tasks may run at once")]
    TaskLimit {
        /// The maximum of the limit that refused.
        max: NonZeroUsize,
    },
    /// A memory of the module needs more than the configuration's memory
    /// limit at instantiation (its declared minimum).
    #[error(
        "the module needs at least {requested} bytes of memory, over the limit of {limit} bytes (max-memory-size)"
    )]
    MemoryLimit {
        /// The limit, in bytes (whole wasm pages).
        limit: u64,
        /// The memory's minimum, in bytes.
        requested: u64,
    },
    /// The module's memories (their minimums) and tables (the most
    /// elements they can hold) need more than the environment's total
    /// ([`Capabilities::max_total_memory_bytes`](wasi_config::Capabilities::max_total_memory_bytes)).
    #[error(
        "the module needs at least {requested} bytes of memory and tables, over the environment's total of {limit} bytes (max-total-memory)"
    )]
    TotalMemoryLimit {
        /// The environment's total, in bytes.
        limit: u64,
        /// What the module needs at least, in bytes.
        requested: u64,
    },
    /// Every slot of the launcher's [`MemoryPool`](crate::MemoryPool) is
    /// in use (after the wait its configuration allows).
    #[error("every one of the memory pool's {slots} slots is in use")]
    MemoryPoolExhausted {
        /// The pool's number of slots.
        slots: usize,
    },
    /// A memory of the module needs more than one slot of the launcher's
    /// [`MemoryPool`](crate::MemoryPool) may hold.
    #[error(
        "the module needs at least {requested} bytes of memory, over the memory pool's {limit} bytes per memory"
    )]
    MemoryPoolLimit {
        /// The pool's per-memory maximum, in bytes.
        limit: u64,
        /// The memory's minimum, in bytes.
        requested: u64,
    },
    /// A module that imports `wasi`.`thread-spawn` cannot get threads.
    #[error("the module cannot run threads: {reason}")]
    Threads {
        /// Why (e.g. its imported memory is not shared).
        reason: &'static str,
    },
    /// The configuration sets fuel but the module was not compiled with
    /// metering: load it through a [`metered`](crate::Launcher::metered)
    /// launcher (as [`Environment::load_module`](crate::Environment::load_module) does).
    #[error("the configuration sets fuel but the module was not compiled with fuel metering")]
    NotMetered,
    /// Fuel metering needs a launcher that built its own engine; this one
    /// was given an engine ([`LauncherBuilder::engine`](crate::LauncherBuilder::engine)).
    #[error("fuel metering is unavailable: the launcher was given an engine of the embedder's own")]
    MeteringUnavailable,
    /// What the guest wrote could not be flushed when it ended.
    #[error("flushing the guest's files after it ended ({status:?}) failed")]
    Flush {
        /// How the guest ended.
        status: ExitStatus,
        /// Why flushing failed.
        #[source]
        source: Box<wasi_fs_setup::FsError>,
    },
    /// A package file could not be read.
    #[error(
        "cannot read package {}",
        wasi_config::ByteDisplay(wasi_config::AsBytes::as_bytes(path))
    )]
    ReadPackage {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a webc container (bad or short header).
    #[error("not a webc package")]
    NotWebc(#[source] Box<webc::DetectError>),
    /// The container's format version is not v2 or v3.
    #[error("unsupported webc version {version} (only v2 and v3 are read)")]
    UnsupportedWebcVersion {
        /// The version in the header.
        version: String,
    },
    /// The container is malformed or truncated.
    #[error("malformed webc package")]
    MalformedPackage(#[source] Box<webc::ContainerError>),
    /// The webc reader panicked on these bytes (caught).
    #[error("malformed webc package: the reader failed while {stage}")]
    PackageReaderPanicked {
        /// What was being read.
        stage: &'static str,
    },
    /// The package manifest lacks something a package needs, or holds
    /// something invalid.
    #[error("invalid package manifest: {reason}")]
    PackageManifest {
        /// What is wrong.
        reason: String,
    },
    /// A package volume is larger than the loader accepts.
    #[error("volume `{volume}` has more than {max} entries")]
    VolumeTooLarge {
        /// The volume.
        volume: String,
        /// [`MAX_VOLUME_ENTRIES`](crate::MAX_VOLUME_ENTRIES).
        max: usize,
    },
    /// Another package with the same name and exact version is already in
    /// the package cache.
    #[error("package {name}@{version} is already loaded with different contents")]
    PackageConflict {
        /// The full name.
        name: String,
        /// The version both claim.
        version: semver::Version,
    },
    /// A package command cannot be run.
    #[error("package {package}: command `{command}`: {reason}")]
    PackageCommand {
        /// The package (`name@version`).
        package: String,
        /// The command.
        command: String,
        /// Why.
        reason: String,
    },
    /// A used package is not in the package cache.
    #[error("package {spec} is not in the package cache ({})", holds(available))]
    MissingPackage {
        /// The specifier as written.
        spec: String,
        /// What the cache holds (`name@version`), sorted.
        available: Vec<String>,
    },
    /// No mapped command or used package provides the command.
    #[error("unknown command `{name}` (available: {})", if available.is_empty() { "none".to_string() } else { available.join(", ") })]
    UnknownCommand {
        /// The command asked for.
        name: String,
        /// The commands that exist (package commands with their package).
        available: Vec<String>,
    },
    /// No command was named and the package has no entrypoint.
    #[error("package {package} has no entrypoint; name one of its commands: {}", commands.join(", "))]
    NoEntrypoint {
        /// The package (`name@version`).
        package: String,
        /// Its commands.
        commands: Vec<String>,
    },
}

fn holds(available: &[String]) -> String {
    if available.is_empty() {
        "the cache is empty".to_string()
    } else {
        format!("it holds {}", available.join(", "))
    }
}

impl From<wasi_fs_setup::SetupError> for LaunchError {
    fn from(e: wasi_fs_setup::SetupError) -> Self {
        LaunchError::Setup(Box::new(e))
    }
}

impl LaunchError {
    /// Builds a [`LaunchError::Trap`] from a wasmer runtime error.
    pub(crate) fn trap(e: &wasmer::RuntimeError) -> Self {
        let backtrace = e
            .trace()
            .iter()
            .map(|frame| {
                format!(
                    "{}!{} (func #{}, offset {:#x})",
                    frame.module_name(),
                    frame.function_name().unwrap_or("<unnamed>"),
                    frame.func_index(),
                    frame.module_offset()
                )
            })
            .collect();
        LaunchError::Trap {
            message: e.message(),
            backtrace,
            source: Box::new(e.clone()),
        }
    }
}
