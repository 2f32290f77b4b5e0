//! The fd functions beyond the core set: advise, allocate, sync, flags and
//! rights, filestat, positional I/O, readdir and renumber.
//!
//! Every call looks the fd up first (EBADF), then checks its rights
//! (ENOTCAPABLE; EBADF for reading or writing without the right, as a
//! descriptor not opened for it reports in POSIX and in wasmtime), then acts
//! through the fd's [`FileHandle`](wasi_fs_setup::FileHandle) or
//! [`DirHandle`](wasi_fs_setup::DirHandle).

use std::collections::HashMap;

use wasi_fs_setup::{
    DirEntry, DirHandle, FdFlags, FdObject, FdRights, FileHandle, FileType, Rights,
};
use wasmer::FunctionEnvMut;

use super::common::{
    FILESTAT_SIZE, Io, MAX_FILE_OFFSET, encode_dirent, encode_filestat, iovec_call, require,
    require_file, time_specs,
};
use super::{GuestPtr, host_call};
use crate::errno::{Errno, SysResult};
use crate::fs_errno::fs_errno;
use crate::state::WasiEnv;

/// The highest `advice` value preview1 defines (`noreuse`).
const LAST_ADVICE: u32 = 5;

/// Every `fdflags` bit preview1 defines.
const FDFLAGS_ALL: u32 = 0x1f;

/// Directory listings handed out by `fd_readdir`, per fd.
///
/// A listing is taken when the guest asks for cookie 0 (or has none yet)
/// and kept until the fd is closed or renumbered, so the cookies of one
/// pass over a directory stay valid while the guest changes the directory
/// (removing every entry of a directory while listing it sees each entry
/// once).
#[derive(Debug, Default)]
pub(crate) struct ReaddirCache {
    listings: HashMap<u32, Vec<DirEntry>>,
}

impl ReaddirCache {
    /// Forgets the listing of `fd` (closed, renumbered or replaced).
    pub(crate) fn forget(&mut self, fd: u32) {
        self.listings.remove(&fd);
    }

    /// Forgets every listing.
    pub(crate) fn clear(&mut self) {
        self.listings.clear();
    }
}

/// A fresh listing of `dir`: `.` and `..` first, then the entries sorted by
/// name (so both backings list in the same order).
fn take_listing(dir: &dyn DirHandle) -> SysResult<Vec<DirEntry>> {
    let own = dir.stat().map_err(fs_errno)?;
    let mut entries = dir.read_dir().map_err(fs_errno)?;
    entries.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    let mut all = Vec::with_capacity(entries.len() + 2);
    // A directory fd is a capability for its own subtree only: its parent
    // cannot be looked at through it, so `..` carries the directory's own
    // inode number (as in wasmtime).
    for name in [&b"."[..], b".."] {
        all.push(DirEntry {
            name: name.to_vec(),
            filetype: FileType::Directory,
            ino: own.ino,
        });
    }
    all.extend(entries);
    Ok(all)
}

/// Encodes the entries of `listing` from index `start` into at most `cap`
/// bytes: whole entries, then as much of the next one as fits (preview1
/// lets the last entry be cut so the caller can tell the buffer was too
/// small). Every byte comes from the listing or is zero padding.
fn encode_listing(listing: &[DirEntry], start: u64, cap: usize) -> Vec<u8> {
    let start = usize::try_from(start)
        .unwrap_or(usize::MAX)
        .min(listing.len());
    let mut out = Vec::new();
    for (index, entry) in listing.iter().enumerate().skip(start) {
        if out.len() >= cap {
            break;
        }
        // Names are at most NAME_MAX (255) bytes; indexes fit in u64.
        let namlen = u32::try_from(entry.name.len()).unwrap_or(u32::MAX);
        let next = u64::try_from(index).map_or(u64::MAX, |i| i.saturating_add(1));
        encode_dirent(&mut out, next, entry.ino, namlen, entry.filetype);
        out.extend_from_slice(&entry.name);
    }
    out.truncate(cap);
    out
}

pub(super) fn fd_readdir(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    buf: GuestPtr,
    buf_len: u32,
    cookie: u64,
    used: GuestPtr,
) -> i32 {
    host_call(&mut env, "fd_readdir", |state, mem| {
        mem.check_range(used, 4)?;
        mem.check_range(buf, u64::from(buf_len))?;
        let entry = state.world.fds().get(fd).map_err(fs_errno)?;
        let dir = entry.dir().map_err(fs_errno)?;
        require(entry, Rights::FD_READDIR)?;
        let listings = &mut state.p1.readdir.listings;
        if cookie == 0 || !listings.contains_key(&fd) {
            listings.insert(fd, take_listing(dir)?);
        }
        let listing = listings.get(&fd).map_or(&[][..], Vec::as_slice);
        let cap = usize::try_from(buf_len).unwrap_or(usize::MAX);
        let out = encode_listing(listing, cookie, cap);
        mem.write(buf, &out)?;
        // `out` is at most `buf_len` bytes.
        let n = u32::try_from(out.len()).unwrap_or(buf_len);
        Ok(mem.write_u32(used, n)?)
    })
}

pub(super) fn fd_renumber(mut env: FunctionEnvMut<'_, WasiEnv>, from: u32, to: u32) -> i32 {
    host_call(&mut env, "fd_renumber", |state, _mem| {
        state.world.fds_mut().renumber(from, to).map_err(fs_errno)?;
        if from != to {
            state.p1.readdir.forget(from);
            state.p1.readdir.forget(to);
        }
        Ok(())
    })
}

pub(super) fn fd_advise(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    _offset: u64,
    _len: u64,
    advice: u32,
) -> i32 {
    host_call(&mut env, "fd_advise", |state, _mem| {
        if advice > LAST_ADVICE {
            return Err(Errno::Inval);
        }
        let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
        require_file(entry, Errno::Badf)?;
        require(entry, Rights::FD_ADVISE)?;
        // Advice is a hint; the host page cache needs none to be correct.
        Ok(())
    })
}

pub(super) fn fd_allocate(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    offset: u64,
    len: u64,
) -> i32 {
    host_call(&mut env, "fd_allocate", |state, _mem| {
        let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
        require_file(entry, Errno::Badf)?;
        require(entry, Rights::FD_ALLOCATE)?;
        if len == 0 || offset > MAX_FILE_OFFSET || len > MAX_FILE_OFFSET {
            return Err(Errno::Inval);
        }
        let end = offset
            .checked_add(len)
            .filter(|end| *end <= MAX_FILE_OFFSET)
            .ok_or(Errno::Fbig)?;
        let file = entry.file_mut().map_err(fs_errno)?;
        // posix_fallocate semantics: the file grows to cover the range and
        // never shrinks.
        if file.stat().map_err(fs_errno)?.size < end {
            file.set_len(end).map_err(fs_errno)?;
        }
        Ok(())
    })
}

fn sync(
    env: &mut FunctionEnvMut<'_, WasiEnv>,
    name: &'static str,
    fd: u32,
    data_only: bool,
) -> i32 {
    host_call(env, name, |state, _mem| {
        let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
        require(
            entry,
            if data_only {
                Rights::FD_DATASYNC
            } else {
                Rights::FD_SYNC
            },
        )?;
        match entry.object_mut() {
            // Directory entries are written through by the host's own calls.
            FdObject::Dir(_) => Ok(()),
            FdObject::File(f) => f.sync(data_only).map_err(fs_errno),
            FdObject::Stdio(s) => s.sync(data_only).map_err(fs_errno),
        }
    })
}

pub(super) fn fd_datasync(mut env: FunctionEnvMut<'_, WasiEnv>, fd: u32) -> i32 {
    sync(&mut env, "fd_datasync", fd, true)
}

pub(super) fn fd_sync(mut env: FunctionEnvMut<'_, WasiEnv>, fd: u32) -> i32 {
    sync(&mut env, "fd_sync", fd, false)
}

pub(super) fn fd_fdstat_set_flags(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    flags: u32,
) -> i32 {
    host_call(&mut env, "fd_fdstat_set_flags", |state, _mem| {
        if flags & !FDFLAGS_ALL != 0 {
            return Err(Errno::Inval);
        }
        let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
        require(entry, Rights::FD_FDSTAT_SET_FLAGS)?;
        // Cannot truncate: checked against FDFLAGS_ALL above.
        let new = FdFlags::from_bits_truncate(flags as u16);
        let append = new.contains(FdFlags::APPEND);
        match entry.object_mut() {
            FdObject::Dir(_) if append => return Err(Errno::Isdir),
            FdObject::Dir(_) => {}
            FdObject::File(f) => f.set_append(append).map_err(fs_errno)?,
            FdObject::Stdio(s) => {
                s.set_append(append).map_err(fs_errno)?;
            }
        }
        entry.flags = new;
        Ok(())
    })
}

pub(super) fn fd_fdstat_set_rights(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> i32 {
    host_call(&mut env, "fd_fdstat_set_rights", |state, _mem| {
        let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
        let current = entry.rights;
        // Rights can only be dropped: asking for one the fd lacks (or for a
        // bit preview1 does not define) is ENOTCAPABLE.
        if base & !current.base.bits() != 0 || inheriting & !current.inheriting.bits() != 0 {
            return Err(Errno::Notcapable);
        }
        entry.rights = FdRights {
            base: Rights::from_bits_truncate(base),
            inheriting: Rights::from_bits_truncate(inheriting),
        };
        Ok(())
    })
}

pub(super) fn fd_filestat_get(mut env: FunctionEnvMut<'_, WasiEnv>, fd: u32, out: GuestPtr) -> i32 {
    host_call(&mut env, "fd_filestat_get", |state, mem| {
        mem.check_range(out, u64::from(FILESTAT_SIZE))?;
        let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
        require(entry, Rights::FD_FILESTAT_GET)?;
        let st = match entry.object_mut() {
            FdObject::Dir(d) => d.stat(),
            FdObject::File(f) => f.stat(),
            FdObject::Stdio(s) => s.stat(),
        }
        .map_err(fs_errno)?;
        Ok(mem.write(out, &encode_filestat(&st))?)
    })
}

pub(super) fn fd_filestat_set_size(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    size: u64,
) -> i32 {
    host_call(&mut env, "fd_filestat_set_size", |state, _mem| {
        let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
        if matches!(entry.object(), FdObject::Dir(_)) {
            return Err(Errno::Isdir);
        }
        require(entry, Rights::FD_FILESTAT_SET_SIZE)?;
        if size > MAX_FILE_OFFSET {
            return Err(Errno::Inval);
        }
        entry
            .file_mut()
            .map_err(fs_errno)?
            .set_len(size)
            .map_err(fs_errno)
    })
}

pub(super) fn fd_filestat_set_times(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> i32 {
    host_call(&mut env, "fd_filestat_set_times", |state, _mem| {
        let flags = u16::try_from(fst_flags).map_err(|_| Errno::Inval)?;
        let (atime, mtime) = time_specs(atim, mtim, flags)?;
        let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
        require(entry, Rights::FD_FILESTAT_SET_TIMES)?;
        match entry.object_mut() {
            FdObject::Dir(d) => d.set_times_at(b".", true, atime, mtime),
            FdObject::File(f) => f.set_times(atime, mtime),
            FdObject::Stdio(s) => s.set_times(atime, mtime),
        }
        .map_err(fs_errno)
    })
}

pub(super) fn fd_pread(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    iovs: GuestPtr,
    iovs_len: u32,
    offset: u64,
    nread: GuestPtr,
) -> i32 {
    iovec_call(
        &mut env,
        "fd_pread",
        Io::Read,
        fd,
        (iovs, iovs_len),
        Some(offset),
        nread,
    )
}

pub(super) fn fd_pwrite(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    iovs: GuestPtr,
    iovs_len: u32,
    offset: u64,
    nwritten: GuestPtr,
) -> i32 {
    iovec_call(
        &mut env,
        "fd_pwrite",
        Io::Write,
        fd,
        (iovs, iovs_len),
        Some(offset),
        nwritten,
    )
}

#[cfg(test)]
mod tests {
    use super::super::common::DIRENT_SIZE;
    use super::*;

    fn entry(name: &str, ino: u64) -> DirEntry {
        DirEntry {
            name: name.as_bytes().to_vec(),
            filetype: FileType::RegularFile,
            ino,
        }
    }

    #[test]
    fn listing_encodes_whole_entries_then_cuts_the_last() {
        let listing = vec![entry(".", 1), entry("..", 2), entry("abc", 3)];
        let all = encode_listing(&listing, 0, 4096);
        assert_eq!(all.len(), 3 * DIRENT_SIZE + 1 + 2 + 3);
        // d_next of the first entry is 1, of the last 3.
        assert_eq!(all[0], 1);
        assert_eq!(all[2 * DIRENT_SIZE + 3], 3);
        // From cookie 2: only "abc".
        let tail = encode_listing(&listing, 2, 4096);
        assert_eq!(tail.len(), DIRENT_SIZE + 3);
        assert_eq!(&tail[DIRENT_SIZE..], b"abc");
        // A cookie past the end gives nothing.
        assert!(encode_listing(&listing, 3, 4096).is_empty());
        assert!(encode_listing(&listing, u64::MAX, 4096).is_empty());
        // A small buffer is filled exactly.
        let cut = encode_listing(&listing, 0, 30);
        assert_eq!(cut.len(), 30);
        assert_eq!(&cut[..30], &all[..30]);
        assert!(encode_listing(&listing, 0, 0).is_empty());
    }
}
