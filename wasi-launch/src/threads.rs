//! wasi-threads: `wasi`.`thread-spawn` and the threads of one environment.
//!
//! A module that imports `thread-spawn` and a shared memory gets a
//! [`ThreadGroup`]: every spawn starts a new instance of the same module in
//! a store of its own on a new OS thread, sharing the memory (attached to
//! that store), the environment's state ([`Shared`]: fd table, args, env,
//! clocks, interrupt handle) and its limits, and calls
//! `wasi_thread_start(tid, arg)`. Each thread holds a control-plane permit
//! while it runs.
//!
//! Ending: returning from `wasi_thread_start` ends only that thread. The
//! first of `proc_exit`, a trap or a limit in any thread, or `_start`
//! returning, *ends the environment*: it is recorded here ([`Ending`]), the
//! interrupt handle stops every other thread wherever it is (wasm code,
//! blocking host calls) and the shared memory's atomics are disabled, so
//! a thread waiting in `memory.atomic.wait` traps out too. The main thread
//! then joins every thread before its run returns.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::control_plane::{ControlPlane, TaskPermit};
use crate::env_memory::{MemoryBudget, Reserved};
use crate::errno::Errno;
use crate::exit_status::ExitStatus;
use crate::fuel::FuelBank;
use crate::lock::lock;
use crate::metering::FuelCounter;
use crate::preview1::{self, StoppedInHostCall, Termination};
use crate::state::{Shared, ThreadEnv};
use crate::tunables::instance_table_bytes;
use wasmer::{
    Engine, ExternType, Function, FunctionEnv, FunctionEnvMut, FunctionType, Imports, Instance,
    MemoryType, Module, RuntimeError, SharedMemory, Store, Type,
};

/// The module of the spawn import.
pub(crate) const SPAWN_MODULE: &str = "wasi";
/// The name of the spawn import.
pub(crate) const SPAWN_NAME: &str = "thread-spawn";
/// The export every thread starts in: `(i32 tid, i32 arg) -> ()`.
pub(crate) const THREAD_START: &str = "wasi_thread_start";
/// The highest thread id: the proposal's ids are 1 to 2^29 - 1, so they
/// stay positive in an `i32` beside negative errors.
pub(crate) const MAX_TID: u32 = 0x1FFF_FFFF;

/// How an environment ended, as the first of its threads to end it said.
#[derive(Debug, Clone)]
pub(crate) enum Ending {
    /// An exit, a signal or a limit.
    Status(ExitStatus),
    /// A trap.
    Trap(RuntimeError),
}

/// Whether `module` imports `thread-spawn`.
pub(crate) fn imports_spawn(module: &Module) -> bool {
    module
        .info()
        .imports
        .keys()
        .any(|k| k.module == SPAWN_MODULE && k.field == SPAWN_NAME)
}

/// Whether `module` is run as a threaded module: it imports `thread-spawn`,
/// or a shared memory (which the launcher then provides, as for threads).
pub(crate) fn is_threaded(module: &Module) -> bool {
    let info = module.info();
    let imports_shared_memory = info.imports.values().any(|index| match index {
        wasmer_types::ImportIndex::Memory(m) => info.memories.get(*m).is_some_and(|ty| ty.shared),
        _ => false,
    });
    imports_shared_memory || imports_spawn(module)
}

/// The memory `module` imports, with its module and field names.
pub(crate) fn memory_import(module: &Module) -> Option<(String, String, MemoryType)> {
    module.imports().find_map(|i| match i.ty() {
        ExternType::Memory(ty) => Some((i.module().to_string(), i.name().to_string(), *ty)),
        _ => None,
    })
}

/// Whether `module` exports `wasi_thread_start` of the proposal's type.
fn exports_thread_start(module: &Module) -> bool {
    module.exports().any(|e| {
        e.name() == THREAD_START
            && matches!(e.ty(), ExternType::Function(f)
                if *f == FunctionType::new([Type::I32, Type::I32], []))
    })
}

/// A new handle in `store` on the shared memory `vm_memory` (a clone of
/// it: same bytes, same accounts and fuel bank, see `env_memory`).
pub(crate) fn attach_memory(
    store: &mut Store,
    vm_memory: &wasmer::sys::vm::VMMemory,
) -> Result<wasmer::Memory, wasmer::sys::vm::MemoryError> {
    let clone = wasmer::sys::vm::VMMemory(vm_memory.0.try_clone()?);
    crate::tunables::attach_shared_memory(store, vm_memory.0.ty(), clone)
}

/// The limits the threads of an environment share with it.
pub(crate) struct ThreadParts {
    /// Where each thread's permit comes from: the environment's scope (its
    /// task maximum) inside the launcher's plane.
    pub(crate) plane: ControlPlane,
    /// The environment's fuel bank, for a metered module: each thread's
    /// counter draws from it and gives back what is left when it returns.
    pub(crate) fuel: Option<Arc<FuelBank>>,
    /// The configured fuel (what a stop for fuel reports).
    pub(crate) configured_fuel: Option<u64>,
    /// The environment's memory total, which each thread's tables take
    /// their part of while the thread runs.
    pub(crate) budget: Option<Arc<MemoryBudget>>,
    /// The launcher's bound on the tables of one instance.
    pub(crate) max_table_elements: u32,
}

/// The threads of one environment.
pub(crate) struct ThreadGroup {
    module: Module,
    engine: Engine,
    /// The shared memory as the VM holds it: each thread attaches a clone.
    vm_memory: wasmer::sys::vm::VMMemory,
    memory_import: (String, String),
    shared: Arc<Shared>,
    limits: ThreadParts,
    thread_start: bool,
    next_tid: AtomicU32,
    /// The OS threads not joined yet: running, or ending.
    threads: Mutex<Vec<Spawned>>,
    ending: Mutex<Option<Ending>>,
    /// Set by the first `stop_all`.
    stopping: AtomicBool,
}

impl std::fmt::Debug for ThreadGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadGroup")
            .field("next_tid", &self.next_tid)
            .field("ending", &self.ending)
            .finish_non_exhaustive()
    }
}

/// One OS thread of the group, not joined yet.
struct Spawned {
    handle: JoinHandle<()>,
    /// Set by the thread as the last thing it does: its store and permit
    /// are gone, so joining it waits only for the OS thread to end.
    ending: Arc<AtomicBool>,
}

/// Joins every thread of `threads` that has given back its permit (see
/// [`Spawned::ending`]), so that a finished thread's stack and
/// thread-local state are released while its group runs on: a guest that
/// spawns threads one after another holds only the OS threads that still
/// run, never every thread it ever started.
fn reap(threads: &mut Vec<Spawned>) {
    let (ended, running): (Vec<_>, Vec<_>) = std::mem::take(threads)
        .into_iter()
        .partition(|t| t.ending.load(Ordering::Acquire));
    *threads = running;
    for thread in ended {
        // A thread's panic is caught in the thread (`run_thread`); a
        // failed join has nothing more to release.
        let _ = thread.handle.join();
    }
}

/// What a new [`ThreadGroup`] is made of.
pub(crate) struct GroupParts {
    pub(crate) module: Module,
    pub(crate) engine: Engine,
    /// The shared memory, for the interrupt handle.
    pub(crate) memory: SharedMemory,
    pub(crate) vm_memory: wasmer::sys::vm::VMMemory,
    pub(crate) memory_import: (String, String),
    pub(crate) shared: Arc<Shared>,
    pub(crate) threads: ThreadParts,
}

impl ThreadGroup {
    pub(crate) fn new(parts: GroupParts) -> Arc<Self> {
        parts.shared.interrupt.set_threaded(parts.memory.clone());
        Arc::new(ThreadGroup {
            thread_start: exports_thread_start(&parts.module),
            module: parts.module,
            engine: parts.engine,
            vm_memory: parts.vm_memory,
            memory_import: parts.memory_import,
            shared: parts.shared,
            limits: parts.threads,
            next_tid: AtomicU32::new(1),
            threads: Mutex::new(Vec::new()),
            ending: Mutex::new(None),
            stopping: AtomicBool::new(false),
        })
    }

    /// The imports of an instance of the group's module in `store`: the
    /// preview1 functions, `thread-spawn` and the shared memory.
    pub(crate) fn imports(
        self: &Arc<Self>,
        store: &mut Store,
        env: &FunctionEnv<ThreadEnv>,
        memory: &wasmer::Memory,
    ) -> Imports {
        let mut imports = preview1::imports_for(store, env, &self.module);
        imports.define(
            SPAWN_MODULE,
            SPAWN_NAME,
            Function::new_typed_with_env(store, env, thread_spawn),
        );
        let (module, name) = &self.memory_import;
        imports.define(module, name, memory.clone());
        imports
    }

    /// Ends the environment with `ending` unless it already ended (the
    /// first ending wins), and stops every thread.
    pub(crate) fn end(&self, ending: Ending) {
        {
            let mut recorded = lock(&self.ending);
            if recorded.is_none() {
                *recorded = Some(ending);
            }
        }
        self.stop_all();
    }

    /// How the environment ended, if it did.
    pub(crate) fn ending(&self) -> Option<Ending> {
        lock(&self.ending).clone()
    }

    /// Stops every thread wherever it is, through the interrupt handle:
    /// the shared memory's atomics are disabled first, so a thread waiting
    /// in `memory.atomic.wait` wakes and traps out by itself, and the
    /// interrupt signal only reaches threads still running after
    /// [`THREAD_GRACE`](crate::THREAD_GRACE) (wasmer's signal handler
    /// deadlocks a thread caught inside a wait or a trap of its own).
    pub(crate) fn stop_all(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        // The handle disables the atomics first (`set_threaded`).
        self.shared.interrupt.end_threads();
    }

    /// Waits for every thread spawned so far (and those they spawned).
    pub(crate) fn join_all(&self) {
        loop {
            let threads = std::mem::take(&mut *lock(&self.threads));
            if threads.is_empty() {
                return;
            }
            for thread in threads {
                // A thread's panic is caught in the thread (`run_thread`).
                let _ = thread.handle.join();
            }
        }
    }

    /// `thread-spawn(arg)`: a new thread's id, or a negative errno.
    fn spawn(self: &Arc<Self>, arg: i32) -> i32 {
        let failed = |errno: Errno| -i32::from(errno.raw());
        if self.shared.interrupt.is_stopped() {
            return failed(Errno::AGAIN);
        }
        if !self.thread_start {
            return failed(Errno::NOSYS);
        }
        let Ok(permit) = self.limits.plane.try_acquire() else {
            return failed(Errno::AGAIN);
        };
        // The new instance's tables, out of the memory total; a thread that
        // does not fit is not started.
        let tables = match &self.limits.budget {
            Some(budget) => {
                let bytes =
                    instance_table_bytes(self.module.info(), self.limits.max_table_elements)
                        .unwrap_or(u64::MAX);
                match budget.reserve(bytes) {
                    Some(reserved) => Some(reserved),
                    None => return failed(Errno::AGAIN),
                }
            }
            None => None,
        };
        let tid = self.next_tid.fetch_add(1, Ordering::Relaxed);
        if tid == 0 || tid > MAX_TID {
            return failed(Errno::AGAIN);
        }
        let group = Arc::clone(self);
        let ending = Arc::new(AtomicBool::new(false));
        let ended = Arc::clone(&ending);
        // Held while pushing the handle, so `join_all` sees every thread
        // that started.
        let mut threads = lock(&self.threads);
        reap(&mut threads);
        let started = std::thread::Builder::new()
            .name(format!("wasi-thread-{tid}"))
            .spawn(move || {
                group.run_thread(tid, arg, permit, tables);
                ended.store(true, Ordering::Release);
            });
        match started {
            Ok(handle) => {
                threads.push(Spawned { handle, ending });
                // In range: at most MAX_TID.
                i32::try_from(tid).unwrap_or(i32::MAX)
            }
            // The system has no thread to give (its permit went with the
            // closure): the guest may try again.
            Err(_) => failed(Errno::AGAIN),
        }
    }

    /// The body of thread `tid` (see [`run_instance`](Self::run_instance)).
    /// A panic in it (a host bug, or wasmer failing to get a resource such
    /// as a stack) is caught here and ends the environment as a trap, so
    /// it never takes the host down nor leaves the guest's other threads
    /// waiting for a thread that is gone.
    fn run_thread(
        self: Arc<Self>,
        tid: u32,
        arg: i32,
        permit: TaskPermit,
        tables: Option<Reserved>,
    ) {
        let ran = panic::catch_unwind(AssertUnwindSafe(|| {
            self.run_instance(tid, arg, permit, tables)
        }));
        if let Err(payload) = ran {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a host panic".to_string());
            self.end(Ending::Trap(RuntimeError::new(format!(
                "thread {tid} failed in the host: {what}"
            ))));
        }
    }

    /// Instantiates the module for thread `tid`, calls
    /// `wasi_thread_start`, and ends the environment if the thread exits,
    /// traps or hits a limit.
    fn run_instance(
        self: &Arc<Self>,
        tid: u32,
        arg: i32,
        permit: TaskPermit,
        tables: Option<Reserved>,
    ) {
        let mut store = Store::new(self.engine.clone());
        let memory = match attach_memory(&mut store, &self.vm_memory) {
            Ok(memory) => memory,
            Err(e) => {
                let e = RuntimeError::new(format!("thread {tid} cannot attach the memory: {e}"));
                self.thread_ended(&e, || true);
                return;
            }
        };
        let env = FunctionEnv::new(
            &mut store,
            ThreadEnv {
                memory: Some(memory.clone()),
                shared: Arc::clone(&self.shared),
                permit: Some(permit),
                threads: Some(Arc::clone(self)),
                _tables: tables,
            },
        );
        let imports = self.imports(&mut store, &env, &memory);
        let interrupt = self.shared.interrupt.clone();
        let outcome = interrupt.enter(&store).map(|_entered| {
            let instance =
                Instance::new(&mut store, &self.module, &imports).map_err(|e| match e {
                    wasmer::InstantiationError::Start(trap) => trap,
                    other => RuntimeError::new(other.to_string()),
                })?;
            let counter = self.limits.fuel.as_ref().and_then(|bank| {
                let counter = FuelCounter::of(&instance)?;
                let units = counter
                    .get(&mut store)
                    .saturating_add(bank.draw(bank.slice()));
                counter.set(&mut store, units);
                Some((Arc::clone(bank), counter))
            });
            let start = instance
                .exports
                .get_typed_function::<(i32, i32), ()>(&store, THREAD_START)
                .map_err(|e| RuntimeError::new(e.to_string()))?;
            // In range: at most MAX_TID.
            let tid = i32::try_from(tid).unwrap_or(i32::MAX);
            let called = start.call(&mut store, tid, arg);
            Ok::<_, RuntimeError>((counter, called))
        });
        match outcome {
            // Stopped before it began: the environment is ending.
            None => {}
            // Returned: what its counter holds goes back to the budget.
            Some(Ok((Some((bank, counter)), Ok(())))) => {
                bank.give_back(counter.get(&mut store));
            }
            Some(Ok((None, Ok(())))) => {}
            Some(Ok((counter, Err(e)))) => {
                let fuel_left = || match &counter {
                    Some((_, counter)) => !counter.exhausted(&mut store),
                    None => true,
                };
                self.thread_ended(&e, fuel_left);
            }
            Some(Err(e)) => self.thread_ended(&e, || true),
        }
        env.as_mut(&mut store).permit = None;
    }

    /// A thread ended with the error `e`: an exit or a limit or a trap
    /// ends the environment; a stop because it is already ending does not.
    fn thread_ended(&self, e: &RuntimeError, fuel_left: impl FnOnce() -> bool) {
        if let Some(termination) = e.downcast_ref::<Termination>() {
            let status = match termination {
                Termination::Exit(code) => ExitStatus::Exited(*code),
                Termination::Signal(sig) => ExitStatus::Signaled(*sig),
            };
            self.end(Ending::Status(status));
            return;
        }
        let interrupt = &self.shared.interrupt;
        // Stopped because the environment is ending (not by a limit): the
        // ending is already recorded.
        if self.stopping.load(Ordering::SeqCst) && interrupt.reason().is_none() {
            return;
        }
        if let Some(reason) = crate::environment::stopped_by_limit(
            e,
            interrupt,
            self.limits.configured_fuel,
            fuel_left,
        ) {
            self.end(Ending::Status(ExitStatus::Stopped(reason)));
            return;
        }
        // A wait cut short by the ending (atomics disabled) traps too.
        if interrupt.is_stopped() || e.downcast_ref::<StoppedInHostCall>().is_some() {
            return;
        }
        self.end(Ending::Trap(e.clone()));
    }
}

/// The `thread-spawn` host function.
fn thread_spawn(env: FunctionEnvMut<'_, ThreadEnv>, arg: i32) -> i32 {
    let result = match &env.data().threads {
        Some(group) => group.spawn(arg),
        None => -i32::from(Errno::NOSYS.raw()),
    };
    tracing::trace!(target: "wasi", call = "thread-spawn", arg, result);
    result
}
