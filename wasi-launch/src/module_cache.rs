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
//! checks no integrity, and some corruptions panic inside it. The hash rules
//! out torn writes and bit rot; it is not a defence against someone who can
//! write the cache directory, who could as well replace the launcher. The
//! deserialize is still wrapped in `catch_unwind` as a last line. A file that
//! fails any check is logged, ignored and rewritten (temp file + rename).
//! Failing to write is logged and never fails the caller.
//!
//! This is the crate's one module with `unsafe` code (the deserialize call).
//! The cache never evicts: it lives as long as the launcher that owns it.

#![allow(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use wasmer::{CompileError, Engine, Module};
use webc::bytes::Bytes;

use crate::engine::EngineIdentity;

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

/// A module that could not be turned into a compiled [`Module`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModuleError {
    /// The bytes are not a wasm binary and do not parse as `.wat` text.
    #[error("the module is neither a wasm binary nor valid wasm text")]
    Text(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The binary does not validate or compile.
    #[error("the module does not compile")]
    Compile(#[source] Box<CompileError>),
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
    /// Cache files found but rejected (corrupt, truncated, foreign, wrong key).
    pub disk_rejects: u64,
    /// Cache files written.
    pub disk_writes: u64,
    /// Cache files that could not be written.
    pub disk_write_errors: u64,
}

#[derive(Debug, Default)]
struct Counters {
    compiles: AtomicU64,
    memory_hits: AtomicU64,
    disk_hits: AtomicU64,
    disk_rejects: AtomicU64,
    disk_writes: AtomicU64,
    disk_write_errors: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// One module's entry: filled once, by the first request that gets it.
type Slot = Arc<Mutex<Option<Module>>>;

/// Locks `mutex`, ignoring poisoning: the cache only holds finished
/// `Module`s (or nothing), so a thread that panicked while holding a lock
/// (e.g. inside the compiler) left no half-written state behind.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Compiled modules for one engine, in memory and optionally on disk.
pub struct ModuleCache {
    engine: Engine,
    identity: EngineIdentity,
    disk_dir: Option<PathBuf>,
    slots: Mutex<HashMap<CacheKey, Slot>>,
    /// The key of each `.wat` text already converted, by the BLAKE3 hash of the
    /// text, so a memory hit on text skips the parse.
    text_keys: Mutex<HashMap<[u8; 32], CacheKey>>,
    counters: Counters,
}

impl fmt::Debug for ModuleCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModuleCache")
            .field("identity", &self.identity)
            .field("disk_dir", &self.disk_dir)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl ModuleCache {
    /// A cache in memory only.
    pub fn new(engine: Engine) -> Self {
        Self {
            identity: EngineIdentity::of(&engine),
            engine,
            disk_dir: None,
            slots: Mutex::new(HashMap::new()),
            text_keys: Mutex::new(HashMap::new()),
            counters: Counters::default(),
        }
    }

    /// A cache in memory backed by the directory `dir`, created when the
    /// first module is written.
    pub fn with_disk_dir(engine: Engine, dir: impl Into<PathBuf>) -> Self {
        Self {
            disk_dir: Some(dir.into()),
            ..Self::new(engine)
        }
    }

    /// The user's default cache directory: `<cache dir>/wasi-launch/modules`
    /// (e.g. `~/.cache/wasi-launch/modules` on Linux), or `None` when the
    /// platform has no cache directory.
    pub fn default_disk_dir() -> Option<PathBuf> {
        dirs::cache_dir().map(|dir| dir.join("wasi-launch").join("modules"))
    }

    /// The engine modules are compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine's identity, part of every key.
    pub fn identity(&self) -> &EngineIdentity {
        &self.identity
    }

    /// The disk directory, if any.
    pub fn disk_dir(&self) -> Option<&Path> {
        self.disk_dir.as_deref()
    }

    /// The key of `wasm` (a binary module) in this cache.
    pub fn key(&self, wasm: &[u8]) -> CacheKey {
        CacheKey::new(&self.identity, wasm)
    }

    /// Where the cache file for `key` lives, if there is a disk directory.
    pub fn file_path(&self, key: &CacheKey) -> Option<PathBuf> {
        self.disk_dir.as_ref().map(|dir| dir.join(key.file_name()))
    }

    /// What the cache did so far.
    pub fn stats(&self) -> CacheStats {
        let c = &self.counters;
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        CacheStats {
            compiles: get(&c.compiles),
            memory_hits: get(&c.memory_hits),
            disk_hits: get(&c.disk_hits),
            disk_rejects: get(&c.disk_rejects),
            disk_writes: get(&c.disk_writes),
            disk_write_errors: get(&c.disk_write_errors),
        }
    }

    /// The compiled module for `bytes` (a wasm binary or `.wat` text): from
    /// memory, else from the disk directory, else compiled (and then written
    /// to the disk directory).
    pub fn get_or_compile(&self, bytes: &[u8]) -> Result<Module, ModuleError> {
        let text_hash: Option<[u8; 32]> =
            (!bytes.starts_with(WASM_MAGIC)).then(|| blake3::hash(bytes).into());
        if let Some(module) = text_hash.as_ref().and_then(|hash| self.text_hit(hash)) {
            return Ok(module);
        }
        let wasm = wasmer::wat2wasm(bytes).map_err(|err| ModuleError::Text(Box::new(err)))?;
        let key = self.key(&wasm);
        if let Some(hash) = text_hash {
            lock(&self.text_keys).insert(hash, key.clone());
        }
        let slot = Arc::clone(lock(&self.slots).entry(key.clone()).or_default());
        // Held while loading or compiling, so concurrent requests for the
        // same module wait for one compile instead of each compiling.
        let mut entry = lock(&slot);
        if let Some(module) = entry.as_ref() {
            bump(&self.counters.memory_hits);
            tracing::trace!(%key, "module cache: memory hit");
            return Ok(module.clone());
        }
        let path = self.file_path(&key);
        if let Some(path) = &path {
            match self.load(path, &key) {
                Ok(module) => {
                    bump(&self.counters.disk_hits);
                    tracing::debug!(path = %path.display(), "module cache: disk hit");
                    *entry = Some(module.clone());
                    return Ok(module);
                }
                Err(Reject::Missing) => {
                    tracing::debug!(path = %path.display(), "module cache: not on disk");
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
        }
        bump(&self.counters.compiles);
        let module = Module::from_binary(&self.engine, &wasm)
            .map_err(|err| ModuleError::Compile(Box::new(err)))?;
        tracing::debug!(%key, "module cache: compiled");
        if let Some(path) = &path {
            self.store(path, &key, &module);
        }
        *entry = Some(module.clone());
        Ok(module)
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

    /// Loads and checks the cache file at `path`.
    fn load(&self, path: &Path, key: &CacheKey) -> Result<Module, Reject> {
        let data = read_capped(path)?;
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
            // for this engine. `decode` established that: the file has our
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

    /// Writes `module` to `path` (temp file + rename); failures are logged.
    fn store(&self, path: &Path, key: &CacheKey, module: &Module) {
        match write_file(path, key, module) {
            Ok(()) => {
                bump(&self.counters.disk_writes);
                tracing::debug!(path = %path.display(), "module cache: written");
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

/// Why a cache file was not used.
#[derive(Debug)]
enum Reject {
    /// There is no file (not a rejection: the first run).
    Missing,
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

/// The whole cache file at `path`, read through one open file (so the size
/// checked is the size of the file read), refusing files over
/// [`MAX_FILE_LEN`] before allocating for them.
fn read_capped(path: &Path) -> Result<Vec<u8>, Reject> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(Reject::Missing),
        Err(err) => return Err(Reject::Io(err)),
    };
    let len = file.metadata().map_err(Reject::Io)?.len();
    if len > MAX_FILE_LEN {
        return Err(Reject::TooLarge(len));
    }
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

/// Serializes `module` and writes it to `path` atomically: a temp file in the
/// same directory, then a rename over `path`.
fn write_file(path: &Path, key: &CacheKey, module: &Module) -> io::Result<()> {
    static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);
    let payload = module.serialize().map_err(io::Error::other)?;
    let data = encode(key, &payload);
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("cache file path has no parent directory"))?;
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(
        ".{}.{}.{}.tmp",
        key.file_name(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = std::fs::write(&temp, &data).and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        // Best effort: the temp file may not exist, and the write error is
        // the one worth reporting.
        let _ = std::fs::remove_file(&temp);
    }
    written
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
        assert_eq!(lock(&cache.text_keys).len(), 3);
        assert_eq!(lock(&cache.slots).len(), 2);
        assert_eq!(cache.stats().disk_writes, 0, "no disk directory");
    }

    #[test]
    fn bad_modules_are_errors() {
        let cache = ModuleCache::new(Compiler::Singlepass.engine());
        let err = cache.get_or_compile(b"(module (func").unwrap_err();
        assert!(matches!(err, ModuleError::Text(_)), "{err:?}");
        let err = cache.get_or_compile(b"\0asm\x01\0\0\0\xff").unwrap_err();
        assert!(matches!(err, ModuleError::Compile(_)), "{err:?}");
        let err = cache
            .get_or_compile(b"(module (func (result i32) i64.const 1))")
            .unwrap_err();
        assert!(matches!(err, ModuleError::Compile(_)), "{err:?}");
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

    #[test]
    fn cache_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ModuleCache>();
        assert_send_sync::<Arc<ModuleCache>>();
    }
}
