//! Capabilities: limits on what an environment may use.

use std::num::NonZeroUsize;
use std::time::Duration;

/// Resource limits of an environment.
///
/// Defaults (each documented on its getter): no task maximum of the
/// environment's own (only the launcher's limit, shared by all its
/// environments, applies), at most [`Capabilities::DEFAULT_MAX_OPEN_FDS`]
/// open fds, linear memory up to the module's own maximum, the engine's
/// default wasm stack, no fuel limit, no timeout, and captured stdout and
/// stderr bounded only by the file-world layer's own default.
///
/// A value type, built by chaining by value: each limit has a setter
/// `with_<limit>(value)` and a getter `<limit>()` (see the crate's
/// [naming rule](crate#naming)). Setters accept any value; nonsensical
/// ones (a zero stack, a zero timeout, ...) are reported by
/// [`ConfigBuilder::validate`](crate::ConfigBuilder::validate) as
/// [`ConfigError::InvalidLimit`](crate::ConfigError::InvalidLimit), naming
/// the limit.
///
/// ```
/// use std::num::NonZeroUsize;
/// use std::time::Duration;
/// use wasi_config::Capabilities;
/// let caps = Capabilities::default()
///     .with_max_tasks(NonZeroUsize::new(4).unwrap())
///     .with_max_memory_bytes(64 << 20)
///     .with_fuel(1_000_000)
///     .with_timeout(Duration::from_secs(2));
/// assert_eq!(caps.max_tasks(), NonZeroUsize::new(4));
/// assert_eq!(caps.max_open_fds().get(), 1024);
/// assert_eq!(caps.max_memory_bytes(), Some(64 << 20));
/// assert_eq!(caps.fuel(), Some(1_000_000));
/// assert_eq!(caps.timeout(), Some(Duration::from_secs(2)));
/// assert_eq!(caps.max_wasm_stack(), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[must_use]
pub struct Capabilities {
    max_tasks: Option<NonZeroUsize>,
    max_open_fds: NonZeroUsize,
    max_memory_bytes: Option<u64>,
    max_total_memory_bytes: Option<u64>,
    max_wasm_stack: Option<u64>,
    fuel: Option<u64>,
    timeout: Option<Duration>,
    max_capture_bytes: Option<u64>,
}

impl Capabilities {
    /// The default limit on open fds (stdio and preopens included).
    pub const DEFAULT_MAX_OPEN_FDS: NonZeroUsize = NonZeroUsize::new(1024).unwrap();

    /// The smallest wasm stack accepted: 8 KiB, the least the engine can
    /// run a call on.
    pub const MIN_WASM_STACK: u64 = 8 << 10;

    /// The largest wasm stack accepted: 100 MiB, the engine's own ceiling
    /// for its stacks.
    pub const MAX_WASM_STACK: u64 = 100 << 20;

    /// The longest timeout accepted: `u64::MAX` nanoseconds (about 584
    /// years), the range of a WASI timestamp.
    pub const MAX_TIMEOUT: Duration = Duration::from_nanos(u64::MAX);

    /// Sets the maximum number of the environment's tasks (threads) running
    /// at once. Each of them also counts against the launcher's limit.
    pub fn with_max_tasks(mut self, max: NonZeroUsize) -> Self {
        self.max_tasks = Some(max);
        self
    }

    /// Sets the maximum number of fds open at once.
    pub fn with_max_open_fds(mut self, max: NonZeroUsize) -> Self {
        self.max_open_fds = max;
        self
    }

    /// Sets the maximum size of each linear memory, in bytes (rounded down
    /// to whole 64 KiB wasm pages). `memory.grow` past it returns -1 to the
    /// guest; a module whose minimum is above it does not instantiate.
    pub fn with_max_memory_bytes(mut self, bytes: u64) -> Self {
        self.max_memory_bytes = Some(bytes);
        self
    }

    /// Sets the most bytes the whole environment may hold in linear
    /// memories and tables together: every memory (its current size) and
    /// every instance's tables (the most elements they can grow to, 8 bytes
    /// each), across all its threads (a thread's instance has tables of its
    /// own, and shares the one memory). `memory.grow` past it returns -1, a
    /// thread whose tables do not fit is not spawned (EAGAIN), and a module
    /// whose memories or tables do not fit does not instantiate. Unlike
    /// [`with_max_memory_bytes`](Self::with_max_memory_bytes), which bounds
    /// each memory, this bounds what a guest can make the host hold.
    pub fn with_max_total_memory_bytes(mut self, bytes: u64) -> Self {
        self.max_total_memory_bytes = Some(bytes);
        self
    }

    /// Sets the wasm stack size, in bytes: recursion deeper than the stack
    /// holds ends the guest as stack exhaustion. Valid from
    /// [`Self::MIN_WASM_STACK`] to [`Self::MAX_WASM_STACK`]. The guest gets
    /// at least this much: the engine may reuse a larger stack it already
    /// holds, so a small value bounds host memory, not recursion depth
    /// exactly.
    pub fn with_max_wasm_stack(mut self, bytes: u64) -> Self {
        self.max_wasm_stack = Some(bytes);
        self
    }

    /// Sets the fuel: the number of wasm operators the guest may execute
    /// (each costs one unit) before it is stopped as out of fuel.
    pub fn with_fuel(mut self, units: u64) -> Self {
        self.fuel = Some(units);
        self
    }

    /// Sets a wall-clock timeout for a run: the guest is stopped when it
    /// passes, wherever it is. Must be positive and at most
    /// [`Self::MAX_TIMEOUT`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the cap on bytes captured into memory from each of stdout and
    /// stderr (when they are captured): writes past it fail with ENOSPC and
    /// the capture records that its cap was hit.
    pub fn with_max_capture_bytes(mut self, bytes: u64) -> Self {
        self.max_capture_bytes = Some(bytes);
        self
    }

    /// The maximum number of the environment's tasks running at once, if
    /// one was set. Default: none.
    pub fn max_tasks(&self) -> Option<NonZeroUsize> {
        self.max_tasks
    }

    /// The maximum number of fds open at once. Default:
    /// [`Self::DEFAULT_MAX_OPEN_FDS`].
    pub fn max_open_fds(&self) -> NonZeroUsize {
        self.max_open_fds
    }

    /// The maximum size of each linear memory in bytes, if one was set.
    /// Default: none (the module's own maximum).
    pub fn max_memory_bytes(&self) -> Option<u64> {
        self.max_memory_bytes
    }

    /// The most bytes of linear memory and tables of the whole environment,
    /// if one was set. Default: none (only each memory's own maximum and the
    /// launcher's table bound apply).
    pub fn max_total_memory_bytes(&self) -> Option<u64> {
        self.max_total_memory_bytes
    }

    /// The wasm stack size in bytes, if one was set. Default: none (the
    /// engine's default, 1 MiB).
    pub fn max_wasm_stack(&self) -> Option<u64> {
        self.max_wasm_stack
    }

    /// The fuel, if the guest is metered. Default: none (not metered).
    pub fn fuel(&self) -> Option<u64> {
        self.fuel
    }

    /// The wall-clock timeout, if one was set. Default: none.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The cap on bytes captured from each of stdout and stderr, if one was
    /// set. Default: none (the file-world layer's own bound applies).
    pub fn max_capture_bytes(&self) -> Option<u64> {
        self.max_capture_bytes
    }

    /// The first nonsensical limit: its name (as `wasi-run -W` spells it)
    /// and what is wrong with it.
    pub(crate) fn problem(&self) -> Option<(&'static str, &'static str)> {
        if let Some(stack) = self.max_wasm_stack {
            if stack < Self::MIN_WASM_STACK {
                return Some(("max-wasm-stack", "is below 8 KiB"));
            }
            if stack > Self::MAX_WASM_STACK {
                return Some(("max-wasm-stack", "is above 100 MiB"));
            }
        }
        if let Some(timeout) = self.timeout {
            if timeout.is_zero() {
                return Some(("timeout", "is zero"));
            }
            if timeout > Self::MAX_TIMEOUT {
                return Some(("timeout", "does not fit in 64 bits of nanoseconds"));
            }
        }
        None
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            max_tasks: None,
            max_open_fds: Self::DEFAULT_MAX_OPEN_FDS,
            max_memory_bytes: None,
            max_total_memory_bytes: None,
            max_wasm_stack: None,
            fuel: None,
            timeout: None,
            max_capture_bytes: None,
        }
    }
}
