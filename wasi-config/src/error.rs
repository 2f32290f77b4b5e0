//! The errors of this layer: one enum, each variant naming the offending item.

use std::fmt;
use std::path::PathBuf;

use crate::bytes::ByteDisplay;

/// A byte string kept for error messages (an env key, an argument, a guest
/// path), displayed losslessly with [`ByteDisplay`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Item(pub Vec<u8>);

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", ByteDisplay(&self.0))
    }
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<&[u8]> for Item {
    fn from(b: &[u8]) -> Self {
        Item(b.to_vec())
    }
}

/// Why a guest path was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GuestPathProblem {
    /// The path is empty.
    Empty,
    /// The path contains a nul byte.
    Nul,
    /// The path has a `..` component.
    ParentComponent,
}

impl fmt::Display for GuestPathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GuestPathProblem::Empty => "is empty",
            GuestPathProblem::Nul => "contains a nul byte",
            GuestPathProblem::ParentComponent => "has a `..` component",
        })
    }
}

/// Which ABI table overflowed its `u32` limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AbiTable {
    /// The argument vector (`args_sizes_get`).
    Args,
    /// The environment (`environ_sizes_get`).
    Environ,
}

impl fmt::Display for AbiTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AbiTable::Args => "arguments",
            AbiTable::Environ => "environment",
        })
    }
}

/// A problem with a WASI environment configuration.
///
/// Every variant names the offending item: the argument index (0 is the
/// program name), the env key, the preopen index and guest path, the package
/// or command name. No variant ever carries or prints an env *value*: values
/// are where secrets live.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An argument (index 0 is the program name) contains a nul byte.
    #[error("argument {index} contains a nul byte")]
    ArgContainsNul {
        /// Position in argv; 0 is the program name.
        index: usize,
    },
    /// An env key is empty.
    #[error("env variable {index} has an empty key")]
    EnvKeyEmpty {
        /// Position of the variable in the environment.
        index: usize,
    },
    /// An env key contains a nul byte.
    #[error("env key {key} contains a nul byte")]
    EnvKeyContainsNul {
        /// The key.
        key: Item,
    },
    /// An env key contains `=`.
    #[error("env key {key} contains `=`")]
    EnvKeyContainsEquals {
        /// The key.
        key: Item,
    },
    /// The value of an env variable contains a nul byte (the value itself
    /// is never shown).
    #[error("the value of env variable {key} contains a nul byte")]
    EnvValueContainsNul {
        /// The key whose value is bad.
        key: Item,
    },
    /// The counts or total sizes of args or environ do not fit in `u32`.
    #[error(
        "the {table} are too large for the WASI ABI: {count} entries, {bytes} bytes (the limit is {limit} of each)"
    )]
    AbiLimitExceeded {
        /// Which table.
        table: AbiTable,
        /// Number of entries.
        count: u64,
        /// Cumulative size including nul terminators (and `=` for environ).
        bytes: u64,
        /// The limit each of count and size must stay under.
        limit: u64,
    },
    /// A preopen grants none of read, write or create.
    #[error("preopen {index} ({guest}) grants none of read, write or create")]
    PreopenWithoutPermission {
        /// Position of the preopen in the configuration.
        index: usize,
        /// Its guest path.
        guest: Item,
    },
    /// A preopen names no directory (an empty host path).
    #[error("preopen {index} names no directory")]
    PreopenWithoutDirectory {
        /// Position of the preopen in the configuration.
        index: usize,
    },
    /// A preopen's host path contains a nul byte.
    #[error("preopen {index} has a host path containing a nul byte: {path:?}")]
    HostPathContainsNul {
        /// Position of the preopen in the configuration.
        index: usize,
        /// The host path.
        path: PathBuf,
    },
    /// A virtual preopen names no filesystem.
    #[error("virtual preopen {index} names no filesystem")]
    VirtualPreopenWithoutFilesystem {
        /// Position of the preopen in the configuration.
        index: usize,
    },
    /// A virtual preopen's path inside its filesystem is not usable.
    #[error("virtual preopen {index}: the path {path} inside filesystem `{filesystem}` {problem}")]
    InvalidVirtualPath {
        /// Position of the preopen in the configuration.
        index: usize,
        /// The filesystem's name.
        filesystem: String,
        /// The path inside it.
        path: Item,
        /// What is wrong with it.
        problem: GuestPathProblem,
    },
    /// A preopen's guest path is not usable.
    #[error("preopen {index}: guest path {path} {problem}")]
    InvalidGuestPath {
        /// Position of the preopen in the configuration.
        index: usize,
        /// The guest path as given.
        path: Item,
        /// What is wrong with it.
        problem: GuestPathProblem,
    },
    /// Two preopens name the same guest directory.
    #[error(
        "preopens {first} ({first_path}) and {second} ({second_path}) name the same guest directory"
    )]
    DuplicateGuestPath {
        /// Position of the earlier preopen.
        first: usize,
        /// Its guest path as given.
        first_path: Item,
        /// Position of the later preopen.
        second: usize,
        /// Its guest path as given.
        second_path: Item,
    },
    /// More preopens than the open-fd limit leaves room for after stdio.
    #[error("{preopens} preopens plus stdio exceed the limit of {max_open_fds} open fds")]
    TooManyPreopens {
        /// Number of preopens.
        preopens: usize,
        /// The configured limit.
        max_open_fds: usize,
    },
    /// A package name to use is malformed.
    #[error("package {spec:?} to use is malformed: {reason}")]
    InvalidPackageSpecifier {
        /// The specifier as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A package file to include names no file or has a nul byte.
    #[error("package file {index} to include is not a usable path: {path:?}")]
    InvalidPackageFile {
        /// Position in the list of package files.
        index: usize,
        /// The path as given.
        path: PathBuf,
    },
    /// A mapped command's name is malformed.
    #[error("mapped command name {name:?} is malformed: {reason}")]
    InvalidCommandName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A mapped command's host path is empty or has a nul byte.
    #[error("mapped command {name:?} has an unusable host path {path:?}")]
    InvalidCommandPath {
        /// The command's name.
        name: String,
        /// The host path as given.
        path: PathBuf,
    },
    /// A limit of the [`Capabilities`](crate::Capabilities) makes no sense
    /// (a zero stack, a timeout that does not fit).
    #[error("limit {limit} {reason}")]
    InvalidLimit {
        /// The limit, as `wasi-run -W` spells it (`max-wasm-stack`, `timeout`).
        limit: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The same command name is mapped twice.
    #[error("command {name:?} is mapped twice")]
    DuplicateCommand {
        /// The command's name.
        name: String,
    },
    /// A command-line form (`KEY=VALUE`, `HOST[::GUEST]`, `GUEST:HOST`,
    /// `NAME=PATH`) could not be parsed. For `KEY=VALUE` only the key part
    /// is ever shown.
    #[error("invalid {form} argument {shown}: {reason}")]
    InvalidCliForm {
        /// Which form, e.g. `KEY=VALUE`.
        form: &'static str,
        /// The part of the input that may be shown (never an env value).
        shown: Item,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Every problem found in a configuration, in the order met (from
/// [`ConfigBuilder::validate_all`](crate::ConfigBuilder::validate_all)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The problems, in the order met.
    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "{} configuration problems:", many.len())?;
                for e in many {
                    write!(f, "\n  - {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigErrors {}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
