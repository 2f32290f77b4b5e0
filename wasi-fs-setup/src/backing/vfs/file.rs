//! `VfsFile`: an open file of a [`VirtualFs`], and the memory budget checks
//! on what it writes.

use std::fmt;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::executor::block_on;
use virtual_fs::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, VirtualFile};

use super::{VirtualFs, ns_of};
use crate::backing::common::open_for;
use crate::backing::{FileHandle, FileType, Filestat, OpenFlags, TimeSpec};
use crate::error::{FsError, FsErrorKind};

/// An open file of a [`VirtualFs`].
pub(crate) struct VfsFile {
    file: Box<dyn VirtualFile + Send + Sync>,
    vfs: Arc<VirtualFs>,
    /// Where it was opened, for `Debug`.
    path: PathBuf,
    /// Its inode number, taken at open: it stays the file's after a rename
    /// or an unlink, as an inode does, and `fstat` adds nothing to the
    /// filesystem's inode map.
    ino: u64,
    readable: bool,
    writable: bool,
    append: bool,
}

impl fmt::Debug for VfsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VfsFile({}:{})", self.vfs.name(), self.path.display())
    }
}

fn io_err(e: std::io::Error) -> FsError {
    FsError::from_io(&e)
}

impl VfsFile {
    /// Opens the file at `loc` (absolute, symlink-free) of `vfs` with `flags`.
    pub(super) fn open(
        vfs: &Arc<VirtualFs>,
        loc: &Path,
        flags: OpenFlags,
    ) -> Result<Self, FsError> {
        let fs = vfs.filesystem();
        if flags.truncate && !(flags.write || flags.append) {
            let mut f = fs.new_open_options().write(true).open(loc)?;
            f.set_len(0)?;
        }
        let writes = flags.write || flags.append;
        let file = fs
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
            vfs: Arc::clone(vfs),
            path: loc.to_path_buf(),
            ino: vfs.ino(loc),
            readable: flags.read,
            writable: writes,
            append: flags.append,
        })
    }

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
        open_for(self.readable)?;
        block_on(self.file.read(buf)).map_err(io_err)
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, FsError> {
        open_for(self.writable)?;
        let at = if self.append {
            block_on(self.file.seek(SeekFrom::End(0))).map_err(io_err)?
        } else if self.vfs.budget().is_some() {
            block_on(self.file.stream_position()).map_err(io_err)?
        } else {
            0
        };
        self.admit_write(at, buf.len())?;
        block_on(self.file.write(buf)).map_err(io_err)
    }

    fn pread(&mut self, buf: &mut [u8], offset: u64) -> Result<usize, FsError> {
        open_for(self.readable)?;
        // virtual-fs has no pread: seek, read, restore.
        let saved = block_on(self.file.stream_position()).map_err(io_err)?;
        block_on(self.file.seek(SeekFrom::Start(offset))).map_err(io_err)?;
        let r = block_on(self.file.read(buf)).map_err(io_err);
        block_on(self.file.seek(SeekFrom::Start(saved))).map_err(io_err)?;
        r
    }

    fn pwrite(&mut self, buf: &[u8], offset: u64) -> Result<usize, FsError> {
        open_for(self.writable)?;
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
            // The new position must be a valid `off_t`: virtual-fs adds in
            // i64 and would overflow past it (a panic with overflow checks).
            let fits = base
                .checked_add_signed(d)
                .is_some_and(|at| i64::try_from(at).is_ok());
            if !fits {
                return Err(FsErrorKind::Inval.into());
            }
        }
        block_on(self.file.seek(pos)).map_err(io_err)
    }

    fn set_len(&mut self, len: u64) -> Result<(), FsError> {
        open_for(self.writable)?;
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
            dev: self.vfs.dev(),
            ino: self.ino,
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
