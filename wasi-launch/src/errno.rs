//! Errno values returned to the guest, and the result type host functions use.
//!
//! A host function returns an [`Errno`] for every failure the guest can see
//! (a bad pointer, a closed fd, an unknown clock). Traps are kept for
//! `proc_exit` and broken host invariants; they are not errnos.
//!
//! [`Errno`] is `wasmer_wasix_types::wasi::Errno`, which is a WASIX type: it
//! carries three values that are not part of `wasi_snapshot_preview1`
//! (`Shutdown` = 77, `Memviolation` = 78, `Unknown` = 79). A preview1 guest must
//! never see them, so [`to_preview1`] maps them onto preview1 values and
//! [`to_wasm`] applies that mapping before producing the `i32` a host function
//! returns.
//!
//! This module does not decide which errno an operation produces: each host
//! function does. It only holds the shared vocabulary.

pub use wasmer_wasix_types::wasi::Errno;

/// The result of a host-side operation whose failure the guest sees as an errno.
pub type SysResult<T> = Result<T, Errno>;

/// The last errno value defined by `wasi_snapshot_preview1` (`notcapable`, 76).
///
/// Values above it exist only in WASIX.
pub const PREVIEW1_LAST: Errno = Errno::Notcapable;

/// Whether `errno` is defined by `wasi_snapshot_preview1` (values 0 to 76).
pub fn is_preview1(errno: Errno) -> bool {
    u16::from(errno) <= u16::from(PREVIEW1_LAST)
}

/// Maps `errno` onto the closest `wasi_snapshot_preview1` value.
///
/// Preview1 values are returned unchanged. The WASIX extras become:
/// `Shutdown` → `Pipe` (writing to a shut-down stream is EPIPE in POSIX),
/// `Memviolation` → `Fault` (a bad memory access), and `Unknown` or any future
/// WASIX value → `Io`.
pub fn to_preview1(errno: Errno) -> Errno {
    if is_preview1(errno) {
        return errno;
    }
    match errno {
        Errno::Shutdown => Errno::Pipe,
        Errno::Memviolation => Errno::Fault,
        _ => Errno::Io,
    }
}

/// The `i32` a preview1 host function returns for `errno` (after
/// [`to_preview1`]).
pub fn to_wasm(errno: Errno) -> i32 {
    i32::from(u16::from(to_preview1(errno)))
}

/// The `i32` a preview1 host function returns for `result`: 0 on success,
/// otherwise the errno's value (after [`to_preview1`]).
pub fn result_to_wasm(result: SysResult<()>) -> i32 {
    match result {
        Ok(()) => to_wasm(Errno::Success),
        Err(errno) => to_wasm(errno),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guest_memory::MemoryError;

    #[test]
    fn preview1_values_are_unchanged() {
        for raw in 0u16..=76 {
            let errno = Errno::try_from(raw).expect("preview1 value");
            assert!(is_preview1(errno), "{raw}");
            assert_eq!(to_preview1(errno), errno);
            assert_eq!(to_wasm(errno), i32::from(raw));
        }
    }

    #[test]
    fn wasix_extras_are_mapped_to_preview1() {
        assert!(!is_preview1(Errno::Shutdown));
        assert!(!is_preview1(Errno::Memviolation));
        assert!(!is_preview1(Errno::Unknown));
        assert_eq!(to_preview1(Errno::Shutdown), Errno::Pipe);
        assert_eq!(to_preview1(Errno::Memviolation), Errno::Fault);
        assert_eq!(to_preview1(Errno::Unknown), Errno::Io);
        assert_eq!(to_wasm(Errno::Unknown), 29);
    }

    #[test]
    fn known_values() {
        assert_eq!(to_wasm(Errno::Fault), 21);
        assert_eq!(to_wasm(Errno::Nosys), 52);
        assert_eq!(to_wasm(Errno::Again), 6);
        assert_eq!(result_to_wasm(Ok(())), 0);
        assert_eq!(result_to_wasm(Err(Errno::Badf)), 8);
    }

    #[test]
    fn memory_errors_are_efault() {
        let oob = MemoryError::OutOfBounds {
            ptr: 65_535,
            len: 2,
            memory_size: 65_536,
        };
        let overflow = MemoryError::Overflow {
            ptr: u32::MAX,
            len: 2,
        };
        assert_eq!(Errno::from(oob), Errno::Fault);
        assert_eq!(Errno::from(overflow), Errno::Fault);
        assert_eq!(to_wasm(Errno::from(oob)), 21);
    }
}
