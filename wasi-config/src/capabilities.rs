//! Capabilities: limits on what an environment may use.

use std::num::NonZeroUsize;

/// Resource limits of an environment.
///
/// Defaults: no task maximum of the environment's own (only the launcher's
/// limit, shared by all its environments, applies) and
/// at most [`Capabilities::DEFAULT_MAX_OPEN_FDS`] open fds.
///
/// A value type, built by chaining by value: each limit has a setter
/// `with_<limit>(value)` and a getter `<limit>()` (see the crate's
/// [naming rule](crate#naming)).
///
/// ```
/// use std::num::NonZeroUsize;
/// use wasi_config::Capabilities;
/// let caps = Capabilities::default().with_max_tasks(NonZeroUsize::new(4).unwrap());
/// assert_eq!(caps.max_tasks(), NonZeroUsize::new(4));
/// assert_eq!(caps.max_open_fds().get(), 1024);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[must_use]
pub struct Capabilities {
    max_tasks: Option<NonZeroUsize>,
    max_open_fds: NonZeroUsize,
}

impl Capabilities {
    /// The default limit on open fds (stdio and preopens included).
    pub const DEFAULT_MAX_OPEN_FDS: NonZeroUsize = NonZeroUsize::new(1024).unwrap();

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

    /// The maximum number of the environment's tasks running at once, if
    /// one was set.
    pub fn max_tasks(&self) -> Option<NonZeroUsize> {
        self.max_tasks
    }

    /// The maximum number of fds open at once.
    pub fn max_open_fds(&self) -> NonZeroUsize {
        self.max_open_fds
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            max_tasks: None,
            max_open_fds: Self::DEFAULT_MAX_OPEN_FDS,
        }
    }
}
