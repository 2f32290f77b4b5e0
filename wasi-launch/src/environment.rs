//! An environment: one configured guest, ready to instantiate and run.

use std::sync::Arc;

use wasi_config::Config;
use wasi_fs_setup::World;
use wasmer::{FunctionEnv, Instance, InstantiationError, Module, RuntimeError, Store};

use crate::error::LaunchError;
use crate::exit_status::ExitStatus;
use crate::launcher::Launcher;
use crate::preview1::{self, Termination};
use crate::runtime::Runtime;
use crate::state::WasiEnv;

/// A validated configuration and its file world, bound to a [`Launcher`]:
/// ready to [`instantiate`](Self::instantiate) or [`run`](Self::run) a
/// module.
pub struct Environment {
    launcher: Launcher,
    config: Arc<Config>,
    world: World,
    runtime: Arc<dyn Runtime>,
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
        Environment {
            launcher,
            config,
            world,
            runtime,
        }
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
    /// `store` must be made from the launcher's [`engine`](Launcher::engine)
    /// (as [`run`](Self::run) does): the engine carries the launcher's
    /// tunables (the table bound); a store of another engine does not.
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
        let plane = self.launcher.control_plane();
        let permit = match self.config.capabilities().max_tasks() {
            Some(max) => plane.scope(max).try_acquire()?,
            None => plane.try_acquire()?,
        };
        let env = FunctionEnv::new(
            store,
            WasiEnv {
                memory: None,
                config: self.config,
                world: self.world,
                runtime: self.runtime,
                permit: Some(permit),
                p1: Default::default(),
            },
        );
        let imports = preview1::imports_for(store, &env, module);
        let instance = match Instance::new(store, module, &imports) {
            Ok(instance) => instance,
            Err(e) => {
                let flushed = abandon(&env, store);
                return Err(instantiation_failed(e, flushed));
            }
        };
        match instance.exports.get_memory("memory") {
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
        Ok(WasiInstance { instance, env })
    }

    /// Instantiates `module` in a new store of the launcher's engine, runs
    /// its `_start`, flushes and closes every fd, and returns how the guest
    /// ended.
    pub fn run(self, module: &Module) -> Result<ExitStatus, LaunchError> {
        let mut store = Store::new(self.launcher.engine().clone());
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

/// Releases what a failed instantiation took: the env stays in the caller's
/// store (wasmer has no way to remove it), so without this its task permit
/// and open fds would live as long as the store. Returns whether what a
/// start function wrote could be flushed.
fn abandon(env: &FunctionEnv<WasiEnv>, store: &mut Store) -> Result<(), wasi_fs_setup::FsError> {
    env.as_mut(store).release()
}

/// How the guest ended itself (`proc_exit`, `proc_raise`), if `e` is that
/// rather than a trap.
fn ended_by_guest(e: &RuntimeError) -> Option<ExitStatus> {
    match e.downcast_ref::<Termination>()? {
        Termination::Exit(code) => Some(ExitStatus::Exited(*code)),
        Termination::Signal(sig) => Some(ExitStatus::Signaled(*sig)),
    }
}

/// The error for an instantiation that failed with `e`, after the state was
/// abandoned with `flushed`: a start function that ended the guest is an
/// exit (or a flush error carrying it), one that trapped is a trap, and
/// anything else is a link error.
fn instantiation_failed(
    e: InstantiationError,
    flushed: Result<(), wasi_fs_setup::FsError>,
) -> LaunchError {
    let InstantiationError::Start(runtime) = &e else {
        return LaunchError::Link(Box::new(e));
    };
    match ended_by_guest(runtime) {
        Some(status) => match flushed {
            Ok(()) => LaunchError::ExitedDuringInstantiation { status },
            Err(source) => LaunchError::Flush {
                status,
                source: Box::new(source),
            },
        },
        None => LaunchError::trap(runtime),
    }
}

/// An instantiated WASI module.
#[derive(Debug)]
pub struct WasiInstance {
    instance: Instance,
    env: FunctionEnv<WasiEnv>,
}

impl WasiInstance {
    /// The wasmer instance (for calling other exports).
    pub fn instance(&self) -> &Instance {
        &self.instance
    }

    /// The host state (file world, configuration).
    pub fn state<'a>(&self, store: &'a Store) -> &'a WasiEnv {
        self.env.as_ref(store)
    }

    /// Runs `_start`, then [`finish`](Self::finish)es the instance whatever
    /// happened: the guest's data is flushed on every exit path.
    pub fn start(self, store: &mut Store) -> Result<ExitStatus, LaunchError> {
        let outcome = match self.instance.exports.get_function("_start") {
            Err(_) => Err(LaunchError::MissingStart),
            Ok(start) => match start.call(store, &[]) {
                Ok(_) => Ok(ExitStatus::Exited(0)),
                Err(e) => ended_by_guest(&e).ok_or_else(|| LaunchError::trap(&e)),
            },
        };
        let flushed = self.finish(store);
        let status = outcome?;
        flushed.map_err(|source| LaunchError::Flush {
            status,
            source: Box::new(source),
        })?;
        Ok(status)
    }

    /// Flushes and closes every fd and releases the task permit.
    pub fn finish(&self, store: &mut Store) -> Result<(), wasi_fs_setup::FsError> {
        self.env.as_mut(store).release()
    }
}
