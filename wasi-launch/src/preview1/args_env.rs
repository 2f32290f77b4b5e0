//! `args_*` and `environ_*`: copy the tables encoded once at validation.

use wasi_config::EncodedStrings;
use wasmer::FunctionEnvMut;

use super::{GuestPtr, host_call};
use crate::errno::SysResult;
use crate::guest_memory::GuestMemory;
use crate::state::ThreadEnv;

/// Writes the count and the buffer size of `table`.
fn sizes(
    mem: &GuestMemory<'_>,
    table: &EncodedStrings,
    count: GuestPtr,
    size: GuestPtr,
) -> SysResult<()> {
    mem.check_range(count, 4)?;
    mem.check_range(size, 4)?;
    mem.write_u32(count, table.count())?;
    mem.write_u32(size, table.buf_size())?;
    Ok(())
}

/// Copies `table` to `buf` and the pointer of each entry to `ptrs`. Both
/// ranges are checked before anything is written.
fn copy(
    mem: &GuestMemory<'_>,
    table: &EncodedStrings,
    ptrs: GuestPtr,
    buf: GuestPtr,
) -> SysResult<()> {
    mem.check_range(ptrs, u64::from(table.count()) * 4)?;
    mem.check_range(buf, u64::from(table.buf_size()))?;
    let mut encoded = Vec::with_capacity(table.offsets().len() * 4);
    for &offset in table.offsets() {
        // In range: `buf + buf_size` lies inside the memory, checked above.
        let ptr = buf.checked_add(offset).ok_or(crate::errno::Errno::FAULT)?;
        encoded.extend_from_slice(&ptr.to_le_bytes());
    }
    mem.write(buf, table.bytes())?;
    mem.write(ptrs, &encoded)?;
    Ok(())
}

pub(super) fn args_sizes_get(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    count: GuestPtr,
    size: GuestPtr,
) -> i32 {
    host_call(&mut env, "args_sizes_get", |state, mem| {
        sizes(mem, state.config.args_table(), count, size)
    })
}

pub(super) fn args_get(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    argv: GuestPtr,
    buf: GuestPtr,
) -> i32 {
    host_call(&mut env, "args_get", |state, mem| {
        copy(mem, state.config.args_table(), argv, buf)
    })
}

pub(super) fn environ_sizes_get(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    count: GuestPtr,
    size: GuestPtr,
) -> i32 {
    host_call(&mut env, "environ_sizes_get", |state, mem| {
        sizes(mem, state.config.environ_table(), count, size)
    })
}

pub(super) fn environ_get(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    environ: GuestPtr,
    buf: GuestPtr,
) -> i32 {
    host_call(&mut env, "environ_get", |state, mem| {
        copy(mem, state.config.environ_table(), environ, buf)
    })
}
