//! Errors of this layer.
//!
//! Two types live here:
//! - [`FsError`]: what a file operation or a path resolution reports. It is an
//!   errno-like value (a [`FsErrorKind`] plus, for host failures, the raw OS
//!   errno). `wasi-launch` maps it to preview1 errnos; this crate does not
//!   depend on `wasmer-wasix-types`.
//! - [`SetupError`]: why a world could not be built. Each variant names the
//!   guest path (and host path when there is one) and chains its cause.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// The kind of an [`FsError`]: one errno-like condition.
///
/// The comment on each variant gives the POSIX errno it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FsErrorKind {
    /// `ENOENT`: no such file or directory (also: an empty path).
    NotFound,
    /// `EEXIST`: the entry already exists.
    Exists,
    /// `ENOTDIR`: a component that must be a directory is not one.
    NotDir,
    /// `EISDIR`: the operation needs a non-directory.
    IsDir,
    /// `ENOTEMPTY`: the directory is not empty.
    NotEmpty,
    /// `ELOOP`: too many symlinks, or a symlink met where none may be followed.
    Loop,
    /// `ENAMETOOLONG`: a component or the whole path is too long.
    NameTooLong,
    /// `EACCES`: the host denied access.
    Access,
    /// `EPERM`: the operation is not permitted (e.g. a hard link to a directory).
    Perm,
    /// The path leaves the directory it is relative to: an absolute path, `..`
    /// above the start, or a symlink that points out. wasmtime reports
    /// `ENOTCAPABLE` for this.
    Escape,
    /// `ENOTCAPABLE`: the handle lacks the right (permission) for the operation.
    NotCapable,
    /// `EINVAL`: invalid argument.
    Inval,
    /// `EIO`: input/output error, or a backing failure with no better mapping.
    Io,
    /// `EXDEV`: the two paths are on different backings or devices.
    XDev,
    /// `ENOTSUP`: the backing does not support the operation.
    Unsupported,
    /// `EBADF`: bad file descriptor, or the handle was not opened for this.
    BadF,
    /// `EMFILE`: the per-environment limit on open fds is reached.
    MFile,
    /// `EBUSY`: the entry is busy (e.g. renaming `.`).
    Busy,
    /// `ENOSPC`: no space left.
    NoSpace,
    /// `EROFS`: read-only filesystem.
    ReadOnlyFs,
    /// `ESPIPE`: the stream cannot seek.
    SPipe,
    /// `EAGAIN`: try again (non-blocking stream).
    Again,
    /// `EINTR`: interrupted.
    Interrupted,
    /// `EPIPE`: broken pipe.
    Pipe,
    /// `EFBIG`: file too large.
    FBig,
    /// `EOVERFLOW`: a value does not fit (e.g. a seek before offset 0 or past `i64`).
    Overflow,
    /// `ETXTBSY`: text file busy.
    TextBusy,
    /// `ENODEV`: no such device.
    NoDev,
    /// An OS errno with no kind of its own; see [`FsError::raw_os_error`].
    Other,
}

impl FsErrorKind {
    /// A short lowercase name, as in errno listings (`"noent"`, `"notdir"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Self::NotFound => "noent",
            Self::Exists => "exist",
            Self::NotDir => "notdir",
            Self::IsDir => "isdir",
            Self::NotEmpty => "notempty",
            Self::Loop => "loop",
            Self::NameTooLong => "nametoolong",
            Self::Access => "acces",
            Self::Perm => "perm",
            Self::Escape => "escape",
            Self::NotCapable => "notcapable",
            Self::Inval => "inval",
            Self::Io => "io",
            Self::XDev => "xdev",
            Self::Unsupported => "notsup",
            Self::BadF => "badf",
            Self::MFile => "mfile",
            Self::Busy => "busy",
            Self::NoSpace => "nospc",
            Self::ReadOnlyFs => "rofs",
            Self::SPipe => "spipe",
            Self::Again => "again",
            Self::Interrupted => "intr",
            Self::Pipe => "pipe",
            Self::FBig => "fbig",
            Self::Overflow => "overflow",
            Self::TextBusy => "txtbsy",
            Self::NoDev => "nodev",
            Self::Other => "other",
        }
    }
}

/// The error of a file operation or a path resolution.
///
/// A small `Copy` value: a [`FsErrorKind`] and, when the failure came from the
/// host OS, its raw errno (so nothing the kernel said is lost).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FsError {
    kind: FsErrorKind,
    raw_os: Option<i32>,
}

impl FsError {
    /// An error of `kind` with no OS errno.
    pub const fn new(kind: FsErrorKind) -> Self {
        Self { kind, raw_os: None }
    }

    /// The kind of failure.
    pub const fn kind(self) -> FsErrorKind {
        self.kind
    }

    /// The host errno this error came from, if it came from the host OS.
    pub const fn raw_os_error(self) -> Option<i32> {
        self.raw_os
    }

    /// Maps a raw host errno to its kind, keeping the errno.
    pub fn from_raw_os_error(errno: i32) -> Self {
        use rustix::io::Errno as E;
        let e = E::from_raw_os_error(errno);
        let kind = match e {
            E::NOENT => FsErrorKind::NotFound,
            E::EXIST => FsErrorKind::Exists,
            E::NOTDIR => FsErrorKind::NotDir,
            E::ISDIR => FsErrorKind::IsDir,
            E::NOTEMPTY => FsErrorKind::NotEmpty,
            E::LOOP => FsErrorKind::Loop,
            E::NAMETOOLONG => FsErrorKind::NameTooLong,
            E::ACCESS => FsErrorKind::Access,
            E::PERM => FsErrorKind::Perm,
            E::INVAL => FsErrorKind::Inval,
            E::IO => FsErrorKind::Io,
            // openat2(RESOLVE_BENEATH) reports an escape as EXDEV; cap-std turns that into
            // its own escape error before it reaches us, so a raw EXDEV is a real
            // cross-device rename or link.
            E::XDEV => FsErrorKind::XDev,
            E::OPNOTSUPP => FsErrorKind::Unsupported,
            E::BADF => FsErrorKind::BadF,
            E::MFILE | E::NFILE => FsErrorKind::MFile,
            E::BUSY => FsErrorKind::Busy,
            E::NOSPC | E::DQUOT => FsErrorKind::NoSpace,
            E::ROFS => FsErrorKind::ReadOnlyFs,
            E::SPIPE => FsErrorKind::SPipe,
            E::AGAIN => FsErrorKind::Again,
            E::INTR => FsErrorKind::Interrupted,
            E::PIPE => FsErrorKind::Pipe,
            E::FBIG => FsErrorKind::FBig,
            E::OVERFLOW => FsErrorKind::Overflow,
            E::TXTBSY => FsErrorKind::TextBusy,
            E::NODEV | E::NXIO => FsErrorKind::NoDev,
            _ => FsErrorKind::Other,
        };
        Self {
            kind,
            raw_os: Some(errno),
        }
    }

    /// Maps a host I/O error, keeping its raw errno.
    ///
    /// An error without an errno that says "permission denied" is cap-std's
    /// escape error ("a path led outside of the filesystem"): it becomes
    /// [`FsErrorKind::Escape`].
    pub fn from_io(err: &io::Error) -> Self {
        if let Some(errno) = err.raw_os_error() {
            return Self::from_raw_os_error(errno);
        }
        let kind = match err.kind() {
            io::ErrorKind::PermissionDenied => FsErrorKind::Escape,
            io::ErrorKind::NotFound => FsErrorKind::NotFound,
            io::ErrorKind::AlreadyExists => FsErrorKind::Exists,
            io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => FsErrorKind::Inval,
            io::ErrorKind::WouldBlock => FsErrorKind::Again,
            io::ErrorKind::Interrupted => FsErrorKind::Interrupted,
            io::ErrorKind::BrokenPipe => FsErrorKind::Pipe,
            io::ErrorKind::Unsupported => FsErrorKind::Unsupported,
            io::ErrorKind::NotADirectory => FsErrorKind::NotDir,
            io::ErrorKind::IsADirectory => FsErrorKind::IsDir,
            io::ErrorKind::DirectoryNotEmpty => FsErrorKind::NotEmpty,
            io::ErrorKind::StorageFull => FsErrorKind::NoSpace,
            _ => FsErrorKind::Io,
        };
        Self::new(kind)
    }

    /// Maps a `virtual-fs` error.
    pub fn from_vfs(err: virtual_fs::FsError) -> Self {
        use virtual_fs::FsError as V;
        let kind = match err {
            V::BaseNotDirectory => FsErrorKind::NotDir,
            V::NotAFile => FsErrorKind::IsDir,
            V::InvalidFd => FsErrorKind::BadF,
            V::AlreadyExists => FsErrorKind::Exists,
            V::Lock | V::IOError | V::InvalidData | V::UnexpectedEof | V::WriteZero => {
                FsErrorKind::Io
            }
            V::UnknownError => FsErrorKind::Io,
            V::AddressInUse
            | V::AddressNotAvailable
            | V::ConnectionAborted
            | V::ConnectionRefused
            | V::ConnectionReset
            | V::NotConnected
            | V::TimedOut => FsErrorKind::Io,
            V::BrokenPipe => FsErrorKind::Pipe,
            V::Interrupted => FsErrorKind::Interrupted,
            V::InvalidInput => FsErrorKind::Inval,
            V::EntryNotFound => FsErrorKind::NotFound,
            V::NoDevice => FsErrorKind::NoDev,
            V::PermissionDenied => FsErrorKind::Access,
            V::WouldBlock => FsErrorKind::Again,
            V::DirectoryNotEmpty => FsErrorKind::NotEmpty,
            V::StorageFull => FsErrorKind::NoSpace,
            V::Unsupported => FsErrorKind::Unsupported,
        };
        Self::new(kind)
    }
}

impl From<FsErrorKind> for FsError {
    fn from(kind: FsErrorKind) -> Self {
        Self::new(kind)
    }
}

impl From<io::Error> for FsError {
    fn from(err: io::Error) -> Self {
        Self::from_io(&err)
    }
}

impl From<virtual_fs::FsError> for FsError {
    fn from(err: virtual_fs::FsError) -> Self {
        Self::from_vfs(err)
    }
}

impl fmt::Debug for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.raw_os {
            Some(errno) => write!(f, "FsError({:?}, os {errno})", self.kind),
            None => write!(f, "FsError({:?})", self.kind),
        }
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            FsErrorKind::NotFound => "no such file or directory",
            FsErrorKind::Exists => "file exists",
            FsErrorKind::NotDir => "not a directory",
            FsErrorKind::IsDir => "is a directory",
            FsErrorKind::NotEmpty => "directory not empty",
            FsErrorKind::Loop => "too many levels of symbolic links",
            FsErrorKind::NameTooLong => "file name too long",
            FsErrorKind::Access => "permission denied",
            FsErrorKind::Perm => "operation not permitted",
            FsErrorKind::Escape => "path leads outside of its directory",
            FsErrorKind::NotCapable => "capability (right) missing",
            FsErrorKind::Inval => "invalid argument",
            FsErrorKind::Io => "input/output error",
            FsErrorKind::XDev => "cross-device link",
            FsErrorKind::Unsupported => "operation not supported",
            FsErrorKind::BadF => "bad file descriptor",
            FsErrorKind::MFile => "too many open files",
            FsErrorKind::Busy => "resource busy",
            FsErrorKind::NoSpace => "no space left",
            FsErrorKind::ReadOnlyFs => "read-only filesystem",
            FsErrorKind::SPipe => "illegal seek",
            FsErrorKind::Again => "resource temporarily unavailable",
            FsErrorKind::Interrupted => "interrupted",
            FsErrorKind::Pipe => "broken pipe",
            FsErrorKind::FBig => "file too large",
            FsErrorKind::Overflow => "value too large",
            FsErrorKind::TextBusy => "text file busy",
            FsErrorKind::NoDev => "no such device",
            FsErrorKind::Other => "host error",
        };
        match self.raw_os {
            Some(errno) => write!(f, "{what} ({}, os error {errno})", self.kind.name()),
            None => write!(f, "{what} ({})", self.kind.name()),
        }
    }
}

impl std::error::Error for FsError {}

/// Why a world could not be built.
///
/// Every variant names the guest path of the preopen (or of the entry a setup
/// hook touched) and, for host directories, the host path; causes are chained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// A host preopen names a directory that does not exist.
    #[error(
        "preopen {guest_path}: host directory {} does not exist",
        wasi_config::ByteDisplay(wasi_config::AsBytes::as_bytes(host_path))
    )]
    HostDirMissing {
        /// Guest path of the preopen.
        guest_path: String,
        /// Host path as configured.
        host_path: PathBuf,
        /// The error the host reported.
        #[source]
        source: io::Error,
    },
    /// A host preopen names something that is not a directory.
    #[error(
        "preopen {guest_path}: host path {} is not a directory",
        wasi_config::ByteDisplay(wasi_config::AsBytes::as_bytes(host_path))
    )]
    HostNotADirectory {
        /// Guest path of the preopen.
        guest_path: String,
        /// Host path as configured.
        host_path: PathBuf,
        /// The error the host reported.
        #[source]
        source: io::Error,
    },
    /// A host preopen directory exists but could not be opened.
    #[error(
        "preopen {guest_path}: cannot open host directory {}",
        wasi_config::ByteDisplay(wasi_config::AsBytes::as_bytes(host_path))
    )]
    HostDirOpen {
        /// Guest path of the preopen.
        guest_path: String,
        /// Host path as configured.
        host_path: PathBuf,
        /// The error the host reported.
        #[source]
        source: io::Error,
    },
    /// A virtual preopen names a filesystem that was not registered.
    #[error("preopen {guest_path}: no virtual filesystem named {filesystem:?} was registered")]
    UnknownFilesystem {
        /// Guest path of the preopen.
        guest_path: String,
        /// The filesystem name as configured.
        filesystem: String,
    },
    /// A virtual preopen's directory is missing or unusable.
    #[error(
        "preopen {guest_path}: directory {} of virtual filesystem {filesystem:?} is unusable",
        wasi_config::ByteDisplay(wasi_config::AsBytes::as_bytes(path))
    )]
    VirtualDir {
        /// Guest path of the preopen.
        guest_path: String,
        /// The filesystem name.
        filesystem: String,
        /// The directory inside the filesystem.
        path: PathBuf,
        /// What the filesystem reported.
        #[source]
        source: FsError,
    },
    /// A preopen uses a kind of backing this version cannot serve.
    #[error("preopen {guest_path}: unsupported backing {backing}")]
    UnsupportedBacking {
        /// Guest path of the preopen.
        guest_path: String,
        /// The backing, as displayed by `wasi-config`.
        backing: String,
    },
    /// The guest's permission-limited handle on a preopen could not be made.
    #[error("preopen {guest_path}: cannot open a second handle on the directory")]
    Reopen {
        /// Guest path of the preopen.
        guest_path: String,
        /// What the backing reported.
        #[source]
        source: FsError,
    },
    /// Two preopens are mounted at the same guest path.
    #[error("preopen {guest_path}: another preopen is already mounted at this guest path")]
    MountConflict {
        /// The guest path used twice.
        guest_path: String,
    },
    /// stdio plus the preopens need more fds than the configured limit.
    #[error("{needed} fds are needed for stdio and preopens, but max_open_fds is {max}")]
    TooManyPreopens {
        /// fds needed at start.
        needed: usize,
        /// The configured limit.
        max: usize,
    },
    /// A setup hook named a guest path that no preopen covers.
    #[error("setup: guest path {guest_path} is not inside any preopen")]
    NotMounted {
        /// The guest path the hook used.
        guest_path: String,
    },
    /// A setup hook's file operation failed.
    #[error("setup: cannot {operation} {guest_path}")]
    Hook {
        /// What the hook tried (`"write"`, `"create directory"`, ...).
        operation: &'static str,
        /// The guest path the hook used.
        guest_path: String,
        /// What the backing reported.
        #[source]
        source: FsError,
    },
    /// A setup hook failed for its own reason.
    #[error("setup hook failed: {message}")]
    HookFailed {
        /// The hook's explanation.
        message: String,
        /// The hook's cause, if it has one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
}
