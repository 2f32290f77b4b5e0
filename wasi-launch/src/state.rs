//! The per-environment state every host function reaches through its
//! `FunctionEnv`.

use std::sync::Arc;

use wasi_config::Config;
use wasi_fs_setup::World;
use wasmer::Memory;

use crate::control_plane::TaskPermit;
use crate::interrupt::InterruptHandle;
use crate::runtime::Runtime;

/// What the preview1 host functions of one environment share: the guest's
/// memory, the validated configuration (with its encoded args and environ
/// tables), the file world, and the runtime.
pub struct WasiEnv {
    /// The guest's exported `memory`, set right after instantiation.
    pub(crate) memory: Option<Memory>,
    /// The validated configuration.
    pub(crate) config: Arc<Config>,
    /// The guest's file world: fd table, mount table, backings.
    pub(crate) world: World,
    /// Clocks, entropy, blocking.
    pub(crate) runtime: Arc<dyn Runtime>,
    /// Stops the guest; blocking host calls wait on it.
    pub(crate) interrupt: InterruptHandle,
    /// The control-plane permit held while this environment is alive.
    pub(crate) permit: Option<TaskPermit>,
    /// State of the preview1 functions beyond the file world (readdir
    /// listings).
    pub(crate) p1: crate::preview1::State,
}

impl std::fmt::Debug for WasiEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiEnv")
            .field("memory", &self.memory.is_some())
            .field("config", &self.config)
            .field("runtime", &self.runtime)
            .field("permit", &self.permit)
            .finish_non_exhaustive()
    }
}

impl WasiEnv {
    /// Releases what the guest held: its task permit and readdir listings,
    /// then flushes and closes every fd (both are tried; the first error is
    /// returned).
    pub(crate) fn release(&mut self) -> Result<(), wasi_fs_setup::FsError> {
        self.permit = None;
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
