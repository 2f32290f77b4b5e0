//! One fuel budget per environment, shared by all of its threads.
//!
//! A metered module counts its fuel in a global of each instance (see
//! `metering`): every thread of a threaded guest is an instance of its own,
//! so each has its own counter. The budget itself lives here, in the
//! environment's [`FuelBank`]: counters start empty and *draw* from the
//! bank. When a counter cannot pay for the next basic block, the compiled
//! code asks the bank for more (a refill request, see [`refill_request`]);
//! the bank grants a slice, or what it has left, and when that is not enough
//! the instance runs out of fuel and the environment stops with
//! [`StopReason::FuelExhausted`](crate::StopReason::FuelExhausted). A thread
//! that returns gives what is left in its counter back to the bank.
//!
//! So the fuel all threads use together never exceeds the budget, and a
//! single-threaded guest gets exactly the budget, as when the counter held
//! all of it. With threads, the environment stops when a thread needs more
//! than the bank has left, while other threads may still hold part of a
//! slice in their counters: at most one [`slice`](FuelBank::slice) per
//! other running thread goes unused.
//!
//! The refill request is a `memory.grow` of memory 0 whose page count
//! carries [`REFILL_TAG`] in its top byte and the block's cost below it: no
//! memory can grow by that much, so the request cannot be mistaken for a
//! real growth, and only the environment's own memories (which know the
//! bank) answer it with the fuel granted, as the "old size" `memory.grow`
//! returns. Any other memory fails the grow (-1), which the code takes as
//! no fuel. A guest issuing such a grow itself only moves fuel from the
//! bank into nowhere.

use std::sync::atomic::{AtomicU64, Ordering};

/// The top byte of a refill request's page count.
pub(crate) const REFILL_TAG: u32 = 0xB7 << 24;

/// The most fuel one request may ask for (the cost of one basic block, in
/// the request's low 24 bits). wasm bodies are at most about 7.6 MB, so no
/// block costs more; a block above it is compiled without refills.
pub(crate) const MAX_REFILL_COST: u64 = (1 << 24) - 1;

/// The fewest units of a slice: refills happen at most every this many
/// operators.
const MIN_SLICE: u64 = 4096;

/// The most units of a slice (about 16 million operators, some
/// milliseconds of wasm), so that a refill's value fits the i32 that
/// `memory.grow` returns and other threads find fuel left.
const MAX_SLICE: u64 = 1 << 24;

/// The page count of the refill request for a block costing `cost`
/// ([`MAX_REFILL_COST`] at most).
pub(crate) fn refill_request(cost: u64) -> u32 {
    // In range: the caller checked `cost <= MAX_REFILL_COST`.
    REFILL_TAG | (cost.min(MAX_REFILL_COST) as u32)
}

/// The cost a `memory.grow` by `delta` pages asks fuel for, if it is a
/// refill request.
pub(crate) fn refill_cost(delta: u32) -> Option<u64> {
    (delta & 0xFF00_0000 == REFILL_TAG).then_some(u64::from(delta & 0x00FF_FFFF))
}

/// An environment's fuel budget: what its instances' counters have not
/// drawn yet.
#[derive(Debug)]
pub(crate) struct FuelBank {
    budget: u64,
    left: AtomicU64,
    slice: u64,
}

impl FuelBank {
    /// A bank holding `budget` units.
    pub(crate) fn new(budget: u64) -> Self {
        Self {
            budget,
            left: AtomicU64::new(budget),
            slice: (budget / 64).clamp(MIN_SLICE, MAX_SLICE),
        }
    }

    /// The fuel not drawn by any counter.
    pub(crate) fn left(&self) -> u64 {
        self.left.load(Ordering::Acquire)
    }

    /// How much a refill grants at least (while the bank has it): a
    /// sixty-fourth of the budget, between 4,096 and 2^24 units.
    pub(crate) fn slice(&self) -> u64 {
        self.slice
    }

    /// Draws up to `want` units; returns what was drawn.
    pub(crate) fn draw(&self, want: u64) -> u64 {
        let mut drawn = 0;
        // The closure never returns `None`, so the update always succeeds.
        let _ = self
            .left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                drawn = left.min(want);
                Some(left - drawn)
            });
        drawn
    }

    /// Answers a refill request for a block costing `cost`: a slice (or
    /// the cost, if larger), or all that is left when that is less.
    pub(crate) fn refill(&self, cost: u64) -> u64 {
        self.draw(self.slice.max(cost))
    }

    /// Puts `unused` units back (a thread's counter when it ends).
    pub(crate) fn give_back(&self, unused: u64) {
        let _ = self
            .left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                Some(left.saturating_add(unused).min(self.budget))
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refill_requests_round_trip_and_ordinary_grows_are_not_requests() {
        for cost in [0, 1, 4096, MAX_REFILL_COST] {
            assert_eq!(refill_cost(refill_request(cost)), Some(cost));
        }
        for delta in [0, 1, 65_536, u32::MAX, 0x7FFF_FFFF, 0xB600_0000] {
            assert_eq!(refill_cost(delta), None, "{delta:#x}");
        }
        // A request can never be a growth wasm32 allows (65,536 pages).
        assert!(refill_request(0) > 65_536);
    }

    #[test]
    fn a_bank_grants_slices_then_what_is_left_and_never_more_than_its_budget() {
        let bank = FuelBank::new(100_000);
        assert_eq!(bank.slice(), MIN_SLICE);
        assert_eq!(bank.refill(10), MIN_SLICE);
        // A block dearer than a slice gets its cost.
        assert_eq!(bank.refill(50_000), 50_000);
        assert_eq!(bank.left(), 100_000 - MIN_SLICE - 50_000);
        assert_eq!(bank.draw(u64::MAX), 100_000 - MIN_SLICE - 50_000);
        assert_eq!(bank.refill(1), 0);
        bank.give_back(7);
        assert_eq!(bank.refill(1), 7);
        bank.give_back(u64::MAX);
        assert_eq!(bank.left(), 100_000);
        assert_eq!(FuelBank::new(u64::MAX).slice(), MAX_SLICE);
    }

    #[test]
    fn concurrent_draws_take_exactly_the_budget() {
        let bank = std::sync::Arc::new(FuelBank::new(1_000_003));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let bank = std::sync::Arc::clone(&bank);
                std::thread::spawn(move || {
                    let mut got = 0;
                    loop {
                        match bank.refill(3) {
                            0 => return got,
                            n => got += n,
                        }
                    }
                })
            })
            .collect();
        let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(total, 1_000_003);
    }
}
