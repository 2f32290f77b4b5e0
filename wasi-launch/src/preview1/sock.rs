//! `sock_*`: the file world holds no sockets, so every call on an open fd
//! is ENOTSOCK and every call on a closed one EBADF. Nothing is read from or
//! written to guest memory.

use wasmer::FunctionEnvMut;

use super::{GuestPtr, host_call_no_memory};
use crate::errno::{Errno, SysResult};
use crate::state::{ThreadEnv, WasiEnv};

/// EBADF for a closed fd, ENOTSOCK for any open one.
fn not_a_socket(state: &WasiEnv, fd: u32) -> SysResult<()> {
    state.world.fds().get(fd).map_err(Errno::from)?;
    Err(Errno::NOTSOCK)
}

pub(super) fn sock_accept(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    _flags: u32,
    _new_fd: GuestPtr,
) -> i32 {
    host_call_no_memory(&mut env, "sock_accept", |state| not_a_socket(state, fd))
}

pub(super) fn sock_recv(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    _ri_data: GuestPtr,
    _ri_data_len: u32,
    _ri_flags: u32,
    _ro_datalen: GuestPtr,
    _ro_flags: GuestPtr,
) -> i32 {
    host_call_no_memory(&mut env, "sock_recv", |state| not_a_socket(state, fd))
}

pub(super) fn sock_send(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    fd: u32,
    _si_data: GuestPtr,
    _si_data_len: u32,
    _si_flags: u32,
    _so_datalen: GuestPtr,
) -> i32 {
    host_call_no_memory(&mut env, "sock_send", |state| not_a_socket(state, fd))
}

pub(super) fn sock_shutdown(mut env: FunctionEnvMut<'_, ThreadEnv>, fd: u32, _how: u32) -> i32 {
    host_call_no_memory(&mut env, "sock_shutdown", |state| not_a_socket(state, fd))
}
