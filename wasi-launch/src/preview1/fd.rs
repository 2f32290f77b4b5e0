//! The fd functions of the core set: read, write, close, fdstat, seek and
//! tell, prestat.

use std::io::SeekFrom;

use wasi_fs_setup::Rights;
use wasmer::FunctionEnvMut;

use super::common::{Io, iovec_call, require_file};
use super::{GuestPtr, host_call};
use crate::errno::Errno;
use crate::fs_errno::fs_errno;
use crate::state::WasiEnv;

/// Size of a preview1 `fdstat`.
const FDSTAT_SIZE: usize = 24;
/// Size of a preview1 `prestat`.
const PRESTAT_SIZE: usize = 8;

pub(super) fn fd_write(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    iovs: GuestPtr,
    iovs_len: u32,
    nwritten: GuestPtr,
) -> i32 {
    iovec_call(
        &mut env,
        "fd_write",
        Io::Write,
        fd,
        (iovs, iovs_len),
        None,
        nwritten,
    )
}

pub(super) fn fd_read(
    mut env: FunctionEnvMut<'_, WasiEnv>,
    fd: u32,
    iovs: GuestPtr,
    iovs_len: u32,
    nread: GuestPtr,
) -> i32 {
    iovec_call(
        &mut env,
        "fd_read",
        Io::Read,
        fd,
        (iovs, iovs_len),
        None,
        nread,
    )
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
        require_file(entry, Errno::Badf)?;
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
        require_file(entry, Errno::Badf)?;
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
