//! What an environment needs from its host: the clocks, waiting, and an
//! entropy source.
//!
//! [`Runtime`] is the trait an environment holds (as `Arc<dyn Runtime>`).
//! [`DefaultRuntime`] is the one used when the user gives none: it reads the
//! OS clocks through [`SystemClock`], waits on them, and reads OS entropy
//! through [`OsEntropy`]. Its clock and entropy source are injectable:
//! [`FixedClock`] (a fixed or manually advanced time, where waiting moves
//! the clock instead of the thread) and [`SeededEntropy`] (a `rand`
//! `StdRng` seeded from a `u64`) make a run deterministic.
//!
//! The guest runs on the caller's thread; this module starts no task or
//! thread.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use rand::rngs::{StdRng, SysRng};
use rand::{Rng, SeedableRng, TryRng};
use wasmer_wasix_types::wasi::Clockid;

use crate::errno::Errno;
use crate::interrupt::InterruptHandle;

use crate::errno::SysResult;

/// A time in nanoseconds, as preview1 clocks report it.
pub type Timestamp = u64;

/// The clock ids preview1 defines, decoded from the raw `u32` a guest passes.
///
/// Anything else (including WASIX's `Unknown` = 255) is EINVAL.
pub fn clockid_from_raw(raw: u32) -> SysResult<Clockid> {
    match raw {
        0 => Ok(Clockid::Realtime),
        1 => Ok(Clockid::Monotonic),
        2 => Ok(Clockid::ProcessCputimeId),
        3 => Ok(Clockid::ThreadCputimeId),
        _ => Err(Errno::INVAL),
    }
}

/// What an environment needs from its host.
///
/// One runtime may serve many environments at once, from several threads.
pub trait Runtime: Send + Sync + fmt::Debug {
    /// The current time of `clock`, in nanoseconds.
    fn time(&self, clock: Clockid) -> SysResult<Timestamp>;

    /// The resolution of `clock`, in nanoseconds.
    fn resolution(&self, clock: Clockid) -> SysResult<Timestamp>;

    /// Waits `duration` as the guest sees time pass (what `poll_oneoff`
    /// does with a clock subscription and nothing else ready), returning
    /// early when `interrupt` fires (a real wait must use
    /// [`InterruptHandle::sleep`] or check the handle).
    fn sleep(&self, duration: Duration, interrupt: &InterruptHandle);

    /// Fills `buf` with random bytes (what `random_get` returns).
    fn fill_random(&self, buf: &mut [u8]) -> SysResult<()>;
}

/// The clocks a [`DefaultRuntime`] reads.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time of `clock`, in nanoseconds.
    fn time(&self, clock: Clockid) -> SysResult<Timestamp>;

    /// The resolution of `clock`, in nanoseconds.
    fn resolution(&self, clock: Clockid) -> SysResult<Timestamp>;

    /// Lets `duration` pass on this clock: the default sleeps the calling
    /// thread until the time passed or `interrupt` fired; a clock the host
    /// drives moves itself instead.
    fn sleep(&self, duration: Duration, interrupt: &InterruptHandle) {
        interrupt.sleep(duration);
    }
}

/// The entropy source a [`DefaultRuntime`] reads.
pub trait Entropy: Send + Sync + fmt::Debug {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]) -> SysResult<()>;
}

/// The origin of [`SystemClock`]'s monotonic clock: the first time any
/// `SystemClock` was created or read in this process.
fn process_origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

fn duration_ns(d: Duration) -> SysResult<Timestamp> {
    u64::try_from(d.as_nanos()).map_err(|_| Errno::OVERFLOW)
}

/// The OS clocks.
///
/// - `Realtime`: [`SystemTime`] since the Unix epoch. A time before the epoch
///   or after the year 2554 (past `u64` nanoseconds) is EOVERFLOW.
/// - `Monotonic`: [`Instant`] elapsed since a fixed origin, taken the first
///   time a `SystemClock` is created or read in this process.
/// - `ProcessCputimeId` and `ThreadCputimeId`: std has no CPU-time clock, so
///   these report the monotonic clock. They advance while the guest runs, at
///   least as fast as the CPU time of a single-threaded guest that never
///   sleeps, and never go backwards.
///
/// Resolution: 1 ns for every clock. std reads `clock_gettime` on Unix, whose
/// resolution with high-resolution timers (every current Linux) is 1 ns.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    _private: (),
}

impl SystemClock {
    /// The OS clocks; fixes the monotonic origin if it was not yet fixed.
    pub fn new() -> Self {
        process_origin();
        Self { _private: () }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn time(&self, clock: Clockid) -> SysResult<Timestamp> {
        match clock {
            Clockid::Realtime => SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_err(|_| Errno::OVERFLOW)
                .and_then(duration_ns),
            Clockid::Monotonic | Clockid::ProcessCputimeId | Clockid::ThreadCputimeId => {
                duration_ns(process_origin().elapsed())
            }
            _ => Err(Errno::INVAL),
        }
    }

    fn resolution(&self, clock: Clockid) -> SysResult<Timestamp> {
        nanosecond_resolution(clock)
    }
}

/// 1 ns for every preview1 clock, EINVAL for any other id: the resolution of
/// both clocks of this module.
fn nanosecond_resolution(clock: Clockid) -> SysResult<Timestamp> {
    match clock {
        Clockid::Realtime
        | Clockid::Monotonic
        | Clockid::ProcessCputimeId
        | Clockid::ThreadCputimeId => Ok(1),
        _ => Err(Errno::INVAL),
    }
}

/// A clock that reports a time set by the host, for deterministic runs.
///
/// Every preview1 clock reads the same value: the start time given to
/// [`FixedClock::new`] plus whatever [`advance`](Self::advance) added (or the
/// value [`set`](Self::set) stored). With [`stepping`](Self::stepping), each
/// read also moves the time forward by a fixed step afterwards, so a guest
/// that waits for the clock to move still makes progress. Resolution is 1 ns.
/// Share it through an `Arc` to advance it while a guest holds it.
#[derive(Debug)]
pub struct FixedClock {
    now: AtomicU64,
    step: u64,
}

impl FixedClock {
    /// A clock that stays at `start` nanoseconds until advanced.
    pub fn new(start: Timestamp) -> Self {
        Self::stepping(start, 0)
    }

    /// A clock at `start` that moves forward `step` nanoseconds after each
    /// read.
    pub fn stepping(start: Timestamp, step: u64) -> Self {
        Self {
            now: AtomicU64::new(start),
            step,
        }
    }

    /// The current value, without stepping.
    pub fn now(&self) -> Timestamp {
        self.now.load(Ordering::SeqCst)
    }

    /// Moves the clock forward by `by` (saturating at `u64::MAX` ns).
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.add(by);
    }

    /// Sets the clock to `now` nanoseconds.
    pub fn set(&self, now: Timestamp) {
        self.now.store(now, Ordering::SeqCst);
    }

    /// Adds `by` ns, saturating; returns the value before.
    fn add(&self, by: u64) -> Timestamp {
        let update = self
            .now
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(by))
            });
        // The closure always returns Some, so both arms carry the old value.
        match update {
            Ok(before) | Err(before) => before,
        }
    }
}

impl Clock for FixedClock {
    /// Moves the clock forward by `duration` at once: a guest waiting on a
    /// fixed clock sees its time pass without the host waiting.
    fn sleep(&self, duration: Duration, _interrupt: &InterruptHandle) {
        self.advance(duration);
    }

    fn time(&self, clock: Clockid) -> SysResult<Timestamp> {
        self.resolution(clock)?;
        Ok(if self.step == 0 {
            self.now()
        } else {
            self.add(self.step)
        })
    }

    fn resolution(&self, clock: Clockid) -> SysResult<Timestamp> {
        nanosecond_resolution(clock)
    }
}

/// OS entropy (`rand`'s [`SysRng`], i.e. `getrandom`). A failure of the OS
/// source is EIO for the guest and logged; it is never a panic.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy {
    _private: (),
}

impl OsEntropy {
    /// The OS entropy source.
    pub fn new() -> Self {
        Self { _private: () }
    }
}

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) -> SysResult<()> {
        SysRng.try_fill_bytes(buf).map_err(|err| {
            tracing::warn!(error = %err, len = buf.len(), "OS entropy source failed");
            Errno::IO
        })
    }
}

/// A deterministic byte stream: `rand`'s [`StdRng`] seeded from a `u64`.
///
/// Not for secrets: anyone who knows the seed knows every byte.
#[derive(Debug)]
pub struct SeededEntropy {
    rng: Mutex<StdRng>,
}

impl SeededEntropy {
    /// A stream determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
        }
    }
}

impl Entropy for SeededEntropy {
    fn fill(&self, buf: &mut [u8]) -> SysResult<()> {
        // A poisoned lock only means another thread panicked while holding
        // it; `fill_bytes` leaves the generator valid at every point, so its
        // state is still usable.
        let mut rng = self
            .rng
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        rng.fill_bytes(buf);
        Ok(())
    }
}

/// The runtime used when the user gives none.
///
/// Defaults: [`SystemClock`] and [`OsEntropy`]. Replace the
/// clock with [`with_clock`](Self::with_clock) and the entropy source with
/// [`with_entropy`](Self::with_entropy); [`deterministic`](Self::deterministic)
/// does both.
#[derive(Debug, Clone)]
pub struct DefaultRuntime {
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
}

impl DefaultRuntime {
    /// OS clocks and OS entropy.
    pub fn new() -> Self {
        Self {
            clock: Arc::new(SystemClock::new()),
            entropy: Arc::new(OsEntropy::new()),
        }
    }

    /// A runtime whose clocks all read `start` ns (see [`FixedClock`]) and
    /// whose random bytes come from [`SeededEntropy`] with `seed`.
    pub fn deterministic(start: Timestamp, seed: u64) -> Self {
        Self::new()
            .with_clock(Arc::new(FixedClock::new(start)))
            .with_entropy(Arc::new(SeededEntropy::new(seed)))
    }

    /// Replaces the clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the entropy source.
    pub fn with_entropy(mut self, entropy: Arc<dyn Entropy>) -> Self {
        self.entropy = entropy;
        self
    }
}

impl Default for DefaultRuntime {
    fn default() -> Self {
        Self::new()
    }
}

impl Runtime for DefaultRuntime {
    fn time(&self, clock: Clockid) -> SysResult<Timestamp> {
        self.clock.time(clock)
    }

    fn resolution(&self, clock: Clockid) -> SysResult<Timestamp> {
        self.clock.resolution(clock)
    }

    fn sleep(&self, duration: Duration, interrupt: &InterruptHandle) {
        self.clock.sleep(duration, interrupt);
    }

    fn fill_random(&self, buf: &mut [u8]) -> SysResult<()> {
        self.entropy.fill(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_CLOCKS: [Clockid; 4] = [
        Clockid::Realtime,
        Clockid::Monotonic,
        Clockid::ProcessCputimeId,
        Clockid::ThreadCputimeId,
    ];

    #[test]
    fn raw_clock_ids() {
        for (raw, id) in ALL_CLOCKS.iter().enumerate() {
            assert_eq!(clockid_from_raw(raw as u32), Ok(*id));
        }
        for raw in [4, 255, u32::MAX] {
            assert_eq!(clockid_from_raw(raw), Err(Errno::INVAL));
        }
    }

    #[test]
    fn system_clock_reads_the_os() {
        let clock = SystemClock::new();
        let now = clock.time(Clockid::Realtime).unwrap();
        // After 2020-01-01 and before 2100.
        assert!(now > 1_577_836_800_000_000_000, "{now}");
        assert!(now < 4_102_444_800_000_000_000, "{now}");
        for id in ALL_CLOCKS {
            assert_eq!(clock.resolution(id), Ok(1));
        }
        let a = clock.time(Clockid::Monotonic).unwrap();
        std::thread::sleep(Duration::from_millis(2));
        let b = clock.time(Clockid::Monotonic).unwrap();
        assert!(b >= a + 2_000_000, "{a} {b}");
        let c = clock.time(Clockid::ProcessCputimeId).unwrap();
        assert!(c >= b);
        assert_eq!(clock.time(Clockid::Unknown), Err(Errno::INVAL));
        assert_eq!(clock.resolution(Clockid::Unknown), Err(Errno::INVAL));
    }

    /// Issue 12: waiting goes through the runtime, so a fixed clock
    /// controls sleeps too: the clock moves, the thread does not wait.
    #[test]
    fn sleeping_on_a_fixed_clock_moves_the_clock_at_once() {
        let clock = Arc::new(FixedClock::new(5));
        let rt = DefaultRuntime::new().with_clock(clock.clone());
        let start = Instant::now();
        rt.sleep(Duration::from_secs(3600), &InterruptHandle::new());
        assert!(start.elapsed() < Duration::from_secs(60));
        assert_eq!(clock.now(), 5 + 3_600_000_000_000);
        let real = DefaultRuntime::new();
        let start = Instant::now();
        real.sleep(Duration::from_millis(20), &InterruptHandle::new());
        assert!(start.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn fixed_clock_is_deterministic() {
        let clock = FixedClock::new(1_000);
        for id in ALL_CLOCKS {
            assert_eq!(clock.time(id), Ok(1_000));
            assert_eq!(clock.resolution(id), Ok(1));
        }
        clock.advance(Duration::from_micros(2));
        assert_eq!(clock.time(Clockid::Monotonic), Ok(3_000));
        clock.set(u64::MAX - 1);
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.now(), u64::MAX);
        assert_eq!(clock.time(Clockid::Unknown), Err(Errno::INVAL));

        let stepping = FixedClock::stepping(10, 5);
        assert_eq!(stepping.time(Clockid::Realtime), Ok(10));
        assert_eq!(stepping.time(Clockid::Monotonic), Ok(15));
        assert_eq!(stepping.now(), 20);
        // An invalid clock id does not move the clock.
        assert_eq!(stepping.time(Clockid::Unknown), Err(Errno::INVAL));
        assert_eq!(stepping.now(), 20);
    }

    #[test]
    fn seeded_entropy_repeats_and_os_entropy_varies() {
        let (a, b) = (SeededEntropy::new(7), SeededEntropy::new(7));
        let (mut x, mut y) = ([0u8; 64], [0u8; 64]);
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        assert_eq!(x, y);
        a.fill(&mut x).unwrap();
        assert_ne!(x, y, "the stream moves on");
        let c = SeededEntropy::new(8);
        c.fill(&mut y).unwrap();
        assert_ne!(x, y);

        let os = OsEntropy::new();
        let (mut p, mut q) = ([0u8; 32], [0u8; 32]);
        os.fill(&mut p).unwrap();
        os.fill(&mut q).unwrap();
        assert_ne!(p, q);
        os.fill(&mut []).unwrap();
    }

    #[test]
    fn deterministic_runtime_through_the_trait_object() {
        let clock = Arc::new(FixedClock::new(42));
        let rt: Arc<dyn Runtime> = Arc::new(
            DefaultRuntime::new()
                .with_clock(clock.clone())
                .with_entropy(Arc::new(SeededEntropy::new(1))),
        );
        assert_eq!(rt.time(Clockid::Realtime), Ok(42));
        clock.advance(Duration::from_nanos(8));
        assert_eq!(rt.time(Clockid::Realtime), Ok(50));
        let mut bytes = [0u8; 16];
        rt.fill_random(&mut bytes).unwrap();
        let mut again = [0u8; 16];
        DefaultRuntime::deterministic(0, 1)
            .fill_random(&mut again)
            .unwrap();
        assert_eq!(bytes, again);
    }
}
