//! The fd functions of the core set: read, write, close, fdstat, seek and
//! tell, prestat.

use std::io::SeekFrom;

use wasi_fs_setup::{FdFlags, FdObject, FileHandle, FsError, Rights};
use wasmer::FunctionEnvMut;

use super::{GuestPtr, host_call};
use crate::errno::{Errno, SysResult};
use crate::fs_errno::fs_errno;
use crate::guest_memory::{GuestMemory, iovecs_total_len};
use crate::state::WasiEnv;

/// Size of a preview1 `fdstat`.
const FDSTAT_SIZE: usize = 24;
/// Size of a preview1 `prestat`.
const PRESTAT_SIZE: usize = 8;

/// A partial transfer is a success with a short count; an error is only
/// reported when nothing was transferred.
fn partial(done: u32, err: Errno) -> SysResult<u32> {
    if done > 0 { Ok(done) } else { Err(err) }
}

/// Writes the iovecs at `iovs` to `fd`.
fn write_iovecs(
    state: &mut WasiEnv,
    mem: &GuestMemory<'_>,
    fd: u32,
    iovs: GuestPtr,
    iovs_len: u32,
) -> SysResult<u32> {
    let iovs = mem.read_iovecs(iovs, iovs_len)?;
    if iovecs_total_len(&iovs) > u64::from(u32::MAX) {
        return Err(Errno::Inval);
    }
    let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
    // Without the right, the fd is not open for writing: EBADF, as POSIX
    // and wasmtime report it.
    entry.require(Rights::FD_WRITE).map_err(|_| Errno::Badf)?;
    let flags = entry.flags;
    let file = entry.file_mut().map_err(|_| Errno::Badf)?;
    let mut total: u32 = 0;
    for iov in iovs {
        let taken = mem.read_chunks(iov.buf, iov.len, |chunk| {
            file.write(chunk).map_err(fs_errno)
        });
        match taken {
            // Cannot overflow: the total of every iovec fits in u32 (above).
            Ok(n) => total += n,
            Err(e) => return partial(total, e),
        }
        if taken.is_ok_and(|n| n < iov.len) {
            break;
        }
    }
    sync_after_write(file, flags).map_err(fs_errno)?;
    Ok(total)
}

/// Honours the `sync` and `dsync` fd flags after a write.
pub(super) fn sync_after_write(file: &mut dyn FileHandle, flags: FdFlags) -> Result<(), FsError> {
    if flags.contains(FdFlags::SYNC) {
        file.sync(false)
    } else if flags.contains(FdFlags::DSYNC) {
        file.sync(true)
    } else {
        Ok(())
    }
}

/// Reads from `fd` into the iovecs at `iovs`.
fn read_iovecs(
    state: &mut WasiEnv,
    mem: &GuestMemory<'_>,
    fd: u32,
    iovs: GuestPtr,
    iovs_len: u32,
) -> SysResult<u32> {
    let iovs = mem.read_iovecs(iovs, iovs_len)?;
    if iovecs_total_len(&iovs) > u64::from(u32::MAX) {
        return Err(Errno::Inval);
    }
    let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
    entry.require(Rights::FD_READ).map_err(|_| Errno::Badf)?;
    let file = entry.file_mut().map_err(|_| Errno::Badf)?;
    let mut total: u32 = 0;
    for iov in iovs {
        let filled = mem.fill_chunks(iov.buf, iov.len, |chunk| file.read(chunk).map_err(fs_errno));
        match filled {
            // Cannot overflow: the total of every iovec fits in u32 (above).
            Ok(n) => total += n,
            Err(e) => return partial(total, e),
        }
        if filled.is_ok_and(|n| n < iov.len) {
            break;
        }
    }
    Ok(total)
}

pub(super) fn fd_write(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    iovs: GuestPtr,
    iovs_len: u32,
    nwritten: GuestPtr,
) -> i32 {
    host_call(&mut env, "fd_write", |state, mem| {
        mem.check_range(nwritten, 4)?;
        let n = write_iovecs(state, mem, fd, iovs, iovs_len)?;
        Ok(mem.write_u32(nwritten, n)?)
    })
}

pub(super) fn fd_read(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    iovs: GuestPtr,
    iovs_len: u32,
    nread: GuestPtr,
) -> i32 {
    host_call(&mut env, "fd_read", |state, mem| {
        mem.check_range(nread, 4)?;
        let n = read_iovecs(state, mem, fd, iovs, iovs_len)?;
        Ok(mem.write_u32(nread, n)?)
    })
}

pub(super) fn fd_close(mut env: FunctionEnvMut<'_, WasiEnv>, fd: u32) -> i32 {
    host_call(&mut env, "fd_close", |state, _mem| {
        let mut entry = state.world.fds_mut().close(fd).map_err(fs_errno)?;
        state.p1.readdir.forget(fd);
        entry.flush().map_err(fs_errno)
    })
}

pub(super) fn fd_fdstat_get(mut env: FunctionEnvMut<'_, WasiEnv>, fd: u32, out: GuestPtr) -> i32 {
    host_call(&mut env, "fd_fdstat_get", |state, mem| {
        mem.check_range(out, FDSTAT_SIZE as u64)?;
        let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
        let mut buf = [0u8; FDSTAT_SIZE];
        buf[0] = entry.filetype() as u8;
        buf[2..4].copy_from_slice(&entry.flags.bits().to_le_bytes());
        buf[8..16].copy_from_slice(&entry.rights.base.bits().to_le_bytes());
        buf[16..24].copy_from_slice(&entry.rights.inheriting.bits().to_le_bytes());
        Ok(mem.write(out, &buf)?)
    })
}

pub(super) fn fd_seek(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    offset: i64,
    whence: u32,
    out: GuestPtr,
) -> i32 {
    host_call(&mut env, "fd_seek", |state, mem| {
        mem.check_range(out, 8)?;
        let pos = match whence {
            0 => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
            1 => SeekFrom::Current(offset),
            2 => SeekFrom::End(offset),
            _ => return Err(Errno::Inval),
        };
        let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
        match entry.object() {
            FdObject::Dir(_) => return Err(Errno::Badf),
            // A stream cannot seek, whatever its rights.
            FdObject::Stdio(_) => return Err(Errno::Spipe),
            FdObject::File(_) => {}
        }
        // Asking for the position only needs the right to tell.
        let needed = if pos == SeekFrom::Current(0) {
            Rights::FD_TELL
        } else {
            Rights::FD_SEEK
        };
        entry.require(needed).map_err(fs_errno)?;
        let file = entry.file_mut().map_err(fs_errno)?;
        let new = file.seek(pos).map_err(fs_errno)?;
        Ok(mem.write_u64(out, new)?)
    })
}

pub(super) fn fd_tell(mut env: FunctionEnvMut<'_, WasiEnv>, fd: u32, out: GuestPtr) -> i32 {
    host_call(&mut env, "fd_tell", |state, mem| {
        mem.check_range(out, 8)?;
        let entry = state.world.fds_mut().get_mut(fd).map_err(fs_errno)?;
        match entry.object() {
            FdObject::Dir(_) => return Err(Errno::Badf),
            FdObject::Stdio(_) => return Err(Errno::Spipe),
            FdObject::File(_) => {}
        }
        entry.require(Rights::FD_TELL).map_err(fs_errno)?;
        let pos = entry.position().map_err(fs_errno)?;
        Ok(mem.write_u64(out, pos)?)
    })
}

pub(super) fn fd_prestat_get(mut env: FunctionEnvMut<'_, WasiEnv>, fd: u32, out: GuestPtr) -> i32 {
    host_call(&mut env, "fd_prestat_get", |state, mem| {
        mem.check_range(out, PRESTAT_SIZE as u64)?;
        let entry = state.world.fds().get(fd).map_err(fs_errno)?;
        let info = entry.preopen().ok_or(Errno::Badf)?;
        let len = u32::try_from(info.guest_path.len()).map_err(|_| Errno::Nametoolong)?;
        let mut buf = [0u8; PRESTAT_SIZE];
        // Tag 0: a directory.
        buf[4..8].copy_from_slice(&len.to_le_bytes());
        Ok(mem.write(out, &buf)?)
    })
}

pub(super) fn fd_prestat_dir_name(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    path: GuestPtr,
    path_len: u32,
) -> i32 {
    host_call(&mut env, "fd_prestat_dir_name", |state, mem| {
        let entry = state.world.fds().get(fd).map_err(fs_errno)?;
        let info = entry.preopen().ok_or(Errno::Badf)?;
        let name = &info.guest_path;
        if (path_len as usize) < name.len() {
            return Err(Errno::Nametoolong);
        }
        Ok(mem.write(path, name)?)
    })
}
