//! The errors of this layer.

use std::path::PathBuf;

use crate::control_plane::TaskLimitError;
use crate::module_cache::ModuleError;
use crate::package::PackageError;
use crate::package::resolve::MissingPackage;

/// How a guest run ended when it ended by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// `proc_exit(code)`, or code 0 when `_start` returned.
    Exited(u32),
    /// `proc_raise(signal)` with a signal whose default action ends the
    /// process.
    Signaled(u8),
}

impl ExitStatus {
    /// The status as a process exit code: the guest's code, or 128 plus the
    /// signal number, as a shell reports a process killed by a signal.
    pub fn code(self) -> i32 {
        match self {
            // Exit codes are u32 in preview1; the host truncates as POSIX does.
            ExitStatus::Exited(code) => code as i32,
            ExitStatus::Signaled(sig) => 128 + i32::from(sig),
        }
    }

    /// Whether the guest exited with code 0.
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }
}

/// A problem launching or running a guest.
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
    #[error("cannot read module {}", path.display())]
    ReadModule {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The module does not parse, validate or compile.
    #[error(transparent)]
    Module(#[from] ModuleError),
    /// The module's imports cannot be satisfied (an import from another
    /// module, an unknown or mistyped preview1 import), or wasmer could not
    /// create its memories or tables (a table over the launcher's bound).
    #[error("cannot instantiate the module: {0}")]
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
    },
    /// The task limit of the launcher's control plane was reached.
    #[error(transparent)]
    TaskLimit(#[from] TaskLimitError),
    /// What the guest wrote could not be flushed when it ended.
    #[error("flushing the guest's files after it ended ({status:?}) failed")]
    Flush {
        /// How the guest ended.
        status: ExitStatus,
        /// Why flushing failed.
        #[source]
        source: Box<wasi_fs_setup::FsError>,
    },
    /// A package could not be loaded or used.
    #[error(transparent)]
    Package(Box<PackageError>),
    /// A used package is not in the package cache.
    #[error(transparent)]
    MissingPackage(Box<MissingPackage>),
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

impl From<PackageError> for LaunchError {
    fn from(e: PackageError) -> Self {
        LaunchError::Package(Box::new(e))
    }
}

impl From<MissingPackage> for LaunchError {
    fn from(e: MissingPackage) -> Self {
        LaunchError::MissingPackage(Box::new(e))
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
        }
    }
}
