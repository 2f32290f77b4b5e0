//! The virtual backing: a directory inside any `virtual_fs::FileSystem`.
//!
//! `virtual-fs` filesystems take absolute paths, do not resolve `..` and (for
//! the in-memory `mem_fs` / `TmpFileSystem`) keep symlinks as inert records. So
//! this backing walks every guest path itself with [`crate::resolve`](mod@crate::resolve), one
//! no-follow lookup per component, and hands the filesystem only absolute,
//! symlink-free, `..`-free paths. On an in-memory filesystem this crate
//! created itself ([`VirtualFs::in_memory`], the default sandbox), where a
//! lookup can only pass through real directories, a path without `..` whose
//! final component needs no symlink following is checked with a single lookup
//! instead; anything else takes the walk. Inode numbers are synthesized: one counter per
//! filesystem, keyed by the normalized path, stable for the life of the
//! [`VirtualFs`] and identical between stat and readdir. `virtual-fs` files are
//! async; they are driven with `futures::executor::block_on`, which needs no
//! runtime for in-memory files.
//!
//! One file per job:
//! - `filesystem.rs`: [`VirtualFs`] (a named filesystem, its device id), its
//!   inode map, and the [`MemoryBudget`] of the in-memory sandbox;
//! - `dir.rs`: [`VfsDir`], the directory handle: every path operation, each
//!   resolved by [`crate::resolve`](mod@crate::resolve) (walk and final-name rules);
//! - `fast.rs`: the one-lookup fast path and why it is sound;
//! - `file.rs`: `VfsFile`, an open file, and the budget checks on its writes;
//! - here: the one-name lookups the resolver's walker makes on a filesystem.
//!
//! What this backing does not do: hard links (`mem_fs` has none; the error is
//! `Unsupported`), and times on directories or symlinks (`virtual-fs` has no
//! path-level `set_times`; also `Unsupported`).

use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use virtual_fs::FileSystem;

use super::common::filetype_from;
use super::{FileType, TimeSpec, now_ns};
use crate::error::FsError;
use crate::resolve::{Walk, WalkMeta};

mod dir;
mod fast;
mod file;
mod filesystem;

pub use dir::VfsDir;
pub use filesystem::{MAX_SANDBOX_BYTES, MemoryBudget, SharedFileSystem, VirtualFs};

fn os(name: &[u8]) -> &OsStr {
    OsStr::from_bytes(name)
}

fn filetype_of(md: &virtual_fs::Metadata) -> FileType {
    filetype_from!(&md.ft)
}

impl WalkMeta for virtual_fs::Metadata {
    fn filetype(&self) -> FileType {
        filetype_of(self)
    }
}

/// What a lookup in a virtual filesystem found, and where.
pub(crate) struct VfsMeta {
    md: virtual_fs::Metadata,
    path: PathBuf,
}

impl WalkMeta for VfsMeta {
    fn filetype(&self) -> FileType {
        filetype_of(&self.md)
    }
}

/// One-name lookups on a `virtual_fs` filesystem (paths are the directory references).
pub(crate) struct VfsWalk<'a> {
    pub(crate) fs: &'a dyn FileSystem,
}

impl Walk for VfsWalk<'_> {
    type Dir = PathBuf;
    type Meta = VfsMeta;

    fn kind(&self, dir: &PathBuf, name: &[u8]) -> Result<Option<VfsMeta>, FsError> {
        let path = dir.join(os(name));
        match self.fs.symlink_metadata(&path) {
            Ok(md) => Ok(Some(VfsMeta { md, path })),
            Err(virtual_fs::FsError::EntryNotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn readlink(&self, dir: &PathBuf, name: &[u8]) -> Result<Vec<u8>, FsError> {
        let target = self.fs.readlink(&dir.join(os(name)))?;
        Ok(target.into_os_string().into_vec())
    }

    fn descend(&self, _dir: &PathBuf, _name: &[u8], meta: VfsMeta) -> Result<PathBuf, FsError> {
        Ok(meta.path)
    }
}

/// A preview1 time as `virtual-fs` takes it (`None`: leave unchanged).
fn ns_of(t: TimeSpec) -> Option<u64> {
    match t {
        TimeSpec::Omit => None,
        TimeSpec::Now => Some(now_ns()),
        TimeSpec::Set(ns) => Some(ns),
    }
}
