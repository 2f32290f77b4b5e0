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

    /// The status as the one byte a process's parent sees: [`code`](Self::code)
    /// when it fits in a byte, else 255, so that no failing code (256, say)
    /// wraps to success.
    pub fn process_status(self) -> u8 {
        u8::try_from(self.code()).unwrap_or(u8::MAX)
    }

    /// Whether the guest exited with code 0.
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_status_never_wraps_a_failing_code_to_success() {
        assert_eq!(ExitStatus::Exited(0).process_status(), 0);
        assert_eq!(ExitStatus::Exited(7).process_status(), 7);
        assert_eq!(ExitStatus::Exited(255).process_status(), 255);
        assert_eq!(ExitStatus::Exited(256).process_status(), 255);
        assert_eq!(ExitStatus::Exited(u32::MAX).process_status(), 255);
        assert_eq!(ExitStatus::Signaled(15).process_status(), 143);
        assert_eq!(
            ExitStatus::Stopped(StopReason::Interrupted).process_status(),
            134
        );
    }
}
