//! An environment: one configured guest, ready to instantiate and run.

use std::path::Path;
use std::sync::{Arc, MutexGuard};

use wasi_config::Config;
use wasi_fs_setup::World;
use wasmer::{FunctionEnv, Instance, InstantiationError, Module, RuntimeError, Store};
use wasmer_types::TrapCode;

use crate::env_memory::{MemoryBudget, MemoryHooks, Reserved};
use crate::error::LaunchError;
use crate::exit_status::ExitStatus;
use crate::fuel::FuelBank;
use crate::interrupt::{self, ArmedTimeout, InterruptHandle, StopReason};
use crate::launcher::Launcher;
use crate::memory_pool::{MemoryPool, PoolRefusal, Reservation};
use crate::metering::{self, FuelCounter};
use crate::preview1::{self, StoppedInHostCall, Termination};
use crate::runtime::Runtime;
use crate::state::{Shared, ThreadEnv, WasiEnv};
use crate::threads::{self, Ending, GroupParts, ThreadGroup, ThreadParts};
use crate::tunables::{PAGE_BYTES, instance_table_bytes};

/// A validated configuration and its file world, bound to a [`Launcher`]:
/// ready to [`instantiate`](Self::instantiate) or [`run`](Self::run) a
/// module.
///
/// The configuration's limits ([`wasi_config::Capabilities`]) are enforced
/// here: the memory limit and stack size through the engine of the store
/// [`run`](Self::run) makes, fuel by metering, the timeout and
/// [`interrupt_handle`](Self::interrupt_handle) by stopping the guest
/// wherever it is. A guest stopped by one of them ends the run with
/// [`ExitStatus::Stopped`], its output flushed and every fd closed.
pub struct Environment {
    launcher: Launcher,
    config: Arc<Config>,
    world: World,
    runtime: Arc<dyn Runtime>,
    interrupt: InterruptHandle,
    /// The memory total and fuel bank every memory of the environment's
    /// stores answers to.
    hooks: MemoryHooks,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Environment {
    pub(crate) fn new(launcher: Launcher, config: Arc<Config>, world: World) -> Self {
        let runtime = Arc::clone(launcher.runtime());
        // A configuration with fuel loads metered modules; a launcher that
        // cannot meter keeps loading plain ones, which `instantiate` then
        // refuses with `NotMetered`.
        let caps = config.capabilities();
        let launcher = match caps.fuel() {
            Some(_) => launcher.metered().unwrap_or(launcher),
            None => launcher,
        };
        // A metered launcher without fuel runs metered modules as good as
        // unlimited.
        let hooks = MemoryHooks {
            budget: caps
                .max_total_memory_bytes()
                .map(|limit| Arc::new(MemoryBudget::new(limit))),
            fuel: launcher
                .is_metered()
                .then(|| Arc::new(FuelBank::new(caps.fuel().unwrap_or(u64::MAX)))),
        };
        Environment {
            launcher,
            config,
            world,
            runtime,
            interrupt: InterruptHandle::new(),
            hooks,
        }
    }

    /// A handle that stops this environment's guest from any thread: before
    /// its run (it then does not start), in wasm code, or waiting in a host
    /// call. The configuration's timeout fires the same handle.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.interrupt.clone()
    }

    /// Loads `bytes` (wasm or `.wat`) through the launcher's module cache,
    /// metered when the configuration sets fuel.
    pub fn load_module(&self, bytes: &[u8]) -> Result<Module, LaunchError> {
        self.launcher.load_module(bytes)
    }

    /// Like [`load_module`](Self::load_module), from a file.
    pub fn load_module_file(&self, path: impl AsRef<Path>) -> Result<Module, LaunchError> {
        self.launcher.load_module_file(path)
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The file world the guest will see.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The clocks, waiting and entropy this guest gets: the launcher's
    /// unless [`with_runtime`](Self::with_runtime) chose others.
    pub fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.runtime
    }

    /// Gives this guest its own clocks, waiting and entropy (a
    /// deterministic clock for one guest, say) instead of the launcher's;
    /// other environments of the launcher, and its module cache, are not
    /// affected.
    pub fn with_runtime(mut self, runtime: Arc<dyn Runtime>) -> Self {
        self.runtime = runtime;
        self
    }

    /// Instantiates `module` in `store` with the preview1 imports.
    ///
    /// `store` must be made from [`store`](Self::store) (as
    /// [`run`](Self::run) does): its engine carries the launcher's tunables
    /// (the table bound) and the configuration's memory limit and stack
    /// size; a store of another engine does not.
    ///
    /// The configuration's timeout starts here and covers the module's
    /// start function and, through the returned instance, `_start`. A
    /// guest stopped (by the timeout or the interrupt handle) or ended
    /// during instantiation is
    /// [`LaunchError::ExitedDuringInstantiation`] with its status.
    ///
    /// Takes a task permit from the launcher's control plane (within a
    /// [`scope`](crate::ControlPlane::scope) of the configuration's own
    /// task maximum, when its capabilities set one); it is released when the
    /// instance [`finish`](WasiInstance::finish)es or the store is dropped.
    pub fn instantiate(
        self,
        module: &Module,
        store: &mut Store,
    ) -> Result<WasiInstance, LaunchError> {
        let caps = *self.config.capabilities();
        check_memory_limit(module, caps.max_memory_bytes())?;
        let tables = self.reserve_tables(module)?;
        let metered = metering::is_metered(module.info());
        if caps.fuel().is_some() && !metered {
            return Err(LaunchError::NotMetered);
        }
        let fuel = self.hooks.fuel.clone().filter(|_| metered);
        let timeout = caps
            .timeout()
            .map(|after| interrupt::arm_timeout(&self.interrupt, after));
        if let Some(reason) = self.interrupt.reason() {
            return Err(LaunchError::ExitedDuringInstantiation {
                status: ExitStatus::Stopped(reason),
            });
        }
        // Every task of the environment (its threads too) takes its permit
        // from this plane: a scope of the configuration's task maximum, if
        // it sets one, inside the launcher's plane.
        let plane = match self.config.capabilities().max_tasks() {
            Some(max) => self.launcher.control_plane().scope(max),
            None => self.launcher.control_plane().clone(),
        };
        let permit = plane.try_acquire()?;
        // The pool slots of the module's memories, taken (or refused) here
        // so that a full pool is a typed error; held until `Instance::new`
        // has made the memories.
        let _slots = reserve_memory_slots(self.launcher.memory_pool(), module)?;
        let shared = Shared::new(WasiEnv {
            config: self.config,
            world: self.world,
            runtime: self.runtime,
            interrupt: self.interrupt.clone(),
            p1: Default::default(),
        });
        let env = FunctionEnv::new(
            store,
            ThreadEnv {
                memory: None,
                shared: Arc::clone(&shared),
                permit: Some(permit),
                threads: None,
                _tables: tables,
            },
        );
        let threaded = threads::is_threaded(module);
        let imports = match threaded {
            false => match preview1::externs_for(store, &env, module) {
                Some(externs) => Linking::ByIndex(externs),
                None => Linking::ByName(preview1::imports_for(store, &env, module)),
            },
            true => {
                let parts = ThreadParts {
                    plane,
                    fuel: fuel.clone(),
                    configured_fuel: caps.fuel(),
                    budget: self.hooks.budget.clone(),
                    max_table_elements: self.launcher.max_table_elements(),
                };
                let (group, memory) = match thread_group(module, store, &shared, parts) {
                    Ok(made) => made,
                    Err(e) => {
                        let _ = abandon(&env, store);
                        return Err(e);
                    }
                };
                let imports = group.imports(store, &env, &memory);
                let thread = env.as_mut(store);
                thread.memory = Some(memory);
                thread.threads = Some(group);
                Linking::ByName(imports)
            }
        };
        let created = match self.interrupt.enter(store) {
            Some(_entered) => match &imports {
                Linking::ByIndex(externs) => Instance::new_by_index(store, module, externs),
                Linking::ByName(imports) => Instance::new(store, module, imports),
            },
            None => {
                let flushed = abandon(&env, store);
                let reason = self.interrupt.reason().unwrap_or(StopReason::Interrupted);
                return Err(ended_during_instantiation(
                    ExitStatus::Stopped(reason),
                    flushed,
                ));
            }
        };
        let instance = match created {
            Ok(instance) => instance,
            Err(e) => {
                let flushed = abandon(&env, store);
                return Err(instantiation_failed(e, flushed, &self.interrupt));
            }
        };
        match instance.exports.get_memory("memory") {
            // A threaded module's memory is the imported one, set above.
            _ if env.as_ref(store).memory.is_some() => {}
            Ok(memory) => env.as_mut(store).memory = Some(memory.clone()),
            Err(_) if preview1::imports_wasi(module) => {
                // Best effort: not being WASI is the error worth reporting.
                let _ = abandon(&env, store);
                return Err(LaunchError::NotWasi {
                    reason: "it imports WASI functions but exports no memory named `memory`",
                });
            }
            Err(_) => {}
        }
        let counter = match (&fuel, FuelCounter::of(&instance)) {
            (Some(bank), Some(counter)) => {
                // A guest without threads holds the whole budget; a threaded
                // one a slice, and its threads draw the rest as they go
                // (`fuel.rs`). What a start function drew stays.
                let want = if threaded && metering::refills(module.info()) {
                    bank.slice()
                } else {
                    u64::MAX
                };
                let units = counter.get(store).saturating_add(bank.draw(want));
                counter.set(store, units);
                Some((Arc::clone(bank), counter))
            }
            _ => None,
        };
        Ok(WasiInstance {
            instance,
            env,
            interrupt: self.interrupt,
            fuel: caps.fuel(),
            counter,
            _timeout: timeout,
        })
    }

    /// A new store for this environment: of the launcher's engine, with
    /// the configuration's memory limit, memory total and stack size
    /// applied, and its memories drawing fuel from the environment's
    /// budget.
    pub fn store(&self) -> Store {
        Store::new(
            self.launcher
                .engine_for(self.config.capabilities(), &self.hooks),
        )
    }

    /// Takes what the tables of `module`'s main instance may grow to out
    /// of the memory total, after checking that the module's memories and
    /// tables fit the total at all.
    fn reserve_tables(&self, module: &Module) -> Result<Option<Reserved>, LaunchError> {
        let Some(budget) = &self.hooks.budget else {
            return Ok(None);
        };
        let info = module.info();
        // Tables whose minimums are over the launcher's bound fail to
        // instantiate, with that error.
        let Some(tables) = instance_table_bytes(info, self.launcher.max_table_elements()) else {
            return Ok(None);
        };
        let memories: u64 = info
            .memories
            .values()
            .map(|m| u64::from(m.minimum.0) * PAGE_BYTES)
            .sum();
        let requested = memories.saturating_add(tables);
        if requested > budget.limit() {
            return Err(LaunchError::TotalMemoryLimit {
                limit: budget.limit(),
                requested,
            });
        }
        budget
            .reserve(tables)
            .map(Some)
            .ok_or(LaunchError::TotalMemoryLimit {
                limit: budget.limit(),
                requested,
            })
    }

    /// Instantiates `module` in a new [`store`](Self::store), runs its
    /// `_start`, flushes and closes every fd, and returns how the guest
    /// ended: by itself, or [`ExitStatus::Stopped`] by a limit or the
    /// interrupt handle.
    pub fn run(self, module: &Module) -> Result<ExitStatus, LaunchError> {
        let mut store = self.store();
        self.run_with_store(module, &mut store)
    }

    /// Like [`run`](Self::run), in the caller's store.
    pub fn run_with_store(
        self,
        module: &Module,
        store: &mut Store,
    ) -> Result<ExitStatus, LaunchError> {
        match self.instantiate(module, store) {
            Ok(instance) => instance.start(store),
            // The module's start function ended the guest: that is how the
            // run ended, as if `_start` had done it.
            Err(LaunchError::ExitedDuringInstantiation { status }) => Ok(status),
            Err(e) => Err(e),
        }
    }
}

/// What a module is instantiated with.
enum Linking {
    /// One extern per import, in import order (no name lookups): when every
    /// import is a preview1 function.
    ByIndex(Vec<wasmer::Extern>),
    /// By module and name, for anything else (and its link errors).
    ByName(wasmer::Imports),
}

/// Releases what a failed instantiation took: the env stays in the caller's
/// store (wasmer has no way to remove it), so without this its task permit
/// and open fds would live as long as the store. Returns whether what a
/// start function wrote could be flushed.
fn abandon(env: &FunctionEnv<ThreadEnv>, store: &mut Store) -> Result<(), wasi_fs_setup::FsError> {
    if let Some(group) = env.as_ref(store).threads.clone() {
        group.stop_all();
        group.join_all();
    }
    env.as_mut(store).release(true)
}

/// The pool slots `module`'s own memories need, when the launcher pools
/// memories.
fn reserve_memory_slots(
    pool: Option<&MemoryPool>,
    module: &Module,
) -> Result<Option<Reservation>, LaunchError> {
    let Some(pool) = pool else {
        return Ok(None);
    };
    match pool.reserve_for(module.info()) {
        Ok(reservation) => Ok(Some(reservation)),
        Err(PoolRefusal::Exhausted { slots }) => Err(LaunchError::MemoryPoolExhausted { slots }),
        Err(PoolRefusal::TooLarge { limit, requested }) => {
            Err(LaunchError::MemoryPoolLimit { limit, requested })
        }
    }
}

/// The thread group of a module importing `thread-spawn`, and the shared
/// memory it imports (made here, under the memory limit of `store`'s
/// tunables).
fn thread_group(
    module: &Module,
    store: &mut Store,
    shared: &Arc<Shared>,
    parts: ThreadParts,
) -> Result<(Arc<ThreadGroup>, wasmer::Memory), LaunchError> {
    let Some((import_module, name, ty)) = threads::memory_import(module) else {
        return Err(LaunchError::Threads {
            reason: "it imports thread-spawn but no memory",
        });
    };
    if !ty.shared {
        return Err(LaunchError::Threads {
            reason: "it imports thread-spawn and a memory that is not shared",
        });
    }
    let link_error = |e: wasmer::sys::vm::MemoryError| {
        LaunchError::Link(Box::new(InstantiationError::Link(
            wasmer::LinkError::Resource(format!("the shared memory: {e}")),
        )))
    };
    // Made by the store's tunables (its limit and hooks), and kept so that
    // every thread's instance gets its own handle on the same memory.
    let vm_memory = {
        use wasmer::sys::NativeEngineExt;
        let tunables = store.engine().tunables();
        tunables
            .create_host_memory(&ty, &tunables.memory_style(&ty))
            .map_err(link_error)?
    };
    let memory = threads::attach_memory(store, &vm_memory).map_err(link_error)?;
    let Some(shared_memory) = memory.as_shared(store) else {
        return Err(LaunchError::Threads {
            reason: "the engine cannot share its memory between threads",
        });
    };
    let group = ThreadGroup::new(GroupParts {
        module: module.clone(),
        engine: store.engine().clone(),
        memory: shared_memory,
        vm_memory,
        memory_import: (import_module, name),
        shared: Arc::clone(shared),
        threads: parts,
    });
    Ok((group, memory))
}

/// How the guest ended itself (`proc_exit`, `proc_raise`), if `e` is that
/// rather than a trap.
fn ended_by_guest(e: &RuntimeError) -> Option<ExitStatus> {
    match e.downcast_ref::<Termination>()? {
        Termination::Exit(code) => Some(ExitStatus::Exited(*code)),
        Termination::Signal(sig) => Some(ExitStatus::Signaled(*sig)),
    }
}

/// Which limit stopped the guest, if `e` is a stop rather than a trap:
/// the interrupt handle (wasmer's interrupt in wasm code, or a blocking host
/// call cut short), stack exhaustion, or fuel (`fuel_left` tells whether
/// the metering ran out).
pub(crate) fn stopped_by_limit(
    e: &RuntimeError,
    interrupt: &InterruptHandle,
    fuel: Option<u64>,
    fuel_left: impl FnOnce() -> bool,
) -> Option<StopReason> {
    let by_handle = || interrupt.reason().unwrap_or(StopReason::Interrupted);
    if e.downcast_ref::<StoppedInHostCall>().is_some() {
        return Some(by_handle());
    }
    match e.clone().to_trap() {
        Some(TrapCode::HostInterrupt) => Some(by_handle()),
        Some(TrapCode::StackOverflow) => Some(StopReason::StackExhausted),
        Some(TrapCode::UnreachableCodeReached) => match fuel {
            Some(fuel) if !fuel_left() => Some(StopReason::FuelExhausted { fuel }),
            _ => None,
        },
        _ => None,
    }
}

/// The error for a guest that ended (or was stopped) with `status` during
/// instantiation, after the state was abandoned with `flushed`.
fn ended_during_instantiation(
    status: ExitStatus,
    flushed: Result<(), wasi_fs_setup::FsError>,
) -> LaunchError {
    match flushed {
        Ok(()) => LaunchError::ExitedDuringInstantiation { status },
        Err(source) => LaunchError::Flush {
            status,
            source: Box::new(source),
        },
    }
}

/// The error for an instantiation that failed with `e`, after the state was
/// abandoned with `flushed`: a start function that ended the guest or was
/// stopped is an exit (or a flush error carrying it), one that trapped is a
/// trap, and anything else is a link error.
fn instantiation_failed(
    e: InstantiationError,
    flushed: Result<(), wasi_fs_setup::FsError>,
    interrupt: &InterruptHandle,
) -> LaunchError {
    let InstantiationError::Start(runtime) = &e else {
        return LaunchError::Link(Box::new(e));
    };
    // No instance to read the metering from: a start function out of fuel
    // shows as the trap it is.
    let stopped = stopped_by_limit(runtime, interrupt, None, || true).map(ExitStatus::Stopped);
    match ended_by_guest(runtime).or(stopped) {
        Some(status) => ended_during_instantiation(status, flushed),
        None => LaunchError::trap(runtime),
    }
}

/// Refuses a module one of whose memories needs more than `limit` bytes.
fn check_memory_limit(module: &Module, limit: Option<u64>) -> Result<(), LaunchError> {
    let Some(limit) = limit else {
        return Ok(());
    };
    let limit = limit / PAGE_BYTES * PAGE_BYTES;
    let info = module.info();
    for memory in info.memories.values() {
        let requested = u64::from(memory.minimum.0) * PAGE_BYTES;
        if requested > limit {
            return Err(LaunchError::MemoryLimit { limit, requested });
        }
    }
    Ok(())
}

/// An instantiated WASI module.
pub struct WasiInstance {
    instance: Instance,
    env: FunctionEnv<ThreadEnv>,
    interrupt: InterruptHandle,
    /// The configured fuel (what a stop for fuel reports).
    fuel: Option<u64>,
    /// The fuel bank and this instance's counter, for a metered module.
    counter: Option<(Arc<FuelBank>, FuelCounter)>,
    _timeout: Option<ArmedTimeout>,
}

impl std::fmt::Debug for WasiInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiInstance")
            .field("instance", &self.instance)
            .field("interrupt", &self.interrupt)
            .field("fuel", &self.fuel)
            .finish_non_exhaustive()
    }
}

impl WasiInstance {
    /// The wasmer instance (for calling other exports).
    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    /// The host state (file world, configuration), locked: host calls of
    /// the guest's threads wait until the guard is dropped.
    pub fn state<'a>(&self, store: &'a Store) -> MutexGuard<'a, WasiEnv> {
        self.env.as_ref(store).shared.lock()
    }

    /// Runs `_start`, then [`finish`](Self::finish)es the instance whatever
    /// happened: the guest's data is flushed on every exit path. A guest
    /// stopped by a limit or the interrupt handle (also before `_start`
    /// began) is [`ExitStatus::Stopped`].
    pub fn start(self, store: &mut Store) -> Result<ExitStatus, LaunchError> {
        let outcome = match self.instance.exports.get_function("_start") {
            Err(_) => Err(LaunchError::MissingStart),
            Ok(start) => {
                // `_entered` (registered for interrupts) lives through the call.
                let called = self
                    .interrupt
                    .enter(store)
                    .map(|_entered| start.call(store, &[]));
                let own = match called {
                    None => Ok(ExitStatus::Stopped(
                        self.interrupt.reason().unwrap_or(StopReason::Interrupted),
                    )),
                    Some(Ok(_)) => Ok(ExitStatus::Exited(0)),
                    Some(Err(e)) => self.classify(&e, store),
                };
                self.end_threads(store, own)
            }
        };
        let flushed = self.finish(store);
        let status = outcome?;
        flushed.map_err(|source| LaunchError::Flush {
            status,
            source: Box::new(source),
        })?;
        Ok(status)
    }

    /// The fuel left: `None` for a module run without fuel, `Some(0)` once
    /// it ran out. A host that calls exports itself reads it after a trap
    /// to tell running out of fuel from other traps.
    ///
    /// With threads, this is what neither the budget nor this instance's
    /// counter has given out: threads still running hold the rest in
    /// their own counters (a thread that returned gave its part back).
    pub fn remaining_fuel(&self, store: &mut Store) -> Option<u64> {
        self.fuel?;
        let (bank, counter) = self.counter.as_ref()?;
        if counter.exhausted(store) {
            return Some(0);
        }
        Some(bank.left().saturating_add(counter.get(store)))
    }

    /// How `_start` ended when it returned the error `e`.
    fn classify(&self, e: &RuntimeError, store: &mut Store) -> Result<ExitStatus, LaunchError> {
        if let Some(status) = ended_by_guest(e) {
            return Ok(status);
        }
        let fuel_left = || match &self.counter {
            Some((_, counter)) => !counter.exhausted(store),
            None => true,
        };
        match stopped_by_limit(e, &self.interrupt, self.fuel, fuel_left) {
            Some(reason) => Ok(ExitStatus::Stopped(reason)),
            None => Err(LaunchError::trap(e)),
        }
    }

    /// For a threaded module: ends the environment with how `_start` ended
    /// (`own`) unless a thread ended it first, stops and joins every
    /// thread, and returns how the environment ended.
    fn end_threads(
        &self,
        store: &mut Store,
        own: Result<ExitStatus, LaunchError>,
    ) -> Result<ExitStatus, LaunchError> {
        let Some(group) = self.env.as_ref(store).threads.clone() else {
            return own;
        };
        let ending = match &own {
            Ok(status) => Ending::Status(*status),
            Err(LaunchError::Trap { source, .. }) => Ending::Trap((**source).clone()),
            // Not an end of the guest (the instance has no `_start`, say):
            // the threads are stopped all the same.
            Err(_) => {
                group.stop_all();
                group.join_all();
                return own;
            }
        };
        group.end(ending);
        group.join_all();
        match group.ending() {
            Some(Ending::Status(status)) => Ok(status),
            Some(Ending::Trap(trap)) => Err(LaunchError::trap(&trap)),
            None => own,
        }
    }

    /// Stops and joins the guest's threads (if any), flushes and closes
    /// every fd and releases the task permit.
    pub fn finish(&self, store: &mut Store) -> Result<(), wasi_fs_setup::FsError> {
        if let Some(group) = self.env.as_ref(store).threads.clone() {
            group.stop_all();
            group.join_all();
        }
        self.env.as_mut(store).release(true)
    }
}
