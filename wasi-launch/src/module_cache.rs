//! Compiled modules shared between environments, in memory and on disk.
//!
//! A [`ModuleCache`] belongs to one [`wasmer::Engine`] and is shared through
//! an `Arc` (it is `Send + Sync`). A module is keyed by the BLAKE3 hash of its
//! wasm binary plus the [`EngineIdentity`] (wasmer version, target, CPU
//! features, compiler); `.wat` text is converted to a binary first and keyed
//! on that binary. Concurrent requests for one module compile it once.
//!
//! With a disk directory, each compiled module is also written there, so a
//! second process loads it instead of compiling. The file is ours, not
//! wasmer's: a header (magic, format version, the full key string, payload
//! length, BLAKE3 hash of the payload), zero padding to a 16-byte boundary, then
//! the `Module::serialize` payload:
//!
//! ```text
//! 0   8  magic "WLMODC\0\x01"
//! 8   4  format version (u32 LE)
//! 12  4  key length k (u32 LE, at most MAX_KEY_LEN)
//! 16  8  payload length (u64 LE)
//! 24 32  BLAKE3 hash of the payload
//! 56  k  key (UTF-8)
//! ..     zero padding to a multiple of 16
//! ..     payload
//! ```
//!
//! Everything in the header is checked, and the payload's hash compared,
//! before the payload reaches `Module::deserialize`. That call is `unsafe`
//! because wasmer trusts its input: it maps the payload as executable code,
//! checks no integrity, and some corruptions panic inside it. The deserialize
//! is still wrapped in `catch_unwind` as a last line. A file that fails any
//! check is logged, ignored and rewritten. Failing to write is logged and
//! never fails the caller.
//!
//! A metered cache ([`ModuleCache::metered`]) compiles with wasmer's fuel
//! metering and keys its modules with the metered engine identity
//! ([`EngineIdentity::metered`]), so a metered run never loads an unmetered
//! artifact, from memory or disk, nor the other way round.
//!
//! With [`Tiering`], a module the cache has never compiled first runs from
//! a quick singlepass compile; only the optimised compile is ever written
//! to the disk directory.
//!
//! This module's `unsafe` code is the two deserialize calls: of a checked
//! cache file, and of an artifact just compiled in this process by another
//! engine (a metered one, or singlepass for tiering).
//! The cache never evicts: it lives as long as the launcher that owns it.

#![allow(
    unsafe_code,
    reason = "the deserializes of a checked cache file and of an artifact compiled in this process; see their SAFETY comments"
)]

use std::collections::HashMap;
use std::fmt;
use std::fs::{DirBuilder, File, Permissions};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rustix::fs::{FileType, Mode, OFlags, Stat};
use rustix::io::Errno;
use wasmer::{Engine, Module};
use webc::bytes::Bytes;

use crate::engine::{Compiler, EngineIdentity, Nans};
use crate::error::LaunchError;
use crate::lock::lock;
use crate::tiering::{TierUp, TierUpQueue, Tiering};

/// First bytes of a cache file written by this crate.
pub const FILE_MAGIC: [u8; 8] = *b"WLMODC\0\x01";

/// Version of the cache file layout; bump it when the layout changes.
pub const FILE_FORMAT_VERSION: u32 = 2;

/// File name extension of cache files.
pub const FILE_EXTENSION: &str = "wlmod";

/// Largest key string accepted from a cache file's header.
///
/// Reason: the key length comes from the file, so it must not size a host
/// allocation on its own; real keys are about 200 bytes.
pub const MAX_KEY_LEN: u32 = 4096;

/// Largest cache file read (1 GiB).
///
/// Reason: the whole file is read into memory before it is checked; a larger
/// file is not one of ours (a C hello's artifact is about 350 KB).
pub const MAX_FILE_LEN: u64 = 1 << 30;

/// Fixed part of the header, before the key.
const FIXED_HEADER_LEN: usize = 56;

/// How a wasm binary starts; anything else is taken for `.wat` text.
const WASM_MAGIC: &[u8] = b"\0asm";

/// The payload starts at a multiple of this, so that wasmer finds its
/// artifact header aligned.
const PAYLOAD_ALIGN: usize = 16;

/// The key of one compiled module: engine identity plus the BLAKE3 hash of the
/// wasm binary.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey(String);

impl CacheKey {
    /// The key of `wasm` (a binary module) compiled by an engine with
    /// `identity`: `<identity>|blake3:<hex>`.
    pub fn new(identity: &EngineIdentity, wasm: &[u8]) -> Self {
        Self(format!("{identity}|blake3:{}", blake3::hash(wasm).to_hex()))
    }

    /// The key string, as written in a cache file's header.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The cache file name for this key: the BLAKE3 hash of the key string, in
    /// hex, with [`FILE_EXTENSION`].
    pub fn file_name(&self) -> String {
        format!(
            "{}.{FILE_EXTENSION}",
            blake3::hash(self.0.as_bytes()).to_hex()
        )
    }
}

impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Counters of what a [`ModuleCache`] did, for tests and diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Modules compiled from wasm.
    pub compiles: u64,
    /// Requests answered from memory.
    pub memory_hits: u64,
    /// Modules loaded from the disk directory.
    pub disk_hits: u64,
    /// Modules first compiled by singlepass for a quick start ([`Tiering`]);
    /// the optimised compile that follows is counted in `compiles` when
    /// the cache's own thread makes it.
    pub quick_compiles: u64,
    /// Cache files found but rejected (corrupt, truncated, foreign, wrong key).
    pub disk_rejects: u64,
    /// Cache files written.
    pub disk_writes: u64,
    /// Cache files that could not be written.
    pub disk_write_errors: u64,
    /// Requests that found the disk directory or the module's cache file not
    /// the user's own (owned by another user, writable by group or others, a
    /// symlink, or not a regular file) and so did not use it; see the
    /// [`ModuleCache`] docs. Not counted in `disk_rejects`.
    pub untrusted: u64,
}

#[derive(Debug, Default)]
struct Counters {
    compiles: AtomicU64,
    memory_hits: AtomicU64,
    disk_hits: AtomicU64,
    quick_compiles: AtomicU64,
    disk_rejects: AtomicU64,
    disk_writes: AtomicU64,
    disk_write_errors: AtomicU64,
    untrusted: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// One module's entry: filled once, by the first request that gets it.
type Slot = Arc<Mutex<Option<Module>>>;

/// Compiled modules for one engine, in memory and optionally on disk.
///
/// # What the cache trusts, and what it checks
///
/// Whoever can write a cache file can run native code as the user, so the
/// cache trusts exactly what the user's own files are trusted for, the way
/// ssh treats its key files: a directory and entries **owned by the user**
/// (the effective uid) and **not writable by group or others**.
///
/// - The directory is created, with its missing parents, mode 0700 (less any
///   umask bits). An existing directory owned by someone else or writable by
///   group or others is neither read nor written: a `debug` message, then
///   the module is compiled as if there were no cache. The cache never
///   changes an existing directory's mode; `chmod 700` it to use it again.
///   It is opened and checked (`open` + `fstat`) once per request that goes
///   to disk, and entries are opened relative to that handle. Its parent
///   directories are not checked.
/// - An entry is opened with `O_NOFOLLOW | O_NONBLOCK` (a symlink fails the
///   open; a FIFO cannot block it) and `fstat`-ed before any byte is read:
///   it must be a regular file, owned by the user and not writable by group
///   or others. One that is not is not read (a `debug` message) and is
///   replaced by a fresh file, since the directory is the user's.
/// - Entries are written to a temporary file with an unpredictable name,
///   created `O_CREAT | O_EXCL` (a planted symlink is never followed) with
///   mode 0600, then renamed into place.
///
/// Directories and entries not used for these reasons are counted in
/// [`CacheStats::untrusted`], not in [`CacheStats::disk_rejects`].
///
/// The header checks and the hash defend **integrity**, against torn
/// writes, bit rot, and files of another format, engine or module. They are
/// not **authenticity**: anyone who can write an entry can compute a valid
/// header and hash for any payload. That is why write access is what the
/// trust checks above are about; someone who already runs as the user could
/// as well replace the launcher.
pub struct ModuleCache {
    shared: Arc<Shared>,
    tiering: Tiering,
    /// Optimised compiles of tiered modules, for the background thread.
    tier_ups: TierUpQueue<TierUpJob>,
}

/// What the background thread of tiering needs of the cache too.
struct Shared {
    engine: Engine,
    identity: EngineIdentity,
    disk_dir: Option<PathBuf>,
    /// With which compiler metered compilations are made (a metered cache).
    metered_with: Option<Compiler>,
    slots: Mutex<HashMap<CacheKey, Slot>>,
    /// The key of each `.wat` text already converted, by the BLAKE3 hash of the
    /// text, so a memory hit on text skips the parse.
    text_keys: Mutex<HashMap<[u8; 32], CacheKey>>,
    counters: Counters,
    /// The singlepass engine of unmetered quick compiles (tiering), made on
    /// first use.
    quick_engine: OnceLock<Engine>,
}

/// One optimised compile queued by tiering: the module's key, wasm binary
/// and memory entry (holding the quick module until it is replaced), and
/// whether to write it to the disk directory (`Some(checked)`, as
/// [`Lookup::Store`]).
struct TierUpJob {
    key: CacheKey,
    wasm: Vec<u8>,
    slot: Slot,
    store: Option<bool>,
}

impl fmt::Debug for ModuleCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModuleCache")
            .field("identity", &self.shared.identity)
            .field("disk_dir", &self.shared.disk_dir)
            .field("tiering", &self.tiering)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl ModuleCache {
    /// A cache in memory only.
    pub fn new(engine: Engine) -> Self {
        Self::with_parts(engine, None, None)
    }

    fn with_parts(
        engine: Engine,
        disk_dir: Option<PathBuf>,
        metered_with: Option<Compiler>,
    ) -> Self {
        let mut identity = EngineIdentity::of(&engine);
        if metered_with.is_some() {
            identity = identity.metered();
        }
        Self {
            shared: Arc::new(Shared {
                identity,
                engine,
                disk_dir,
                metered_with,
                slots: Mutex::new(HashMap::new()),
                text_keys: Mutex::new(HashMap::new()),
                counters: Counters::default(),
                quick_engine: OnceLock::new(),
            }),
            tiering: Tiering::off(),
            tier_ups: TierUpQueue::new(),
        }
    }

    /// A cache in memory backed by the directory `dir`, created (mode 0700,
    /// with missing parents) when the first module is written. The directory
    /// is used only while it is the user's own; see the [`ModuleCache`] docs.
    pub fn with_disk_dir(engine: Engine, dir: impl Into<PathBuf>) -> Self {
        Self::with_parts(engine, Some(dir.into()), None)
    }

    /// A cache of *metered* modules (fuel): each is compiled by `compiler`
    /// with wasmer's metering middleware ([`METERING`](crate::METERING)) and
    /// loaded into `engine`; keys carry the metered identity. With
    /// `disk_dir`, entries are kept there beside unmetered ones, under
    /// their own keys.
    pub fn metered(engine: Engine, compiler: Compiler, disk_dir: Option<PathBuf>) -> Self {
        Self::with_parts(engine, disk_dir, Some(compiler))
    }

    /// This cache with `tiering`: modules it has never compiled, up to the
    /// size `tiering` allows, first run from a quick singlepass compile
    /// while the optimised compile is made apart (see [`Tiering`]). Meant
    /// for a cache whose engine is Cranelift's ([`Compiler::Cranelift`]).
    pub fn with_tiering(mut self, tiering: Tiering) -> Self {
        self.tiering = tiering;
        self
    }

    /// The cache's tiering ([`Tiering::off`] unless set).
    pub fn tiering(&self) -> &Tiering {
        &self.tiering
    }

    /// Blocks until the cache's background thread has finished every
    /// optimised compile of tiering queued so far: each is then in the
    /// disk directory and has replaced its quick module in memory. A
    /// process that exits sooner loses those compiles (the next process
    /// compiles again), never a run. Returns at once without tiering, or
    /// with an [`optimizer`](Tiering::with_optimizer) of the embedder's.
    pub fn finish_tier_ups(&self) {
        self.tier_ups.wait_idle();
    }

    /// Compiles `bytes` into the disk directory, unless another process is
    /// compiling the same module for it right now: the optimised compile
    /// a tiered run hands over (`wasi-run --precompile`), of which there is
    /// at most one per module at a time. The module's compile lock (the
    /// file `.<cache file name>.lock` in the directory, `flock`ed, created
    /// mode 0600 and trusted only when the user's own, as entries are) is
    /// held until the file is written, or until the process ends.
    pub fn precompile(&self, bytes: &[u8]) -> Result<Precompiled, LaunchError> {
        let wasm = wasmer::wat2wasm(bytes).map_err(|err| LaunchError::ModuleText(Box::new(err)))?;
        let _lock = match self.shared.compile_lock(&self.key(&wasm)) {
            CompileLock::Busy => return Ok(Precompiled::Busy),
            other => other,
        };
        self.get_or_compile(&wasm)?;
        Ok(Precompiled::Cached)
    }

    /// Whether this cache compiles with fuel metering.
    pub fn is_metered(&self) -> bool {
        self.shared.metered_with.is_some()
    }

    /// The user's default cache directory: `<cache dir>/wasi-launch/modules`
    /// (e.g. `~/.cache/wasi-launch/modules` on Linux), or `None` when the
    /// platform has no cache directory.
    pub fn default_disk_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|dir| dir.join("wasi-launch").join("modules"))
    }

    /// The engine modules are compiled for.
    pub fn engine(&self) -> &Engine {
        &self.shared.engine
    }

    /// The engine's identity, part of every key.
    pub fn identity(&self) -> &EngineIdentity {
        &self.shared.identity
    }

    /// The disk directory, if any.
    pub fn disk_dir(&self) -> Option<&Path> {
        self.shared.disk_dir.as_deref()
    }

    /// The key of `wasm` (a binary module) in this cache.
    pub fn key(&self, wasm: &[u8]) -> CacheKey {
        CacheKey::new(&self.shared.identity, wasm)
    }

    /// Where the cache file for `key` lives, if there is a disk directory.
    pub fn file_path(&self, key: &CacheKey) -> Option<PathBuf> {
        self.shared
            .disk_dir
            .as_ref()
            .map(|dir| dir.join(key.file_name()))
    }

    /// What the cache did so far.
    pub fn stats(&self) -> CacheStats {
        let c = &self.shared.counters;
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        CacheStats {
            compiles: get(&c.compiles),
            memory_hits: get(&c.memory_hits),
            disk_hits: get(&c.disk_hits),
            quick_compiles: get(&c.quick_compiles),
            disk_rejects: get(&c.disk_rejects),
            disk_writes: get(&c.disk_writes),
            disk_write_errors: get(&c.disk_write_errors),
            untrusted: get(&c.untrusted),
        }
    }

    /// The compiled module for `bytes` (a wasm binary or `.wat` text): from
    /// memory, else from the disk directory, else compiled (and then written
    /// to the disk directory).
    ///
    /// With [`Tiering`], a module found neither in memory nor on disk and
    /// small enough is compiled by singlepass and returned at once; its
    /// optimised compile follows apart (see [`Tiering`]).
    pub fn get_or_compile(&self, bytes: &[u8]) -> Result<Module, LaunchError> {
        let shared = &*self.shared;
        let text_hash: Option<[u8; 32]> =
            (!bytes.starts_with(WASM_MAGIC)).then(|| blake3::hash(bytes).into());
        if let Some(module) = text_hash.as_ref().and_then(|hash| shared.text_hit(hash)) {
            return Ok(module);
        }
        let wasm = wasmer::wat2wasm(bytes).map_err(|err| LaunchError::ModuleText(Box::new(err)))?;
        let key = self.key(&wasm);
        if let Some(hash) = text_hash {
            lock(&shared.text_keys).insert(hash, key.clone());
        }
        let slot = Arc::clone(lock(&shared.slots).entry(key.clone()).or_default());
        // Held while loading or compiling, so concurrent requests for the
        // same module wait for one compile instead of each compiling.
        let mut entry = lock(&slot);
        if let Some(module) = entry.as_ref() {
            bump(&shared.counters.memory_hits);
            tracing::trace!(%key, "module cache: memory hit");
            return Ok(module.clone());
        }
        let mut store_into = None;
        if let Some(dir) = &shared.disk_dir {
            match shared.look_up(dir, &key) {
                Lookup::Hit(module) => {
                    *entry = Some(module.clone());
                    return Ok(module);
                }
                Lookup::Store { checked } => store_into = Some((dir, checked)),
                Lookup::Skip => {}
            }
        }
        if self.tiering.applies_to(wasm.len())
            && let Some(module) = shared.quick_compile(&wasm)
        {
            bump(&shared.counters.quick_compiles);
            tracing::debug!(%key, "module cache: compiled quickly (tiering)");
            *entry = Some(module.clone());
            drop(entry);
            let store = store_into.map(|(_, checked)| checked);
            self.tier_up(key, wasm.into_owned(), slot, store);
            return Ok(module);
        }
        bump(&shared.counters.compiles);
        let module = shared.compile(&wasm)?;
        tracing::debug!(%key, "module cache: compiled");
        if let Some((dir, checked)) = store_into {
            shared.store(dir, checked, &key, &module);
        }
        *entry = Some(module.clone());
        Ok(module)
    }

    /// Has the optimised compile of a module just compiled quickly made:
    /// by the embedder's optimizer, else on the background thread.
    fn tier_up(&self, key: CacheKey, wasm: Vec<u8>, slot: Slot, store: Option<bool>) {
        if let Some(optimizer) = self.tiering.optimizer() {
            // Its compile reaches this cache only through the disk
            // directory: none is worth making when the directory is not
            // used (not the user's own).
            // Another process already making it (its compile lock is
            // held): its file serves the next run.
            let busy = matches!(self.shared.compile_lock(&key), CompileLock::Busy);
            if (self.shared.disk_dir.is_none() || store.is_some()) && !busy {
                optimizer(TierUp::new(&wasm, self.is_metered()));
            }
            return;
        }
        let job = TierUpJob {
            key,
            wasm,
            slot,
            store,
        };
        let shared = Arc::downgrade(&self.shared);
        let queued = self.tier_ups.push(job, move |job| {
            if let Some(shared) = shared.upgrade() {
                shared.optimize(job);
            }
        });
        if !queued {
            tracing::warn!(
                "module cache: no thread for the optimised compile; the quick one stays"
            );
        }
    }
}

impl Shared {
    /// The optimised compile of a tiered module: compiled by the cache's
    /// compiler, written to the disk directory as an ordinary compile
    /// would be, then put in the memory entry in place of the quick one.
    fn optimize(&self, job: TierUpJob) {
        // One optimised compile per module at a time, across processes;
        // held until the file is written.
        let _lock = match self.compile_lock(&job.key) {
            CompileLock::Busy => {
                tracing::debug!(key = %job.key, "module cache: another process makes the optimised compile");
                return;
            }
            other => other,
        };
        bump(&self.counters.compiles);
        let module = match self.compile(&job.wasm) {
            Ok(module) => module,
            Err(err) => {
                tracing::warn!(key = %job.key, error = %err, "module cache: optimised compile failed; the quick one stays");
                return;
            }
        };
        tracing::debug!(key = %job.key, "module cache: compiled (tiering's optimised compile)");
        if let (Some(dir), Some(checked)) = (&self.disk_dir, job.store) {
            self.store(dir, checked, &job.key, &module);
        }
        *lock(&job.slot) = Some(module);
    }

    /// A singlepass compile of `wasm` (metered, for a metered cache), moved
    /// into this cache's engine; `None` when singlepass cannot compile it,
    /// so that the cache's compiler does, and reports any error, as
    /// without tiering.
    fn quick_compile(&self, wasm: &[u8]) -> Option<Module> {
        let engine = match self.metered_with {
            Some(_) => Compiler::Singlepass.metered_engine(Nans::of(&self.engine)),
            None => self
                .quick_engine
                .get_or_init(|| Compiler::Singlepass.engine_with(Nans::of(&self.engine)))
                .clone(),
        };
        let adopted = Module::from_binary(&engine, wasm)
            .map_err(|err| LaunchError::Compile(Box::new(err)))
            .and_then(|quick| self.adopt(&quick));
        match adopted {
            Ok(module) => Some(module),
            Err(err) => {
                tracing::debug!(error = %err, "module cache: no quick compile; compiling optimised");
                None
            }
        }
    }

    /// Compiles `wasm` for this cache's engine (metered, for a metered
    /// cache).
    fn compile(&self, wasm: &[u8]) -> Result<Module, LaunchError> {
        let compile_error = |err| LaunchError::Compile(Box::new(err));
        let Some(compiler) = self.metered_with else {
            return Module::from_binary(&self.engine, wasm).map_err(compile_error);
        };
        // wasmer's metering middleware serves one module, so each metered
        // compilation has an engine of its own; the artifact is then moved
        // into this cache's engine, so every module the cache hands out
        // belongs to the one engine.
        let metered = compiler.metered_engine(Nans::of(&self.engine));
        let compiled = Module::from_binary(&metered, wasm).map_err(compile_error)?;
        self.adopt(&compiled)
    }

    /// `compiled`, made by another engine of this process for the host
    /// (a metered or a singlepass one), moved into this cache's engine, so
    /// that every module the cache hands out belongs to the one engine its
    /// stores are made from.
    fn adopt(&self, compiled: &Module) -> Result<Module, LaunchError> {
        let codegen =
            |err: String| LaunchError::Compile(Box::new(wasmer::CompileError::Codegen(err)));
        let artifact = compiled
            .serialize()
            .map_err(|err| codegen(err.to_string()))?;
        // SAFETY: `artifact` is what `Module::serialize` produced a moment
        // ago in this process, from a module compiled by an engine `Compiler`
        // made for the host's target and CPU features, as `self.engine`'s
        // (the compiler may differ: the artifact holds finished machine
        // code, which the engine only maps and links); it never left memory.
        unsafe { Module::deserialize(&self.engine, artifact) }
            .map_err(|err| codegen(err.to_string()))
    }

    /// Looks for `key`'s cache file in the disk directory `dir`, after
    /// checking that the directory is the user's own.
    fn look_up(&self, dir: &Path, key: &CacheKey) -> Lookup {
        let dir_fd = match open_dir(dir) {
            Ok(fd) => fd,
            Err(DirError::Unavailable(err)) => {
                tracing::debug!(
                    dir = %dir.display(),
                    error = %err,
                    "module cache: no disk directory (yet)"
                );
                return Lookup::Store { checked: false };
            }
            Err(DirError::Untrusted(reason)) => {
                self.distrust_dir(dir, reason);
                return Lookup::Skip;
            }
        };
        let path = dir.join(key.file_name());
        match self.load(dir_fd.as_fd(), key) {
            Ok(module) => {
                bump(&self.counters.disk_hits);
                tracing::debug!(path = %path.display(), "module cache: disk hit");
                return Lookup::Hit(module);
            }
            Err(Reject::Missing) => {
                tracing::debug!(path = %path.display(), "module cache: not on disk");
            }
            Err(Reject::Untrusted(reason)) => {
                bump(&self.counters.untrusted);
                tracing::debug!(
                    path = %path.display(),
                    %reason,
                    "module cache: not using a cache file that is not the user's own; \
                     it will be replaced"
                );
            }
            Err(reason) => {
                bump(&self.counters.disk_rejects);
                tracing::warn!(
                    path = %path.display(),
                    %reason,
                    "module cache: ignoring cache file; it will be rewritten"
                );
            }
        }
        Lookup::Store { checked: true }
    }

    /// Counts and logs a disk directory that is neither read nor written.
    fn distrust_dir(&self, dir: &Path, reason: Distrust) {
        bump(&self.counters.untrusted);
        tracing::debug!(
            dir = %dir.display(),
            %reason,
            "module cache: not using a disk directory that is not the user's own"
        );
    }

    /// The module already compiled from the `.wat` text whose BLAKE3 hash is
    /// `text_hash`, if it is in memory (a memory hit without the parse).
    fn text_hit(&self, text_hash: &[u8; 32]) -> Option<Module> {
        let key = lock(&self.text_keys).get(text_hash)?.clone();
        let slot = Arc::clone(lock(&self.slots).get(&key)?);
        let module = lock(&slot).clone()?;
        bump(&self.counters.memory_hits);
        tracing::trace!(%key, "module cache: memory hit (text)");
        Some(module)
    }

    /// Loads and checks `key`'s cache file in the (checked) directory `dir`.
    fn load(&self, dir: BorrowedFd<'_>, key: &CacheKey) -> Result<Module, Reject> {
        let data = read_entry(dir, &key.file_name())?;
        // The payload is the end of the file. wasmer keeps its input for the
        // module's lifetime, so it gets that end as a view of the buffer just
        // read (`Bytes::slice` shares it) rather than a second copy: a borrowed
        // `&[u8]` would be copied whole.
        let payload_len = decode(&data, key)?.len();
        let data = Bytes::from(data);
        let payload = data.slice(data.len() - payload_len..);
        let engine = &self.engine;
        // The closure only reads `engine` and `payload`; if wasmer panics, the
        // result is discarded and the engine is used again only to compile,
        // which does not depend on a half-built artifact.
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: `Module::deserialize` maps `payload` as executable code
            // and trusts it to be an artifact produced by `Module::serialize`
            // for this engine. `read_entry` established that only the user
            // could have written the file: a regular file (not followed
            // through a symlink) owned by the effective uid and not writable
            // by group or others, in a directory with the same owner and mode
            // (`open_dir`). `decode` established that the file has our
            // magic and format version, was written for exactly this key
            // (wasm hash + wasmer version + target + CPU features +
            // compiler), its payload has the recorded length and its BLAKE3 hash
            // equals the one recorded when `store` wrote the bytes returned
            // by `Module::serialize` for the same key. `payload` is the very
            // suffix of the buffer `decode` checked (shared, not re-read).
            unsafe { Module::deserialize(engine, payload) }
        }));
        match outcome {
            Ok(Ok(module)) => Ok(module),
            Ok(Err(err)) => Err(Reject::Deserialize(err.to_string())),
            Err(_) => Err(Reject::Panicked),
        }
    }

    /// Takes `key`'s compile lock in the disk directory, without waiting.
    fn compile_lock(&self, key: &CacheKey) -> CompileLock {
        let Some(dir) = &self.disk_dir else {
            return CompileLock::Unavailable;
        };
        // Made (private) if it is not there yet: the compile will write it.
        if create_private_dir(dir).is_err() {
            return CompileLock::Unavailable;
        }
        let Ok(dir_fd) = open_dir(dir) else {
            return CompileLock::Unavailable;
        };
        let name = format!(".{}.lock", key.file_name());
        let flags = OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let Ok(fd) = rustix::fs::openat(&dir_fd, name.as_str(), flags, Mode::RUSR | Mode::WUSR)
        else {
            return CompileLock::Unavailable;
        };
        let trusted = rustix::fs::fstat(&fd).is_ok_and(|stat| {
            FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile
                && check_owned(&stat).is_ok()
        });
        if !trusted {
            return CompileLock::Unavailable;
        }
        match rustix::fs::flock(&fd, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => CompileLock::Held { _fd: fd },
            Err(Errno::WOULDBLOCK) => CompileLock::Busy,
            Err(_) => CompileLock::Unavailable,
        }
    }

    /// Writes `module` into the disk directory `dir` (temp file + rename);
    /// failures are logged. Unless `checked` (the directory was already
    /// opened and found to be the user's own), the directory is first
    /// created private and checked, and not written if it fails the check.
    fn store(&self, dir: &Path, checked: bool, key: &CacheKey, module: &Module) {
        let path = dir.join(key.file_name());
        let ready = if checked {
            Ok(())
        } else {
            create_private_dir(dir)
        };
        let written = match ready {
            Ok(()) => write_file(dir, key, module),
            Err(DirError::Untrusted(reason)) => {
                self.distrust_dir(dir, reason);
                return;
            }
            Err(DirError::Unavailable(err)) => Err(err),
        };
        match written {
            Ok(()) => {
                bump(&self.counters.disk_writes);
                tracing::debug!(path = %path.display(), "module cache: written");
                remove_stale_temps(dir);
            }
            Err(err) => {
                bump(&self.counters.disk_write_errors);
                tracing::warn!(
                    path = %path.display(),
                    error = %err,
                    "module cache: could not write the cache file; continuing without it"
                );
            }
        }
    }
}

/// What [`ModuleCache::precompile`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Precompiled {
    /// The module is in the cache: found there, or compiled and written.
    Cached,
    /// Another process holds the module's compile lock: it is compiling
    /// the module for the cache now, and nothing was done.
    Busy,
}

/// A module's compile lock, as [`Shared::compile_lock`] found it.
enum CompileLock {
    /// Held (released when the fd is closed).
    Held { _fd: OwnedFd },
    /// Another process holds it.
    Busy,
    /// No disk directory, or no lock could be taken (a lock file not the
    /// user's own, a file system without locks): compile as without one.
    Unavailable,
}

/// How old a temporary file of the disk directory must be to be taken for
/// one a killed process left behind (its compile cannot still be running:
/// a tier-up compile is limited to far less CPU time).
pub(crate) const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes from the (checked) disk directory `dir` the temporary files of
/// [`write_file`] older than [`STALE_TEMP_AGE`]: regular files of the
/// user's own whose names are `.<64 hex digits>.wlmod.<anything>.tmp`.
/// Nothing else is touched, and a symlink of that name is only unlinked
/// (never followed).
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !is_temp_name(name.as_encoded_bytes()) {
            continue;
        }
        // `DirEntry::metadata` does not follow symlinks.
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        use std::os::unix::fs::MetadataExt;
        let ours = meta.uid() == rustix::process::geteuid().as_raw();
        let old = meta
            .modified()
            .ok()
            .and_then(|at| now.duration_since(at).ok())
            .is_some_and(|age| age > STALE_TEMP_AGE);
        if ours && old && (meta.is_file() || meta.file_type().is_symlink()) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => {
                    tracing::debug!(path = %entry.path().display(), "module cache: removed a stale temporary file")
                }
                Err(err) => {
                    tracing::debug!(path = %entry.path().display(), error = %err, "module cache: cannot remove a stale temporary file")
                }
            }
        }
    }
}

/// Whether `name` is one of [`write_file`]'s temporary names.
fn is_temp_name(name: &[u8]) -> bool {
    let Some(rest) = name.strip_prefix(b".") else {
        return false;
    };
    let hex = rest.get(..64).unwrap_or_default();
    hex.len() == 64
        && hex.iter().all(u8::is_ascii_hexdigit)
        && rest[64..].starts_with(format!(".{FILE_EXTENSION}.").as_bytes())
        && name.ends_with(b".tmp")
}

/// What a request found in the disk directory.
enum Lookup {
    /// The module, loaded from its cache file.
    Hit(Module),
    /// Not loaded; write the compiled module into the directory. `checked`:
    /// the directory exists and is the user's own; else create it private
    /// and check it first.
    Store { checked: bool },
    /// Not loaded, and the directory must not be written either.
    Skip,
}

/// Why the disk directory cannot be used.
#[derive(Debug)]
enum DirError {
    /// It cannot be opened, usually because it does not exist yet.
    Unavailable(io::Error),
    /// It is not the user's own.
    Untrusted(Distrust),
}

/// Why a directory or cache file is not the user's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Distrust {
    /// A symbolic link (entries are not followed through them).
    Symlink,
    /// Not a regular file: a FIFO, device, directory or socket.
    NotRegular(FileType),
    /// Owned by another user.
    Owner { owner: u32, euid: u32 },
    /// Writable by group or others (the permission bits).
    Writable { mode: Mode },
}

impl fmt::Display for Distrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Symlink => f.write_str("it is a symbolic link"),
            Self::NotRegular(kind) => write!(f, "it is not a regular file ({kind:?})"),
            Self::Owner { owner, euid } => write!(
                f,
                "it is owned by uid {owner}, not by the current user (uid {euid})"
            ),
            Self::Writable { mode } => {
                write!(
                    f,
                    "it is writable by group or others (mode {:o})",
                    mode.bits()
                )
            }
        }
    }
}

/// Checks that `stat` describes something owned by the effective user and
/// not writable by group or others.
fn check_owned(stat: &Stat) -> Result<(), Distrust> {
    let euid = rustix::process::geteuid().as_raw();
    if stat.st_uid != euid {
        return Err(Distrust::Owner {
            owner: stat.st_uid,
            euid,
        });
    }
    let mode = Mode::from_raw_mode(stat.st_mode);
    if mode.intersects(Mode::WGRP | Mode::WOTH) {
        return Err(Distrust::Writable { mode });
    }
    Ok(())
}

/// Opens the disk directory `dir` and checks that it is the user's own.
fn open_dir(dir: &Path) -> Result<OwnedFd, DirError> {
    let unavailable = |err: Errno| DirError::Unavailable(err.into());
    let fd = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(unavailable)?;
    let stat = rustix::fs::fstat(&fd).map_err(unavailable)?;
    check_owned(&stat).map_err(DirError::Untrusted)?;
    Ok(fd)
}

/// Creates the disk directory `dir` and its missing parents, mode 0700, and
/// checks it (an existing directory is checked, never changed).
fn create_private_dir(dir: &Path) -> Result<(), DirError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(DirError::Unavailable)?;
    open_dir(dir).map(drop)
}

/// Why a cache file was not used.
#[derive(Debug)]
enum Reject {
    /// There is no file (not a rejection: the first run).
    Missing,
    /// The file is not the user's own; it was not read.
    Untrusted(Distrust),
    Io(io::Error),
    TooLarge(u64),
    Truncated,
    Magic,
    Version(u32),
    KeyTooLong(u32),
    WrongKey,
    Length {
        recorded: u64,
        actual: u64,
    },
    Checksum,
    Deserialize(String),
    Panicked,
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("no such file"),
            Self::Untrusted(reason) => write!(f, "not the user's own: {reason}"),
            Self::Io(err) => write!(f, "cannot read it: {err}"),
            Self::TooLarge(len) => write!(f, "{len} bytes is more than {MAX_FILE_LEN}"),
            Self::Truncated => f.write_str("truncated header"),
            Self::Magic => f.write_str("not a wasi-launch module cache file"),
            Self::Version(v) => {
                write!(f, "file format version {v}, expected {FILE_FORMAT_VERSION}")
            }
            Self::KeyTooLong(len) => write!(f, "key length {len} is more than {MAX_KEY_LEN}"),
            Self::WrongKey => f.write_str("written for another module or engine"),
            Self::Length { recorded, actual } => {
                write!(f, "payload is {actual} bytes, header says {recorded}")
            }
            Self::Checksum => f.write_str("payload checksum mismatch"),
            Self::Deserialize(err) => write!(f, "wasmer rejected the payload: {err}"),
            Self::Panicked => f.write_str("wasmer panicked while loading the payload"),
        }
    }
}

/// The whole cache file `name` in the directory `dir`, read through one open
/// file (so the file checked is the file read).
///
/// The file is opened without following a symlink and without blocking (a
/// FIFO), then must be a regular file owned by the user and not writable by
/// group or others, and at most [`MAX_FILE_LEN`] long, all before a byte is
/// read or allocated for.
fn read_entry(dir: BorrowedFd<'_>, name: &str) -> Result<Vec<u8>, Reject> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(dir, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Err(Reject::Missing),
        // What O_NOFOLLOW makes of a symlink.
        Err(Errno::LOOP) => return Err(Reject::Untrusted(Distrust::Symlink)),
        Err(err) => return Err(Reject::Io(err.into())),
    };
    let stat = rustix::fs::fstat(&fd).map_err(|err| Reject::Io(err.into()))?;
    let kind = FileType::from_raw_mode(stat.st_mode);
    if kind != FileType::RegularFile {
        return Err(Reject::Untrusted(Distrust::NotRegular(kind)));
    }
    check_owned(&stat).map_err(Reject::Untrusted)?;
    // A regular file's size is never negative.
    let len = u64::try_from(stat.st_size).unwrap_or(u64::MAX);
    if len > MAX_FILE_LEN {
        return Err(Reject::TooLarge(len));
    }
    // O_NONBLOCK has no effect on reading a regular file.
    let file = File::from(fd);
    // `len` fits: it is at most MAX_FILE_LEN (1 GiB). A file growing while
    // it is read is cut one byte past the cap and refused below.
    let mut data = Vec::with_capacity(len as usize);
    file.take(MAX_FILE_LEN + 1)
        .read_to_end(&mut data)
        .map_err(Reject::Io)?;
    if data.len() as u64 > MAX_FILE_LEN {
        return Err(Reject::TooLarge(data.len() as u64));
    }
    Ok(data)
}

/// Offset of the payload for a key of `key_len` bytes.
fn payload_offset(key_len: usize) -> usize {
    (FIXED_HEADER_LEN + key_len).next_multiple_of(PAYLOAD_ALIGN)
}

/// The cache file for `payload` under `key`.
fn encode(key: &CacheKey, payload: &[u8]) -> Vec<u8> {
    let key_bytes = key.as_str().as_bytes();
    let offset = payload_offset(key_bytes.len());
    let mut out = Vec::with_capacity(offset + payload.len());
    out.extend_from_slice(&FILE_MAGIC);
    out.extend_from_slice(&FILE_FORMAT_VERSION.to_le_bytes());
    // Keys are ~200 bytes; `decode` rejects anything above MAX_KEY_LEN.
    out.extend_from_slice(
        &u32::try_from(key_bytes.len())
            .unwrap_or(u32::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(blake3::hash(payload).as_bytes());
    out.extend_from_slice(key_bytes);
    out.resize(offset, 0);
    out.extend_from_slice(payload);
    out
}

/// Checks the file `data` against `key` and returns its payload.
fn decode<'d>(data: &'d [u8], key: &CacheKey) -> Result<&'d [u8], Reject> {
    let field = |range: std::ops::Range<usize>| data.get(range).ok_or(Reject::Truncated);
    let u32_at = |at: usize| -> Result<u32, Reject> {
        let mut b = [0u8; 4];
        b.copy_from_slice(field(at..at + 4)?);
        Ok(u32::from_le_bytes(b))
    };
    if field(0..8)? != FILE_MAGIC {
        return Err(Reject::Magic);
    }
    let version = u32_at(8)?;
    if version != FILE_FORMAT_VERSION {
        return Err(Reject::Version(version));
    }
    let key_len = u32_at(12)?;
    if key_len > MAX_KEY_LEN {
        return Err(Reject::KeyTooLong(key_len));
    }
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(field(16..24)?);
    let recorded = u64::from_le_bytes(len_bytes);
    let checksum = field(24..56)?;
    // key_len <= MAX_KEY_LEN, so these offsets cannot overflow.
    let key_len = key_len as usize;
    if field(FIXED_HEADER_LEN..FIXED_HEADER_LEN + key_len)? != key.as_str().as_bytes() {
        return Err(Reject::WrongKey);
    }
    let payload = data
        .get(payload_offset(key_len)..)
        .ok_or(Reject::Truncated)?;
    let actual = payload.len() as u64;
    if actual != recorded {
        return Err(Reject::Length { recorded, actual });
    }
    // `blake3::Hash` compares in constant time; the speed does not matter here.
    if blake3::hash(payload) != blake3::Hash::from_slice(checksum).map_err(|_| Reject::Truncated)? {
        return Err(Reject::Checksum);
    }
    Ok(payload)
}

/// Serializes `module` and writes it as `key`'s cache file in `dir`
/// atomically: a temp file in `dir`, then a rename over the cache file.
///
/// The temp file has an unpredictable name (`.<file name>.<random>.tmp`) and
/// is created `O_CREAT | O_EXCL` with mode 0600, so a symlink planted at any
/// name is never followed; on any error it is removed.
fn write_file(dir: &Path, key: &CacheKey, module: &Module) -> io::Result<()> {
    let payload = module.serialize().map_err(io::Error::other)?;
    let data = encode(key, &payload);
    let name = key.file_name();
    let prefix = format!(".{name}.");
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(".tmp")
        .permissions(Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    temp.write_all(&data)?;
    // Dropping the temp file (also inside a `PersistError`) removes it.
    temp.persist(dir.join(name)).map_err(|err| err.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Compiler;
    use std::sync::Barrier;

    const HELLO: &str = r#"(module
        (memory (export "memory") 1)
        (func (export "_start")))"#;

    fn other_module(n: i32) -> String {
        format!(r#"(module (func (export "f") (result i32) i32.const {n}))"#)
    }

    fn counts(compiles: u64, memory_hits: u64, disk_hits: u64) -> (u64, u64, u64) {
        (compiles, memory_hits, disk_hits)
    }

    fn triple(cache: &ModuleCache) -> (u64, u64, u64) {
        let s = cache.stats();
        (s.compiles, s.memory_hits, s.disk_hits)
    }

    fn cache_file(cache: &ModuleCache, wat: &str) -> PathBuf {
        let wasm = wasmer::wat2wasm(wat.as_bytes()).unwrap();
        cache.file_path(&cache.key(&wasm)).unwrap()
    }

    #[test]
    fn miss_then_memory_hit() {
        let cache = ModuleCache::new(Compiler::Singlepass.engine());
        let a = cache.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(triple(&cache), counts(1, 0, 0));
        let b = cache.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(triple(&cache), counts(1, 1, 0));
        assert!(b.exports().any(|e| e.name() == "_start"));
        drop(a);
        // The binary form of the same module is the same entry.
        let wasm = wasmer::wat2wasm(HELLO.as_bytes()).unwrap();
        cache.get_or_compile(&wasm).unwrap();
        assert_eq!(triple(&cache), counts(1, 2, 0));
        cache.get_or_compile(other_module(1).as_bytes()).unwrap();
        assert_eq!(triple(&cache), counts(2, 2, 0));
        // Other text for the same binary is parsed and lands on the same entry.
        let spaced = format!("{HELLO}\n\n");
        cache.get_or_compile(spaced.as_bytes()).unwrap();
        assert_eq!(triple(&cache), counts(2, 3, 0));
        assert_eq!(lock(&cache.shared.text_keys).len(), 3);
        assert_eq!(lock(&cache.shared.slots).len(), 2);
        assert_eq!(cache.stats().disk_writes, 0, "no disk directory");
    }

    #[test]
    fn bad_modules_are_errors() {
        let cache = ModuleCache::new(Compiler::Singlepass.engine());
        let err = cache.get_or_compile(b"(module (func").unwrap_err();
        assert!(matches!(err, LaunchError::ModuleText(_)), "{err:?}");
        let err = cache.get_or_compile(b"\0asm\x01\0\0\0\xff").unwrap_err();
        assert!(matches!(err, LaunchError::Compile(_)), "{err:?}");
        let err = cache
            .get_or_compile(b"(module (func (result i32) i64.const 1))")
            .unwrap_err();
        assert!(matches!(err, LaunchError::Compile(_)), "{err:?}");
        // A failed compile leaves nothing behind: the next try compiles again.
        let before = cache.stats().compiles;
        cache.get_or_compile(b"\0asm\x01\0\0\0\xff").unwrap_err();
        assert_eq!(cache.stats().compiles, before + 1);
    }

    #[test]
    fn fresh_cache_over_same_dir_hits_disk_without_compiling() {
        let dir = tempfile::tempdir().unwrap();
        let first = ModuleCache::with_disk_dir(Compiler::Cranelift.engine(), dir.path());
        first.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(triple(&first), counts(1, 0, 0));
        assert_eq!(first.stats().disk_writes, 1);
        assert!(cache_file(&first, HELLO).is_file());

        let second = ModuleCache::with_disk_dir(Compiler::Cranelift.engine(), dir.path());
        let module = second.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(triple(&second), counts(0, 0, 1));
        assert!(module.exports().any(|e| e.name() == "_start"));
        // The loaded module runs.
        let mut store = wasmer::Store::new(second.engine().clone());
        let instance = wasmer::Instance::new(&mut store, &module, &wasmer::imports! {}).unwrap();
        let start = instance.exports.get_function("_start").unwrap();
        start.call(&mut store, &[]).unwrap();
        second.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(triple(&second), counts(0, 1, 1));

        // Another compiler has another identity, hence another file.
        let singlepass = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), dir.path());
        singlepass.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(triple(&singlepass), counts(1, 0, 0));
        assert_ne!(cache_file(&singlepass, HELLO), cache_file(&first, HELLO));
    }

    /// Issue 22, item 10: a temporary file a killed compile left behind is
    /// removed the next time the directory is written, once it is older
    /// than `STALE_TEMP_AGE`; a fresh one (a compile still running), and
    /// files not named as our temporaries, are left alone.
    #[test]
    fn stale_temporary_files_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let hex = "0123456789abcdef".repeat(4);
        let stale = dir.path().join(format!(".{hex}.wlmod.XYZ123.tmp"));
        let fresh = dir.path().join(format!(".{hex}.wlmod.ABC456.tmp"));
        let foreign = dir.path().join(".notours.tmp");
        let old = std::time::SystemTime::now() - STALE_TEMP_AGE * 2;
        for (path, modified) in [
            (&stale, old),
            (&fresh, std::time::SystemTime::now()),
            (&foreign, old),
        ] {
            let file = File::create(path).unwrap();
            file.set_modified(modified).unwrap();
        }
        std::fs::set_permissions(dir.path(), Permissions::from_mode(0o700)).unwrap();
        let cache = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), dir.path());
        cache.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(cache.stats().disk_writes, 1);
        assert!(!stale.exists());
        assert!(fresh.exists());
        assert!(foreign.exists());
        assert!(is_temp_name(format!(".{hex}.wlmod.q.tmp").as_bytes()));
        assert!(!is_temp_name(format!(".{hex}.wlmod").as_bytes()));
        assert!(!is_temp_name(format!("{hex}.wlmod.q.tmp").as_bytes()));
    }

    /// Issue 22, item 4: `precompile` does nothing while another holder
    /// (another process) has the module's compile lock, and compiles
    /// into the directory once it is free.
    #[test]
    fn precompile_skips_a_module_another_process_is_compiling() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), dir.path());
        let wasm = wasmer::wat2wasm(HELLO.as_bytes()).unwrap();
        let held = cache.shared.compile_lock(&cache.key(&wasm));
        assert!(matches!(held, CompileLock::Held { .. }));
        // flock locks belong to the open file: a second open is refused
        // as another process's would be.
        assert_eq!(
            cache.precompile(HELLO.as_bytes()).unwrap(),
            Precompiled::Busy
        );
        assert_eq!(cache.stats().compiles, 0);
        drop(held);
        assert_eq!(
            cache.precompile(HELLO.as_bytes()).unwrap(),
            Precompiled::Cached
        );
        assert_eq!(cache.stats().disk_writes, 1);
    }

    /// Writes a good cache file for HELLO into `dir`, lets `damage` change
    /// it, then checks that a fresh cache rejects it, compiles, and rewrites
    /// a file that the next fresh cache loads.
    fn assert_recovers(damage: impl FnOnce(&Path, &ModuleCache)) {
        let dir = tempfile::tempdir().unwrap();
        let engine = || Compiler::Singlepass.engine();
        let writer = ModuleCache::with_disk_dir(engine(), dir.path());
        writer.get_or_compile(HELLO.as_bytes()).unwrap();
        let path = cache_file(&writer, HELLO);
        damage(&path, &writer);

        let reader = ModuleCache::with_disk_dir(engine(), dir.path());
        let module = reader.get_or_compile(HELLO.as_bytes()).unwrap();
        assert!(module.exports().any(|e| e.name() == "_start"));
        let s = reader.stats();
        assert_eq!(
            (s.compiles, s.disk_hits, s.disk_rejects),
            (1, 0, 1),
            "{s:?}"
        );
        assert_eq!(s.disk_writes, 1, "rewritten");

        let after = ModuleCache::with_disk_dir(engine(), dir.path());
        after.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(triple(&after), counts(0, 0, 1));
        // No temp files are left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    fn edit(path: &Path, f: impl FnOnce(&mut Vec<u8>)) {
        let mut data = std::fs::read(path).unwrap();
        f(&mut data);
        std::fs::write(path, data).unwrap();
    }

    #[test]
    fn flipped_payload_byte_is_rejected() {
        assert_recovers(|path, _| {
            edit(path, |d| {
                let at = d.len() - 100;
                d[at] ^= 0x40;
            })
        });
    }

    #[test]
    fn flipped_header_bytes_are_rejected() {
        // Magic, version, key length, payload length, checksum, key.
        for at in [0, 8, 12, 16, 30, 60] {
            assert_recovers(|path, _| edit(path, |d| d[at] ^= 0x01));
        }
    }

    #[test]
    fn truncated_files_are_rejected() {
        for keep in [0, 5, 40, 100] {
            assert_recovers(|path, _| edit(path, |d| d.truncate(keep)));
        }
        assert_recovers(|path, _| edit(path, |d| d.truncate(d.len() / 2)));
        assert_recovers(|path, _| edit(path, |d| d.truncate(d.len() - 1)));
        // Extra bytes are wrong too.
        assert_recovers(|path, _| edit(path, |d| d.push(0)));
    }

    #[test]
    fn oversized_files_are_rejected_before_reading() {
        // Sparse: one byte over the cap costs no disk space, and reading it
        // whole would mean allocating a gigabyte.
        assert_recovers(|path, _| {
            let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
            file.set_len(MAX_FILE_LEN + 1).unwrap();
        });
    }

    #[test]
    fn foreign_files_are_rejected() {
        assert_recovers(|path, _| std::fs::write(path, b"not a cache file at all").unwrap());
        // A raw wasmer artifact (no header of ours).
        assert_recovers(|path, cache| {
            let module = cache.get_or_compile(HELLO.as_bytes()).unwrap();
            std::fs::write(path, module.serialize().unwrap()).unwrap();
        });
    }

    #[test]
    fn file_for_another_key_is_rejected() {
        assert_recovers(|path, cache| {
            // A valid file of another module, placed under HELLO's name.
            let other = other_module(7);
            cache.get_or_compile(other.as_bytes()).unwrap();
            std::fs::copy(cache_file(cache, &other), path).unwrap();
        });
    }

    #[test]
    fn well_formed_file_with_a_bad_payload_is_rejected_by_wasmer() {
        assert_recovers(|path, cache| {
            let wasm = wasmer::wat2wasm(HELLO.as_bytes()).unwrap();
            let key = cache.key(&wasm);
            let module = cache.get_or_compile(HELLO.as_bytes()).unwrap();
            let artifact = module.serialize().unwrap();
            // Header and checksum are ours and valid; the artifact is cut.
            let cut = &artifact[..artifact.len() / 2];
            std::fs::write(path, encode(&key, cut)).unwrap();
        });
        assert_recovers(|path, cache| {
            let wasm = wasmer::wat2wasm(HELLO.as_bytes()).unwrap();
            std::fs::write(path, encode(&cache.key(&wasm), b"garbage")).unwrap();
        });
    }

    #[test]
    fn unwritable_dir_is_logged_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        // A "directory" below a regular file cannot be created.
        let cache = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), blocker.join("sub"));
        cache.get_or_compile(HELLO.as_bytes()).unwrap();
        let s = cache.stats();
        assert_eq!((s.compiles, s.disk_writes, s.disk_write_errors), (1, 0, 1));
        cache.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(cache.stats().memory_hits, 1);
    }

    #[test]
    fn encode_decode_round_trip() {
        let identity = EngineIdentity::of(&Compiler::Singlepass.engine());
        let key = CacheKey::new(&identity, b"\0asm\x01\0\0\0");
        assert!(key.as_str().starts_with("wasmer-7.4.2|"));
        assert!(key.as_str().contains("|blake3:"));
        assert_eq!(key.file_name().len(), 64 + 1 + FILE_EXTENSION.len());
        let file = encode(&key, b"payload");
        assert_eq!(payload_offset(key.as_str().len()) % PAYLOAD_ALIGN, 0);
        assert_eq!(decode(&file, &key).unwrap(), b"payload");
        let other = CacheKey::new(&identity, b"other");
        assert!(matches!(decode(&file, &other), Err(Reject::WrongKey)));
        assert!(matches!(decode(&[], &key), Err(Reject::Truncated)));
        let mut long = file.clone();
        long[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(decode(&long, &key), Err(Reject::KeyTooLong(_))));
    }

    #[test]
    fn parallel_requests_compile_once() {
        const THREADS: usize = 8;
        let dir = tempfile::tempdir().unwrap();
        let cache = Arc::new(ModuleCache::with_disk_dir(
            Compiler::Singlepass.engine(),
            dir.path(),
        ));
        let start = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let cache = Arc::clone(&cache);
                let start = Arc::clone(&start);
                std::thread::spawn(move || {
                    start.wait();
                    // Half the threads ask for HELLO, the others for one module each.
                    let wat = if i % 2 == 0 {
                        HELLO.to_string()
                    } else {
                        other_module(i as i32)
                    };
                    cache.get_or_compile(wat.as_bytes()).unwrap();
                    cache.get_or_compile(HELLO.as_bytes()).unwrap();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let s = cache.stats();
        // HELLO once, plus one per odd thread.
        assert_eq!(s.compiles, 1 + THREADS as u64 / 2, "{s:?}");
        assert_eq!(s.memory_hits, 2 * THREADS as u64 - s.compiles, "{s:?}");
        assert_eq!(s.disk_writes, s.compiles);
        assert_eq!(s.disk_rejects + s.disk_write_errors, 0);
    }

    /// A module that reads memory, so a quick and an optimised compile of
    /// it can be told apart by their artifacts, and that both must run.
    const SUM: &str = r#"(module
        (memory (export "memory") 1)
        (func (export "sum") (param $n i32) (result i32) (local $acc i32)
          (block $done (loop $next
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $acc (i32.add (local.get $acc) (local.get $n)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $next)))
          (local.get $acc)))"#;

    /// Calls `sum(100)` on a module of `cache`: 5050 from either compile.
    fn call_sum(cache: &ModuleCache, module: &Module) -> i32 {
        let mut store = wasmer::Store::new(cache.engine().clone());
        let instance = wasmer::Instance::new(&mut store, module, &wasmer::imports! {}).unwrap();
        let sum = instance.exports.get_function("sum").unwrap();
        sum.call(&mut store, &[wasmer::Value::I32(100)]).unwrap()[0].unwrap_i32()
    }

    /// The payload of `path`'s cache file for `key`.
    fn payload_of(path: &Path, key: &CacheKey) -> Vec<u8> {
        let data = std::fs::read(path).unwrap();
        decode(&data, key).unwrap().to_vec()
    }

    #[test]
    fn tiering_runs_a_new_module_quickly_then_caches_only_the_optimised_compile() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ModuleCache::with_disk_dir(Compiler::Cranelift.engine(), dir.path())
            .with_tiering(Tiering::up_to(1 << 20));
        let quick = cache.get_or_compile(SUM.as_bytes()).unwrap();
        assert_eq!(call_sum(&cache, &quick), 5050);
        cache.finish_tier_ups();
        let stats = cache.stats();
        assert_eq!((stats.quick_compiles, stats.compiles), (1, 1), "{stats:?}");
        assert_eq!((stats.disk_writes, stats.disk_write_errors), (1, 0));

        // The memory entry is now the optimised module, the one on disk.
        let optimised = cache.get_or_compile(SUM.as_bytes()).unwrap();
        assert_eq!(call_sum(&cache, &optimised), 5050);
        let wasm = wasmer::wat2wasm(SUM.as_bytes()).unwrap();
        let key = cache.key(&wasm);
        let on_disk = payload_of(&cache_file(&cache, SUM), &key);
        assert_eq!(optimised.serialize().unwrap().as_ref(), &on_disk[..]);
        assert_ne!(quick.serialize().unwrap().as_ref(), &on_disk[..]);

        // A later process loads the optimised compile without compiling.
        let later = ModuleCache::with_disk_dir(Compiler::Cranelift.engine(), dir.path())
            .with_tiering(Tiering::up_to(1 << 20));
        later.get_or_compile(SUM.as_bytes()).unwrap();
        let stats = later.stats();
        assert_eq!(
            (stats.quick_compiles, stats.compiles, stats.disk_hits),
            (0, 0, 1)
        );
        assert_eq!(cache_files_in(dir.path()), 1);
    }

    /// The cache files (not temporaries, not compile locks) in `dir`.
    fn cache_files_in(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |d| {
            d.filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                let name = name.to_str().unwrap();
                !name.starts_with('.') && name.ends_with(".wlmod")
            })
            .count()
        })
    }

    #[test]
    fn tiering_skips_modules_over_its_limit() {
        let cache = ModuleCache::new(Compiler::Cranelift.engine()).with_tiering(Tiering::up_to(8));
        cache.get_or_compile(SUM.as_bytes()).unwrap();
        let stats = cache.stats();
        assert_eq!((stats.quick_compiles, stats.compiles), (0, 1));
    }

    #[test]
    fn tiering_leaves_errors_to_the_optimising_compiler() {
        let cache =
            ModuleCache::new(Compiler::Cranelift.engine()).with_tiering(Tiering::up_to(1 << 20));
        let bad = "(module (func (result i32) i64.const 1))";
        let tiered = cache
            .get_or_compile(bad.as_bytes())
            .unwrap_err()
            .to_string();
        let plain = ModuleCache::new(Compiler::Cranelift.engine());
        assert_eq!(
            tiered,
            plain
                .get_or_compile(bad.as_bytes())
                .unwrap_err()
                .to_string()
        );
        assert_eq!(cache.stats().quick_compiles, 0);
    }

    #[test]
    fn a_module_singlepass_cannot_compile_is_compiled_by_cranelift_at_once() {
        // Fixed-width SIMD: Cranelift compiles it, wasmer's singlepass does
        // not (checked first, so this test keeps meaning what it says).
        let simd = r#"(module (func (export "f") (result i32)
            (i32x4.extract_lane 0 (i32x4.splat (i32.const 7)))))"#;
        let wasm = wasmer::wat2wasm(simd.as_bytes()).unwrap();
        assert!(Module::from_binary(&Compiler::Singlepass.engine(), &wasm).is_err());
        let cache =
            ModuleCache::new(Compiler::Cranelift.engine()).with_tiering(Tiering::up_to(1 << 20));
        let module = cache.get_or_compile(simd.as_bytes()).unwrap();
        let stats = cache.stats();
        assert_eq!((stats.quick_compiles, stats.compiles), (0, 1));
        let mut store = wasmer::Store::new(cache.engine().clone());
        let instance = wasmer::Instance::new(&mut store, &module, &wasmer::imports! {}).unwrap();
        let f = instance.exports.get_function("f").unwrap();
        assert_eq!(f.call(&mut store, &[]).unwrap()[0].unwrap_i32(), 7);
    }

    #[test]
    fn an_optimizer_gets_the_wasm_and_whether_the_cache_is_metered() {
        /// What the optimizer was asked: the wasm, and whether metered.
        type Seen = Arc<Mutex<Vec<(Vec<u8>, bool)>>>;
        let seen: Seen = Arc::new(Mutex::new(Vec::new()));
        let record = |seen: &Seen| {
            let seen = Arc::clone(seen);
            Tiering::up_to(1 << 20).with_optimizer(move |tier_up| {
                lock(&seen).push((tier_up.wasm().to_vec(), tier_up.is_metered()));
            })
        };
        let dir = tempfile::tempdir().unwrap();
        let plain = ModuleCache::with_disk_dir(Compiler::Cranelift.engine(), dir.path())
            .with_tiering(record(&seen));
        let metered = ModuleCache::metered(Compiler::Cranelift.engine(), Compiler::Cranelift, None)
            .with_tiering(record(&seen));
        for cache in [&plain, &metered] {
            let module = cache.get_or_compile(SUM.as_bytes()).unwrap();
            cache.get_or_compile(SUM.as_bytes()).unwrap();
            cache.finish_tier_ups();
            let stats = cache.stats();
            // One quick compile, then memory hits; the optimizer compiles.
            assert_eq!(
                (stats.quick_compiles, stats.compiles, stats.memory_hits),
                (1, 0, 1)
            );
            assert_eq!(stats.disk_writes, 0, "the quick module is never written");
            if !cache.is_metered() {
                assert_eq!(call_sum(cache, &module), 5050);
            }
        }
        let wasm = wasmer::wat2wasm(SUM.as_bytes()).unwrap().into_owned();
        assert_eq!(*lock(&seen), vec![(wasm.clone(), false), (wasm, true)]);
        assert_eq!(cache_files_in(dir.path()), 0);
    }

    #[test]
    fn shipped_examples_compile() {
        let cache = ModuleCache::new(Compiler::Singlepass.engine());
        for bytes in [
            &include_bytes!("../../examples/hello.wat")[..],
            &include_bytes!("../../examples/hello.wasm")[..],
        ] {
            let module = cache.get_or_compile(bytes).unwrap();
            assert!(
                module
                    .imports()
                    .all(|i| i.module() == "wasi_snapshot_preview1")
            );
            assert!(module.exports().any(|e| e.name() == "_start"));
        }
    }

    /// A uid other than the user's, for the ownership tests (run as root).
    const NOBODY: u32 = 65534;

    fn is_root() -> bool {
        rustix::process::geteuid().is_root()
    }

    fn mode_of(path: &Path) -> u32 {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    fn set_mode(path: &Path, mode: u32) {
        std::fs::set_permissions(path, Permissions::from_mode(mode)).unwrap();
    }

    /// `cache.get_or_compile(HELLO)` on another thread, failing after 10 s
    /// instead of hanging the test run.
    fn get_hello_within_timeout(cache: ModuleCache) -> (ModuleCache, Module) {
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let module = cache.get_or_compile(HELLO.as_bytes());
            // The receiver is gone only after a timeout has failed the test.
            let _ = send.send((cache, module));
        });
        let (cache, module) = receive
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("loading the cache file hangs");
        (cache, module.unwrap())
    }

    /// Writes a good cache file for HELLO into a private dir, lets `spoil`
    /// change the entry (it gets the entry's path, the cache and the dir),
    /// then checks that a fresh cache does not read it (untrusted, not a
    /// content reject), compiles HELLO itself, and replaces the entry with a
    /// private regular file that the next fresh cache loads.
    fn assert_entry_not_used(spoil: impl FnOnce(&Path, &ModuleCache, &Path)) {
        let dir = tempfile::tempdir().unwrap();
        let engine = || Compiler::Singlepass.engine();
        let writer = ModuleCache::with_disk_dir(engine(), dir.path());
        writer.get_or_compile(HELLO.as_bytes()).unwrap();
        let path = cache_file(&writer, HELLO);
        spoil(&path, &writer, dir.path());

        let reader = ModuleCache::with_disk_dir(engine(), dir.path());
        let (reader, module) = get_hello_within_timeout(reader);
        assert!(module.exports().any(|e| e.name() == "_start"));
        let s = reader.stats();
        assert_eq!(
            (s.compiles, s.disk_hits, s.disk_rejects, s.untrusted),
            (1, 0, 0, 1),
            "{s:?}"
        );
        assert_eq!((s.disk_writes, s.disk_write_errors), (1, 0), "replaced");

        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_file(), "{meta:?}");
        assert_eq!(mode_of(&path) & 0o077, 0, "{meta:?}");
        let after = ModuleCache::with_disk_dir(engine(), dir.path());
        let module = after.get_or_compile(HELLO.as_bytes()).unwrap();
        assert!(module.exports().any(|e| e.name() == "_start"));
        assert_eq!(triple(&after), counts(0, 0, 1));
    }

    #[test]
    fn entry_swapped_in_from_another_module_is_not_used_when_group_writable() {
        // The attack: another module's valid payload under HELLO's key, with
        // a matching header and hash (all computable by whoever writes it).
        let forge = |path: &Path, cache: &ModuleCache| {
            let wasm = wasmer::wat2wasm(HELLO.as_bytes()).unwrap();
            let other = cache.get_or_compile(other_module(7).as_bytes()).unwrap();
            let forged = encode(&cache.key(&wasm), &other.serialize().unwrap());
            assert!(decode(&forged, &cache.key(&wasm)).is_ok());
            std::fs::write(path, forged).unwrap();
        };
        assert_entry_not_used(|path, cache, _| {
            forge(path, cache);
            set_mode(path, 0o660);
        });
        if !is_root() {
            eprintln!("not root: skipping the entry owned by another user");
            return;
        }
        assert_entry_not_used(|path, cache, _| {
            forge(path, cache);
            set_mode(path, 0o600);
            std::os::unix::fs::chown(path, Some(NOBODY), Some(NOBODY)).unwrap();
        });
    }

    #[test]
    fn entry_not_owned_or_group_writable_is_not_used() {
        for mode in [0o620, 0o602, 0o666] {
            assert_entry_not_used(|path, _, _| set_mode(path, mode));
        }
        if !is_root() {
            eprintln!("not root: skipping the entry owned by another user");
            return;
        }
        assert_entry_not_used(|path, _, _| {
            std::os::unix::fs::chown(path, Some(NOBODY), None).unwrap();
        });
    }

    #[test]
    fn symlinked_entry_is_not_followed() {
        // The link points at a good cache file for HELLO, private and owned
        // by the user, elsewhere: still not followed.
        let elsewhere = tempfile::tempdir().unwrap();
        let target = elsewhere.path().join("good.wlmod");
        assert_entry_not_used(|path, _, _| {
            std::fs::rename(path, &target).unwrap();
            std::os::unix::fs::symlink(&target, path).unwrap();
        });
        // Replacing the link left its target alone.
        let cache = ModuleCache::new(Compiler::Singlepass.engine());
        let wasm = wasmer::wat2wasm(HELLO.as_bytes()).unwrap();
        let data = std::fs::read(&target).unwrap();
        assert!(decode(&data, &cache.key(&wasm)).is_ok());
    }

    #[test]
    fn fifo_entry_does_not_hang() {
        // Opening a FIFO for reading blocks until a writer comes, unless it
        // is opened non-blocking.
        assert_entry_not_used(|path, _, _| {
            std::fs::remove_file(path).unwrap();
            rustix::fs::mknodat(
                rustix::fs::CWD,
                path,
                FileType::Fifo,
                Mode::from_raw_mode(0o600),
                0,
            )
            .unwrap();
        });
    }

    #[test]
    fn symlink_to_dev_zero_is_rejected_without_reading() {
        // Read, it would be refused only as too large, after 1 GiB; not
        // followed, it is refused as untrusted (`assert_entry_not_used`
        // requires no content reject).
        assert_entry_not_used(|path, _, _| {
            std::fs::remove_file(path).unwrap();
            std::os::unix::fs::symlink("/dev/zero", path).unwrap();
        });
    }

    #[test]
    fn directory_at_entry_name_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), dir.path());
        std::fs::create_dir(cache_file(&cache, HELLO)).unwrap();
        cache.get_or_compile(HELLO.as_bytes()).unwrap();
        let s = cache.stats();
        assert_eq!(
            (s.compiles, s.disk_rejects, s.untrusted),
            (1, 0, 1),
            "{s:?}"
        );
        // A rename cannot replace a directory: logged, not fatal.
        assert_eq!((s.disk_writes, s.disk_write_errors), (0, 1), "{s:?}");
    }

    #[test]
    fn cache_dir_is_created_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a").join("b").join("modules");
        let cache = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), &dir);
        cache.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(cache.stats().disk_writes, 1);
        for created in [&dir, &root.path().join("a"), &root.path().join("a/b")] {
            assert_eq!(mode_of(created), 0o700, "{}", created.display());
        }
        assert_eq!(mode_of(&cache_file(&cache, HELLO)), 0o600);
        // The directory it created passes its own check.
        let next = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), &dir);
        next.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(triple(&next), counts(0, 0, 1));
        assert_eq!(next.stats().untrusted, 0);
    }

    #[test]
    fn dir_and_entries_of_older_versions_are_still_used() {
        // Before the trust checks, directories were created 0755 and files
        // 0644 (umask 022): the user's own, writable by nobody else.
        let dir = tempfile::tempdir().unwrap();
        let writer = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), dir.path());
        writer.get_or_compile(HELLO.as_bytes()).unwrap();
        set_mode(dir.path(), 0o755);
        set_mode(&cache_file(&writer, HELLO), 0o644);
        let reader = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), dir.path());
        reader.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(triple(&reader), counts(0, 0, 1));
        assert_eq!(reader.stats().untrusted, 0);
    }

    /// The names in `dir` with the bytes of each regular file.
    fn snapshot(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let is_file = e.file_type().unwrap().is_file();
                let name = e.file_name().into_string().unwrap();
                (name, is_file.then(|| std::fs::read(e.path()).unwrap()))
            })
            .collect();
        names.sort();
        names
    }

    /// Checks that a fresh cache over `dir` (holding a good HELLO file)
    /// neither reads nor writes it.
    fn assert_dir_not_used(dir: &Path) {
        let before = snapshot(dir);
        let mode = mode_of(dir);
        let cache = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), dir);
        cache.get_or_compile(HELLO.as_bytes()).unwrap();
        // A module with no file there yet is not written either.
        cache.get_or_compile(other_module(3).as_bytes()).unwrap();
        let s = cache.stats();
        assert_eq!(
            (s.compiles, s.disk_hits, s.disk_rejects, s.untrusted),
            (2, 0, 0, 2),
            "{s:?}"
        );
        assert_eq!((s.disk_writes, s.disk_write_errors), (0, 0), "{s:?}");
        assert_eq!(snapshot(dir), before, "nothing written");
        assert_eq!(mode_of(dir), mode, "the mode is left alone");
    }

    #[test]
    fn dir_writable_by_others_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let writer = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), dir.path());
        writer.get_or_compile(HELLO.as_bytes()).unwrap();
        for mode in [0o770, 0o730, 0o703, 0o777, 0o1777] {
            set_mode(dir.path(), mode);
            assert_dir_not_used(dir.path());
        }
        // Made private again, it is used again.
        set_mode(dir.path(), 0o700);
        let cache = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), dir.path());
        cache.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(triple(&cache), counts(0, 0, 1));
    }

    #[test]
    fn dir_not_owned_is_not_used() {
        if !is_root() {
            eprintln!("not root: skipping the directory owned by another user");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let writer = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), dir.path());
        writer.get_or_compile(HELLO.as_bytes()).unwrap();
        std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY)).unwrap();
        assert_dir_not_used(dir.path());
    }

    #[test]
    fn temp_files_do_not_follow_planted_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let victim = elsewhere.path().join("victim");
        std::fs::write(&victim, b"the victim's data").unwrap();
        let cache = ModuleCache::with_disk_dir(Compiler::Singlepass.engine(), dir.path());
        let name = cache_file(&cache, HELLO)
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        // The names the old writer used: `.<name>.<pid>.<counter>.tmp`.
        let pid = std::process::id();
        for counter in 0..512 {
            let planted = dir.path().join(format!(".{name}.{pid}.{counter}.tmp"));
            std::os::unix::fs::symlink(&victim, planted).unwrap();
        }
        cache.get_or_compile(HELLO.as_bytes()).unwrap();
        assert_eq!(cache.stats().disk_writes, 1);
        assert_eq!(std::fs::read(&victim).unwrap(), b"the victim's data");
        let entries: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        let links = entries
            .iter()
            .filter(|e| e.file_type().unwrap().is_symlink())
            .count();
        assert_eq!(links, 512, "the planted links are untouched");
        assert_eq!(entries.len(), 513, "no temp file is left behind");
        let entry = cache_file(&cache, HELLO);
        assert!(std::fs::symlink_metadata(&entry).unwrap().is_file());
        assert_eq!(mode_of(&entry), 0o600);
    }

    #[test]
    fn cache_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ModuleCache>();
        assert_send_sync::<Arc<ModuleCache>>();
    }
}
