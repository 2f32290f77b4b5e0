//! Locking a mutex whose data stays usable after a holder panicked.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, ignoring poisoning. Every mutex of this crate guards data
/// its critical sections leave whole (finished modules in the cache, a
/// push or pop of free pool slots, the interrupt handle's and thread
/// group's bookkeeping), so a holder that panicked left nothing
/// half-written behind, and the host keeps going instead of panicking too.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
