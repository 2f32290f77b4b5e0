//! The backing trait: what the syscall layer talks to, whatever serves a directory.
//!
//! A [`DirHandle`] is an open directory. Every path operation is relative to one,
//! goes through this crate's confinement rules (see [`crate::resolve`](mod@crate::resolve)), fails
//! with a precise [`FsError`], and reports dev and ino. A [`FileHandle`] is an
//! open non-directory.
//!
//! Two backings implement them:
//! - `host.rs`: a host directory through `cap-std` (kernel-checked `RESOLVE_BENEATH`
//!   where available), real errnos, dev/ino/nlink, nanosecond times, symlink and
//!   hard-link creation.
//! - `vfs/`: a directory inside any `virtual_fs::FileSystem` (the in-memory
//!   sandbox by default); this crate walks paths itself, synthesizes stable
//!   inode numbers and maps `FsError` precisely.
//!
//! `common.rs` holds what the two share besides the resolver: the checks
//! that open a rename or link (access on both sides, same backing), the
//! refusal of a read or write the file was not opened for, and the mapping of
//! a filesystem's file-type value to [`FileType`].
//!
//! What this module does not do: rights. Rights live in the fd table; a handle
//! only carries an [`Access`] mask that refuses writes through read-only
//! preopens even if a rights check upstream were missed.

use std::any::Any;
use std::fmt;
use std::io::SeekFrom;

use crate::error::{FsError, FsErrorKind};
use crate::resolve::Resolved;

mod common;
pub(crate) mod host;
pub(crate) mod vfs;

/// The type of a filesystem object, numbered as preview1's `filetype`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FileType {
    /// Unknown, or a kind preview1 cannot name (a FIFO, for example).
    Unknown = 0,
    /// A block device.
    BlockDevice = 1,
    /// A character device.
    CharacterDevice = 2,
    /// A directory.
    Directory = 3,
    /// A regular file.
    RegularFile = 4,
    /// A datagram socket.
    SocketDgram = 5,
    /// A stream socket.
    SocketStream = 6,
    /// A symbolic link.
    SymbolicLink = 7,
}

impl FileType {
    /// The type encoded in a host `st_mode`.
    pub fn from_mode(mode: u32) -> Self {
        const S_IFMT: u32 = 0o170_000;
        match mode & S_IFMT {
            0o040_000 => FileType::Directory,
            0o100_000 => FileType::RegularFile,
            0o120_000 => FileType::SymbolicLink,
            0o020_000 => FileType::CharacterDevice,
            0o060_000 => FileType::BlockDevice,
            0o140_000 => FileType::SocketStream,
            _ => FileType::Unknown,
        }
    }
}

/// Stat data of one object, as preview1's `filestat`. Times are nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filestat {
    /// Device id: the host's `st_dev`, or a synthesized id per virtual filesystem.
    pub dev: u64,
    /// Inode number: the host's `st_ino`, or a synthesized stable number.
    pub ino: u64,
    /// The object's type.
    pub filetype: FileType,
    /// Number of hard links.
    pub nlink: u64,
    /// Size in bytes.
    pub size: u64,
    /// Last access.
    pub atim: u64,
    /// Last data modification.
    pub mtim: u64,
    /// Last status change.
    pub ctim: u64,
}

/// One entry of a directory listing. `.` and `..` are not included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name, as bytes.
    pub name: Vec<u8>,
    /// The entry's type (a symlink is reported as a symlink, not followed).
    pub filetype: FileType,
    /// The entry's inode number; equals `ino` of a no-follow stat of it.
    pub ino: u64,
}

/// How to open a path: preview1's `oflags`, `lookupflags` and the read/write
/// part of the requested rights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenFlags {
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Writes go to the end of the file.
    pub append: bool,
    /// Create the file if it does not exist (`O_CREAT`).
    pub create: bool,
    /// With `create`: fail if the path exists, without following a final symlink (`O_EXCL`).
    pub exclusive: bool,
    /// Truncate an existing file to length 0 (`O_TRUNC`).
    pub truncate: bool,
    /// Fail unless the path names a directory (`O_DIRECTORY`).
    pub directory: bool,
    /// Do not follow a symlink in the final component (no `LOOKUP_SYMLINK_FOLLOW`).
    pub nofollow: bool,
}

impl OpenFlags {
    /// Flags that open for reading and follow symlinks.
    pub const READ: OpenFlags = OpenFlags {
        read: true,
        write: false,
        append: false,
        create: false,
        exclusive: false,
        truncate: false,
        directory: false,
        nofollow: false,
    };

    /// Whether opening with these flags would modify the target.
    pub const fn mutates(&self) -> bool {
        self.write || self.append || self.truncate
    }

    /// Checks the flags against a handle's access mask.
    pub fn check(&self, access: Access) -> Result<(), FsError> {
        if self.read && !access.read {
            return Err(FsErrorKind::NotCapable.into());
        }
        if self.mutates() && !access.write {
            return Err(FsErrorKind::NotCapable.into());
        }
        if self.create && !access.create {
            return Err(FsErrorKind::NotCapable.into());
        }
        if self.create && self.directory {
            // Linux 6.4+ answers O_CREAT|O_DIRECTORY with EINVAL; decided here so
            // every backing and kernel gives the same answer.
            return Err(FsErrorKind::Inval.into());
        }
        Ok(())
    }
}

/// A new value for one timestamp (preview1's `fstflags`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimeSpec {
    /// Leave the timestamp unchanged.
    #[default]
    Omit,
    /// Set it to the current time.
    Now,
    /// Set it to this many nanoseconds since the Unix epoch.
    Set(u64),
}

/// What a handle may do to its directory tree, from the preopen's permissions.
///
/// Directories opened through a handle inherit its mask. Backings check it on
/// every operation and fail with [`FsErrorKind::NotCapable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Access {
    /// Open files for reading, list directories, read links.
    pub read: bool,
    /// Modify or remove existing entries (write, truncate, set times, unlink,
    /// remove directories, rename or hard-link *from* here).
    pub write: bool,
    /// Add names (create files, directories, symlinks; rename or hard-link *into* here).
    pub create: bool,
}

impl Access {
    /// Read only.
    pub const READ_ONLY: Access = Access {
        read: true,
        write: false,
        create: false,
    };
    /// Read and modify, but add no names.
    pub const READ_WRITE: Access = Access {
        read: true,
        write: true,
        create: false,
    };
    /// Everything.
    pub const READ_WRITE_CREATE: Access = Access {
        read: true,
        write: true,
        create: true,
    };

    pub(crate) fn need(ok: bool) -> Result<(), FsError> {
        if ok {
            Ok(())
        } else {
            Err(FsErrorKind::NotCapable.into())
        }
    }

    /// What both masks allow.
    pub(crate) const fn intersection(self, other: Access) -> Access {
        Access {
            read: self.read && other.read,
            write: self.write && other.write,
            create: self.create && other.create,
        }
    }
}

/// The result of [`DirHandle::open_at`].
#[derive(Debug)]
pub enum Opened {
    /// The path named a directory.
    Dir(Box<dyn DirHandle>),
    /// The path named a regular file (or another non-directory).
    File(Box<dyn FileHandle>),
}

/// An open directory of some backing: the base of every path operation.
///
/// Paths are guest bytes, relative to this directory. They are never trimmed
/// or rewritten: an empty path is `NotFound`; an absolute path, `..` above this
/// directory, or a symlink leading out is `Escape`; more than
/// [`MAX_SYMLINK_HOPS`](crate::MAX_SYMLINK_HOPS) symlinks is `Loop`; a
/// trailing slash requires a directory.
///
/// The trait is object safe; the syscall layer holds `Box<dyn DirHandle>`.
pub trait DirHandle: fmt::Debug + Send + Sync + Any {
    /// The access mask of this handle.
    fn access(&self) -> Access;

    /// Stat of this directory itself.
    fn stat(&self) -> Result<Filestat, FsError>;

    /// Opens `path` (`path_open`).
    fn open_at(&self, path: &[u8], flags: OpenFlags) -> Result<Opened, FsError>;

    /// Stat of `path`; `follow` follows a final symlink (`path_filestat_get`).
    fn stat_at(&self, path: &[u8], follow: bool) -> Result<Filestat, FsError>;

    /// The entries of this directory, without `.` and `..` (`fd_readdir`).
    fn read_dir(&self) -> Result<Vec<DirEntry>, FsError>;

    /// Creates a directory (`path_create_directory`).
    fn create_dir_at(&self, path: &[u8]) -> Result<(), FsError>;

    /// Removes an empty directory (`path_remove_directory`).
    fn remove_dir_at(&self, path: &[u8]) -> Result<(), FsError>;

    /// Removes a non-directory (`path_unlink_file`).
    fn unlink_at(&self, path: &[u8]) -> Result<(), FsError>;

    /// Renames `old` (relative to `self`) to `new` (relative to `new_dir`)
    /// (`path_rename`). `new_dir` must belong to the same backing, else `XDev`.
    fn rename_at(&self, old: &[u8], new_dir: &dyn DirHandle, new: &[u8]) -> Result<(), FsError>;

    /// Creates a hard link `new` (relative to `new_dir`) to `old` (`path_link`);
    /// `follow` follows a final symlink in `old`.
    fn link_at(
        &self,
        old: &[u8],
        follow: bool,
        new_dir: &dyn DirHandle,
        new: &[u8],
    ) -> Result<(), FsError>;

    /// Creates a symlink at `link` holding `target` (`path_symlink`). An
    /// absolute target is refused with `Escape`.
    fn symlink_at(&self, target: &[u8], link: &[u8]) -> Result<(), FsError>;

    /// The target of the symlink at `path`, verbatim (`path_readlink`).
    fn readlink_at(&self, path: &[u8]) -> Result<Vec<u8>, FsError>;

    /// Sets the access and modification times of `path` (`path_filestat_set_times`).
    fn set_times_at(
        &self,
        path: &[u8],
        follow: bool,
        atime: TimeSpec,
        mtime: TimeSpec,
    ) -> Result<(), FsError>;

    /// Where `path` leads, without opening it: the symlink-free components
    /// below this directory, and the type of the object if it exists.
    fn resolve(&self, path: &[u8], follow: bool) -> Result<Resolved, FsError>;

    /// A second handle on the same directory with at most `access`
    /// (the result's mask is the intersection of both).
    fn reopen(&self, access: Access) -> Result<Box<dyn DirHandle>, FsError>;
}

/// An open non-directory of some backing (or a stdio stream).
///
/// The file position lives in the handle, so it moves with the handle when an
/// fd is renumbered.
pub trait FileHandle: fmt::Debug + Send + Sync {
    /// Reads at the current position and advances it (`fd_read`).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, FsError>;

    /// Writes at the current position (or the end, in append mode) and advances it (`fd_write`).
    fn write(&mut self, buf: &[u8]) -> Result<usize, FsError>;

    /// Reads at `offset` without moving the position (`fd_pread`).
    fn pread(&mut self, buf: &mut [u8], offset: u64) -> Result<usize, FsError>;

    /// Writes at `offset` without moving the position (`fd_pwrite`).
    fn pwrite(&mut self, buf: &[u8], offset: u64) -> Result<usize, FsError>;

    /// Moves the position and returns the new one (`fd_seek`, `fd_tell`).
    fn seek(&mut self, pos: SeekFrom) -> Result<u64, FsError>;

    /// Truncates or extends the file (`fd_filestat_set_size`).
    fn set_len(&mut self, len: u64) -> Result<(), FsError>;

    /// Flushes data (and, unless `data_only`, metadata) to storage (`fd_sync`, `fd_datasync`).
    fn sync(&mut self, data_only: bool) -> Result<(), FsError>;

    /// Sets the access and modification times (`fd_filestat_set_times`).
    fn set_times(&mut self, atime: TimeSpec, mtime: TimeSpec) -> Result<(), FsError>;

    /// Stat of the open object (`fd_filestat_get`).
    fn stat(&mut self) -> Result<Filestat, FsError>;

    /// Turns append mode on or off (`fd_fdstat_set_flags` with `APPEND`).
    fn set_append(&mut self, append: bool) -> Result<(), FsError>;

    /// Pushes buffered writes to the backing. The default does nothing.
    fn flush(&mut self) -> Result<(), FsError> {
        Ok(())
    }
}

/// Nanoseconds since the epoch for `TimeSpec::Now`.
pub(crate) fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Seconds + nanoseconds (as the host reports them) to nanoseconds since the
/// epoch; times before 1970 clamp to 0.
pub(crate) fn host_time_ns(sec: i64, nsec: i64) -> u64 {
    let sec = u64::try_from(sec).unwrap_or(0);
    let nsec = u64::try_from(nsec).unwrap_or(0);
    sec.saturating_mul(1_000_000_000).saturating_add(nsec)
}
