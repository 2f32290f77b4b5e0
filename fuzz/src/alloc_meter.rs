//! Counts the host memory the calling thread allocates, so oracles can bound
//! what one host call costs.
//!
//! [`Meter`] is this crate's global allocator: it forwards every request to
//! the system allocator and keeps, per thread, the bytes the thread has
//! allocated minus those it has freed, and the highest that count reached
//! since [`Meter::reset_peak`]. Per thread, so tests running in parallel do
//! not see each other's allocations. Memory freed on another thread than
//! the one that allocated it shows as growth on the first and shrinkage on
//! the second; the oracles measure single-threaded calls.
//!
//! This module holds the crate's only `unsafe` code: the `GlobalAlloc`
//! methods, which forward to [`System`] under the caller's contract.

#![allow(
    unsafe_code,
    reason = "a GlobalAlloc is unsafe to implement; it forwards to System"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    /// Bytes this thread allocated minus bytes it freed.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// The highest `LIVE` since the last `reset_peak`.
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// The global allocator of the fuzz crate: the system allocator, counted
/// per thread.
#[derive(Debug)]
pub struct Meter;

impl Meter {
    /// Bytes the calling thread holds (allocated minus freed), since it
    /// started.
    pub fn live() -> isize {
        LIVE.try_with(Cell::get).unwrap_or(0)
    }

    /// Makes the current count the peak, and returns it.
    pub fn reset_peak() -> isize {
        let live = Self::live();
        let _ = PEAK.try_with(|peak| peak.set(live));
        live
    }

    /// The highest count since the last [`reset_peak`](Self::reset_peak).
    pub fn peak() -> isize {
        PEAK.try_with(Cell::get).unwrap_or(0)
    }

    fn grew(bytes: usize) {
        let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
        // `try_with`: allocations during thread teardown are not counted.
        let _ = LIVE.try_with(|live| {
            let now = live.get().saturating_add(bytes);
            live.set(now);
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
        });
    }

    fn shrank(bytes: usize) {
        let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
        let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes)));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are this allocator's; the counting
// touches only const-initialised thread-locals without destructors, which
// neither allocate nor unwind.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's `layout` contract is `System::alloc`'s.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            Self::grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            Self::grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator, that is by
        // `System`, with `layout` (the caller's contract).
        unsafe { System.dealloc(ptr, layout) };
        Self::shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`, and `new_size`
        // meets `realloc`'s contract (the caller's).
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            Self::grew(new_size);
            Self::shrank(layout.size());
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_this_threads_allocations_and_peak() {
        let before = Meter::reset_peak();
        let big = vec![1u8; 1 << 20];
        assert!(Meter::live() - before >= 1 << 20);
        drop(big);
        assert!(Meter::live() - before < 1 << 10);
        assert!(Meter::peak() - before >= 1 << 20);
        // Another thread's allocations do not count here.
        let base = Meter::reset_peak();
        std::thread::spawn(|| vec![0u8; 1 << 22])
            .join()
            .map(drop)
            .ok();
        assert!(Meter::peak() - base < 1 << 20, "{}", Meter::peak() - base);
    }
}
