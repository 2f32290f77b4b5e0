//! The fd functions beyond the core set: advise, allocate, sync, flags and
//! rights, filestat, positional I/O, readdir and renumber.
//!
//! Every call looks the fd up first (EBADF), then checks its rights
//! (ENOTCAPABLE; EBADF for reading or writing without the right, as a
//! descriptor not opened for it reports in POSIX and in wasmtime), then acts
//! through the fd's [`FileHandle`](wasi_fs_setup::FileHandle) or
//! [`DirHandle`](wasi_fs_setup::DirHandle).

use wasi_fs_setup::{FdFlags, FdObject, FdRights, FileHandle, Rights};
use wasmer::FunctionEnvMut;

use super::abi::{FDFLAGS_ALL, FILESTAT_SIZE, LAST_ADVICE, MAX_FILE_OFFSET, encode_filestat};
use super::common::{Io, iovec_call, require, require_file, time_specs};
use super::{GuestPtr, host_call};
use crate::errno::Errno;
use crate::state::ThreadEnv;

pub(super) fn fd_readdir(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    buf: GuestPtr,
    buf_len: u32,
    cookie: u64,
    used: GuestPtr,
) -> i32 {
    host_call(&mut env, "fd_readdir", |state, mem| {
        mem.check_range(used, 4)?;
        mem.check_range(buf, u64::from(buf_len))?;
        let entry = state.world.fds().get(fd).map_err(Errno::from)?;
        let dir = entry.dir().map_err(Errno::from)?;
        require(entry, Rights::FD_READDIR)?;
        let listing = state.p1.readdir.listing(fd, cookie, dir)?;
        let cap = usize::try_from(buf_len).unwrap_or(usize::MAX);
        let out = listing.encode(cookie, cap);
        mem.write(buf, &out)?;
        // `out` is at most `buf_len` bytes.
        let n = u32::try_from(out.len()).unwrap_or(buf_len);
        Ok(mem.write_u32(used, n)?)
    })
}

pub(super) fn fd_renumber(mut env: FunctionEnvMut<'_, ThreadEnv>, from: u32, to: u32) -> i32 {
    host_call(&mut env, "fd_renumber", |state, _mem| {
        state
            .world
            .fds_mut()
            .renumber(from, to)
            .map_err(Errno::from)?;
        if from != to {
            state.p1.readdir.forget(from);
            state.p1.readdir.forget(to);
        }
        Ok(())
    })
}

pub(super) fn fd_advise(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    _offset: u64,
    _len: u64,
    advice: u32,
) -> i32 {
    host_call(&mut env, "fd_advise", |state, _mem| {
        if advice > LAST_ADVICE {
            return Err(Errno::INVAL);
        }
        let entry = state.world.fds_mut().get_mut(fd).map_err(Errno::from)?;
        require_file(entry, Errno::BADF)?;
        require(entry, Rights::FD_ADVISE)?;
        // Advice is a hint; the host page cache needs none to be correct.
        Ok(())
    })
}

pub(super) fn fd_allocate(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    offset: u64,
    len: u64,
) -> i32 {
    host_call(&mut env, "fd_allocate", |state, _mem| {
        let entry = state.world.fds_mut().get_mut(fd).map_err(Errno::from)?;
        require_file(entry, Errno::BADF)?;
        require(entry, Rights::FD_ALLOCATE)?;
        if len == 0 || offset > MAX_FILE_OFFSET || len > MAX_FILE_OFFSET {
            return Err(Errno::INVAL);
        }
        let end = offset
            .checked_add(len)
            .filter(|end| *end <= MAX_FILE_OFFSET)
            .ok_or(Errno::FBIG)?;
        let file = entry.file_mut().map_err(Errno::from)?;
        // posix_fallocate semantics: the file grows to cover the range and
        // never shrinks.
        if file.stat().map_err(Errno::from)?.size < end {
            file.set_len(end).map_err(Errno::from)?;
        }
        Ok(())
    })
}

fn sync(
    env: &mut FunctionEnvMut<'_, ThreadEnv>,
    name: &'static str,
    fd: u32,
    data_only: bool,
) -> i32 {
    host_call(env, name, |state, _mem| {
        let entry = state.world.fds_mut().get_mut(fd).map_err(Errno::from)?;
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
            FdObject::File(f) => f.sync(data_only).map_err(Errno::from),
            FdObject::Stdio(s) => s.sync(data_only).map_err(Errno::from),
        }
    })
}

pub(super) fn fd_datasync(mut env: FunctionEnvMut<'_, ThreadEnv>, fd: u32) -> i32 {
    sync(&mut env, "fd_datasync", fd, true)
}

pub(super) fn fd_sync(mut env: FunctionEnvMut<'_, ThreadEnv>, fd: u32) -> i32 {
    sync(&mut env, "fd_sync", fd, false)
}

pub(super) fn fd_fdstat_set_flags(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    flags: u32,
) -> i32 {
    host_call(&mut env, "fd_fdstat_set_flags", |state, _mem| {
        if flags & !FDFLAGS_ALL != 0 {
            return Err(Errno::INVAL);
        }
        let entry = state.world.fds_mut().get_mut(fd).map_err(Errno::from)?;
        require(entry, Rights::FD_FDSTAT_SET_FLAGS)?;
        // Cannot truncate: checked against FDFLAGS_ALL above.
        let new = FdFlags::from_bits_truncate(flags as u16);
        let append = new.contains(FdFlags::APPEND);
        match entry.object_mut() {
            FdObject::Dir(_) if append => return Err(Errno::ISDIR),
            FdObject::Dir(_) => {}
            FdObject::File(f) => f.set_append(append).map_err(Errno::from)?,
            FdObject::Stdio(s) => {
                s.set_append(append).map_err(Errno::from)?;
            }
        }
        entry.flags = new;
        Ok(())
    })
}

pub(super) fn fd_fdstat_set_rights(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> i32 {
    host_call(&mut env, "fd_fdstat_set_rights", |state, _mem| {
        let entry = state.world.fds_mut().get_mut(fd).map_err(Errno::from)?;
        let current = entry.rights;
        // Rights can only be dropped: asking for one the fd lacks (or for a
        // bit preview1 does not define) is ENOTCAPABLE.
        if base & !current.base.bits() != 0 || inheriting & !current.inheriting.bits() != 0 {
            return Err(Errno::NOTCAPABLE);
        }
        entry.rights = FdRights {
            base: Rights::from_bits_truncate(base),
            inheriting: Rights::from_bits_truncate(inheriting),
        };
        Ok(())
    })
}

pub(super) fn fd_filestat_get(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    out: GuestPtr,
) -> i32 {
    host_call(&mut env, "fd_filestat_get", |state, mem| {
        mem.check_range(out, u64::from(FILESTAT_SIZE))?;
        let entry = state.world.fds_mut().get_mut(fd).map_err(Errno::from)?;
        require(entry, Rights::FD_FILESTAT_GET)?;
        let st = match entry.object_mut() {
            FdObject::Dir(d) => d.stat(),
            FdObject::File(f) => f.stat(),
            FdObject::Stdio(s) => s.stat(),
        }
        .map_err(Errno::from)?;
        Ok(mem.write(out, &encode_filestat(&st))?)
    })
}

pub(super) fn fd_filestat_set_size(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    size: u64,
) -> i32 {
    host_call(&mut env, "fd_filestat_set_size", |state, _mem| {
        let entry = state.world.fds_mut().get_mut(fd).map_err(Errno::from)?;
        if matches!(entry.object(), FdObject::Dir(_)) {
            return Err(Errno::ISDIR);
        }
        require(entry, Rights::FD_FILESTAT_SET_SIZE)?;
        if size > MAX_FILE_OFFSET {
            return Err(Errno::INVAL);
        }
        entry
            .file_mut()
            .map_err(Errno::from)?
            .set_len(size)
            .map_err(Errno::from)
    })
}

pub(super) fn fd_filestat_set_times(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> i32 {
    host_call(&mut env, "fd_filestat_set_times", |state, _mem| {
        let flags = u16::try_from(fst_flags).map_err(|_| Errno::INVAL)?;
        let (atime, mtime) = time_specs(atim, mtim, flags)?;
        let entry = state.world.fds_mut().get_mut(fd).map_err(Errno::from)?;
        require(entry, Rights::FD_FILESTAT_SET_TIMES)?;
        match entry.object_mut() {
            FdObject::Dir(d) => d.set_times_at(b".", true, atime, mtime),
            FdObject::File(f) => f.set_times(atime, mtime),
            FdObject::Stdio(s) => s.set_times(atime, mtime),
        }
        .map_err(Errno::from)
    })
}

pub(super) fn fd_pread(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
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
    mut env: FunctionEnvMut<'_, ThreadEnv>,
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
