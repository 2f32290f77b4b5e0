//! What an environment's linear memories answer to beyond wasmer: its
//! memory total ([`MemoryBudget`]) and its fuel bank.
//!
//! The engine tunables of an environment with either wrap every memory
//! they make (the module's own, pooled or not, and the shared memory of a
//! threaded guest) in an [`EnvMemory`], which forwards everything to the
//! memory it wraps except growth:
//!
//! - a growth is first taken out of the environment's memory total; past
//!   it, `memory.grow` returns -1 as at a memory's maximum;
//! - a fuel refill request (a `memory.grow` tagged as `fuel.rs` says) is
//!   answered from the environment's fuel bank and grows nothing.
//!
//! A shared memory is one memory for every thread: each thread's instance
//! gets its own `EnvMemory` over a clone of it ([`LinearMemory::try_clone`]),
//! and all of them share one [`Account`] of what the memory took from the
//! total, given back when the last of them is dropped.
//!
//! This module holds `unsafe` code: [`LinearMemory`]'s two `unsafe`
//! methods, forwarded to the wrapped memory under the same contract.

#![allow(
    unsafe_code,
    reason = "forwards LinearMemory's unsafe methods to the wrapped memory"
)]

use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use wasmer::sys::vm::{
    LinearMemory, MemoryError, MemoryStyle, Trap, VMMemoryDefinition, VMSharedMemory,
};
use wasmer::{MemoryType, Pages};
use wasmer_vm::{ExpectedValue, ThreadConditions, WaiterError};

use crate::fuel::{FuelBank, refill_cost};
use crate::tunables::{MAX_WASM32_PAGES, PAGE_BYTES, TABLE_ELEMENT_BYTES};

/// The most bytes of linear memory and table elements one environment
/// may hold at once, across all its memories and all its threads'
/// instances.
#[derive(Debug)]
pub(crate) struct MemoryBudget {
    limit: u64,
    used: AtomicU64,
}

impl MemoryBudget {
    pub(crate) fn new(limit: u64) -> Self {
        Self {
            limit,
            used: AtomicU64::new(0),
        }
    }

    /// The total.
    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }

    /// Takes `bytes` out of the total; `false` (and nothing taken) when
    /// they do not fit.
    pub(crate) fn try_reserve(&self, bytes: u64) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    /// Gives `bytes` back.
    pub(crate) fn release(&self, bytes: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                Some(used.saturating_sub(bytes))
            });
    }

    /// Takes `bytes` out of the total until the returned guard is dropped
    /// (an instance's tables); `None` when they do not fit.
    pub(crate) fn reserve(self: &Arc<Self>, bytes: u64) -> Option<Reserved> {
        self.try_reserve(bytes).then(|| Reserved {
            budget: Arc::clone(self),
            bytes,
        })
    }

    /// The bytes held now.
    #[cfg(test)]
    pub(crate) fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }
}

/// Bytes taken out of a [`MemoryBudget`], given back when dropped.
#[derive(Debug)]
pub(crate) struct Reserved {
    budget: Arc<MemoryBudget>,
    bytes: u64,
}

impl Drop for Reserved {
    fn drop(&mut self) {
        self.budget.release(self.bytes);
    }
}

/// The environment total `wasi-run` (and the containerd shim) apply when
/// none is given: one memory at its limit (`per_memory`, or the 4 GiB a
/// 32-bit memory can have) plus one instance's tables at
/// [`MAX_TABLE_ELEMENTS`](crate::MAX_TABLE_ELEMENTS). So a guest limited to
/// small memories cannot make the host hold much more through many memories,
/// or through the tables of many threads.
pub fn default_total_memory(per_memory: Option<u64>) -> u64 {
    let memory = per_memory.unwrap_or(u64::from(MAX_WASM32_PAGES) * PAGE_BYTES);
    memory.saturating_add(u64::from(crate::MAX_TABLE_ELEMENTS) * TABLE_ELEMENT_BYTES)
}

/// What one environment's memories are wrapped with.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemoryHooks {
    pub(crate) budget: Option<Arc<MemoryBudget>>,
    pub(crate) fuel: Option<Arc<FuelBank>>,
}

impl MemoryHooks {
    /// Whether there is anything to wrap memories with.
    pub(crate) fn is_empty(&self) -> bool {
        self.budget.is_none() && self.fuel.is_none()
    }
}

/// What one memory took out of the memory total, given back on drop.
#[derive(Debug)]
struct Account {
    budget: Option<Arc<MemoryBudget>>,
    reserved: AtomicU64,
}

impl Drop for Account {
    fn drop(&mut self) {
        if let Some(budget) = &self.budget {
            budget.release(self.reserved.load(Ordering::Acquire));
        }
    }
}

/// A linear memory of an environment; see the module docs.
#[derive(Debug)]
pub(crate) struct EnvMemory {
    inner: Box<dyn LinearMemory + Send + Sync + 'static>,
    account: Arc<Account>,
    fuel: Option<Arc<FuelBank>>,
}

impl EnvMemory {
    /// Wraps `inner`, taking its current size out of the memory total.
    pub(crate) fn wrap(
        inner: Box<dyn LinearMemory + Send + Sync + 'static>,
        hooks: &MemoryHooks,
    ) -> Result<Self, MemoryError> {
        let bytes = u64::from(inner.size().0) * PAGE_BYTES;
        if let Some(budget) = &hooks.budget
            && !budget.try_reserve(bytes)
        {
            return Err(MemoryError::Generic(format!(
                "a memory of {bytes} bytes is over what is left of the environment's memory total of {} bytes",
                budget.limit()
            )));
        }
        Ok(Self {
            inner,
            account: Arc::new(Account {
                budget: hooks.budget.clone(),
                reserved: AtomicU64::new(bytes),
            }),
            fuel: hooks.fuel.clone(),
        })
    }
}

impl LinearMemory for EnvMemory {
    fn ty(&self) -> MemoryType {
        self.inner.ty()
    }

    fn size(&self) -> Pages {
        self.inner.size()
    }

    fn style(&self) -> MemoryStyle {
        self.inner.style()
    }

    fn grow(&mut self, delta: Pages) -> Result<Pages, MemoryError> {
        let refused = || MemoryError::CouldNotGrow {
            current: self.inner.size(),
            attempted_delta: delta,
        };
        if let Some(cost) = refill_cost(delta.0) {
            let bank = self.fuel.as_ref().ok_or_else(refused)?;
            // At most 2^24: the answer fits the i32 `memory.grow` returns.
            let granted = u32::try_from(bank.refill(cost)).unwrap_or(0);
            return Ok(Pages(granted));
        }
        let bytes = u64::from(delta.0) * PAGE_BYTES;
        if let Some(budget) = &self.account.budget
            && !budget.try_reserve(bytes)
        {
            return Err(refused());
        }
        match self.inner.grow(delta) {
            Ok(previous) => {
                self.account.reserved.fetch_add(bytes, Ordering::AcqRel);
                Ok(previous)
            }
            Err(e) => {
                if let Some(budget) = &self.account.budget {
                    budget.release(bytes);
                }
                Err(e)
            }
        }
    }

    fn vmmemory(&self) -> NonNull<VMMemoryDefinition> {
        self.inner.vmmemory()
    }

    fn try_clone(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        Ok(Box::new(Self {
            inner: self.inner.try_clone()?,
            account: Arc::clone(&self.account),
            fuel: self.fuel.clone(),
        }))
    }

    unsafe fn initialize_with_data(&self, start: usize, data: &[u8]) -> Result<(), Trap> {
        // SAFETY: the caller's contract (wasmer's, for initialising memory
        // from data segments) is passed on unchanged to the memory that
        // owns the bytes.
        unsafe { self.inner.initialize_with_data(start, data) }
    }

    fn copy(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        // A copy is a memory of its own, outside this environment's
        // accounts (wasmer copies memories only when asked by the host).
        self.inner.copy()
    }

    fn as_shared(&self) -> Result<VMSharedMemory, MemoryError> {
        self.inner.as_shared()
    }

    unsafe fn do_wait(
        &mut self,
        dst: u32,
        expected: ExpectedValue,
        timeout: Option<Duration>,
    ) -> Result<u32, WaiterError> {
        // SAFETY: the caller's contract (a valid, aligned offset in this
        // memory) holds for the wrapped memory, which is the same memory.
        unsafe { self.inner.do_wait(dst, expected, timeout) }
    }

    fn do_notify(&mut self, dst: u32, count: u32) -> u32 {
        self.inner.do_notify(dst, count)
    }

    fn thread_conditions(&self) -> Option<&ThreadConditions> {
        self.inner.thread_conditions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuel::refill_request;
    use wasmer::sys::vm::VMOwnedMemory;

    fn owned(pages: u32, max: u32) -> Box<dyn LinearMemory + Send + Sync + 'static> {
        let ty = MemoryType::new(pages, Some(max), false);
        let style = MemoryStyle::Dynamic {
            offset_guard_size: 0,
        };
        Box::new(VMOwnedMemory::new(&ty, &style).unwrap())
    }

    #[test]
    fn growth_is_taken_from_the_total_and_given_back_on_drop() {
        let budget = Arc::new(MemoryBudget::new(3 * PAGE_BYTES));
        let hooks = MemoryHooks {
            budget: Some(Arc::clone(&budget)),
            fuel: None,
        };
        let mut a = EnvMemory::wrap(owned(1, 10), &hooks).unwrap();
        assert_eq!(budget.used(), PAGE_BYTES);
        assert_eq!(a.grow(Pages(1)).unwrap(), Pages(1));
        assert_eq!(budget.used(), 2 * PAGE_BYTES);
        // Two more pages do not fit the total of three.
        assert!(a.grow(Pages(2)).is_err());
        assert_eq!(budget.used(), 2 * PAGE_BYTES);
        assert_eq!(a.size(), Pages(2));
        // A second memory gets what is left, and no more.
        assert!(EnvMemory::wrap(owned(2, 10), &hooks).is_err());
        let b = EnvMemory::wrap(owned(1, 10), &hooks).unwrap();
        assert_eq!(budget.used(), 3 * PAGE_BYTES);
        drop(b);
        drop(a);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_failed_growth_gives_its_reservation_back() {
        let budget = Arc::new(MemoryBudget::new(100 * PAGE_BYTES));
        let hooks = MemoryHooks {
            budget: Some(Arc::clone(&budget)),
            fuel: None,
        };
        let mut a = EnvMemory::wrap(owned(1, 2), &hooks).unwrap();
        // Past the memory's own maximum.
        assert!(a.grow(Pages(5)).is_err());
        assert_eq!(budget.used(), PAGE_BYTES);
    }

    #[test]
    fn refill_requests_are_answered_from_the_bank_and_grow_nothing() {
        let bank = Arc::new(FuelBank::new(10_000));
        let hooks = MemoryHooks {
            budget: None,
            fuel: Some(Arc::clone(&bank)),
        };
        let mut a = EnvMemory::wrap(owned(1, 10), &hooks).unwrap();
        assert_eq!(a.grow(Pages(refill_request(5))).unwrap(), Pages(4096));
        assert_eq!(a.grow(Pages(refill_request(9000))).unwrap(), Pages(5904));
        assert_eq!(a.grow(Pages(refill_request(1))).unwrap(), Pages(0));
        assert_eq!(a.size(), Pages(1));
        // Without a bank a request is a failed growth, as for any memory.
        let mut b = EnvMemory::wrap(owned(1, 10), &MemoryHooks::default()).unwrap();
        assert!(b.grow(Pages(refill_request(5))).is_err());
    }
}
