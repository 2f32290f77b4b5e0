//! How a guest run ended: by itself, or stopped by a limit.

use crate::interrupt::StopReason;

/// How a guest run ended: by itself (exit or signal), or stopped by one of
/// its limits or its interrupt handle. Host errors are not statuses; they
/// are [`LaunchError`](crate::LaunchError)s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// `proc_exit(code)`, or code 0 when `_start` returned.
    Exited(u32),
    /// `proc_raise(signal)` with a signal whose default action ends the
    /// process.
    Signaled(u8),
    /// A limit (fuel, timeout, stack) or the interrupt handle stopped the
    /// guest. Everything it wrote before was flushed.
    Stopped(StopReason),
}

impl ExitStatus {
    /// The status as a process exit code: the guest's code, or 128 plus the
    /// signal number, as a shell reports a process killed by a signal; a
    /// stopped guest is 134 (128 + SIGABRT), as for a trap.
    pub fn code(self) -> i32 {
        match self {
            // Exit codes are u32 in preview1; the host truncates as POSIX does.
            ExitStatus::Exited(code) => code as i32,
            ExitStatus::Signaled(sig) => 128 + i32::from(sig),
            ExitStatus::Stopped(_) => 134,
        }
    }

    /// Whether the guest exited with code 0.
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }
}
