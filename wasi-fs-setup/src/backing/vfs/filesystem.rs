//! [`VirtualFs`]: a named `virtual_fs` filesystem, its device id and inode
//! map, and the [`MemoryBudget`] of an in-memory filesystem this crate made.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use virtual_fs::FileSystem;

use super::{VfsDir, VfsWalk, filetype_of};
use crate::backing::{Access, FileType, Filestat};
use crate::error::{FsError, FsErrorKind};
use crate::resolve::{join_path, resolve_with};

/// The filesystem type the virtual backing accepts.
pub type SharedFileSystem = Arc<dyn FileSystem + Send + Sync>;

/// Inode numbers by normalized absolute path. Keys are the path's bytes: the
/// paths are already normalized, and hashing bytes is much cheaper than
/// hashing a `Path` component by component. The hasher is foldhash's
/// randomly seeded quality variant: guests choose the keys.
struct InodeMap {
    by_path: HashMap<Vec<u8>, u64, foldhash::quality::RandomState>,
    next: u64,
}

fn key(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

fn under(p: &[u8], root: &Path) -> bool {
    Path::new(OsStr::from_bytes(p)).starts_with(root)
}

impl InodeMap {
    fn new() -> Self {
        InodeMap {
            by_path: HashMap::default(),
            next: 1,
        }
    }

    /// The number of `path`, handing out the next one on first sight.
    fn ino(&mut self, path: &Path) -> u64 {
        if let Some(ino) = self.by_path.get(key(path)) {
            return *ino;
        }
        let ino = self.next;
        self.next += 1;
        self.by_path.insert(key(path).to_vec(), ino);
        ino
    }

    /// Forgets the numbers of `path` and everything below it.
    fn forget(&mut self, path: &Path) {
        self.by_path.retain(|p, _| !under(p, path));
    }

    /// Carries the numbers of `from` and everything below it over to `to`,
    /// dropping those of what was at `to`.
    fn moved(&mut self, from: &Path, to: &Path) {
        self.by_path.retain(|p, _| !under(p, to));
        let moving: Vec<(Vec<u8>, u64)> = self
            .by_path
            .iter()
            .filter(|(p, _)| under(p, from))
            .map(|(p, i)| (p.clone(), *i))
            .collect();
        for (old, ino) in moving {
            self.by_path.remove(&old);
            if let Ok(rest) = Path::new(OsStr::from_bytes(&old)).strip_prefix(from) {
                let new = if rest.as_os_str().is_empty() {
                    to.to_path_buf()
                } else {
                    to.join(rest)
                };
                self.by_path.insert(key(&new).to_vec(), ino);
            }
        }
    }
}

/// Default most bytes an in-memory filesystem made by
/// [`VirtualFs::in_memory`] (the default sandbox) holds: 1 GiB.
///
/// Reason: a guest decides what it writes into the sandbox, and the sandbox
/// keeps it in host memory. See [`MemoryBudget`] for what counts.
pub const MAX_SANDBOX_BYTES: u64 = 1 << 30;

/// Host bytes charged for one file or directory of an in-memory filesystem,
/// besides file data: its node, metadata and name (at most 255 bytes).
const OBJECT_BYTES: u64 = 1024;

/// Host bytes charged for one symlink: an object plus the longest target.
const SYMLINK_BYTES: u64 = OBJECT_BYTES + crate::resolve::PATH_MAX as u64;

/// The host memory an in-memory filesystem this crate made may hold.
///
/// What counts: the capacity of every file's buffer (told by `virtual-fs`
/// through its memory limiter, as buffers grow and are freed) plus a fixed
/// charge per file, directory (`OBJECT_BYTES`, 1 KiB) and symlink (1 KiB
/// plus `PATH_MAX`). A write, positional write or size change that would
/// take the count past the limit is refused with ENOSPC *before* anything
/// is allocated (so a 1 TB `fd_filestat_set_size` costs nothing), and so is
/// creating an object. A file's buffer may still grow by doubling, so host
/// memory stays below twice the limit.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: u64,
    used: std::sync::atomic::AtomicU64,
}

impl MemoryBudget {
    fn new(limit: u64) -> Self {
        Self {
            limit,
            used: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The limit in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytes counted now.
    pub fn used(&self) -> u64 {
        self.used.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// ENOSPC unless `more` bytes still fit.
    fn admit(&self, more: u64) -> Result<(), FsError> {
        if self.used().saturating_add(more) > self.limit {
            return Err(FsErrorKind::NoSpace.into());
        }
        Ok(())
    }

    /// Counts `bytes` for a new object, or ENOSPC if they do not fit.
    fn charge(&self, bytes: u64) -> Result<(), FsError> {
        use std::sync::atomic::Ordering;
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes).filter(|total| *total <= self.limit)
            })
            .map(drop)
            .map_err(|_| FsErrorKind::NoSpace.into())
    }

    /// Stops counting `bytes` (a removed object, a freed buffer).
    fn refund(&self, bytes: u64) {
        use std::sync::atomic::Ordering;
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_sub(bytes))
            });
    }
}

/// `virtual-fs` tells the budget how its file buffers grow and shrink. It
/// never refuses: the budget refuses before the buffer grows (see
/// [`MemoryBudget`]), since `virtual-fs` asks only after allocating.
impl virtual_fs::limiter::FsMemoryLimiter for MemoryBudget {
    fn on_grow(&self, grown_bytes: usize) -> Result<(), virtual_fs::FsError> {
        let grown = u64::try_from(grown_bytes).unwrap_or(u64::MAX);
        self.used
            .fetch_add(grown, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    fn on_shrink(&self, shrunk_bytes: usize) {
        self.refund(u64::try_from(shrunk_bytes).unwrap_or(u64::MAX));
    }
}

/// The charge for an object of type `kind`.
fn object_bytes(kind: FileType) -> u64 {
    if kind == FileType::SymbolicLink {
        SYMLINK_BYTES
    } else {
        OBJECT_BYTES
    }
}

/// A named `virtual_fs` filesystem with its synthesized device id and inode numbers.
pub struct VirtualFs {
    name: String,
    pub(super) fs: SharedFileSystem,
    dev: u64,
    inodes: Mutex<InodeMap>,
    /// Lookups never traverse a symlink (a `TmpFileSystem` this crate created
    /// and into which nothing was mounted): see `fast.rs` for the one-lookup
    /// fast path this allows and why it is sound.
    pub(super) inert: bool,
    /// The memory bound of an in-memory filesystem this crate created.
    budget: Option<Arc<MemoryBudget>>,
}

impl fmt::Debug for VirtualFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualFs")
            .field("name", &self.name)
            .field("dev", &self.dev)
            .finish_non_exhaustive()
    }
}

impl VirtualFs {
    /// Wraps `fs` under `name`; `dev` is the device id its stats report.
    ///
    /// Every guest path is walked one component at a time, whatever `fs` does
    /// with symlinks or mounts. It has no [`MemoryBudget`]: how much a guest
    /// may write into a writable filesystem of the caller's is the caller's
    /// to bound (an in-memory one should be made with
    /// [`in_memory_with_limit`](Self::in_memory_with_limit) instead).
    pub fn new(name: impl Into<String>, fs: SharedFileSystem, dev: u64) -> Arc<Self> {
        Self::with_mode(name.into(), fs, dev, None)
    }

    /// A fresh, empty in-memory filesystem (`TmpFileSystem`) named `name`.
    ///
    /// Because this crate made it, it knows that looking up a path never
    /// traverses a symlink there (a `mem_fs` lookup fails on any non-directory
    /// component), so a path without `..` is checked with one lookup instead
    /// of one per component. Mounting another filesystem into it (through
    /// `TmpFileSystem::union` on [`filesystem`](Self::filesystem)) voids that
    /// knowledge: mount into a filesystem given to [`new`](Self::new) instead.
    ///
    /// It holds at most [`MAX_SANDBOX_BYTES`] of host memory (see
    /// [`MemoryBudget`]); [`in_memory_with_limit`](Self::in_memory_with_limit)
    /// sets another bound.
    pub fn in_memory(name: impl Into<String>, dev: u64) -> Arc<Self> {
        Self::in_memory_with_limit(name, dev, MAX_SANDBOX_BYTES)
    }

    /// [`in_memory`](Self::in_memory), holding at most `limit` bytes.
    pub fn in_memory_with_limit(name: impl Into<String>, dev: u64, limit: u64) -> Arc<Self> {
        let budget = Arc::new(MemoryBudget::new(limit));
        let fs = virtual_fs::TmpFileSystem::new();
        fs.set_memory_limiter(Arc::clone(&budget) as virtual_fs::limiter::DynFsMemoryLimiter);
        Self::with_mode(name.into(), Arc::new(fs), dev, Some(budget))
    }

    fn with_mode(
        name: String,
        fs: SharedFileSystem,
        dev: u64,
        budget: Option<Arc<MemoryBudget>>,
    ) -> Arc<Self> {
        Arc::new(VirtualFs {
            name,
            fs,
            dev,
            inodes: Mutex::new(InodeMap::new()),
            inert: budget.is_some(),
            budget,
        })
    }

    /// The memory bound of an in-memory filesystem made by
    /// [`in_memory`](Self::in_memory); `None` for a caller's filesystem.
    pub fn budget(&self) -> Option<&MemoryBudget> {
        self.budget.as_deref()
    }

    /// Counts a new object of type `kind`; ENOSPC if it does not fit.
    pub(super) fn charge_object(&self, kind: FileType) -> Result<(), FsError> {
        self.budget
            .as_ref()
            .map_or(Ok(()), |b| b.charge(object_bytes(kind)))
    }

    /// Stops counting a removed object of type `kind`.
    pub(super) fn refund_object(&self, kind: FileType) {
        if let Some(b) = &self.budget {
            b.refund(object_bytes(kind));
        }
    }

    /// ENOSPC unless a file of `size` bytes may grow to `end`.
    pub(super) fn admit_growth(&self, size: u64, end: u64) -> Result<(), FsError> {
        match &self.budget {
            Some(b) if end > size => b.admit(end - size),
            _ => Ok(()),
        }
    }

    /// The name the filesystem was registered under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The wrapped filesystem.
    pub fn filesystem(&self) -> &SharedFileSystem {
        &self.fs
    }

    /// The device id of every object in this filesystem.
    pub fn dev(&self) -> u64 {
        self.dev
    }

    /// The inode number of the object at `path` (absolute, normalized).
    /// Numbers start at 1 and are never reused while the path keeps its object.
    pub fn ino(&self, path: &Path) -> u64 {
        self.inodes().ino(path)
    }

    fn inodes(&self) -> std::sync::MutexGuard<'_, InodeMap> {
        self.inodes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets the numbers of `path` and everything below it (after a removal).
    pub(super) fn forget(&self, path: &Path) {
        self.inodes().forget(path);
    }

    /// Carries the numbers of `from` and everything below it over to `to` (after a rename).
    pub(super) fn moved(&self, from: &Path, to: &Path) {
        self.inodes().moved(from, to);
    }

    pub(super) fn stat_path(&self, path: &Path) -> Result<Filestat, FsError> {
        let md = self.fs.symlink_metadata(path)?;
        Ok(self.stat_of(path, &md))
    }

    pub(super) fn stat_of(&self, path: &Path, md: &virtual_fs::Metadata) -> Filestat {
        Filestat {
            dev: self.dev,
            ino: self.ino(path),
            filetype: filetype_of(md),
            nlink: 1,
            size: md.len,
            atim: md.accessed,
            mtim: md.modified,
            // virtual-fs keeps no status-change time; the last modification is the closest.
            ctim: md.modified,
        }
    }

    /// Opens the directory at the absolute `path` of this filesystem.
    ///
    /// `path` is resolved like a guest path from the filesystem root (symlinks
    /// inside the filesystem are followed, `..` cannot climb above `/`).
    pub fn open_dir(self: &Arc<Self>, path: &Path, access: Access) -> Result<VfsDir, FsError> {
        let root = PathBuf::from("/");
        let rel = path.strip_prefix("/").unwrap_or(path);
        let dir = if rel.as_os_str().is_empty() {
            let md = self.fs.metadata(&root)?;
            if !md.is_dir() {
                return Err(FsErrorKind::NotDir.into());
            }
            root
        } else {
            let walk = VfsWalk { fs: &*self.fs };
            let r = resolve_with(&walk, &root, rel.as_os_str().as_bytes(), true)?;
            match r.filetype() {
                Some(FileType::Directory) => join_path(&root, r.path_bytes()),
                Some(_) => return Err(FsErrorKind::NotDir.into()),
                None => return Err(FsErrorKind::NotFound.into()),
            }
        };
        Ok(VfsDir::new(Arc::clone(self), dir, access))
    }

    /// Creates the directory `path` and its missing parents (setup only; no guest path).
    pub(crate) fn create_dir_all(&self, path: &Path) -> Result<(), FsError> {
        let mut cur = PathBuf::from("/");
        for comp in path.components() {
            if let std::path::Component::Normal(n) = comp {
                cur.push(n);
                match self.fs.symlink_metadata(&cur) {
                    Ok(md) if md.is_dir() => {}
                    Ok(_) => return Err(FsErrorKind::NotDir.into()),
                    Err(virtual_fs::FsError::EntryNotFound) => {
                        // Charged like any directory, since removing it
                        // refunds it.
                        self.charge_object(FileType::Directory)?;
                        self.fs
                            .create_dir(&cur)
                            .inspect_err(|_| self.refund_object(FileType::Directory))?;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    }
}
