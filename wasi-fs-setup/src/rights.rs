//! Preview1 rights and their derivation from a preopen's permissions.
//!
//! The bit numbers are those of `wasi_snapshot_preview1` (`rights` in
//! `wasi/api.h`): bit 0 is `fd_datasync`, bit 29 is `sock_accept`. This crate
//! defines them itself so it does not need `wasmer-wasix-types`.
//!
//! What this module does not do: check rights. The syscall layer compares an
//! fd's [`FdRights`] with what a call needs ([`Rights::contains`]); the
//! backings additionally refuse writes through a read-only handle (see
//! [`Access`]), so a missed check cannot widen a
//! read-only preopen.

use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not};

use crate::backing::Access;

/// A set of preview1 rights (the `rights` bitfield).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rights(u64);

macro_rules! rights {
    ($($(#[$doc:meta])* $name:ident = $bit:expr;)*) => {
        impl Rights {
            $($(#[$doc])* pub const $name: Rights = Rights(1 << $bit);)*
            /// Every right preview1 defines (bits 0 to 29).
            pub const ALL: Rights = Rights($((1 << $bit))|*);
            const NAMES: &'static [(Rights, &'static str)] = &[$((Rights::$name, stringify!($name)),)*];
        }
    };
}

rights! {
    /// `fd_datasync` (bit 0).
    FD_DATASYNC = 0;
    /// `fd_read` (bit 1).
    FD_READ = 1;
    /// `fd_seek` (bit 2).
    FD_SEEK = 2;
    /// `fd_fdstat_set_flags` (bit 3).
    FD_FDSTAT_SET_FLAGS = 3;
    /// `fd_sync` (bit 4).
    FD_SYNC = 4;
    /// `fd_tell` (bit 5).
    FD_TELL = 5;
    /// `fd_write` (bit 6).
    FD_WRITE = 6;
    /// `fd_advise` (bit 7).
    FD_ADVISE = 7;
    /// `fd_allocate` (bit 8).
    FD_ALLOCATE = 8;
    /// `path_create_directory` (bit 9).
    PATH_CREATE_DIRECTORY = 9;
    /// `path_create_file` (bit 10).
    PATH_CREATE_FILE = 10;
    /// `path_link_source` (bit 11).
    PATH_LINK_SOURCE = 11;
    /// `path_link_target` (bit 12).
    PATH_LINK_TARGET = 12;
    /// `path_open` (bit 13).
    PATH_OPEN = 13;
    /// `fd_readdir` (bit 14).
    FD_READDIR = 14;
    /// `path_readlink` (bit 15).
    PATH_READLINK = 15;
    /// `path_rename_source` (bit 16).
    PATH_RENAME_SOURCE = 16;
    /// `path_rename_target` (bit 17).
    PATH_RENAME_TARGET = 17;
    /// `path_filestat_get` (bit 18).
    PATH_FILESTAT_GET = 18;
    /// `path_filestat_set_size` (bit 19): also the right to open with `O_TRUNC`.
    PATH_FILESTAT_SET_SIZE = 19;
    /// `path_filestat_set_times` (bit 20).
    PATH_FILESTAT_SET_TIMES = 20;
    /// `fd_filestat_get` (bit 21).
    FD_FILESTAT_GET = 21;
    /// `fd_filestat_set_size` (bit 22).
    FD_FILESTAT_SET_SIZE = 22;
    /// `fd_filestat_set_times` (bit 23).
    FD_FILESTAT_SET_TIMES = 23;
    /// `path_symlink` (bit 24).
    PATH_SYMLINK = 24;
    /// `path_remove_directory` (bit 25).
    PATH_REMOVE_DIRECTORY = 25;
    /// `path_unlink_file` (bit 26).
    PATH_UNLINK_FILE = 26;
    /// `poll_fd_readwrite` (bit 27).
    POLL_FD_READWRITE = 27;
    /// `sock_shutdown` (bit 28).
    SOCK_SHUTDOWN = 28;
    /// `sock_accept` (bit 29).
    SOCK_ACCEPT = 29;
}

impl Rights {
    /// No rights.
    pub const NONE: Rights = Rights(0);

    /// Rights from raw bits; bits above 29 are dropped.
    pub const fn from_bits_truncate(bits: u64) -> Self {
        Rights(bits & Self::ALL.0)
    }

    /// The raw bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether every right in `other` is in `self`.
    pub const fn contains(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether `self` and `other` share a right.
    pub const fn intersects(self, other: Rights) -> bool {
        self.0 & other.0 != 0
    }

    /// The union of both sets (usable in constants).
    pub const fn union(self, other: Rights) -> Rights {
        Rights(self.0 | other.0)
    }

    /// The rights in both sets (usable in constants).
    pub const fn intersection(self, other: Rights) -> Rights {
        Rights(self.0 & other.0)
    }

    /// The rights of `self` that are not in `other`.
    pub const fn difference(self, other: Rights) -> Rights {
        Rights(self.0 & !other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for Rights {
    type Output = Rights;
    fn bitor(self, rhs: Rights) -> Rights {
        self.union(rhs)
    }
}

impl BitOrAssign for Rights {
    fn bitor_assign(&mut self, rhs: Rights) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Rights {
    type Output = Rights;
    fn bitand(self, rhs: Rights) -> Rights {
        self.intersection(rhs)
    }
}

impl Not for Rights {
    type Output = Rights;
    fn not(self) -> Rights {
        Rights(!self.0 & Self::ALL.0)
    }
}

impl fmt::Debug for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rights(")?;
        let mut first = true;
        for (right, name) in Self::NAMES {
            if self.contains(*right) {
                if !first {
                    write!(f, "|")?;
                }
                first = false;
                write!(f, "{}", name.to_ascii_lowercase())?;
            }
        }
        write!(f, ")")
    }
}

/// Rights that only look: stat, list, read links, open.
const DIR_LOOK: Rights = Rights::PATH_OPEN
    .union(Rights::FD_READDIR)
    .union(Rights::PATH_READLINK)
    .union(Rights::PATH_FILESTAT_GET)
    .union(Rights::FD_FILESTAT_GET)
    .union(Rights::FD_FDSTAT_SET_FLAGS)
    .union(Rights::POLL_FD_READWRITE);

/// Directory rights that change or remove existing entries.
const DIR_MODIFY: Rights = Rights::PATH_FILESTAT_SET_SIZE
    .union(Rights::PATH_FILESTAT_SET_TIMES)
    .union(Rights::FD_FILESTAT_SET_TIMES)
    .union(Rights::PATH_UNLINK_FILE)
    .union(Rights::PATH_REMOVE_DIRECTORY)
    .union(Rights::PATH_RENAME_SOURCE)
    .union(Rights::PATH_LINK_SOURCE)
    .union(Rights::FD_DATASYNC)
    .union(Rights::FD_SYNC);

/// Directory rights that add new names.
const DIR_CREATE: Rights = Rights::PATH_CREATE_DIRECTORY
    .union(Rights::PATH_CREATE_FILE)
    .union(Rights::PATH_SYMLINK)
    .union(Rights::PATH_LINK_TARGET)
    .union(Rights::PATH_RENAME_TARGET);

/// File rights that only read.
const FILE_READ: Rights = Rights::FD_READ
    .union(Rights::FD_SEEK)
    .union(Rights::FD_TELL)
    .union(Rights::FD_ADVISE)
    .union(Rights::FD_FILESTAT_GET)
    .union(Rights::FD_FDSTAT_SET_FLAGS)
    .union(Rights::POLL_FD_READWRITE);

/// File rights that change the file.
const FILE_WRITE: Rights = Rights::FD_WRITE
    .union(Rights::FD_DATASYNC)
    .union(Rights::FD_SYNC)
    .union(Rights::FD_ALLOCATE)
    .union(Rights::FD_FILESTAT_SET_SIZE)
    .union(Rights::FD_FILESTAT_SET_TIMES);

impl Rights {
    /// The rights that mean something on a directory fd: a directory opened
    /// with more keeps only these as its base rights (wasmtime's `fdstat` of
    /// a directory never shows `fd_seek`, `fd_read` or `fd_write`).
    pub const DIRECTORY: Rights = DIR_LOOK.union(DIR_MODIFY).union(DIR_CREATE);

    /// The rights that mean something on a regular file (or another
    /// non-directory) fd.
    pub const REGULAR_FILE: Rights = FILE_READ.union(FILE_WRITE);

    /// Rights whose presence in `path_open`'s base rights opens a file for
    /// writing. `fd_datasync` alone does not: directories carry it too, and
    /// wasi-libc always asks for it together with `fd_write`.
    pub const OPEN_FOR_WRITING: Rights = Rights::FD_WRITE
        .union(Rights::FD_ALLOCATE)
        .union(Rights::FD_FILESTAT_SET_SIZE);

    /// Rights whose presence in `path_open`'s base rights opens a file (or
    /// directory) for reading.
    pub const OPEN_FOR_READING: Rights = Rights::FD_READ.union(Rights::FD_READDIR);
}

/// Rights of the stdin fd.
const STDIN_RIGHTS: Rights = Rights::FD_READ
    .union(Rights::FD_FDSTAT_SET_FLAGS)
    .union(Rights::FD_FILESTAT_GET)
    .union(Rights::POLL_FD_READWRITE);

/// Rights of the stdout and stderr fds.
const STDOUT_RIGHTS: Rights = Rights::FD_WRITE
    .union(Rights::FD_DATASYNC)
    .union(Rights::FD_SYNC)
    .union(Rights::FD_FDSTAT_SET_FLAGS)
    .union(Rights::FD_FILESTAT_GET)
    .union(Rights::POLL_FD_READWRITE);

/// The base and inheriting rights of one fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FdRights {
    /// What this fd may do.
    pub base: Rights,
    /// What fds opened through this one (a directory) may at most do.
    pub inheriting: Rights,
}

impl FdRights {
    /// Rights of a preopened directory with the given access.
    ///
    /// - always: open, stat and fdstat-set-flags;
    /// - `read`: list the directory, read links; files may be read, seeked, advised;
    /// - `write`: truncate (`path_filestat_set_size`), set times, unlink, remove
    ///   directories, be the *source* of a rename or hard link, sync; files may be
    ///   written, allocated, resized;
    /// - `create`: create files and directories, symlinks, be the *target* of a
    ///   rename or hard link.
    ///
    /// So a read-only preopen gets none of the write, create, truncate, unlink,
    /// rename, link, symlink, remove-directory or set-times rights, and cannot be
    /// the source of a hard link or rename into a writable directory.
    pub const fn for_preopen(access: Access) -> Self {
        let mut dir = Rights::PATH_OPEN
            .union(Rights::PATH_FILESTAT_GET)
            .union(Rights::FD_FILESTAT_GET)
            .union(Rights::FD_FDSTAT_SET_FLAGS)
            .union(Rights::POLL_FD_READWRITE);
        let mut file = Rights::FD_SEEK
            .union(Rights::FD_TELL)
            .union(Rights::FD_FILESTAT_GET)
            .union(Rights::FD_FDSTAT_SET_FLAGS)
            .union(Rights::POLL_FD_READWRITE);
        if access.read {
            dir = dir.union(DIR_LOOK);
            file = file.union(FILE_READ);
        }
        if access.write {
            dir = dir.union(DIR_MODIFY);
            file = file.union(FILE_WRITE);
        }
        if access.create {
            dir = dir.union(DIR_CREATE);
        }
        FdRights {
            base: dir,
            inheriting: dir.union(file),
        }
    }

    /// Rights of an fd opened through a directory fd with `parent` rights:
    /// what was asked for, cut down to what the parent may pass on.
    pub const fn derive(parent: FdRights, base: Rights, inheriting: Rights) -> Self {
        FdRights {
            base: base.intersection(parent.inheriting),
            inheriting: inheriting.intersection(parent.inheriting),
        }
    }

    /// Rights of stdin (fd 0).
    pub const STDIN: FdRights = FdRights {
        base: STDIN_RIGHTS,
        inheriting: Rights::NONE,
    };

    /// Rights of stdout and stderr (fds 1 and 2).
    pub const STDOUT: FdRights = FdRights {
        base: STDOUT_RIGHTS,
        inheriting: Rights::NONE,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRITE_LIKE: [Rights; 14] = [
        Rights::FD_WRITE,
        Rights::PATH_CREATE_DIRECTORY,
        Rights::PATH_CREATE_FILE,
        Rights::PATH_FILESTAT_SET_SIZE,
        Rights::PATH_UNLINK_FILE,
        Rights::PATH_RENAME_SOURCE,
        Rights::PATH_RENAME_TARGET,
        Rights::PATH_LINK_SOURCE,
        Rights::PATH_LINK_TARGET,
        Rights::PATH_SYMLINK,
        Rights::PATH_REMOVE_DIRECTORY,
        Rights::PATH_FILESTAT_SET_TIMES,
        Rights::FD_FILESTAT_SET_TIMES,
        Rights::FD_FILESTAT_SET_SIZE,
    ];

    #[test]
    fn bit_numbers_match_preview1() {
        assert_eq!(Rights::FD_DATASYNC.bits(), 1);
        assert_eq!(Rights::FD_READ.bits(), 1 << 1);
        assert_eq!(Rights::FD_WRITE.bits(), 1 << 6);
        assert_eq!(Rights::PATH_OPEN.bits(), 1 << 13);
        assert_eq!(Rights::FD_READDIR.bits(), 1 << 14);
        assert_eq!(Rights::PATH_FILESTAT_SET_SIZE.bits(), 1 << 19);
        assert_eq!(Rights::PATH_SYMLINK.bits(), 1 << 24);
        assert_eq!(Rights::SOCK_ACCEPT.bits(), 1 << 29);
        assert_eq!(Rights::ALL.bits(), 0x3fff_ffff);
        assert_eq!(Rights::from_bits_truncate(u64::MAX), Rights::ALL);
    }

    #[test]
    fn read_only_preopen_has_no_write_rights() {
        let r = FdRights::for_preopen(Access::READ_ONLY);
        for right in WRITE_LIKE {
            assert!(!r.base.intersects(right), "base has {right:?}");
            assert!(!r.inheriting.intersects(right), "inheriting has {right:?}");
        }
        assert!(r.base.contains(Rights::PATH_OPEN | Rights::FD_READDIR));
        assert!(r.inheriting.contains(Rights::FD_READ | Rights::FD_SEEK));
    }

    #[test]
    fn read_only_dir_cannot_be_link_or_rename_source() {
        let ro = FdRights::for_preopen(Access::READ_ONLY);
        let rw = FdRights::for_preopen(Access::READ_WRITE_CREATE);
        assert!(!ro.base.contains(Rights::PATH_LINK_SOURCE));
        assert!(!ro.base.contains(Rights::PATH_RENAME_SOURCE));
        assert!(
            rw.base
                .contains(Rights::PATH_LINK_TARGET | Rights::PATH_RENAME_TARGET)
        );
        // A subdirectory opened from the read-only preopen cannot regain them.
        let sub = FdRights::derive(ro, Rights::ALL, Rights::ALL);
        assert!(
            !sub.base
                .intersects(Rights::PATH_LINK_SOURCE | Rights::PATH_RENAME_SOURCE)
        );
    }

    #[test]
    fn write_without_create_cannot_add_names() {
        let r = FdRights::for_preopen(Access {
            read: true,
            write: true,
            create: false,
        });
        assert!(r.base.contains(Rights::PATH_UNLINK_FILE));
        assert!(!r.base.intersects(
            Rights::PATH_CREATE_FILE | Rights::PATH_CREATE_DIRECTORY | Rights::PATH_SYMLINK
        ));
        assert!(r.inheriting.contains(Rights::FD_WRITE));
    }

    #[test]
    fn full_access_covers_every_path_right() {
        let r = FdRights::for_preopen(Access::READ_WRITE_CREATE);
        for right in WRITE_LIKE {
            assert!(r.inheriting.contains(right), "missing {right:?}");
        }
        assert!(
            !r.base
                .intersects(Rights::SOCK_ACCEPT | Rights::SOCK_SHUTDOWN)
        );
    }

    #[test]
    fn debug_lists_names() {
        let s = format!("{:?}", Rights::FD_READ | Rights::PATH_OPEN);
        assert_eq!(s, "Rights(fd_read|path_open)");
        assert_eq!(!Rights::NONE, Rights::ALL);
    }

    #[test]
    fn right_sets_do_not_overlap_where_they_must_not() {
        assert!(
            !Rights::DIRECTORY.intersects(Rights::FD_SEEK | Rights::FD_READ | Rights::FD_WRITE)
        );
        assert!(!Rights::REGULAR_FILE.intersects(Rights::PATH_OPEN | Rights::FD_READDIR));
        assert!(!Rights::DIRECTORY.intersects(Rights::FD_FILESTAT_SET_SIZE));
    }
}
