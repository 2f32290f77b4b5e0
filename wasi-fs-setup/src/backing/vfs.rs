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
//! What this backing does not do: hard links (`mem_fs` has none; the error is
//! `Unsupported`), and times on directories or symlinks (`virtual-fs` has no
//! path-level `set_times`; also `Unsupported`).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::io::SeekFrom;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use futures::executor::block_on;
use virtual_fs::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, FileSystem, VirtualFile};

use super::{
    Access, DirEntry, DirHandle, FileHandle, FileType, Filestat, OpenFlags, Opened, TimeSpec,
    now_ns,
};
use crate::error::{FsError, FsErrorKind};
use crate::resolve::{
    Final, Last, Resolved, Stack, Walk, WalkMeta, Walker, is_plain, join_path, resolve_with,
    split_last, validate_path,
};

/// The filesystem type the virtual backing accepts.
pub type SharedFileSystem = Arc<dyn FileSystem + Send + Sync>;

fn os(name: &[u8]) -> &OsStr {
    OsStr::from_bytes(name)
}

fn filetype_of(md: &virtual_fs::Metadata) -> FileType {
    let ft = &md.ft;
    if ft.is_dir() {
        FileType::Directory
    } else if ft.is_symlink() {
        FileType::SymbolicLink
    } else if ft.is_file() {
        FileType::RegularFile
    } else if ft.is_char_device() {
        FileType::CharacterDevice
    } else if ft.is_block_device() {
        FileType::BlockDevice
    } else if ft.is_socket() {
        FileType::SocketStream
    } else {
        FileType::Unknown
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

use std::os::unix::ffi::OsStringExt;

/// Inode numbers by normalized absolute path. Keys are the path's bytes: the
/// paths are already normalized, and hashing bytes is much cheaper than
/// hashing a `Path` component by component. The hasher is foldhash's
/// randomly seeded quality variant: guests choose the keys.
#[derive(Default)]
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
/// charge per file, directory ([`OBJECT_BYTES`], 1 KiB) and symlink (1 KiB
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
    fs: SharedFileSystem,
    dev: u64,
    inodes: Mutex<InodeMap>,
    /// Lookups never traverse a symlink (a `TmpFileSystem` this crate created
    /// and into which nothing was mounted): see [`VfsDir::fast_locate`].
    inert: bool,
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
    /// with symlinks or mounts.
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
            inodes: Mutex::new(InodeMap {
                by_path: HashMap::default(),
                next: 1,
            }),
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
    fn charge_object(&self, kind: FileType) -> Result<(), FsError> {
        self.budget
            .as_ref()
            .map_or(Ok(()), |b| b.charge(object_bytes(kind)))
    }

    /// Stops counting a removed object of type `kind`.
    fn refund_object(&self, kind: FileType) {
        if let Some(b) = &self.budget {
            b.refund(object_bytes(kind));
        }
    }

    /// ENOSPC unless a file of `size` bytes may grow to `end`.
    fn admit_growth(&self, size: u64, end: u64) -> Result<(), FsError> {
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
        let mut map = self.inodes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(ino) = map.by_path.get(key(path)) {
            return *ino;
        }
        let ino = map.next;
        map.next += 1;
        map.by_path.insert(key(path).to_vec(), ino);
        ino
    }

    /// Forgets the numbers of `path` and everything below it (after a removal).
    fn forget(&self, path: &Path) {
        let mut map = self.inodes.lock().unwrap_or_else(PoisonError::into_inner);
        map.by_path.retain(|p, _| !under(p, path));
    }

    /// Carries the numbers of `from` and everything below it over to `to` (after a rename).
    fn moved(&self, from: &Path, to: &Path) {
        let mut map = self.inodes.lock().unwrap_or_else(PoisonError::into_inner);
        map.by_path.retain(|p, _| !under(p, to));
        let moving: Vec<(Vec<u8>, u64)> = map
            .by_path
            .iter()
            .filter(|(p, _)| under(p, from))
            .map(|(p, i)| (p.clone(), *i))
            .collect();
        for (old, ino) in moving {
            map.by_path.remove(&old);
            if let Ok(rest) = Path::new(OsStr::from_bytes(&old)).strip_prefix(from) {
                let new = if rest.as_os_str().is_empty() {
                    to.to_path_buf()
                } else {
                    to.join(rest)
                };
                map.by_path.insert(key(&new).to_vec(), ino);
            }
        }
    }

    fn stat_path(&self, path: &Path) -> Result<Filestat, FsError> {
        let md = self.fs.symlink_metadata(path)?;
        Ok(self.stat_of(path, &md))
    }

    fn stat_of(&self, path: &Path, md: &virtual_fs::Metadata) -> Filestat {
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
        Ok(VfsDir {
            vfs: Arc::clone(self),
            path: dir,
            access,
        })
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
                    Err(virtual_fs::FsError::EntryNotFound) => self.fs.create_dir(&cur)?,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    }
}

/// A directory inside a [`VirtualFs`].
pub struct VfsDir {
    vfs: Arc<VirtualFs>,
    path: PathBuf,
    access: Access,
}

impl fmt::Debug for VfsDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "VfsDir({}:{}, {:?})",
            self.vfs.name,
            self.path.display(),
            self.access
        )
    }
}

impl VfsDir {
    /// The absolute path of this directory inside its filesystem.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The filesystem this directory belongs to.
    pub fn vfs(&self) -> &Arc<VirtualFs> {
        &self.vfs
    }

    fn walk(&self) -> VfsWalk<'_> {
        VfsWalk { fs: &*self.vfs.fs }
    }

    fn fs(&self) -> &dyn FileSystem {
        &*self.vfs.fs
    }

    /// The lexical directory part of `path` below this directory, if it has
    /// no `..`, and whether it names a directory below this one (rather than
    /// this directory itself); `extra` bytes are reserved for a final name.
    fn lexical_dir(&self, dirname: &[u8], extra: usize) -> Option<(PathBuf, bool)> {
        if is_plain(dirname) {
            let mut dir = self.joined(dirname);
            dir.as_mut_os_string().reserve(extra + 1);
            return Some((dir, true));
        }
        let base = self.path.as_os_str().as_bytes();
        let mut buf = Vec::with_capacity(base.len() + dirname.len() + extra + 2);
        buf.extend_from_slice(base);
        let mut n = 0;
        for c in dirname.split(|b| *b == b'/') {
            match c {
                b"" | b"." => {}
                b".." => return None,
                name => {
                    if buf.last() != Some(&b'/') {
                        buf.push(b'/');
                    }
                    buf.extend_from_slice(name);
                    n += 1;
                }
            }
        }
        Some((PathBuf::from(std::ffi::OsString::from_vec(buf)), n > 0))
    }

    /// The parent directory of `path` with one lookup, when the filesystem is
    /// inert and the path has no `..`; `None` means "walk it".
    fn fast_parent(&self, path: &[u8]) -> Option<(PathBuf, Last)> {
        if !self.vfs.inert || validate_path(path).is_err() {
            return None;
        }
        let (dirname, last) = split_last(path);
        let (dir, nested) = self.lexical_dir(dirname, 0)?;
        // On an inert filesystem a lookup only passes through real directories,
        // so a directory here is exactly what the walk would have reached.
        if nested && !self.fs().symlink_metadata(&dir).ok()?.is_dir() {
            return None;
        }
        Some((dir, last))
    }

    /// `path` joined verbatim below this directory (for a plain path).
    fn joined(&self, path: &[u8]) -> PathBuf {
        let base = self.path.as_os_str().as_bytes();
        let mut buf = Vec::with_capacity(base.len() + 1 + path.len());
        buf.extend_from_slice(base);
        if buf.last() != Some(&b'/') {
            buf.push(b'/');
        }
        buf.extend_from_slice(path);
        PathBuf::from(std::ffi::OsString::from_vec(buf))
    }

    /// [`Self::locate`] with one or two lookups, when the filesystem is inert,
    /// the path has no `..`, and no final symlink needs following; `None`
    /// means "walk it" (which also produces the precise error). Returns the
    /// location, its metadata (`None`: missing) and whether the path ended in `/`.
    fn fast_locate(
        &self,
        path: &[u8],
        follow: bool,
    ) -> Option<(PathBuf, Option<virtual_fs::Metadata>, bool)> {
        if !self.vfs.inert {
            return None;
        }
        if is_plain(path) {
            // The common case: no `.`, `..`, empty component or trailing `/`.
            let nested = path.contains(&b'/');
            return self.inert_final(self.joined(path), nested, follow, false);
        }
        if validate_path(path).is_err() {
            return None;
        }
        let (dirname, last) = split_last(path);
        let name_len = match &last {
            Last::Name { name, .. } => name.len(),
            Last::Itself => 0,
        };
        let (mut loc, nested) = self.lexical_dir(dirname, name_len)?;
        let Last::Name { name, dir_required } = last else {
            let md = self.fs().symlink_metadata(&loc).ok()?;
            return md.is_dir().then_some((loc, Some(md), false));
        };
        loc.push(os(&name));
        self.inert_final(loc, nested, follow, dir_required)
    }

    /// The fast path's answer for the final component at `loc` on an inert
    /// filesystem; `nested` says the parent is not this directory itself (so
    /// it must be checked to be a directory when `loc` is missing).
    fn inert_final(
        &self,
        mut loc: PathBuf,
        nested: bool,
        follow: bool,
        dir_required: bool,
    ) -> Option<(PathBuf, Option<virtual_fs::Metadata>, bool)> {
        match self.fs().symlink_metadata(&loc) {
            Ok(md) => {
                let clean = match filetype_of(&md) {
                    FileType::Directory => true,
                    FileType::SymbolicLink => !(follow || dir_required),
                    _ => !dir_required,
                };
                clean.then_some((loc, Some(md), dir_required))
            }
            Err(virtual_fs::FsError::EntryNotFound) => {
                if nested {
                    let name = loc.file_name()?.to_os_string();
                    loc.pop();
                    if !self.fs().symlink_metadata(&loc).ok()?.is_dir() {
                        return None;
                    }
                    loc.push(name);
                }
                Some((loc, None, dir_required))
            }
            Err(_) => None,
        }
    }

    /// Walks all but the last component: the parent directory and the last component.
    fn parent(&self, path: &[u8]) -> Result<(PathBuf, Last), FsError> {
        if let Some(found) = self.fast_parent(path) {
            return Ok(found);
        }
        let w = self.walk();
        let mut walker = Walker::new(&w);
        let mut st = Stack::new(&self.path);
        let last = walker.parent(&mut st, path)?;
        Ok((st.top().clone(), last))
    }

    /// Walks the whole path, following a final symlink if `follow`: the object's
    /// location and type (`None`: missing).
    fn locate(&self, path: &[u8], follow: bool) -> Result<(PathBuf, Option<FileType>), FsError> {
        let (loc, md) = self.locate_meta(path, follow)?;
        Ok((loc, md.as_ref().map(filetype_of)))
    }

    /// Like [`Self::locate`], with the object's metadata (`None`: missing).
    fn locate_meta(
        &self,
        path: &[u8],
        follow: bool,
    ) -> Result<(PathBuf, Option<virtual_fs::Metadata>), FsError> {
        if let Some((loc, md, _)) = self.fast_locate(path, follow) {
            return Ok((loc, md));
        }
        let w = self.walk();
        let mut walker = Walker::new(&w);
        let mut st = Stack::new(&self.path);
        let last = walker.parent(&mut st, path)?;
        let (_, found) = walker.finish(&mut st, last, follow)?;
        match found {
            Final::Itself => {
                let loc = st.top().clone();
                let md = self.fs().symlink_metadata(&loc)?;
                Ok((loc, Some(md)))
            }
            Final::Found(Some(meta)) => Ok((meta.path, Some(meta.md))),
            Final::Found(None) => {
                // The final name is missing: its place is in the top directory.
                let last = split_last(path).1;
                let mut loc = st.top().clone();
                if let Last::Name { name, .. } = last {
                    loc.push(os(&name));
                }
                Ok((loc, None))
            }
        }
    }

    fn kind_at(&self, dir: &Path, name: &[u8]) -> Result<Option<FileType>, FsError> {
        let dir = dir.to_path_buf();
        Ok(self.walk().kind(&dir, name)?.map(|m| m.filetype()))
    }

    fn same_fs<'a>(&self, other: &'a dyn DirHandle) -> Result<&'a VfsDir, FsError> {
        let any: &dyn std::any::Any = other;
        match any.downcast_ref::<VfsDir>() {
            Some(d) if Arc::ptr_eq(&d.vfs, &self.vfs) => Ok(d),
            _ => Err(FsErrorKind::XDev.into()),
        }
    }

    fn open_file(&self, loc: &Path, flags: OpenFlags) -> Result<VfsFile, FsError> {
        if flags.truncate && !(flags.write || flags.append) {
            let mut f = self.fs().new_open_options().write(true).open(loc)?;
            f.set_len(0)?;
        }
        let writes = flags.write || flags.append;
        let file = self
            .fs()
            .new_open_options()
            .read(flags.read)
            .write(writes)
            // Append mode is emulated by `VfsFile::write` (seek to the end
            // first) so that `set_append(false)` can turn it off; mem_fs's own
            // append mode could not be.
            .append(false)
            .truncate(flags.truncate && writes)
            .open(loc)?;
        Ok(VfsFile {
            file,
            vfs: Arc::clone(&self.vfs),
            path: loc.to_path_buf(),
            readable: flags.read,
            writable: writes,
            append: flags.append,
        })
    }

    /// The object `open_at` acts on, found by walking (symlinks followed with
    /// `open`'s rules): its location, type and whether a directory was required.
    fn walk_open_target(
        &self,
        path: &[u8],
        flags: OpenFlags,
    ) -> Result<(PathBuf, Option<FileType>, bool), FsError> {
        let w = self.walk();
        let mut walker = Walker::new(&w);
        let mut st = Stack::new(&self.path);
        let mut last = walker.parent(&mut st, path)?;
        loop {
            let (name, dir_required) = match &last {
                Last::Itself => {
                    if flags.create && flags.exclusive {
                        return Err(FsErrorKind::Exists.into());
                    }
                    return Ok((st.top().clone(), Some(FileType::Directory), false));
                }
                Last::Name { name, dir_required } => (name.clone(), *dir_required),
            };
            if flags.create && dir_required {
                // Linux: O_CREAT with a trailing slash is EISDIR, whatever is there.
                return Err(FsErrorKind::IsDir.into());
            }
            let kind = w.kind(st.top(), &name)?.map(|m| m.filetype());
            if kind != Some(FileType::SymbolicLink) {
                return Ok((st.top().join(os(&name)), kind, dir_required));
            }
            if flags.create && flags.exclusive {
                return Err(FsErrorKind::Exists.into());
            }
            if flags.nofollow && !dir_required {
                return Err(if flags.directory {
                    FsErrorKind::NotDir
                } else {
                    FsErrorKind::Loop
                }
                .into());
            }
            let target = walker.hop(st.top(), &name)?;
            let (dirname, next) = crate::resolve::split_last(&target);
            walker.dirs(&mut st, dirname)?;
            last = match next {
                Last::Name {
                    name,
                    dir_required: d,
                } => Last::Name {
                    name,
                    dir_required: d || dir_required,
                },
                Last::Itself => Last::Itself,
            };
        }
    }

    /// Opens the object found by `open_at`'s lookup.
    fn open_target(
        &self,
        loc: PathBuf,
        kind: Option<FileType>,
        dir_required: bool,
        flags: OpenFlags,
    ) -> Result<Opened, FsError> {
        match kind {
            Some(FileType::Directory) => {
                if flags.create && flags.exclusive {
                    return Err(FsErrorKind::Exists.into());
                }
                if flags.create || flags.mutates() {
                    return Err(FsErrorKind::IsDir.into());
                }
                Ok(Opened::Dir(Box::new(VfsDir {
                    vfs: Arc::clone(&self.vfs),
                    path: loc,
                    access: self.access,
                })))
            }
            Some(_) => {
                if flags.directory || dir_required {
                    return Err(FsErrorKind::NotDir.into());
                }
                if flags.create && flags.exclusive {
                    return Err(FsErrorKind::Exists.into());
                }
                Ok(Opened::File(Box::new(self.open_file(&loc, flags)?)))
            }
            None => {
                if !flags.create {
                    return Err(FsErrorKind::NotFound.into());
                }
                self.vfs.charge_object(FileType::RegularFile)?;
                match self
                    .fs()
                    .new_open_options()
                    .write(true)
                    .create_new(true)
                    .open(&loc)
                {
                    Ok(_) => {}
                    Err(virtual_fs::FsError::AlreadyExists) => {
                        self.vfs.refund_object(FileType::RegularFile);
                    }
                    Err(e) => {
                        self.vfs.refund_object(FileType::RegularFile);
                        return Err(e.into());
                    }
                }
                Ok(Opened::File(Box::new(self.open_file(&loc, flags)?)))
            }
        }
    }
}

impl DirHandle for VfsDir {
    fn access(&self) -> Access {
        self.access
    }

    fn stat(&self) -> Result<Filestat, FsError> {
        self.vfs.stat_path(&self.path)
    }

    fn open_at(&self, path: &[u8], flags: OpenFlags) -> Result<Opened, FsError> {
        flags.check(self.access)?;
        // A final symlink (followed or not) always takes the walk below, which
        // owns the create/exclusive/nofollow rules for symlinks.
        let (loc, kind, dir_required) = match self.fast_locate(path, true) {
            Some((loc, md, dir_required)) => {
                let kind = md.as_ref().map(filetype_of);
                if flags.create && dir_required {
                    return Err(FsErrorKind::IsDir.into());
                }
                (loc, kind, dir_required)
            }
            None => self.walk_open_target(path, flags)?,
        };
        self.open_target(loc, kind, dir_required, flags)
    }

    fn stat_at(&self, path: &[u8], follow: bool) -> Result<Filestat, FsError> {
        match self.locate_meta(path, follow)? {
            (loc, Some(md)) => Ok(self.vfs.stat_of(&loc, &md)),
            (_, None) => Err(FsErrorKind::NotFound.into()),
        }
    }

    fn read_dir(&self) -> Result<Vec<DirEntry>, FsError> {
        Access::need(self.access.read)?;
        let entries = self.fs().read_dir(&self.path)?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().into_vec();
            let filetype = entry
                .metadata
                .as_ref()
                .map(filetype_of)
                .unwrap_or(FileType::Unknown);
            let ino = self.vfs.ino(&self.path.join(os(&name)));
            out.push(DirEntry {
                name,
                filetype,
                ino,
            });
        }
        Ok(out)
    }

    fn create_dir_at(&self, path: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.create)?;
        let (dir, last) = self.parent(path)?;
        let Last::Name { name, .. } = last else {
            return Err(FsErrorKind::Exists.into());
        };
        if self.kind_at(&dir, &name)?.is_some() {
            return Err(FsErrorKind::Exists.into());
        }
        self.vfs.charge_object(FileType::Directory)?;
        self.fs()
            .create_dir(&dir.join(os(&name)))
            .inspect_err(|_| self.vfs.refund_object(FileType::Directory))?;
        Ok(())
    }

    fn remove_dir_at(&self, path: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.write)?;
        let (dir, last) = self.parent(path)?;
        let Last::Name { name, .. } = last else {
            return Err(FsErrorKind::Inval.into());
        };
        match self.kind_at(&dir, &name)? {
            None => Err(FsErrorKind::NotFound.into()),
            Some(FileType::Directory) => {
                let loc = dir.join(os(&name));
                self.fs().remove_dir(&loc)?;
                self.vfs.forget(&loc);
                self.vfs.refund_object(FileType::Directory);
                Ok(())
            }
            Some(_) => Err(FsErrorKind::NotDir.into()),
        }
    }

    fn unlink_at(&self, path: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.write)?;
        let (dir, last) = self.parent(path)?;
        let Last::Name { name, dir_required } = last else {
            return Err(FsErrorKind::IsDir.into());
        };
        match self.kind_at(&dir, &name)? {
            None => Err(FsErrorKind::NotFound.into()),
            Some(FileType::Directory) => Err(FsErrorKind::IsDir.into()),
            Some(_) if dir_required => Err(FsErrorKind::NotDir.into()),
            Some(kind) => {
                let loc = dir.join(os(&name));
                self.fs().remove_file(&loc)?;
                self.vfs.forget(&loc);
                self.vfs.refund_object(kind);
                Ok(())
            }
        }
    }

    fn rename_at(&self, old: &[u8], new_dir: &dyn DirHandle, new: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.write)?;
        Access::need(new_dir.access().create)?;
        let other = self.same_fs(new_dir)?;
        let (odir, olast) = self.parent(old)?;
        let (ndir, nlast) = other.parent(new)?;
        let (oname, odr) = olast.into_name(FsErrorKind::Busy)?;
        let (nname, ndr) = nlast.into_name(FsErrorKind::Busy)?;
        let okind = self
            .kind_at(&odir, &oname)?
            .ok_or_else(|| FsError::new(FsErrorKind::NotFound))?;
        let odir_is_dir = okind == FileType::Directory;
        if (odr || ndr) && !odir_is_dir {
            return Err(FsErrorKind::NotDir.into());
        }
        let oloc = odir.join(os(&oname));
        let nloc = ndir.join(os(&nname));
        let nkind = self.kind_at(&ndir, &nname)?;
        if oloc == nloc {
            return Ok(());
        }
        if odir_is_dir {
            if nloc.starts_with(&oloc) {
                return Err(FsErrorKind::Inval.into());
            }
            match nkind {
                Some(FileType::Directory) => {
                    // POSIX replaces an empty directory; mem_fs would keep both names.
                    self.fs().remove_dir(&nloc)?;
                    self.vfs.forget(&nloc);
                    self.vfs.refund_object(FileType::Directory);
                }
                Some(_) => return Err(FsErrorKind::NotDir.into()),
                None => {}
            }
        } else if nkind == Some(FileType::Directory) {
            return Err(FsErrorKind::IsDir.into());
        }
        if okind == FileType::SymbolicLink {
            // mem_fs cannot rename a symlink node: recreate it under the new name.
            let target = self.fs().readlink(&oloc)?;
            if nkind.is_some() {
                self.fs().remove_file(&nloc)?;
            }
            self.fs().create_symlink(&target, &nloc)?;
            self.fs().remove_file(&oloc)?;
        } else {
            block_on(self.fs().rename(&oloc, &nloc))?;
        }
        // The object that was at the new name (not a directory: that one
        // was removed above) is gone.
        if let Some(replaced) = nkind.filter(|k| *k != FileType::Directory) {
            self.vfs.refund_object(replaced);
        }
        self.vfs.moved(&oloc, &nloc);
        Ok(())
    }

    fn link_at(
        &self,
        old: &[u8],
        follow: bool,
        new_dir: &dyn DirHandle,
        new: &[u8],
    ) -> Result<(), FsError> {
        Access::need(self.access.write)?;
        Access::need(new_dir.access().create)?;
        let other = self.same_fs(new_dir)?;
        let (oloc, okind) = self.locate(old, follow)?;
        match okind {
            None => return Err(FsErrorKind::NotFound.into()),
            Some(FileType::Directory) => return Err(FsErrorKind::Perm.into()),
            Some(_) => {}
        }
        let (ndir, nlast) = other.parent(new)?;
        let Last::Name { name, dir_required } = nlast else {
            return Err(FsErrorKind::Exists.into());
        };
        if self.kind_at(&ndir, &name)?.is_some() {
            return Err(FsErrorKind::Exists.into());
        }
        if dir_required {
            return Err(FsErrorKind::NotFound.into());
        }
        self.fs().hard_link(&oloc, &ndir.join(os(&name)))?;
        Ok(())
    }

    fn symlink_at(&self, target: &[u8], link: &[u8]) -> Result<(), FsError> {
        Access::need(self.access.create)?;
        crate::resolve::validate_path(target)?;
        let (dir, last) = self.parent(link)?;
        let Last::Name { name, dir_required } = last else {
            return Err(FsErrorKind::Exists.into());
        };
        if self.kind_at(&dir, &name)?.is_some() {
            return Err(FsErrorKind::Exists.into());
        }
        if dir_required {
            return Err(FsErrorKind::NotFound.into());
        }
        self.vfs.charge_object(FileType::SymbolicLink)?;
        self.fs()
            .create_symlink(Path::new(os(target)), &dir.join(os(&name)))
            .inspect_err(|_| self.vfs.refund_object(FileType::SymbolicLink))?;
        Ok(())
    }

    fn readlink_at(&self, path: &[u8]) -> Result<Vec<u8>, FsError> {
        Access::need(self.access.read)?;
        let (dir, last) = self.parent(path)?;
        let Last::Name { name, dir_required } = last else {
            return Err(FsErrorKind::Inval.into());
        };
        match self.kind_at(&dir, &name)? {
            None => Err(FsErrorKind::NotFound.into()),
            Some(FileType::SymbolicLink) if !dir_required => self.walk().readlink(&dir, &name),
            Some(FileType::SymbolicLink | FileType::Directory) => Err(FsErrorKind::Inval.into()),
            Some(_) if dir_required => Err(FsErrorKind::NotDir.into()),
            Some(_) => Err(FsErrorKind::Inval.into()),
        }
    }

    fn set_times_at(
        &self,
        path: &[u8],
        follow: bool,
        atime: TimeSpec,
        mtime: TimeSpec,
    ) -> Result<(), FsError> {
        Access::need(self.access.write)?;
        let (loc, kind) = self.locate(path, follow)?;
        match kind {
            None => Err(FsErrorKind::NotFound.into()),
            Some(FileType::RegularFile) => {
                let mut f = self.fs().new_open_options().open(&loc)?;
                f.set_times(ns_of(atime), ns_of(mtime))?;
                Ok(())
            }
            Some(_) => Err(FsErrorKind::Unsupported.into()),
        }
    }

    fn resolve(&self, path: &[u8], follow: bool) -> Result<Resolved, FsError> {
        if let Some((loc, md, _)) = self.fast_locate(path, follow) {
            // The fast path builds `loc` by appending to this directory's path.
            let base_len = self.path.as_os_str().len();
            let rest = loc
                .as_os_str()
                .as_bytes()
                .get(base_len..)
                .unwrap_or_default();
            let rel = rest.strip_prefix(b"/").unwrap_or(rest).to_vec();
            return Ok(Resolved::new(rel, md.as_ref().map(filetype_of)));
        }
        resolve_with(&self.walk(), &self.path, path, follow)
    }

    fn reopen(&self, access: Access) -> Result<Box<dyn DirHandle>, FsError> {
        Ok(Box::new(VfsDir {
            vfs: Arc::clone(&self.vfs),
            path: self.path.clone(),
            access: Access {
                read: self.access.read && access.read,
                write: self.access.write && access.write,
                create: self.access.create && access.create,
            },
        }))
    }
}

fn ns_of(t: TimeSpec) -> Option<u64> {
    match t {
        TimeSpec::Omit => None,
        TimeSpec::Now => Some(now_ns()),
        TimeSpec::Set(ns) => Some(ns),
    }
}

/// An open file of a [`VirtualFs`].
pub struct VfsFile {
    file: Box<dyn VirtualFile + Send + Sync>,
    vfs: Arc<VirtualFs>,
    path: PathBuf,
    readable: bool,
    writable: bool,
    append: bool,
}

impl fmt::Debug for VfsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VfsFile({}:{})", self.vfs.name, self.path.display())
    }
}

fn io_err(e: std::io::Error) -> FsError {
    FsError::from_io(&e)
}

impl VfsFile {
    /// ENOSPC unless writing `len` bytes at `at` keeps an in-memory
    /// filesystem within its budget (checked before `virtual-fs` allocates
    /// anything: it would fill a gap before `at` with zeroes).
    fn admit_write(&self, at: u64, len: usize) -> Result<(), FsError> {
        let end = at.saturating_add(u64::try_from(len).unwrap_or(u64::MAX));
        self.vfs.admit_growth(self.file.size(), end)
    }
}

impl FileHandle for VfsFile {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, FsError> {
        if !self.readable {
            return Err(FsErrorKind::BadF.into());
        }
        block_on(self.file.read(buf)).map_err(io_err)
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, FsError> {
        if !self.writable {
            return Err(FsErrorKind::BadF.into());
        }
        let at = if self.append {
            block_on(self.file.seek(SeekFrom::End(0))).map_err(io_err)?
        } else if self.vfs.budget.is_some() {
            block_on(self.file.stream_position()).map_err(io_err)?
        } else {
            0
        };
        self.admit_write(at, buf.len())?;
        block_on(self.file.write(buf)).map_err(io_err)
    }

    fn pread(&mut self, buf: &mut [u8], offset: u64) -> Result<usize, FsError> {
        if !self.readable {
            return Err(FsErrorKind::BadF.into());
        }
        // virtual-fs has no pread: seek, read, restore.
        let saved = block_on(self.file.stream_position()).map_err(io_err)?;
        block_on(self.file.seek(SeekFrom::Start(offset))).map_err(io_err)?;
        let r = block_on(self.file.read(buf)).map_err(io_err);
        block_on(self.file.seek(SeekFrom::Start(saved))).map_err(io_err)?;
        r
    }

    fn pwrite(&mut self, buf: &[u8], offset: u64) -> Result<usize, FsError> {
        if !self.writable {
            return Err(FsErrorKind::BadF.into());
        }
        self.admit_write(offset, buf.len())?;
        let saved = block_on(self.file.stream_position()).map_err(io_err)?;
        block_on(self.file.seek(SeekFrom::Start(offset))).map_err(io_err)?;
        let r = block_on(self.file.write(buf)).map_err(io_err);
        block_on(self.file.seek(SeekFrom::Start(saved))).map_err(io_err)?;
        r
    }

    fn seek(&mut self, pos: SeekFrom) -> Result<u64, FsError> {
        if let SeekFrom::Current(d) | SeekFrom::End(d) = pos {
            let base = match pos {
                SeekFrom::End(_) => self.file.size(),
                _ => block_on(self.file.stream_position()).map_err(io_err)?,
            };
            if base.checked_add_signed(d).is_none() {
                return Err(FsErrorKind::Inval.into());
            }
        }
        block_on(self.file.seek(pos)).map_err(io_err)
    }

    fn set_len(&mut self, len: u64) -> Result<(), FsError> {
        if !self.writable {
            return Err(FsErrorKind::BadF.into());
        }
        self.vfs.admit_growth(self.file.size(), len)?;
        self.file.set_len(len).map_err(FsError::from)
    }

    fn sync(&mut self, _data_only: bool) -> Result<(), FsError> {
        self.push_writes()
    }

    fn set_times(&mut self, atime: TimeSpec, mtime: TimeSpec) -> Result<(), FsError> {
        self.file
            .set_times(ns_of(atime), ns_of(mtime))
            .map_err(FsError::from)
    }

    fn stat(&mut self) -> Result<Filestat, FsError> {
        // Buffered writes first, so the size counts them.
        self.push_writes()?;
        Ok(Filestat {
            dev: self.vfs.dev,
            ino: self.vfs.ino(&self.path),
            filetype: FileType::RegularFile,
            nlink: 1,
            size: self.file.size(),
            atim: self.file.last_accessed(),
            mtim: self.file.last_modified(),
            ctim: self.file.last_modified(),
        })
    }

    fn set_append(&mut self, append: bool) -> Result<(), FsError> {
        self.append = append;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), FsError> {
        self.push_writes()
    }
}

impl VfsFile {
    /// Flushes the file's buffered writes: what `flush`, `sync` and `stat`
    /// share. A handle not opened for writing has nothing buffered, and
    /// read-only files (webc volume files) refuse a flush with
    /// `PermissionDenied`, so it is never flushed: a stat of a package
    /// file must not fail on a flush it never needed.
    fn push_writes(&mut self) -> Result<(), FsError> {
        if !self.writable {
            return Ok(());
        }
        block_on(self.file.flush()).map_err(io_err)
    }
}
