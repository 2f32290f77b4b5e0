//! Tiered compilation: a module compiled for the first time runs from a
//! quick compile while the optimised one is made for the next run.
//!
//! [`Tiering`] is an option of the [`ModuleCache`](crate::ModuleCache) (and
//! of the [`LauncherBuilder`](crate::LauncherBuilder)). When a request finds
//! a module neither in memory nor on disk, and the module is small enough,
//! the cache compiles it with singlepass (about ten times faster than
//! Cranelift, slower code), hands that module out at once, and asks for the
//! optimised compile: by default on a background thread of the cache, which
//! writes the optimised artifact to the disk directory and replaces the
//! quick module in memory; or through an [`optimizer`](Tiering::with_optimizer)
//! of the embedder's (`wasi-run` starts a detached `wasi-run --precompile`,
//! since its own process ends with the guest).
//!
//! Behaviour does not change: both compilers implement the same wasm
//! semantics, the quick module is never written to the disk directory (so
//! the cache's files, keys and checks are those of the optimising
//! compiler), and a module singlepass cannot compile is compiled by the
//! cache's compiler as before. What differs is speed (a quick module's code
//! is slower) and stack use (singlepass frames are larger, so deep
//! recursion reaches the stack limit sooner).

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, Weak};

use crate::lock::lock;

/// The largest module [`Tiering::up_to_default`] runs from a quick compile:
/// 1 MiB of wasm. Singlepass compiles that in tens of milliseconds where
/// Cranelift takes about a second; above it, a module's first run would
/// spend longer in slow code than the compile saves.
pub const DEFAULT_TIERING_MAX_WASM_BYTES: usize = 1 << 20;

/// What an [`optimizer`](Tiering::with_optimizer) is asked to compile.
#[derive(Debug, Clone, Copy)]
pub struct TierUp<'a> {
    wasm: &'a [u8],
    metered: bool,
}

impl<'a> TierUp<'a> {
    pub(crate) fn new(wasm: &'a [u8], metered: bool) -> Self {
        Self { wasm, metered }
    }

    /// The module's wasm binary (`.wat` text already converted), the bytes
    /// its cache key hashes.
    pub fn wasm(&self) -> &'a [u8] {
        self.wasm
    }

    /// Whether the cache is metered ([`ModuleCache::metered`](crate::ModuleCache::metered)):
    /// the optimised module must then be compiled with fuel metering too.
    pub fn is_metered(&self) -> bool {
        self.metered
    }
}

/// An embedder's optimizer: called once per quick compile, on the thread
/// that asked for the module, after the quick module is ready.
type Optimizer = Arc<dyn Fn(TierUp<'_>) + Send + Sync>;

/// Whether a [`ModuleCache`](crate::ModuleCache) runs modules it has never
/// compiled from a quick singlepass compile first; see the
/// [module docs](self). Off by default.
///
/// ```
/// use wasi_launch::{Compiler, ModuleCache, Tiering};
///
/// let cache = ModuleCache::new(Compiler::Cranelift.engine()).with_tiering(Tiering::up_to(64 << 10));
/// let quick = cache.get_or_compile(b"(module (func (export \"_start\")))")?;
/// assert_eq!(cache.stats().quick_compiles, 1);
/// cache.finish_tier_ups();
/// assert_eq!(cache.stats().compiles, 1); // the optimised compile, on the cache's thread
/// # drop(quick);
/// # Ok::<(), wasi_launch::LaunchError>(())
/// ```
#[derive(Clone, Default)]
pub struct Tiering {
    /// The largest module (wasm bytes) tiered; 0 when tiering is off.
    max_wasm_bytes: usize,
    optimizer: Option<Optimizer>,
}

impl fmt::Debug for Tiering {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tiering")
            .field("max_wasm_bytes", &self.max_wasm_bytes)
            .field("optimizer", &self.optimizer.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl Tiering {
    /// No tiering: every module is compiled by the cache's compiler before
    /// it runs (the default).
    pub fn off() -> Self {
        Self::default()
    }

    /// Tiering for modules of at most `max_wasm_bytes` bytes of wasm
    /// (0 turns it off).
    pub fn up_to(max_wasm_bytes: usize) -> Self {
        Self {
            max_wasm_bytes,
            optimizer: None,
        }
    }

    /// Tiering for modules up to [`DEFAULT_TIERING_MAX_WASM_BYTES`].
    pub fn up_to_default() -> Self {
        Self::up_to(DEFAULT_TIERING_MAX_WASM_BYTES)
    }

    /// Hands each optimised compile to `optimizer` instead of the cache's
    /// background thread. It is called on the requesting thread, once per
    /// quick compile, and should return quickly; the optimised module
    /// reaches this cache only through its disk directory.
    pub fn with_optimizer(
        mut self,
        optimizer: impl Fn(TierUp<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.optimizer = Some(Arc::new(optimizer));
        self
    }

    /// The largest module (wasm bytes) tiered; 0 when tiering is off.
    pub fn max_wasm_bytes(&self) -> usize {
        self.max_wasm_bytes
    }

    /// Whether a module of `wasm_len` bytes is tiered.
    pub(crate) fn applies_to(&self, wasm_len: usize) -> bool {
        self.max_wasm_bytes > 0 && wasm_len <= self.max_wasm_bytes
    }

    /// The embedder's optimizer, if any.
    pub(crate) fn optimizer(&self) -> Option<&Optimizer> {
        self.optimizer.as_ref()
    }
}

/// A queue of optimised compiles served by one background thread, started
/// on the first job. Dropping the queue closes it: the thread finishes the
/// job it is running, drops the rest and ends.
pub(crate) struct TierUpQueue<J: Send + 'static> {
    shared: Arc<QueueShared<J>>,
}

struct QueueShared<J> {
    state: Mutex<QueueState<J>>,
    changed: Condvar,
}

struct QueueState<J> {
    jobs: VecDeque<J>,
    /// Jobs queued or running.
    pending: usize,
    worker_started: bool,
    /// The owner is gone; the worker ends.
    closed: bool,
}

impl<J: Send + 'static> TierUpQueue<J> {
    pub(crate) fn new() -> Self {
        Self {
            shared: Arc::new(QueueShared {
                state: Mutex::new(QueueState {
                    jobs: VecDeque::new(),
                    pending: 0,
                    worker_started: false,
                    closed: false,
                }),
                changed: Condvar::new(),
            }),
        }
    }

    /// Queues `job`, to be run by `run` on the background thread (started
    /// now if it is not running). If the thread cannot be started, `job`
    /// is dropped and `false` returned.
    pub(crate) fn push(&self, job: J, run: impl Fn(J) + Send + 'static) -> bool {
        let mut state = lock(&self.shared.state);
        state.jobs.push_back(job);
        state.pending += 1;
        if !state.worker_started {
            let weak = Arc::downgrade(&self.shared);
            let spawned = std::thread::Builder::new()
                .name("wasi-launch-tier-up".into())
                .spawn(move || work(&weak, run));
            if spawned.is_err() {
                state.jobs.pop_back();
                state.pending -= 1;
                return false;
            }
            state.worker_started = true;
        }
        self.shared.changed.notify_all();
        true
    }

    /// Blocks until every queued job has run.
    pub(crate) fn wait_idle(&self) {
        let mut state = lock(&self.shared.state);
        while state.pending > 0 {
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

impl<J: Send + 'static> Drop for TierUpQueue<J> {
    fn drop(&mut self) {
        lock(&self.shared.state).closed = true;
        self.shared.changed.notify_all();
    }
}

/// The background thread: runs jobs until the queue is closed and empty.
fn work<J>(queue: &Weak<QueueShared<J>>, run: impl Fn(J)) {
    loop {
        let Some(shared) = queue.upgrade() else {
            return;
        };
        let job = {
            let mut state = lock(&shared.state);
            loop {
                if state.closed {
                    return;
                }
                if let Some(job) = state.jobs.pop_front() {
                    break job;
                }
                state = shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        };
        run(job);
        lock(&shared.state).pending -= 1;
        shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn queued_jobs_all_run_before_wait_idle_returns() {
        let queue = TierUpQueue::new();
        let done = Arc::new(AtomicUsize::new(0));
        for n in 1..=5usize {
            let done = Arc::clone(&done);
            assert!(queue.push(n, move |n| {
                std::thread::sleep(std::time::Duration::from_millis(2));
                done.fetch_add(n, Ordering::SeqCst);
            }));
        }
        queue.wait_idle();
        assert_eq!(done.load(Ordering::SeqCst), 15);
    }

    #[test]
    fn the_worker_ends_when_the_queue_is_dropped() {
        let queue = TierUpQueue::new();
        assert!(queue.push((), |()| {}));
        queue.wait_idle();
        let weak = Arc::downgrade(&queue.shared);
        drop(queue);
        // The worker holds the queue only while it takes a job.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while weak.strong_count() > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(weak.strong_count(), 0);
    }

    #[test]
    fn tiering_applies_up_to_its_limit_and_is_off_by_default() {
        assert!(!Tiering::default().applies_to(1));
        assert!(!Tiering::off().applies_to(0));
        assert!(!Tiering::up_to(0).applies_to(0));
        assert!(Tiering::up_to(10).applies_to(10));
        assert!(!Tiering::up_to(10).applies_to(11));
        assert_eq!(
            Tiering::up_to_default().max_wasm_bytes(),
            DEFAULT_TIERING_MAX_WASM_BYTES
        );
    }
}
