//! Maps the file world's errors onto preview1 errnos.

use wasi_fs_setup::{FsError, FsErrorKind};

use crate::errno::Errno;

/// The preview1 errno for a file-world error.
///
/// Escapes from a directory capability (an absolute path, `..` above the
/// fd's directory, a symlink leading out) are ENOTCAPABLE, as wasmtime
/// reports them.
pub fn fs_errno(e: FsError) -> Errno {
    use FsErrorKind as K;
    match e.kind() {
        K::NotFound => Errno::Noent,
        K::Exists => Errno::Exist,
        K::NotDir => Errno::Notdir,
        K::IsDir => Errno::Isdir,
        K::NotEmpty => Errno::Notempty,
        K::Loop => Errno::Loop,
        K::NameTooLong => Errno::Nametoolong,
        K::Access => Errno::Access,
        K::Perm => Errno::Perm,
        K::Escape | K::NotCapable => Errno::Notcapable,
        K::Inval => Errno::Inval,
        K::Io | K::Other => Errno::Io,
        K::XDev => Errno::Xdev,
        K::Unsupported => Errno::Notsup,
        K::BadF => Errno::Badf,
        K::MFile => Errno::Mfile,
        K::Busy => Errno::Busy,
        K::NoSpace => Errno::Nospc,
        K::ReadOnlyFs => Errno::Rofs,
        K::SPipe => Errno::Spipe,
        K::Again => Errno::Again,
        K::Interrupted => Errno::Intr,
        K::Pipe => Errno::Pipe,
        K::FBig => Errno::Fbig,
        K::Overflow => Errno::Overflow,
        K::TextBusy => Errno::Txtbsy,
        K::NoDev => Errno::Nodev,
        // FsErrorKind is non_exhaustive: a kind added later is an I/O error
        // until it gets its own mapping.
        #[allow(unreachable_patterns)]
        _ => Errno::Io,
    }
}
