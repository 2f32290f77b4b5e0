//! An environment: one configured guest, ready to instantiate and run.

use std::path::Path;
use std::sync::{Arc, MutexGuard};

use wasi_config::Config;
use wasi_fs_setup::World;
use wasmer::{FunctionEnv, Instance, InstantiationError, Module, RuntimeError, Store};
use wasmer_middlewares::metering::{self, MeteringPoints};
use wasmer_types::TrapCode;

use crate::error::LaunchError;
use crate::exit_status::ExitStatus;
use crate::interrupt::{self, ArmedTimeout, InterruptHandle, StopReason};
use crate::launcher::Launcher;
use crate::memory_pool::{MemoryPool, PoolRefusal, Reservation};
use crate::preview1::{self, StoppedInHostCall, Termination};
use crate::runtime::Runtime;
use crate::state::{Shared, ThreadEnv, WasiEnv};
use crate::threads::{self, Ending, GroupParts, ThreadGroup};
use crate::tunables::PAGE_BYTES;

/// The exported global wasmer's metering adds to a metered module.
const METERING_GLOBAL: &str = "wasmer_metering_remaining_points";
/// Its companion: set when the fuel ran out.
const METERING_EXHAUSTED_GLOBAL: &str = "wasmer_metering_points_exhausted";

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
        let launcher = match config.capabilities().fuel() {
            Some(_) => launcher.metered().unwrap_or(launcher),
            None => launcher,
        };
        Environment {
            launcher,
            config,
            world,
            runtime,
            interrupt: InterruptHandle::new(),
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
        let metered = is_metered(module);
        if caps.fuel().is_some() && !metered {
            return Err(LaunchError::NotMetered);
        }
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
            },
        );
        let imports = match threads::is_threaded(module) {
            false => match preview1::externs_for(store, &env, module) {
                Some(externs) => Linking::ByIndex(externs),
                None => Linking::ByName(preview1::imports_for(store, &env, module)),
            },
            true => {
                let (group, memory) =
                    match thread_group(module, store, &shared, plane, caps.fuel(), metered) {
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
        if metered {
            // The configured fuel, or as good as unlimited for a metered
            // module run without fuel.
            metering::set_remaining_points(store, &instance, caps.fuel().unwrap_or(u64::MAX));
        }
        Ok(WasiInstance {
            instance,
            env,
            interrupt: self.interrupt,
            fuel: caps.fuel(),
            _timeout: timeout,
        })
    }

    /// A new store for this environment: of the launcher's engine, with
    /// the configuration's memory limit and stack size applied.
    pub fn store(&self) -> Store {
        Store::new(self.launcher.engine_for(self.config.capabilities()))
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
    plane: crate::ControlPlane,
    fuel: Option<u64>,
    metered: bool,
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
    let memory = wasmer::Memory::new(store, ty).map_err(|e| {
        LaunchError::Link(Box::new(InstantiationError::Link(
            wasmer::LinkError::Resource(format!("the shared memory: {e}")),
        )))
    })?;
    let Some(shared_memory) = memory.as_shared(store) else {
        return Err(LaunchError::Threads {
            reason: "the engine cannot share its memory between threads",
        });
    };
    let group = ThreadGroup::new(GroupParts {
        module: module.clone(),
        engine: store.engine().clone(),
        memory: shared_memory,
        memory_import: (import_module, name),
        plane,
        shared: Arc::clone(shared),
        fuel,
        metered,
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

/// Whether `module` was compiled with fuel metering: it exports the two
/// globals metering adds, with their types (what the metering functions,
/// which panic otherwise, read and write).
fn is_metered(module: &Module) -> bool {
    use wasmer::{Mutability, Type};
    use wasmer_types::ExportIndex;
    let info = module.info();
    let global = |name: &str, ty: Type| match info.exports.get(name) {
        Some(ExportIndex::Global(index)) => info
            .globals
            .get(*index)
            .is_some_and(|g| g.ty == ty && g.mutability == Mutability::Var),
        _ => false,
    };
    global(METERING_GLOBAL, Type::I64) && global(METERING_EXHAUSTED_GLOBAL, Type::I32)
}

/// An instantiated WASI module.
pub struct WasiInstance {
    instance: Instance,
    env: FunctionEnv<ThreadEnv>,
    interrupt: InterruptHandle,
    fuel: Option<u64>,
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
    pub fn remaining_fuel(&self, store: &mut Store) -> Option<u64> {
        self.fuel?;
        Some(
            match metering::get_remaining_points(store, &self.instance) {
                MeteringPoints::Remaining(left) => left,
                MeteringPoints::Exhausted => 0,
            },
        )
    }

    /// How `_start` ended when it returned the error `e`.
    fn classify(&self, e: &RuntimeError, store: &mut Store) -> Result<ExitStatus, LaunchError> {
        if let Some(status) = ended_by_guest(e) {
            return Ok(status);
        }
        let fuel_left = || {
            !matches!(
                metering::get_remaining_points(store, &self.instance),
                MeteringPoints::Exhausted
            )
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
