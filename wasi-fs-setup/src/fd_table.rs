//! The guest's fd table.
//!
//! fds 0, 1 and 2 are stdin, stdout and stderr; the preopens follow from 3 in
//! configuration order, exactly the configured ones (the synthesized root of
//! the mount table is never handed out). A new fd takes the lowest free number.
//! The number of open fds is capped per environment
//! (`Capabilities::max_open_fds`, 1024 by default): one more gives
//! [`MFile`](FsErrorKind::MFile).
//!
//! Each entry carries the open object, its base and inheriting [`FdRights`],
//! its [`FdFlags`] and, for preopens, the guest path reported by
//! `fd_prestat_get` / `fd_prestat_dir_name`. The file position lives in the
//! open [`FileHandle`], so it moves with the entry on renumber.

use std::collections::BTreeSet;
use std::fmt;
use std::io::SeekFrom;
use std::num::NonZeroUsize;

use crate::backing::{DirHandle, FileHandle, FileType};
use crate::error::{FsError, FsErrorKind};
use crate::mounts::MountNodeId;
use crate::rights::{FdRights, Rights};
use crate::stdio::StdioStream;

/// A guest file descriptor number.
pub type Fd = u32;

/// Preview1 `fdflags`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FdFlags(u16);

impl FdFlags {
    /// No flags.
    pub const NONE: FdFlags = FdFlags(0);
    /// `APPEND` (bit 0).
    pub const APPEND: FdFlags = FdFlags(1 << 0);
    /// `DSYNC` (bit 1).
    pub const DSYNC: FdFlags = FdFlags(1 << 1);
    /// `NONBLOCK` (bit 2).
    pub const NONBLOCK: FdFlags = FdFlags(1 << 2);
    /// `RSYNC` (bit 3).
    pub const RSYNC: FdFlags = FdFlags(1 << 3);
    /// `SYNC` (bit 4).
    pub const SYNC: FdFlags = FdFlags(1 << 4);

    /// Flags from raw bits; unknown bits are dropped.
    pub const fn from_bits_truncate(bits: u16) -> Self {
        FdFlags(bits & 0x1f)
    }

    /// The raw bits.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Whether all of `other` is set.
    pub const fn contains(self, other: FdFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for FdFlags {
    type Output = FdFlags;
    fn bitor(self, rhs: FdFlags) -> FdFlags {
        FdFlags(self.0 | rhs.0)
    }
}

impl fmt::Debug for FdFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FdFlags({:#x})", self.0)
    }
}

/// What an fd refers to.
#[derive(Debug)]
pub enum FdObject {
    /// stdin, stdout or stderr (wherever it moved).
    Stdio(StdioStream),
    /// An open directory.
    Dir(Box<dyn DirHandle>),
    /// An open non-directory.
    File(Box<dyn FileHandle>),
}

/// Where a preopen is mounted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreopenInfo {
    /// The guest path exactly as configured (what `fd_prestat_dir_name` reports).
    pub guest_path: Vec<u8>,
    /// The preopen's node in the mount table.
    pub node: MountNodeId,
    /// The preopen's position in the configuration.
    pub index: usize,
}

/// One open fd.
#[derive(Debug)]
pub struct FdEntry {
    object: FdObject,
    /// Base and inheriting rights.
    pub rights: FdRights,
    /// fd flags (`fd_fdstat_get` / `fd_fdstat_set_flags`).
    pub flags: FdFlags,
    preopen: Option<PreopenInfo>,
}

impl FdEntry {
    /// An entry for `object` with `rights` and `flags`.
    pub fn new(object: FdObject, rights: FdRights, flags: FdFlags) -> Self {
        FdEntry {
            object,
            rights,
            flags,
            preopen: None,
        }
    }

    /// Marks the entry as a preopen.
    pub fn with_preopen(mut self, info: PreopenInfo) -> Self {
        self.preopen = Some(info);
        self
    }

    /// The object.
    pub fn object(&self) -> &FdObject {
        &self.object
    }

    /// The object, mutably.
    pub fn object_mut(&mut self) -> &mut FdObject {
        &mut self.object
    }

    /// Preopen data, if this fd is a preopen.
    pub fn preopen(&self) -> Option<&PreopenInfo> {
        self.preopen.as_ref()
    }

    /// Fails with [`NotCapable`](FsErrorKind::NotCapable) unless the base rights contain `needed`.
    pub fn require(&self, needed: Rights) -> Result<(), FsError> {
        if self.rights.base.contains(needed) {
            Ok(())
        } else {
            Err(FsErrorKind::NotCapable.into())
        }
    }

    /// The directory, or [`NotDir`](FsErrorKind::NotDir).
    pub fn dir(&self) -> Result<&dyn DirHandle, FsError> {
        match &self.object {
            FdObject::Dir(d) => Ok(d.as_ref()),
            _ => Err(FsErrorKind::NotDir.into()),
        }
    }

    /// The file or stdio stream, or [`IsDir`](FsErrorKind::IsDir) for a directory.
    pub fn file_mut(&mut self) -> Result<&mut dyn FileHandle, FsError> {
        match &mut self.object {
            FdObject::File(f) => Ok(f.as_mut()),
            FdObject::Stdio(s) => Ok(s),
            FdObject::Dir(_) => Err(FsErrorKind::IsDir.into()),
        }
    }

    /// The type reported by `fd_fdstat_get`.
    pub fn filetype(&mut self) -> FileType {
        match &mut self.object {
            FdObject::Dir(_) => FileType::Directory,
            FdObject::File(f) => f.stat().map(|s| s.filetype).unwrap_or(FileType::Unknown),
            FdObject::Stdio(s) => s.stat().map(|s| s.filetype).unwrap_or(FileType::Unknown),
        }
    }

    /// The current file position (`fd_tell`).
    pub fn position(&mut self) -> Result<u64, FsError> {
        self.file_mut()?.seek(SeekFrom::Current(0))
    }

    /// Pushes buffered output of a file or stream to its backing.
    pub fn flush(&mut self) -> Result<(), FsError> {
        match &mut self.object {
            FdObject::Dir(_) => Ok(()),
            FdObject::File(f) => f.flush(),
            FdObject::Stdio(s) => s.flush(),
        }
    }
}

/// The fd table of one environment.
pub struct FdTable {
    slots: Vec<Option<FdEntry>>,
    free: BTreeSet<Fd>,
    open: usize,
    max: NonZeroUsize,
}

impl fmt::Debug for FdTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FdTable {
    /// An empty table that holds at most `max` open fds.
    pub fn new(max: NonZeroUsize) -> Self {
        FdTable {
            slots: Vec::new(),
            free: BTreeSet::new(),
            open: 0,
            max,
        }
    }

    /// The limit on open fds.
    pub fn max(&self) -> usize {
        self.max.get()
    }

    /// Number of open fds.
    pub fn len(&self) -> usize {
        self.open
    }

    /// Whether no fd is open.
    pub fn is_empty(&self) -> bool {
        self.open == 0
    }

    /// The one place the limit is checked: room for one more fd, or `MFile`.
    fn try_acquire(&self) -> Result<(), FsError> {
        if self.open >= self.max.get() {
            return Err(FsErrorKind::MFile.into());
        }
        Ok(())
    }

    /// Adds `entry` at the lowest free fd and returns that fd.
    pub fn insert(&mut self, entry: FdEntry) -> Result<Fd, FsError> {
        self.try_acquire()?;
        let fd = match self.free.pop_first() {
            Some(fd) => fd,
            None => {
                let fd =
                    Fd::try_from(self.slots.len()).map_err(|_| FsError::new(FsErrorKind::MFile))?;
                self.slots.push(None);
                fd
            }
        };
        self.slots[fd as usize] = Some(entry);
        self.open += 1;
        Ok(fd)
    }

    /// The entry of `fd`, or `BadF`.
    pub fn get(&self, fd: Fd) -> Result<&FdEntry, FsError> {
        self.slots
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| FsError::new(FsErrorKind::BadF))
    }

    /// The entry of `fd`, mutably, or `BadF`.
    pub fn get_mut(&mut self, fd: Fd) -> Result<&mut FdEntry, FsError> {
        self.slots
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or_else(|| FsError::new(FsErrorKind::BadF))
    }

    /// Closes `fd` and returns its entry (dropping it closes the object).
    pub fn close(&mut self, fd: Fd) -> Result<FdEntry, FsError> {
        let entry = self
            .slots
            .get_mut(fd as usize)
            .and_then(Option::take)
            .ok_or_else(|| FsError::new(FsErrorKind::BadF))?;
        self.free.insert(fd);
        self.open -= 1;
        Ok(entry)
    }

    /// Moves `from` to `to`, closing what `to` held (`fd_renumber`). Both must be open.
    pub fn renumber(&mut self, from: Fd, to: Fd) -> Result<(), FsError> {
        self.get(from)?;
        self.get(to)?;
        if from == to {
            return Ok(());
        }
        let mut replaced = self.close(to)?;
        let moving = self.close(from)?;
        self.free.remove(&to);
        self.slots[to as usize] = Some(moving);
        self.open += 1;
        // The replaced object is closed; a flush failure cannot be reported to anyone useful.
        let _ = replaced.flush();
        Ok(())
    }

    /// Open fds in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = (Fd, &FdEntry)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((i as Fd, e.as_ref()?)))
    }

    /// Open fds in increasing order, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Fd, &mut FdEntry)> {
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(i, e)| Some((i as Fd, e.as_mut()?)))
    }

    /// Open preopen fds in increasing order, with their mount data.
    pub fn preopens(&self) -> impl Iterator<Item = (Fd, &PreopenInfo)> {
        self.iter().filter_map(|(fd, e)| Some((fd, e.preopen()?)))
    }

    /// Closes every fd, flushing each first; returns the first flush error.
    pub fn close_all(&mut self) -> Result<(), FsError> {
        let mut first = Ok(());
        for slot in &mut self.slots {
            if let Some(mut entry) = slot.take() {
                let r = entry.flush();
                if first.is_ok() {
                    first = r;
                }
            }
        }
        self.slots.clear();
        self.free.clear();
        self.open = 0;
        first
    }
}

impl fmt::Display for FdTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (fd, e) in self.iter() {
            let what = match e.object() {
                FdObject::Stdio(s) => format!("{:?}", s.which()).to_lowercase(),
                FdObject::Dir(d) => format!("{d:?}"),
                FdObject::File(h) => format!("{h:?}"),
            };
            write!(f, "fd {fd}: {what}")?;
            if let Some(p) = e.preopen() {
                write!(
                    f,
                    " preopen \"{}\"",
                    wasi_config::ByteDisplay(&p.guest_path)
                )?;
            }
            writeln!(
                f,
                " base={:#x} inheriting={:#x}",
                e.rights.base.bits(),
                e.rights.inheriting.bits()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stdio::{StdioFd, StdioSlot};

    fn entry() -> FdEntry {
        FdEntry::new(
            FdObject::Stdio(StdioStream::new(StdioFd::Stdout, StdioSlot::Null)),
            FdRights::STDOUT,
            FdFlags::NONE,
        )
    }

    fn table(max: usize) -> FdTable {
        FdTable::new(NonZeroUsize::new(max).unwrap())
    }

    #[test]
    fn lowest_free_fd_first() {
        let mut t = table(16);
        for want in 0..5 {
            assert_eq!(t.insert(entry()).unwrap(), want);
        }
        t.close(3).unwrap();
        t.close(1).unwrap();
        assert_eq!(t.insert(entry()).unwrap(), 1);
        assert_eq!(t.insert(entry()).unwrap(), 3);
        assert_eq!(t.insert(entry()).unwrap(), 5);
        assert_eq!(t.len(), 6);
    }

    #[test]
    fn close_twice_is_badf() {
        let mut t = table(4);
        let fd = t.insert(entry()).unwrap();
        t.close(fd).unwrap();
        assert_eq!(t.close(fd).unwrap_err().kind(), FsErrorKind::BadF);
        assert_eq!(t.get(fd).unwrap_err().kind(), FsErrorKind::BadF);
        assert_eq!(t.get(u32::MAX).unwrap_err().kind(), FsErrorKind::BadF);
    }

    #[test]
    fn renumber_moves_and_closes_target() {
        let mut t = table(8);
        for _ in 0..4 {
            t.insert(entry()).unwrap();
        }
        t.get_mut(3).unwrap().flags = FdFlags::APPEND;
        t.renumber(3, 1).unwrap();
        assert_eq!(t.get(1).unwrap().flags, FdFlags::APPEND);
        assert_eq!(t.get(3).unwrap_err().kind(), FsErrorKind::BadF);
        assert_eq!(t.len(), 3);
        assert_eq!(t.insert(entry()).unwrap(), 3);
        assert_eq!(t.renumber(7, 1).unwrap_err().kind(), FsErrorKind::BadF);
        assert_eq!(t.renumber(1, 7).unwrap_err().kind(), FsErrorKind::BadF);
        t.renumber(2, 2).unwrap();
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn limit_gives_emfile() {
        let mut t = table(3);
        for _ in 0..3 {
            t.insert(entry()).unwrap();
        }
        assert_eq!(t.insert(entry()).unwrap_err().kind(), FsErrorKind::MFile);
        t.close(0).unwrap();
        assert_eq!(t.insert(entry()).unwrap(), 0);
        assert_eq!(t.insert(entry()).unwrap_err().kind(), FsErrorKind::MFile);
    }

    #[test]
    fn rights_check() {
        let e = entry();
        assert!(e.require(Rights::FD_WRITE).is_ok());
        assert_eq!(
            e.require(Rights::FD_READ).unwrap_err().kind(),
            FsErrorKind::NotCapable
        );
        assert_eq!(e.dir().unwrap_err().kind(), FsErrorKind::NotDir);
    }

    #[test]
    fn close_all_empties() {
        let mut t = table(4);
        t.insert(entry()).unwrap();
        t.insert(entry()).unwrap();
        t.close_all().unwrap();
        assert!(t.is_empty());
        assert_eq!(t.insert(entry()).unwrap(), 0);
    }
}
