//! Stopping a guest from outside: the [`InterruptHandle`] an embedder
//! holds, the [`StopReason`] a stopped guest reports, and the timer thread
//! that fires timeouts.
//!
//! A guest can be in one of three places when it is stopped, and each has
//! its own way out:
//!
//! - **Before its run starts**: the handle only records the stop; the run
//!   checks the record once its store is registered and does not call
//!   `_start`, so an early interrupt is never lost.
//! - **In wasm code**: wasmer's host interrupt (its interrupt registry, a
//!   signal to the guest's thread that turns into a `HostInterrupt` trap).
//!   wasmer documents it as best effort: a store that is not running wasm
//!   yet does not take it, so the timer thread sends it again every
//!   [`RESEND_INTERVAL`] until the store took it or the run has ended.
//! - **In a blocking host call** (`poll_oneoff` sleeping, `fd_read` on the
//!   host's stdin): these wait on the handle itself ([`InterruptHandle::sleep`],
//!   and an eventfd polled beside the host's stdin), so they return at once
//!   and the host function ends the guest.
//!
//! The guest always runs on the caller's thread; the only other thread is
//! one process-wide timer, started on first use, that owns no guest.

use std::collections::BTreeMap;
use std::fmt;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use wasmer_types::StoreId;
use wasmer_vm::interrupt_registry;

use crate::lock::lock;

/// How often the timer thread sends wasmer's interrupt again to a guest
/// that is still running after it was stopped.
pub const RESEND_INTERVAL: Duration = Duration::from_millis(2);

/// How long the threads of a threaded guest get to leave by themselves
/// (woken from their waits and blocking host calls) before wasmer's
/// interrupt signal is sent to those still running. wasmer's signal handler
/// unwinds a thread wherever it is on the wasm stack and captures a
/// backtrace there (taking a lock and allocating), which deadlocks a thread
/// caught inside a libcall or its own trap; a thread woken from
/// `memory.atomic.wait` is exactly there, so the signal waits.
pub const THREAD_GRACE: Duration = Duration::from_millis(5);

/// Which limit stopped a guest (as opposed to the guest ending itself, or
/// a host error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The guest used up its fuel (the configured amount).
    FuelExhausted {
        /// The fuel it was given.
        fuel: u64,
    },
    /// The configured wall-clock timeout passed.
    TimedOut {
        /// The timeout.
        after: Duration,
    },
    /// An [`InterruptHandle::interrupt`] stopped it.
    Interrupted,
    /// Its wasm stack overflowed (the configured or default stack size).
    StackExhausted,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::FuelExhausted { fuel } => write!(f, "ran out of fuel ({fuel} units)"),
            StopReason::TimedOut { after } => write!(f, "timed out after {after:?}"),
            StopReason::Interrupted => f.write_str("was interrupted"),
            StopReason::StackExhausted => f.write_str("exhausted its wasm stack"),
        }
    }
}

const NOT_FIRED: u8 = 0;
const FIRED_INTERRUPT: u8 = 1;
const FIRED_TIMEOUT: u8 = 2;
/// The environment is ending by itself (a thread exited or trapped, or
/// `_start` returned): its other threads are stopped; not a [`StopReason`].
const FIRED_ENDING: u8 = 3;

/// Stops one environment's guest from any thread.
///
/// Got from [`Environment::interrupt_handle`](crate::Environment::interrupt_handle)
/// before the run; cloning it is cheap and every clone stops the same
/// guest. The first stop wins: a guest already timed out stays timed out.
/// Interrupting a guest that has finished does nothing.
///
/// ```
/// use wasi_launch::{ExitStatus, Launcher, StopReason};
/// let launcher = Launcher::new();
/// let env = launcher.environment(wasi_config::ConfigBuilder::new("spin").validate()?)?;
/// let module = launcher.load_module(br#"(module (memory (export "memory") 1)
///     (func (export "_start") (loop br 0)))"#)?;
/// let handle = env.interrupt_handle();
/// std::thread::spawn(move || {
///     std::thread::sleep(std::time::Duration::from_millis(50));
///     handle.interrupt();
/// });
/// assert_eq!(env.run(&module)?, ExitStatus::Stopped(StopReason::Interrupted));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct InterruptHandle {
    shared: Arc<Shared>,
}

struct Shared {
    /// `NOT_FIRED`, or why the guest was stopped.
    fired: AtomicU8,
    /// The timeout the timer fired with, in nanoseconds.
    timeout_nanos: AtomicU64,
    running: Mutex<Running>,
    /// Woken when the handle fires (sleepers in `poll_oneoff`).
    wake: Condvar,
    /// An eventfd made readable when the handle fires, for waits that poll
    /// host fds; made on first use.
    wake_fd: OnceLock<Option<OwnedFd>>,
    /// The shared memory of a threaded guest: its atomics are disabled
    /// before any signal is sent (see [`THREAD_GRACE`]).
    atomics: OnceLock<wasmer::SharedMemory>,
}

#[derive(Default)]
struct Running {
    /// The guest's stores (one per thread) while they may run wasm code,
    /// each with whether wasmer took its interrupt.
    stores: Vec<Entry>,
    next_id: u64,
}

struct Entry {
    id: u64,
    store: StoreId,
    delivered: bool,
}

impl Running {
    /// Sends wasmer's interrupt to every store that has not taken one yet;
    /// returns whether some did not take it (not yet running wasm, or
    /// another interrupt in flight), so it must be sent again.
    ///
    /// One signal per store: wasmer's handler unwinds a thread wherever it
    /// is on the wasm stack, libcalls included, so signals are not sent
    /// more often than needed.
    fn interrupt_all(&mut self) -> bool {
        let mut again = false;
        for entry in self.stores.iter_mut().filter(|e| !e.delivered) {
            match interrupt_registry::interrupt(entry.store) {
                // Taken: a thread in wasm code traps now, one in a host
                // call when the call returns.
                Ok(()) => entry.delivered = true,
                Err(_) => again = true,
            }
        }
        again
    }
}

impl fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterruptHandle")
            .field("stopped", &self.reason())
            .finish_non_exhaustive()
    }
}

impl Default for InterruptHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl InterruptHandle {
    /// A handle that has not fired and stops nothing yet.
    pub fn new() -> Self {
        InterruptHandle {
            shared: Arc::new(Shared {
                fired: AtomicU8::new(NOT_FIRED),
                timeout_nanos: AtomicU64::new(0),
                running: Mutex::new(Running::default()),
                wake: Condvar::new(),
                wake_fd: OnceLock::new(),
                atomics: OnceLock::new(),
            }),
        }
    }

    /// Stops the guest wherever it is (see the module docs), or, before it
    /// runs, keeps it from running. Returns at once; `run` returns soon
    /// after with [`StopReason::Interrupted`].
    pub fn interrupt(&self) {
        self.fire(FIRED_INTERRUPT);
    }

    /// Whether the handle has fired (interrupt or timeout).
    pub fn is_stopped(&self) -> bool {
        self.shared.fired.load(Ordering::SeqCst) != NOT_FIRED
    }

    /// Why the handle fired, if it did.
    pub fn reason(&self) -> Option<StopReason> {
        match self.shared.fired.load(Ordering::SeqCst) {
            FIRED_INTERRUPT => Some(StopReason::Interrupted),
            FIRED_TIMEOUT => Some(StopReason::TimedOut {
                after: Duration::from_nanos(self.shared.timeout_nanos.load(Ordering::SeqCst)),
            }),
            _ => None,
        }
    }

    /// Waits `duration`, or less if the handle fires meanwhile. Returns
    /// whether it fired.
    pub fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now().checked_add(duration);
        let mut running = self.lock();
        loop {
            if self.is_stopped() {
                return true;
            }
            let left = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return false,
                },
                // Past the end of `Instant`: as good as forever.
                None => Duration::from_secs(3600),
            };
            running = match self.shared.wake.wait_timeout(running, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// An fd that becomes readable when the handle fires, to poll beside
    /// host fds; `None` if the system could not make one (the caller then
    /// polls in short slices and checks [`is_stopped`](Self::is_stopped)).
    pub(crate) fn wake_fd(&self) -> Option<BorrowedFd<'_>> {
        let fd = self.shared.wake_fd.get_or_init(|| {
            use rustix::event::{EventfdFlags, eventfd};
            eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK).ok()
        });
        // Fired before the fd existed: `fire` found no fd to signal, so
        // signal it here (seen by the caller's poll at once).
        if self.is_stopped() {
            signal(fd.as_ref());
        }
        fd.as_ref().map(AsFd::as_fd)
    }

    /// Fires the timeout `after` (the timer thread's way in).
    fn time_out(&self, after: Duration) {
        let nanos = u64::try_from(after.as_nanos()).unwrap_or(u64::MAX);
        self.shared.timeout_nanos.store(nanos, Ordering::SeqCst);
        self.fire(FIRED_TIMEOUT);
    }

    fn fire(&self, why: u8) {
        if self
            .shared
            .fired
            .compare_exchange(NOT_FIRED, why, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return;
        }
        // A threaded guest: wake its threads waiting in
        // `memory.atomic.wait` (they trap out by themselves) and send the
        // signals only after a grace period, to the threads still running.
        let threaded = match self.shared.atomics.get() {
            Some(memory) => {
                // A memory without atomics has no waiters to wake.
                let _ = memory.disable_atomics();
                true
            }
            None => false,
        };
        let mut running = self.lock();
        self.shared.wake.notify_all();
        if threaded {
            timer().resend_at(Instant::now() + THREAD_GRACE, Arc::downgrade(&self.shared));
        } else if running.interrupt_all() {
            timer().resend_later(Arc::downgrade(&self.shared));
        }
        drop(running);
        if let Some(fd) = self.shared.wake_fd.get() {
            signal(fd.as_ref());
        }
    }

    /// Makes this handle, when it fires, first disable the atomics of
    /// `memory` (a threaded guest's shared memory), then signal after
    /// [`THREAD_GRACE`].
    pub(crate) fn set_threaded(&self, memory: wasmer::SharedMemory) {
        let _ = self.shared.atomics.set(memory);
    }

    fn lock(&self) -> MutexGuard<'_, Running> {
        lock(&self.shared.running)
    }

    /// Stops every thread of the environment because it is ending by
    /// itself (not a [`StopReason`]: [`reason`](Self::reason) stays `None`).
    pub(crate) fn end_threads(&self) {
        self.fire(FIRED_ENDING);
    }

    /// Marks a store of the guest (one per thread) as running until the
    /// returned guard drops: while it is, a stop reaches the store through
    /// wasmer's interrupt. Returns `None` (and registers nothing) when the
    /// handle already fired.
    pub(crate) fn enter(&self, store: &wasmer::Store) -> Option<Entered<'_>> {
        let mut running = self.lock();
        if self.is_stopped() {
            return None;
        }
        let id = running.next_id;
        running.next_id += 1;
        running.stores.push(Entry {
            id,
            store: store.id(),
            delivered: false,
        });
        Some(Entered { handle: self, id })
    }
}

/// The guard of [`InterruptHandle::enter`].
pub(crate) struct Entered<'h> {
    handle: &'h InterruptHandle,
    id: u64,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.handle
            .lock()
            .stores
            .retain(|entry| entry.id != self.id);
    }
}

/// Makes the eventfd readable (a failed write leaves it as readable as it
/// was; its counter cannot overflow from one write per fire).
fn signal(fd: Option<&OwnedFd>) {
    if let Some(fd) = fd {
        let _ = rustix::io::write(fd, &1u64.to_ne_bytes());
    }
}

/// An armed timeout: disarmed when dropped (the run ended first).
pub(crate) struct ArmedTimeout {
    key: (Instant, u64),
}

impl Drop for ArmedTimeout {
    fn drop(&mut self) {
        timer().disarm(self.key);
    }
}

/// Fires `handle` with [`StopReason::TimedOut`] after `after`, unless the
/// returned guard is dropped first.
pub(crate) fn arm_timeout(handle: &InterruptHandle, after: Duration) -> ArmedTimeout {
    // Past the end of `Instant` the timeout can never fire.
    let due = Instant::now()
        .checked_add(after)
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(100 * 365 * 86_400));
    let key = timer().schedule(
        due,
        Job::Timeout {
            handle: Arc::downgrade(&handle.shared),
            after,
        },
    );
    ArmedTimeout { key }
}

/// What the timer does when an entry falls due.
enum Job {
    Timeout {
        handle: Weak<Shared>,
        after: Duration,
    },
    Resend {
        handle: Weak<Shared>,
    },
}

/// The process-wide timer: one thread, a map of due times.
struct Timer {
    jobs: Mutex<BTreeMap<(Instant, u64), Job>>,
    changed: Condvar,
    next_id: AtomicU64,
}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<&'static Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        let timer: &'static Timer = Box::leak(Box::new(Timer {
            jobs: Mutex::new(BTreeMap::new()),
            changed: Condvar::new(),
            next_id: AtomicU64::new(0),
        }));
        // If the thread cannot be made, due jobs simply never run: timeouts
        // do not fire, but interrupts still reach the guest directly.
        let _ = std::thread::Builder::new()
            .name("wasi-launch-timer".into())
            .spawn(move || timer.run());
        timer
    })
}

impl Timer {
    fn schedule(&self, due: Instant, job: Job) -> (Instant, u64) {
        let key = (due, self.next_id.fetch_add(1, Ordering::Relaxed));
        let mut jobs = lock(&self.jobs);
        let first = jobs.keys().next().is_none_or(|first| key < *first);
        jobs.insert(key, job);
        drop(jobs);
        if first {
            self.changed.notify_one();
        }
        key
    }

    fn disarm(&self, key: (Instant, u64)) {
        lock(&self.jobs).remove(&key);
    }

    fn resend_later(&self, handle: Weak<Shared>) {
        self.resend_at(Instant::now() + RESEND_INTERVAL, handle);
    }

    fn resend_at(&self, due: Instant, handle: Weak<Shared>) {
        self.schedule(due, Job::Resend { handle });
    }

    fn run(&self) {
        let mut jobs = lock(&self.jobs);
        loop {
            let now = Instant::now();
            let Some(&key) = jobs.keys().next() else {
                jobs = match self.changed.wait(jobs) {
                    Ok(guard) => guard,
                    Err(poisoned) => poisoned.into_inner(),
                };
                continue;
            };
            if key.0 > now {
                jobs = match self.changed.wait_timeout(jobs, key.0 - now) {
                    Ok((guard, _)) => guard,
                    Err(poisoned) => poisoned.into_inner().0,
                };
                continue;
            }
            let Some(job) = jobs.remove(&key) else {
                continue;
            };
            drop(jobs);
            match job {
                Job::Timeout { handle, after } => {
                    if let Some(shared) = handle.upgrade() {
                        InterruptHandle { shared }.time_out(after);
                    }
                }
                Job::Resend { handle } => {
                    if let Some(shared) = handle.upgrade() {
                        let mut running = lock(&shared.running);
                        if running.interrupt_all() {
                            drop(running);
                            self.resend_later(Arc::downgrade(&shared));
                        }
                    }
                }
            }
            jobs = lock(&self.jobs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_stop_wins() {
        let handle = InterruptHandle::new();
        assert_eq!(handle.reason(), None);
        handle.time_out(Duration::from_secs(2));
        handle.interrupt();
        assert_eq!(
            handle.reason(),
            Some(StopReason::TimedOut {
                after: Duration::from_secs(2)
            })
        );
    }

    #[test]
    fn sleep_returns_early_when_fired_from_another_thread() {
        let handle = InterruptHandle::new();
        let other = handle.clone();
        let started = Instant::now();
        let waker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            other.interrupt();
        });
        assert!(handle.sleep(Duration::from_secs(3600)));
        assert!(started.elapsed() < Duration::from_secs(60));
        waker.join().unwrap();
        // Fired: later sleeps return at once.
        assert!(handle.sleep(Duration::from_secs(3600)));
    }

    #[test]
    fn sleep_without_a_stop_waits_its_duration() {
        let handle = InterruptHandle::new();
        let started = Instant::now();
        assert!(!handle.sleep(Duration::from_millis(10)));
        assert!(started.elapsed() >= Duration::from_millis(10));
    }

    #[test]
    fn wake_fd_is_readable_after_a_stop_made_before_or_after_it() {
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let readable = |handle: &InterruptHandle| {
            let fd = handle.wake_fd().unwrap();
            let mut fds = [PollFd::new(&fd, PollFlags::IN)];
            let zero = Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            poll(&mut fds, Some(&zero)).unwrap() == 1
        };
        let early = InterruptHandle::new();
        early.interrupt();
        assert!(readable(&early));
        let late = InterruptHandle::new();
        assert!(!readable(&late));
        late.interrupt();
        assert!(readable(&late));
    }

    #[test]
    fn an_armed_timeout_fires_and_a_dropped_one_does_not() {
        let fires = InterruptHandle::new();
        let _armed = arm_timeout(&fires, Duration::from_millis(5));
        assert!(fires.sleep(Duration::from_secs(60)));
        assert_eq!(
            fires.reason(),
            Some(StopReason::TimedOut {
                after: Duration::from_millis(5)
            })
        );
        let quiet = InterruptHandle::new();
        drop(arm_timeout(&quiet, Duration::from_millis(5)));
        assert!(!quiet.sleep(Duration::from_millis(50)));
        assert_eq!(quiet.reason(), None);
    }
}
