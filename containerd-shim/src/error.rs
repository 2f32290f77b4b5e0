//! The shim's one error type.

use std::path::PathBuf;

/// Why a container's guest could not be run. Shown on the container's
/// stderr and in containerd's log; runwasi then ends the task with status
/// 137.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShimError {
    /// An annotation of this shim has a value it cannot use.
    #[error("annotation {annotation}")]
    Annotation {
        /// The annotation.
        annotation: &'static str,
        /// What is wrong with its value.
        #[source]
        source: wasi_config::ConfigError,
    },
    /// The entrypoint names a function other than `_start`.
    #[error(
        "entrypoint {arg0}: only WASI commands are run (their `_start`), not the function `{func}`"
    )]
    NotACommand {
        /// The spec's first process argument.
        arg0: String,
        /// The function it names after `#`.
        func: String,
    },
    /// The container's process has no arguments, so no entrypoint.
    #[error("the container has no entrypoint (no process arguments)")]
    NoEntrypoint,
    /// The entrypoint module cannot be read.
    #[error("entrypoint {path}: cannot be read")]
    ReadModule {
        /// The entrypoint, as the spec names it.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The configuration made from the spec is invalid (an argument or
    /// environment variable the guest cannot be given).
    #[error("container configuration")]
    Config(#[from] wasi_config::ConfigError),
    /// Loading or running the module failed.
    #[error("wasm module")]
    Launch(#[from] wasi_launch::LaunchError),
}
