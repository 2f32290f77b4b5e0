//! Clocks, randomness and `sched_yield`.

use wasmer::FunctionEnvMut;

use super::{GuestPtr, host_call, host_call_no_memory};
use crate::errno::Errno;
use crate::runtime::clockid_from_raw;
use crate::state::ThreadEnv;

pub(super) fn clock_res_get(mut env: FunctionEnvMut<'_, ThreadEnv>, id: u32, out: GuestPtr) -> i32 {
    host_call(&mut env, "clock_res_get", |state, mem| {
        mem.check_range(out, 8)?;
        let res = state.runtime.resolution(clockid_from_raw(id)?)?;
        Ok(mem.write_u64(out, res)?)
    })
}

pub(super) fn clock_time_get(
    mut env: FunctionEnvMut<'_, ThreadEnv>,
    id: u32,
    _precision: u64,
    out: GuestPtr,
) -> i32 {
    host_call(&mut env, "clock_time_get", |state, mem| {
        mem.check_range(out, 8)?;
        let now = state.runtime.time(clockid_from_raw(id)?)?;
        Ok(mem.write_u64(out, now)?)
    })
}

pub(super) fn random_get(mut env: FunctionEnvMut<'_, ThreadEnv>, buf: GuestPtr, len: u32) -> i32 {
    host_call(&mut env, "random_get", |state, mem| {
        let runtime = state.runtime.clone();
        mem.fill_chunks(buf, len, |chunk| {
            runtime.fill_random(chunk)?;
            Ok::<_, Errno>(chunk.len())
        })?;
        Ok(())
    })
}

pub(super) fn sched_yield(mut env: FunctionEnvMut<'_, ThreadEnv>) -> i32 {
    host_call_no_memory(&mut env, "sched_yield", |_| {
        std::thread::yield_now();
        Ok(())
    })
}
