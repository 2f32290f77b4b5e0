//! The launcher: one engine, one module cache, one control plane and one
//! runtime, shared by every environment started from it.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use wasi_config::{Capabilities, Config};
use wasi_fs_setup::{World, WorldBuilder};
use wasmer::sys::NativeEngineExt;
use wasmer::{Engine, Module};

use crate::commands::{self, CommandSource};
use crate::control_plane::ControlPlane;
use crate::engine::{Compiler, Nans};
use crate::env_memory::MemoryHooks;
use crate::environment::Environment;
use crate::error::LaunchError;
use crate::host_file::read_module_file;
use crate::memory_pool::{MemoryPool, MemoryPoolConfig};
use crate::module_cache::{ModuleCache, Precompiled};
use crate::package::{self, Package, PackageCache};
use crate::runtime::{DefaultRuntime, Runtime};
use crate::tiering::Tiering;
use crate::tunables::{LimitTunables, MAX_TABLE_ELEMENTS, PAGE_BYTES};

/// Launches WASI guests. Cheap to clone and `Send + Sync`: every clone and
/// every thread shares one engine, one module cache, one control plane and
/// one runtime.
///
/// A launcher loads modules unmetered; [`metered`](Self::metered) gives a
/// view of the same launcher that loads them with fuel metering, as a
/// configuration with [`fuel`](Capabilities::fuel) needs.
#[derive(Clone, Debug)]
pub struct Launcher {
    inner: Arc<Inner>,
    metered: bool,
}

#[derive(Debug)]
struct Inner {
    modules: ModuleCache,
    /// The metered module cache, made on first use.
    metered_modules: OnceLock<ModuleCache>,
    /// The compiler metered modules are compiled with: `None` for an engine
    /// the embedder made, which cannot be metered.
    compiler: Option<Compiler>,
    cache_dir: Option<PathBuf>,
    max_table_elements: u32,
    /// The pool every environment's memories come from, if configured.
    memory_pool: Option<MemoryPool>,
    packages: PackageCache,
    control: ControlPlane,
    runtime: Arc<dyn Runtime>,
}

impl Default for Launcher {
    fn default() -> Self {
        Launcher::builder().build()
    }
}

impl Launcher {
    /// A launcher with every default: see [`LauncherBuilder`].
    pub fn new() -> Self {
        Launcher::default()
    }

    /// Starts configuring a launcher.
    pub fn builder() -> LauncherBuilder {
        LauncherBuilder::default()
    }

    /// The engine modules are compiled for.
    pub fn engine(&self) -> &Engine {
        self.inner.modules.engine()
    }

    /// The compiled-module cache: the metered one for a
    /// [`metered`](Self::metered) launcher.
    pub fn module_cache(&self) -> &ModuleCache {
        match (self.metered, self.inner.metered_modules.get()) {
            (true, Some(metered)) => metered,
            _ => &self.inner.modules,
        }
    }

    /// This launcher (same caches, control plane and runtime) loading
    /// modules with fuel metering: every module it loads from here on is
    /// compiled with wasmer's metering ([`METERING`](crate::METERING)) and
    /// cached under metered keys, apart from unmetered ones. Fails with
    /// [`LaunchError::MeteringUnavailable`] for a launcher built on an
    /// engine of the embedder's own ([`LauncherBuilder::engine`]).
    pub fn metered(&self) -> Result<Launcher, LaunchError> {
        let compiler = self
            .inner
            .compiler
            .ok_or(LaunchError::MeteringUnavailable)?;
        self.inner.metered_modules.get_or_init(|| {
            ModuleCache::metered(
                self.inner.modules.engine().clone(),
                compiler,
                self.inner.cache_dir.clone(),
            )
            .with_tiering(self.inner.modules.tiering().clone())
        });
        Ok(Launcher {
            inner: Arc::clone(&self.inner),
            metered: true,
        })
    }

    /// Whether this launcher loads modules with fuel metering.
    pub fn is_metered(&self) -> bool {
        self.metered
    }

    /// The engine a store for an environment with `caps` is made from: the
    /// launcher's, or, with a memory limit or a stack size, a copy of it
    /// whose tunables apply them (same compiled code, same caches).
    ///
    /// Every memory the store makes is wrapped with `hooks` (the
    /// environment's memory total and fuel bank), when there are any.
    pub(crate) fn engine_for(&self, caps: &Capabilities, hooks: &MemoryHooks) -> Engine {
        let engine = self.engine().clone();
        if caps.max_memory_bytes().is_none() && caps.max_wasm_stack().is_none() && hooks.is_empty()
        {
            return engine;
        }
        let mut engine = engine;
        let mut tunables = LimitTunables::new(self.inner.max_table_elements)
            .with_pool(self.inner.memory_pool.clone())
            .with_hooks(hooks.clone());
        if let Some(bytes) = caps.max_memory_bytes() {
            let pages = u32::try_from(bytes / PAGE_BYTES).unwrap_or(u32::MAX);
            tunables = tunables.with_memory_limit(wasmer::Pages(pages));
        }
        if let Some(bytes) = caps.max_wasm_stack() {
            tunables = tunables.with_stack_size(usize::try_from(bytes).unwrap_or(usize::MAX));
        }
        engine.set_tunables(tunables);
        engine
    }

    /// The most elements the tables of one instance may hold together.
    pub(crate) fn max_table_elements(&self) -> u32 {
        self.inner.max_table_elements
    }

    /// The pool linear memories are taken from, if the launcher was built
    /// with one ([`LauncherBuilder::memory_pool`]).
    pub fn memory_pool(&self) -> Option<&MemoryPool> {
        self.inner.memory_pool.as_ref()
    }

    /// The package cache.
    pub fn packages(&self) -> &PackageCache {
        &self.inner.packages
    }

    /// Loads a `.webc` package file into the package cache (idempotent for
    /// the same file contents).
    pub fn include_package_file(
        &self,
        path: impl AsRef<Path>,
    ) -> Result<Arc<Package>, LaunchError> {
        self.inner.packages.include_file(path)
    }

    /// Loads a webc package from bytes into the package cache.
    pub fn include_package_bytes(
        &self,
        bytes: impl Into<webc::bytes::Bytes>,
    ) -> Result<Arc<Package>, LaunchError> {
        self.inner.packages.include_bytes(bytes)
    }

    /// Loads `config`'s package files into the cache, then resolves each
    /// package it uses (highest matching version), in order and without
    /// duplicates.
    pub fn resolve_packages(&self, config: &Config) -> Result<Vec<Arc<Package>>, LaunchError> {
        for path in config.package_files() {
            self.include_package_file(path)?;
        }
        package::resolve::resolve_all(&self.inner.packages, config.packages())
    }

    /// The control plane (task limit, process and thread ids).
    pub fn control_plane(&self) -> &ControlPlane {
        &self.inner.control
    }

    /// The runtime (clocks, entropy, blocking).
    pub fn runtime(&self) -> &Arc<dyn Runtime> {
        &self.inner.runtime
    }

    /// Compiles (or finds in the cache) a module from `.wasm` bytes or
    /// `.wat` text.
    pub fn load_module(&self, bytes: &[u8]) -> Result<Module, LaunchError> {
        self.module_cache().get_or_compile(bytes)
    }

    /// Compiles `bytes` into the module cache's disk directory unless
    /// another process is compiling the same module for it now (see
    /// [`ModuleCache::precompile`]).
    pub fn precompile(&self, bytes: &[u8]) -> Result<Precompiled, LaunchError> {
        self.module_cache().precompile(bytes)
    }

    /// Reads a `.wasm` or `.wat` file and [`load_module`](Self::load_module)s it.
    /// Only a regular file of at most [`MAX_HOST_FILE_LEN`](crate::MAX_HOST_FILE_LEN)
    /// bytes is read (a FIFO or device is refused without waiting on it).
    pub fn load_module_file(&self, path: impl AsRef<Path>) -> Result<Module, LaunchError> {
        let path = path.as_ref();
        let bytes = read_module_file(path)?;
        self.load_module(&bytes)
    }

    /// Where the command `name` comes from for `config`: the
    /// configuration's mapped commands (the last mapping of a name wins),
    /// then the used packages in the order the configuration names them
    /// (loading its package files and resolving its `uses` first).
    pub fn find_command(&self, config: &Config, name: &str) -> Result<CommandSource, LaunchError> {
        commands::find(self, config, name)
    }

    /// The compiled module of the command `name` for `config`: a mapped
    /// command, or a command of a used package (see
    /// [`find_command`](Self::find_command) for the order).
    pub fn command_module(&self, config: &Config, name: &str) -> Result<Module, LaunchError> {
        match self.find_command(config, name)? {
            CommandSource::Mapped(path) => self.load_module_file(path),
            CommandSource::Package(p) => self.package_command_module(&p, Some(name)),
        }
    }

    /// The compiled module of `package`'s command `name`, or of its
    /// entrypoint when `name` is `None`.
    pub fn package_command_module(
        &self,
        package: &Package,
        name: Option<&str>,
    ) -> Result<Module, LaunchError> {
        commands::package_command_module(self, package, name)
    }

    /// An environment for `config` with the default file world (host
    /// stdio inherited, the in-memory sandbox as the `sandbox` filesystem),
    /// plus the volumes of the packages it uses, read-only (see
    /// [`resolve_packages`](Self::resolve_packages)).
    ///
    /// The configuration is taken as a [`Config`] or an `Arc<Config>`: a
    /// host launching many guests of one configuration shares one `Arc`
    /// instead of copying it for every launch.
    pub fn environment(&self, config: impl Into<Arc<Config>>) -> Result<Environment, LaunchError> {
        self.environment_with(config, |_| {})
    }

    /// An environment for `config` whose file world is customised by
    /// `customise` (stdio slots, filesystems, a setup hook); the volumes of
    /// the packages it uses are mounted read-only after the configuration's
    /// preopens.
    pub fn environment_with(
        &self,
        config: impl Into<Arc<Config>>,
        customise: impl FnOnce(&mut WorldBuilder<'_>),
    ) -> Result<Environment, LaunchError> {
        let config: Arc<Config> = config.into();
        let mut builder = World::builder(&config);
        customise(&mut builder);
        if !(config.packages().is_empty() && config.package_files().is_empty()) {
            let packages = self.resolve_packages(&config)?;
            package::mount_packages(&mut builder, &packages);
        }
        let world = builder.build()?;
        Ok(self.environment_with_world(config, world))
    }

    /// An environment for `config` over a file world built by the caller
    /// from the same configuration. Nothing is added to that world: to
    /// mount used packages, build it with
    /// [`mount_packages`](crate::mount_packages).
    pub fn environment_with_world(
        &self,
        config: impl Into<Arc<Config>>,
        world: World,
    ) -> Environment {
        Environment::new(self.clone(), config.into(), world)
    }
}

/// Configures a [`Launcher`]. Defaults: the Cranelift compiler without
/// tiering, an in-memory module cache only (no disk directory), the control plane's
/// default task limit ([`ControlPlane::default_max`]), tables of at most
/// [`MAX_TABLE_ELEMENTS`] elements and the [`DefaultRuntime`] (OS clocks
/// and entropy).
#[derive(Debug, Default)]
pub struct LauncherBuilder {
    compiler: Compiler,
    engine: Option<Engine>,
    cache_dir: Option<PathBuf>,
    max_tasks: Option<NonZeroUsize>,
    max_table_elements: Option<u32>,
    memory_pool: Option<MemoryPoolConfig>,
    tiering: Tiering,
    runtime: Option<Arc<dyn Runtime>>,
    nans: Nans,
}

impl LauncherBuilder {
    /// The compiler of the engine the launcher creates.
    pub fn compiler(&mut self, compiler: Compiler) -> &mut Self {
        self.compiler = compiler;
        self
    }

    /// Which NaNs the float operations of the engine the launcher creates
    /// make ([`Nans`]; default [`Nans::Hardware`]). Tiering's quick
    /// compiles and metered compiles follow the launcher's engine, so
    /// every tier of one launcher gives the same bits. Not applied to an
    /// [`engine`](Self::engine) of the caller's, which keeps its own.
    pub fn nans(&mut self, nans: Nans) -> &mut Self {
        self.nans = nans;
        self
    }

    /// Uses an engine built by the caller instead of one from
    /// [`compiler`](Self::compiler).
    ///
    /// The launcher replaces the engine's tunables with its own (wasmer's
    /// defaults with the table bound of
    /// [`max_table_elements`](Self::max_table_elements)), so that no guest
    /// of the launcher can grow a table without bound.
    pub fn engine(&mut self, engine: Engine) -> &mut Self {
        self.engine = Some(engine);
        self
    }

    /// Keeps serialized modules in `dir` so later processes start without
    /// compiling.
    pub fn cache_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// The maximum number of tasks running at once across every
    /// environment of the launcher.
    pub fn max_tasks(&mut self, max: NonZeroUsize) -> &mut Self {
        self.max_tasks = Some(max);
        self
    }

    /// The most elements one table of a guest may hold (default
    /// [`MAX_TABLE_ELEMENTS`]): `table.grow` past it returns -1 to the
    /// guest, and a module whose table minimum is above it fails to
    /// instantiate.
    pub fn max_table_elements(&mut self, max: u32) -> &mut Self {
        self.max_table_elements = Some(max);
        self
    }

    /// Takes guests' linear memories from a [`MemoryPool`] of slots
    /// reserved once and reused (off by default): a launch then maps and
    /// unmaps no memory, and a returned slot is zeroed before reuse. See
    /// [`MemoryPoolConfig`] for its size and what a launch does when every
    /// slot is in use.
    pub fn memory_pool(&mut self, config: MemoryPoolConfig) -> &mut Self {
        self.memory_pool = Some(config);
        self
    }

    /// Runs modules the launcher has never compiled (in memory or in its
    /// cache directory) from a quick singlepass compile first, while the
    /// Cranelift compile is made for later launches ([`Tiering`]; off by
    /// default). Applies only with the Cranelift compiler the launcher
    /// creates: not with [`Compiler::Singlepass`] nor an
    /// [`engine`](Self::engine) of the caller's.
    pub fn tiering(&mut self, tiering: Tiering) -> &mut Self {
        self.tiering = tiering;
        self
    }

    /// The runtime (clocks, entropy, blocking).
    pub fn runtime(&mut self, runtime: Arc<dyn Runtime>) -> &mut Self {
        self.runtime = Some(runtime);
        self
    }

    /// Builds a launcher (the builder can build more, each with its own
    /// caches and control plane).
    pub fn build(&self) -> Launcher {
        // The compiler's configuration has already counted the CPUs; the
        // default task limit reuses that count instead of asking again.
        let (mut engine, cpus, compiler) = match &self.engine {
            Some(engine) => (engine.clone(), None, None),
            None => {
                let (engine, cpus) = self.compiler.engine_and_cpus(self.nans);
                (engine, Some(cpus), Some(self.compiler))
            }
        };
        let max_table_elements = self.max_table_elements.unwrap_or(MAX_TABLE_ELEMENTS);
        let memory_pool = self.memory_pool.map(MemoryPool::new);
        engine.set_tunables(LimitTunables::new(max_table_elements).with_pool(memory_pool.clone()));
        let max_tasks = self.max_tasks.unwrap_or_else(|| {
            cpus.map_or_else(ControlPlane::default_max, ControlPlane::default_max_for)
        });
        let tiering = match compiler {
            Some(Compiler::Cranelift) => self.tiering.clone(),
            _ => Tiering::off(),
        };
        let modules = match &self.cache_dir {
            Some(dir) => ModuleCache::with_disk_dir(engine, dir.clone()),
            None => ModuleCache::new(engine),
        }
        .with_tiering(tiering);
        Launcher {
            metered: false,
            inner: Arc::new(Inner {
                modules,
                metered_modules: OnceLock::new(),
                compiler,
                cache_dir: self.cache_dir.clone(),
                max_table_elements,
                memory_pool,
                packages: PackageCache::new(),
                control: ControlPlane::new(max_tasks),
                runtime: self
                    .runtime
                    .clone()
                    .unwrap_or_else(|| Arc::new(DefaultRuntime::new())),
            }),
        }
    }
}
