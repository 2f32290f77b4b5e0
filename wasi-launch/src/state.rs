//! The state host functions reach: what one environment shares between its
//! threads ([`WasiEnv`], behind one lock), and what each of its instances
//! holds on its own ([`ThreadEnv`], the `FunctionEnv` of one store).

use std::sync::{Arc, Mutex, MutexGuard};

use wasi_config::Config;
use wasi_fs_setup::World;
use wasmer::Memory;

use crate::control_plane::TaskPermit;
use crate::env_memory::Reserved;
use crate::interrupt::InterruptHandle;
use crate::runtime::Runtime;
use crate::threads::ThreadGroup;

/// What the preview1 host functions of one environment share, whichever of
/// its threads calls them: the validated configuration (with its encoded
/// args and environ tables), the file world (fd table, file positions,
/// capture buffers), the runtime and the interrupt handle. A host call
/// holds it locked for its duration (never while it waits).
pub struct WasiEnv {
    /// The validated configuration.
    pub(crate) config: Arc<Config>,
    /// The guest's file world: fd table, mount table, backings.
    pub(crate) world: World,
    /// Clocks, entropy, blocking.
    pub(crate) runtime: Arc<dyn Runtime>,
    /// Stops the guest; blocking host calls wait on it.
    pub(crate) interrupt: InterruptHandle,
    /// State of the preview1 functions beyond the file world (readdir
    /// listings).
    pub(crate) p1: crate::preview1::State,
}

impl std::fmt::Debug for WasiEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiEnv")
            .field("config", &self.config)
            .field("runtime", &self.runtime)
            .finish_non_exhaustive()
    }
}

impl WasiEnv {
    /// Drops the readdir listings, then flushes and closes every fd (both
    /// are tried; the first error is returned).
    pub(crate) fn close_all(&mut self) -> Result<(), wasi_fs_setup::FsError> {
        self.p1.readdir.clear();
        let flushed = self.world.flush_all();
        let closed = self.world.close_all();
        flushed.and(closed)
    }

    /// The file world.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The file world, mutably.
    pub fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// One environment's shared state, as every thread's [`ThreadEnv`] holds it.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<WasiEnv>,
    /// The runtime and interrupt handle again, reachable without the lock
    /// (for waits, which must not hold it).
    pub(crate) runtime: Arc<dyn Runtime>,
    pub(crate) interrupt: InterruptHandle,
}

impl Shared {
    pub(crate) fn new(state: WasiEnv) -> Arc<Self> {
        Arc::new(Shared {
            runtime: Arc::clone(&state.runtime),
            interrupt: state.interrupt.clone(),
            state: Mutex::new(state),
        })
    }

    /// The shared state, locked. A host call that panicked while holding it
    /// left it as consistent as any failed call does, so a poisoned lock
    /// is taken over.
    pub(crate) fn lock(&self) -> MutexGuard<'_, WasiEnv> {
        crate::lock::lock(&self.state)
    }
}

/// The `FunctionEnv` of one instance (the main one, or a thread's): its
/// view of the memory, the environment's shared state, its task permit and,
/// for a threaded module, the thread group.
#[derive(Debug)]
pub(crate) struct ThreadEnv {
    /// The guest's memory (exported `memory`, or the imported shared one),
    /// set right after instantiation.
    pub(crate) memory: Option<Memory>,
    pub(crate) shared: Arc<Shared>,
    /// The control-plane permit held while this instance runs.
    pub(crate) permit: Option<TaskPermit>,
    /// The environment's threads, for a module importing `thread-spawn`.
    pub(crate) threads: Option<Arc<ThreadGroup>>,
    /// What this instance's tables took out of the environment's memory
    /// total, given back with the instance's store.
    pub(crate) _tables: Option<Reserved>,
}

impl ThreadEnv {
    /// Releases what this instance held: its task permit; for the main
    /// instance (`close`), also every fd, flushed and closed.
    pub(crate) fn release(&mut self, close: bool) -> Result<(), wasi_fs_setup::FsError> {
        self.permit = None;
        if close {
            self.shared.lock().close_all()
        } else {
            Ok(())
        }
    }
}
