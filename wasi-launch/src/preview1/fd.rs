//! The fd functions of the core set: read, write, close, fdstat, seek and
//! tell, prestat.

use std::io::SeekFrom;

use wasi_fs_setup::{FdObject, Rights, StdioFd};
use wasmer::FunctionEnvMut;

use super::abi::{FDSTAT_SIZE, PRESTAT_SIZE, encode_fdstat, encode_prestat};
use super::common::{Io, iovec_call, require_file, write_host_output};
use super::poll::{StoppedInHostCall, is_host_stdin, stop_if_interrupted, wait_host_stdin};
use super::{GuestPtr, host_call};
use crate::errno::Errno;
use crate::state::{ThreadEnv, WasiEnv};

pub(super) fn fd_write(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    iovs: GuestPtr,
    iovs_len: u32,
    nwritten: GuestPtr,
) -> Result<i32, StoppedInHostCall> {
    // The host's stdout or stderr may block for ever (a pipe nobody
    // reads): written in pieces, each after a wait the interrupt handle
    // cuts short.
    let blocking = host_output_that_may_block(&mut env.data().shared.lock(), fd);
    if let Some(which) = blocking {
        return write_host_output(&mut env, which, fd, (iovs, iovs_len), nwritten);
    }
    Ok(iovec_call(
        &mut env,
        "fd_write",
        Io::Write,
        fd,
        (iovs, iovs_len),
        None,
        nwritten,
    ))
}

/// Which of the host's stdout and stderr `fd` is, if it is one a write may
/// block on.
fn host_output_that_may_block(state: &mut WasiEnv, fd: u32) -> Option<StdioFd> {
    match state
        .world
        .fds_mut()
        .get_mut(fd)
        .map(|entry| entry.object_mut())
    {
        Ok(FdObject::Stdio(s)) if s.host_write_may_block() => Some(s.which()),
        _ => None,
    }
}

pub(super) fn fd_read(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    iovs: GuestPtr,
    iovs_len: u32,
    nread: GuestPtr,
) -> Result<i32, StoppedInHostCall> {
    // A read of the host's stdin may block for ever: wait for it in a way
    // the interrupt handle cuts short, then read what is there.
    // The wait holds no lock: other threads go on with their calls.
    let shared = std::sync::Arc::clone(&env.data().shared);
    let host_stdin = is_host_stdin(&mut shared.lock(), fd);
    if host_stdin {
        wait_host_stdin(None, &shared.interrupt);
        stop_if_interrupted(&env)?;
    }
    Ok(iovec_call(
        &mut env,
        "fd_read",
        Io::Read,
        fd,
        (iovs, iovs_len),
        None,
        nread,
    ))
}

pub(super) fn fd_close(mut env: FunctionEnvMut<'_, ThreadEnv>, fd: u32) -> i32 {
    host_call(&mut env, "fd_close", |state, _mem| {
        let mut entry = state.world.fds_mut().close(fd).map_err(Errno::from)?;
        state.p1.readdir.forget(fd);
        entry.flush().map_err(Errno::from)
    })
}

pub(super) fn fd_fdstat_get(mut env: FunctionEnvMut<'_, ThreadEnv>, fd: u32, out: GuestPtr) -> i32 {
    host_call(&mut env, "fd_fdstat_get", |state, mem| {
        mem.check_range(out, FDSTAT_SIZE as u64)?;
        let entry = state.world.fds_mut().get_mut(fd).map_err(Errno::from)?;
        let buf = encode_fdstat(
            entry.filetype(),
            entry.flags.bits(),
            entry.rights.base.bits(),
            entry.rights.inheriting.bits(),
        );
        Ok(mem.write(out, &buf)?)
    })
}

pub(super) fn fd_seek(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    offset: i64,
    whence: u32,
    out: GuestPtr,
) -> i32 {
    host_call(&mut env, "fd_seek", |state, mem| {
        mem.check_range(out, 8)?;
        let pos = match whence {
            0 => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::INVAL)?),
            1 => SeekFrom::Current(offset),
            2 => SeekFrom::End(offset),
            _ => return Err(Errno::INVAL),
        };
        let entry = state.world.fds_mut().get_mut(fd).map_err(Errno::from)?;
        require_file(entry, Errno::BADF)?;
        // Asking for the position only needs the right to tell.
        let needed = if pos == SeekFrom::Current(0) {
            Rights::FD_TELL
        } else {
            Rights::FD_SEEK
        };
        entry.require(needed).map_err(Errno::from)?;
        let file = entry.file_mut().map_err(Errno::from)?;
        let new = file.seek(pos).map_err(Errno::from)?;
        Ok(mem.write_u64(out, new)?)
    })
}

pub(super) fn fd_tell(mut env: FunctionEnvMut<'_, ThreadEnv>, fd: u32, out: GuestPtr) -> i32 {
    host_call(&mut env, "fd_tell", |state, mem| {
        mem.check_range(out, 8)?;
        let entry = state.world.fds_mut().get_mut(fd).map_err(Errno::from)?;
        require_file(entry, Errno::BADF)?;
        entry.require(Rights::FD_TELL).map_err(Errno::from)?;
        let pos = entry.position().map_err(Errno::from)?;
        Ok(mem.write_u64(out, pos)?)
    })
}

pub(super) fn fd_prestat_get(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    out: GuestPtr,
) -> i32 {
    host_call(&mut env, "fd_prestat_get", |state, mem| {
        mem.check_range(out, PRESTAT_SIZE as u64)?;
        let entry = state.world.fds().get(fd).map_err(Errno::from)?;
        let info = entry.preopen().ok_or(Errno::BADF)?;
        let len = u32::try_from(info.guest_path.len()).map_err(|_| Errno::NAMETOOLONG)?;
        Ok(mem.write(out, &encode_prestat(len))?)
    })
}

pub(super) fn fd_prestat_dir_name(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    path: GuestPtr,
    path_len: u32,
) -> i32 {
    host_call(&mut env, "fd_prestat_dir_name", |state, mem| {
        let entry = state.world.fds().get(fd).map_err(Errno::from)?;
        let info = entry.preopen().ok_or(Errno::BADF)?;
        let name = &info.guest_path;
        if (path_len as usize) < name.len() {
            return Err(Errno::NAMETOOLONG);
        }
        Ok(mem.write(path, name)?)
    })
}
