//! A limit on concurrently running tasks, shared by every environment started
//! from one launcher, and the source of process and thread ids.
//!
//! [`ControlPlane::try_acquire`] is the only place the limit is checked. It
//! admits a task while fewer than `max` are running (one comparison, `<`), so
//! exactly `max` tasks can run at once. The returned [`TaskPermit`] releases
//! its slot when dropped, on every exit path including a panic. Exceeding the
//! limit is a [`LaunchError::TaskLimit`] naming the configured maximum.
//!
//! A [`scope`](ControlPlane::scope) is a plane inside another, for one
//! environment whose capabilities set its own task maximum: a task admitted
//! through it holds a slot of the scope and one of every plane above it, each
//! taken by the same `try_acquire`, and ids come from the outermost plane.
//!
//! This module does not queue or wait: a task that is refused is refused.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::error::LaunchError;

/// Default tasks allowed per CPU.
///
/// Reason: guests are mostly CPU-bound, so more than one per core only
/// time-slices; 16 per core leaves room for guests blocked on I/O while still
/// stopping a runaway launcher from starting thousands of threads.
pub const DEFAULT_TASKS_PER_CPU: usize = 16;

/// A process id handed out by a [`ControlPlane`] (from 1, never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pid(u64);

impl Pid {
    /// The numeric id.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A thread id handed out by a [`ControlPlane`] (from 1, never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tid(u64);

impl Tid {
    /// The numeric id.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Tid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug)]
struct Shared {
    max: NonZeroUsize,
    running: AtomicUsize,
    peak: AtomicUsize,
    next_pid: AtomicU64,
    next_tid: AtomicU64,
    /// The plane this one is a scope of; its limit applies too.
    parent: Option<ControlPlane>,
}

/// The task limit and id counters, shared (cheaply cloned) between every
/// environment of one launcher.
#[derive(Debug, Clone)]
pub struct ControlPlane {
    shared: Arc<Shared>,
}

impl ControlPlane {
    /// A control plane admitting at most `max` tasks at once.
    pub fn new(max: NonZeroUsize) -> Self {
        Self::with_parent(max, None)
    }

    fn with_parent(max: NonZeroUsize, parent: Option<ControlPlane>) -> Self {
        Self {
            shared: Arc::new(Shared {
                max,
                running: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                next_pid: AtomicU64::new(1),
                next_tid: AtomicU64::new(1),
                parent,
            }),
        }
    }

    /// A plane inside this one admitting at most `max` tasks at once, each
    /// of which also takes a slot of this plane (and of the planes above
    /// it). Used for an environment whose capabilities set a task maximum.
    pub fn scope(&self, max: NonZeroUsize) -> ControlPlane {
        Self::with_parent(max, Some(self.clone()))
    }

    /// The default limit: the number of CPUs
    /// ([`std::thread::available_parallelism`], 1 when unknown) times
    /// [`DEFAULT_TASKS_PER_CPU`].
    pub fn default_max() -> NonZeroUsize {
        Self::default_max_for(std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN))
    }

    /// The default limit for a machine with `cpus` CPUs: `cpus` times
    /// [`DEFAULT_TASKS_PER_CPU`].
    pub fn default_max_for(cpus: NonZeroUsize) -> NonZeroUsize {
        cpus.saturating_mul(NonZeroUsize::new(DEFAULT_TASKS_PER_CPU).unwrap_or(NonZeroUsize::MIN))
    }

    /// The configured maximum.
    pub fn max(&self) -> NonZeroUsize {
        self.shared.max
    }

    /// Admits one more task if fewer than [`max`](Self::max) are running.
    ///
    /// This is the only place the limit is checked. The permit carries a new
    /// process id and thread id. In a [`scope`](Self::scope), the task must
    /// also be admitted by every plane above it; the error names the maximum
    /// of the plane that refused.
    pub fn try_acquire(&self) -> Result<TaskPermit, LaunchError> {
        let max = self.shared.max;
        let admitted =
            self.shared
                .running
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |running| {
                    (running < max.get()).then_some(running + 1)
                });
        let before = admitted.map_err(|_| LaunchError::TaskLimit { max })?;
        // Owns the slot from here on: a refusal above releases it.
        let slot = Slot(Arc::clone(&self.shared));
        let outer = match &self.shared.parent {
            Some(parent) => Some(Box::new(parent.try_acquire()?)),
            None => None,
        };
        // Read first: a write on every launch would move the cache line
        // between the launching threads' cores even when the peak stays.
        if self.shared.peak.load(Ordering::Acquire) < before + 1 {
            self.shared.peak.fetch_max(before + 1, Ordering::AcqRel);
        }
        let (pid, tid) = match &outer {
            Some(outer) => (outer.pid, outer.tid),
            None => (
                Pid(self.shared.next_pid.fetch_add(1, Ordering::Relaxed)),
                Tid(self.shared.next_tid.fetch_add(1, Ordering::Relaxed)),
            ),
        };
        Ok(TaskPermit {
            _slot: slot,
            _outer: outer,
            pid,
            tid,
        })
    }

    /// Tasks running now.
    pub fn running(&self) -> usize {
        self.shared.running.load(Ordering::Acquire)
    }

    /// The most tasks that ran at once so far.
    pub fn peak(&self) -> usize {
        self.shared.peak.load(Ordering::Acquire)
    }
}

impl Default for ControlPlane {
    /// A control plane with [`ControlPlane::default_max`].
    fn default() -> Self {
        Self::new(Self::default_max())
    }
}

/// One running task's slot; released when dropped.
#[derive(Debug)]
#[must_use = "the task's slot is released as soon as the permit is dropped"]
pub struct TaskPermit {
    _slot: Slot,
    /// The slot of the plane above, for a task admitted through a scope.
    _outer: Option<Box<TaskPermit>>,
    pid: Pid,
    tid: Tid,
}

/// One counted slot of one plane, given back when dropped.
#[derive(Debug)]
struct Slot(Arc<Shared>);

impl TaskPermit {
    /// The task's process id.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The task's (main) thread id.
    pub fn tid(&self) -> Tid {
        self.tid
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Each slot was counted once by `try_acquire`, so this never goes
        // below zero.
        self.0.running.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::thread;

    fn nz(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).unwrap()
    }

    /// The maximum a refusal names.
    fn refused_max(r: Result<TaskPermit, LaunchError>) -> NonZeroUsize {
        match r {
            Err(LaunchError::TaskLimit { max }) => max,
            other => panic!("not a task limit refusal: {other:?}"),
        }
    }

    #[test]
    fn admits_exactly_max_and_reports_it() {
        let plane = ControlPlane::new(nz(3));
        let permits: Vec<_> = (0..3).map(|_| plane.try_acquire().unwrap()).collect();
        assert_eq!(plane.running(), 3);
        let err = plane.try_acquire().unwrap_err();
        assert_eq!(refused_max(Err(err)), nz(3));
        assert_eq!(
            plane.try_acquire().unwrap_err().to_string(),
            "task limit reached: at most 3 tasks may run at once"
        );
        assert_eq!(plane.running(), 3, "a refusal holds no slot");
        drop(permits);
        assert_eq!(plane.running(), 0);
        assert_eq!(plane.peak(), 3);
        let again = plane.try_acquire().unwrap();
        assert_eq!(plane.running(), 1);
        drop(again);
    }

    #[test]
    fn limit_of_one() {
        let plane = ControlPlane::new(nz(1));
        let p = plane.try_acquire().unwrap();
        assert!(plane.try_acquire().is_err());
        drop(p);
        assert!(plane.try_acquire().is_ok());
    }

    #[test]
    fn ids_are_monotonic_and_unique() {
        let plane = ControlPlane::new(nz(2));
        let a = plane.try_acquire().unwrap();
        let b = plane.try_acquire().unwrap();
        assert_eq!((a.pid().get(), a.tid().get()), (1, 1));
        assert!(b.pid() > a.pid() && b.tid() > a.tid());
        drop(a);
        let c = plane.try_acquire().unwrap();
        assert!(c.pid() > b.pid(), "ids are not reused");
        assert_eq!(c.pid().to_string(), "3");
    }

    #[test]
    fn clones_share_the_limit() {
        let plane = ControlPlane::new(nz(1));
        let other = plane.clone();
        let _p = plane.try_acquire().unwrap();
        assert!(other.try_acquire().is_err());
        assert_eq!(other.running(), 1);
    }

    #[test]
    fn scope_admits_its_own_max_and_counts_against_the_plane_above() {
        let launcher = ControlPlane::new(nz(3));
        let env = launcher.scope(nz(2));
        let a = env.try_acquire().unwrap();
        let b = env.try_acquire().unwrap();
        assert_eq!(refused_max(env.try_acquire()), nz(2), "the scope refuses");
        assert_eq!((env.running(), launcher.running()), (2, 2));
        // Ids come from the launcher's plane, shared with its other tasks.
        let direct = launcher.try_acquire().unwrap();
        let pids = [a.pid().get(), b.pid().get(), direct.pid().get()];
        assert_eq!(pids, [1, 2, 3]);
        // The launcher is full now: another scope's task is refused with
        // the launcher's maximum, and the refused slot is given back.
        let other = launcher.scope(nz(5));
        assert_eq!(refused_max(other.try_acquire()), nz(3));
        assert_eq!(other.running(), 0);
        drop(a);
        assert_eq!((env.running(), launcher.running()), (1, 2));
        let c = other.try_acquire().unwrap();
        assert_eq!((other.running(), launcher.running()), (1, 3));
        assert_eq!(refused_max(env.try_acquire()), nz(3));
        drop((b, c, direct));
        assert_eq!(
            (env.running(), other.running(), launcher.running()),
            (0, 0, 0)
        );
        assert_eq!((env.peak(), launcher.peak()), (2, 3));
    }

    #[test]
    fn released_on_panic() {
        let plane = ControlPlane::new(nz(1));
        let inner = plane.clone();
        let result = std::panic::catch_unwind(move || {
            let _permit = inner.try_acquire().unwrap();
            panic!("task failed");
        });
        assert!(result.is_err());
        assert_eq!(plane.running(), 0);
        assert!(plane.try_acquire().is_ok());
    }

    #[test]
    fn default_is_cpus_times_factor() {
        let plane = ControlPlane::default();
        let cpus = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        assert_eq!(plane.max().get(), cpus * DEFAULT_TASKS_PER_CPU);
    }

    #[test]
    fn threads_never_exceed_max_and_leak_nothing() {
        const MAX: usize = 3;
        const THREADS: usize = 8;
        const ROUNDS: usize = 500;
        let plane = ControlPlane::new(nz(MAX));
        let start = Arc::new(Barrier::new(THREADS));
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let plane = plane.clone();
                let start = Arc::clone(&start);
                thread::spawn(move || {
                    start.wait();
                    let mut admitted = 0usize;
                    for _ in 0..ROUNDS {
                        match plane.try_acquire() {
                            Ok(permit) => {
                                admitted += 1;
                                assert!(plane.running() <= MAX);
                                thread::yield_now();
                                drop(permit);
                            }
                            Err(err) => assert_eq!(refused_max(Err(err)).get(), MAX),
                        }
                    }
                    admitted
                })
            })
            .collect();
        let admitted: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(admitted > 0);
        assert!(plane.peak() <= MAX, "peak {}", plane.peak());
        assert_eq!(plane.running(), 0, "a permit leaked");
        let all: Vec<_> = (0..MAX).map(|_| plane.try_acquire().unwrap()).collect();
        assert!(plane.try_acquire().is_err());
        drop(all);
    }
}
