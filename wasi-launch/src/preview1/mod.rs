//! The `wasi_snapshot_preview1` host functions, by area.
//!
//! Every function the module imports from `wasi_snapshot_preview1` is
//! registered with its host function (all 46 are implemented; a test checks
//! each against the spec's type). The ENOSYS stub of the exact type remains
//! as the fallback for a name without one. Only the module's own imports are
//! created, so instantiation costs what the module uses.
//!
//! By area: `args_env`, `clock_random`, `proc`; `fd` (read, write, close,
//! fdstat, seek, tell, prestat) and `fd_file` (advise, allocate, sync, flags
//! and rights, filestat, pread/pwrite, readdir, renumber); `path` (every
//! `path_*`); [`poll`] (`poll_oneoff`); `sock` (`sock_*`, which find no
//! sockets). Rights are checked on every call: the fd's base rights must
//! hold the call's right, and `path_open` narrows the new fd's rights to the
//! directory's inheriting rights (see `wasi_fs_setup::FdRights::derive`).
//!
//! Host functions return an errno for every guest-visible failure; the only
//! traps are `proc_exit` and `proc_raise` (which end the guest), a blocking
//! call (`poll_oneoff`, `fd_read` on the host's stdin) cut short by the
//! environment's interrupt handle ([`StoppedInHostCall`]), and broken host
//! invariants.

mod abi;
mod args_env;
mod clock_random;
mod common;
mod fd;
mod fd_file;
mod listings;
mod path;
mod poll;
mod proc;
mod signatures;
mod sock;

use wasmer::{
    AsStoreMut, Extern, Function, FunctionEnv, FunctionEnvMut, FunctionType, Imports, Module, Value,
};
use wasmer_types::{ImportIndex, ImportKey};

use crate::errno::{Errno, SysResult, result_to_wasm};
use crate::guest_memory::GuestMemory;
use crate::state::{ThreadEnv, WasiEnv};

pub use listings::MAX_LISTING_BYTES;
pub use poll::MAX_SUBSCRIPTIONS;
pub(crate) use poll::StoppedInHostCall;
pub use proc::Termination;
pub use signatures::{ALL as PREVIEW1_FUNCTIONS, MODULE as PREVIEW1_MODULE};

/// Per-environment state of the preview1 functions beyond the file world.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// `fd_readdir` listings, per directory fd.
    pub(crate) readdir: listings::ReaddirCache,
}

/// A guest address.
pub(crate) use crate::guest_memory::GuestPtr;

/// Runs one host call that needs guest memory: hands `f` the state and a
/// fresh view of the memory, turns its result into the errno returned to
/// the guest, and logs the call at trace level.
pub(crate) fn host_call(
    env: &mut FunctionEnvMut<'_, ThreadEnv>,
    name: &'static str,
    f: impl FnOnce(&mut WasiEnv, &GuestMemory<'_>) -> SysResult<()>,
) -> i32 {
    let (thread, store) = env.data_and_store_mut();
    let result = match thread.memory.clone() {
        Some(memory) => f(
            &mut thread.shared.lock(),
            &GuestMemory::from_memory(&memory, &store),
        ),
        // Instantiation refuses WASI modules without a memory export, so
        // this only happens if a host embedder calls in before it is set.
        None => Err(Errno::FAULT),
    };
    tracing::trace!(target: "wasi", call = name, result = ?result.err().unwrap_or(Errno::SUCCESS));
    result_to_wasm(result)
}

/// Runs one host call that needs no guest memory.
pub(crate) fn host_call_no_memory(
    env: &mut FunctionEnvMut<'_, ThreadEnv>,
    name: &'static str,
    f: impl FnOnce(&mut WasiEnv) -> SysResult<()>,
) -> i32 {
    let result = f(&mut env.data().shared.lock());
    tracing::trace!(target: "wasi", call = name, result = ?result.err().unwrap_or(Errno::SUCCESS));
    result_to_wasm(result)
}

/// The host function implementing `name`, if this crate implements it.
fn implemented(
    store: &mut impl AsStoreMut,
    env: &FunctionEnv<ThreadEnv>,
    name: &str,
) -> Option<Function> {
    macro_rules! typed {
        ($f:path) => {
            Some(Function::new_typed_with_env(store, env, $f))
        };
    }
    match name {
        "args_get" => typed!(args_env::args_get),
        "args_sizes_get" => typed!(args_env::args_sizes_get),
        "environ_get" => typed!(args_env::environ_get),
        "environ_sizes_get" => typed!(args_env::environ_sizes_get),
        "clock_res_get" => typed!(clock_random::clock_res_get),
        "clock_time_get" => typed!(clock_random::clock_time_get),
        "random_get" => typed!(clock_random::random_get),
        "sched_yield" => typed!(clock_random::sched_yield),
        "proc_exit" => typed!(proc::proc_exit),
        "proc_raise" => typed!(proc::proc_raise),
        "fd_write" => typed!(fd::fd_write),
        "fd_read" => typed!(fd::fd_read),
        "fd_close" => typed!(fd::fd_close),
        "fd_fdstat_get" => typed!(fd::fd_fdstat_get),
        "fd_seek" => typed!(fd::fd_seek),
        "fd_tell" => typed!(fd::fd_tell),
        "fd_prestat_get" => typed!(fd::fd_prestat_get),
        "fd_prestat_dir_name" => typed!(fd::fd_prestat_dir_name),
        "fd_advise" => typed!(fd_file::fd_advise),
        "fd_allocate" => typed!(fd_file::fd_allocate),
        "fd_datasync" => typed!(fd_file::fd_datasync),
        "fd_sync" => typed!(fd_file::fd_sync),
        "fd_fdstat_set_flags" => typed!(fd_file::fd_fdstat_set_flags),
        "fd_fdstat_set_rights" => typed!(fd_file::fd_fdstat_set_rights),
        "fd_filestat_get" => typed!(fd_file::fd_filestat_get),
        "fd_filestat_set_size" => typed!(fd_file::fd_filestat_set_size),
        "fd_filestat_set_times" => typed!(fd_file::fd_filestat_set_times),
        "fd_pread" => typed!(fd_file::fd_pread),
        "fd_pwrite" => typed!(fd_file::fd_pwrite),
        "fd_readdir" => typed!(fd_file::fd_readdir),
        "fd_renumber" => typed!(fd_file::fd_renumber),
        "path_create_directory" => typed!(path::path_create_directory),
        "path_filestat_get" => typed!(path::path_filestat_get),
        "path_filestat_set_times" => typed!(path::path_filestat_set_times),
        "path_link" => typed!(path::path_link),
        "path_open" => typed!(path::path_open),
        "path_readlink" => typed!(path::path_readlink),
        "path_remove_directory" => typed!(path::path_remove_directory),
        "path_rename" => typed!(path::path_rename),
        "path_symlink" => typed!(path::path_symlink),
        "path_unlink_file" => typed!(path::path_unlink_file),
        "poll_oneoff" => typed!(poll::poll_oneoff),
        "sock_accept" => typed!(sock::sock_accept),
        "sock_recv" => typed!(sock::sock_recv),
        "sock_send" => typed!(sock::sock_send),
        "sock_shutdown" => typed!(sock::sock_shutdown),
        _ => None,
    }
}

/// A stub of type `ty` for a preview1 function not implemented yet: it
/// returns ENOSYS.
fn enosys_stub(
    store: &mut impl AsStoreMut,
    env: &FunctionEnv<ThreadEnv>,
    name: &'static str,
    ty: FunctionType,
) -> Function {
    let results: Vec<Value> = ty
        .results()
        .iter()
        .map(|_| Value::I32(Errno::NOSYS.to_wasm()))
        .collect();
    Function::new_with_env(store, env, ty, move |_env, _args| {
        tracing::trace!(target: "wasi", call = name, result = ?Errno::NOSYS);
        Ok(results.clone())
    })
}

/// The imports for `module`: every `wasi_snapshot_preview1` function it
/// imports (implemented or an ENOSYS stub of the spec's type). Imports from
/// other modules, unknown preview1 names and mistyped imports are left for
/// instantiation to report as link errors.
pub(crate) fn imports_for(
    store: &mut impl AsStoreMut,
    env: &FunctionEnv<ThreadEnv>,
    module: &Module,
) -> Imports {
    let mut imports = Imports::new();
    for (key, index) in &module.info().imports {
        if let Some((name, function)) = function_for(store, env, key, index) {
            imports.define(signatures::MODULE, name, function);
        }
    }
    imports
}

/// The same functions as [`imports_for`], as the list
/// `Instance::new_by_index` takes (in the module's import order, no name
/// lookups), when every import of `module` is a known preview1 function;
/// `None` otherwise, for [`imports_for`] and its link errors.
pub(crate) fn externs_for(
    store: &mut impl AsStoreMut,
    env: &FunctionEnv<ThreadEnv>,
    module: &Module,
) -> Option<Vec<Extern>> {
    let imports = &module.info().imports;
    let mut externs = vec![None; imports.len()];
    for (key, index) in imports {
        let (_, function) = function_for(store, env, key, index)?;
        let slot = externs.get_mut(usize::try_from(key.import_idx).ok()?)?;
        *slot = Some(Extern::Function(function));
    }
    externs.into_iter().collect()
}

/// The host function (implemented or an ENOSYS stub of the spec's type)
/// for an import that is a known `wasi_snapshot_preview1` function.
fn function_for(
    store: &mut impl AsStoreMut,
    env: &FunctionEnv<ThreadEnv>,
    key: &ImportKey,
    index: &ImportIndex,
) -> Option<(&'static str, Function)> {
    if key.module != signatures::MODULE || !matches!(index, ImportIndex::Function(_)) {
        return None;
    }
    let &(name, params, results) = signatures::ALL.iter().find(|(n, _, _)| *n == key.field)?;
    let function = implemented(store, env, name)
        .unwrap_or_else(|| enosys_stub(store, env, name, FunctionType::new(params, results)));
    Some((name, function))
}

/// Whether `module` imports anything from `wasi_snapshot_preview1`.
pub(crate) fn imports_wasi(module: &Module) -> bool {
    module
        .info()
        .imports
        .keys()
        .any(|k| k.module == signatures::MODULE)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use wasmer::Store;

    use super::*;
    use crate::runtime::DefaultRuntime;

    /// Every preview1 function has a host function, of exactly the type the
    /// spec gives its import (a mismatch would fail to link real programs).
    #[test]
    fn every_preview1_function_is_implemented_with_the_spec_type() {
        let config = wasi_config::ConfigBuilder::new("t")
            .validate()
            .expect("config");
        let world = wasi_fs_setup::World::new(&config).expect("world");
        let mut store = Store::default();
        let env = FunctionEnv::new(
            &mut store,
            ThreadEnv {
                memory: None,
                shared: crate::state::Shared::new(WasiEnv {
                    config: Arc::new(config),
                    world,
                    runtime: Arc::new(DefaultRuntime::new()),
                    interrupt: crate::InterruptHandle::new(),
                    p1: State::default(),
                }),
                permit: None,
                threads: None,
                _tables: None,
            },
        );
        for &(name, params, results) in signatures::ALL {
            let f = implemented(&mut store, &env, name)
                .unwrap_or_else(|| panic!("{name} is not implemented"));
            assert_eq!(
                f.ty(&store),
                FunctionType::new(params, results),
                "{name} has the wrong type"
            );
        }
    }
}
