//! The production pool's counters, by name: which slot of the per-thread counter set
//! ([`ThreadCounters`]) holds which metric.

use crate::thread_counters::{Bump, ThreadCounters};

/// A counter (or, for `BytesRetained`, a gauge kept as one) of the production pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Gets served from an idle buffer.
    Hits,
    /// Gets that needed a new buffer.
    Misses,
    /// Buffers given back.
    Returns,
    /// Returned buffers dropped as oversized.
    DroppedOversized,
    /// Returned buffers dropped because the pool was full.
    DroppedFull,
    /// Idle buffers freed by trim or shrink_to.
    DroppedTrimmed,
    /// Gets served outside the pool's limits.
    Degraded,
    /// Gets refused at a limit.
    Rejected,
    /// A gauge: capacity of the idle buffers, in bytes.
    BytesRetained,
}

impl Counter {
    /// Its slot in the counter set (the declaration order).
    fn slot(self) -> usize {
        self as usize
    }
}

/// The pool's counters: a bump is a plain store on this thread's own slots.
#[derive(Default)]
pub struct Counters(ThreadCounters);

impl Counters {
    /// Bumps several counters at once (one look-up of this thread's slots).
    #[inline]
    pub fn update(&self, bump: impl FnOnce(&CounterBump<'_, '_>)) {
        self.0.update(|slots| bump(&CounterBump(slots)));
    }

    /// Adds `amount` to one counter.
    #[inline]
    pub fn add(&self, counter: Counter, amount: u64) {
        self.update(|bump| bump.add(counter, amount));
    }

    /// The sum over every thread.
    pub fn sum(&self, counter: Counter) -> u64 {
        self.0.sum(counter.slot())
    }
}

/// This thread's counters, while [`Counters::update`] runs.
pub struct CounterBump<'slots, 'set>(&'slots Bump<'set>);

impl CounterBump<'_, '_> {
    /// Adds `amount` to `counter`.
    #[inline]
    pub fn add(&self, counter: Counter, amount: u64) {
        self.0.add(counter.slot(), amount);
    }

    /// Subtracts `amount` from `counter` (a gauge).
    #[inline]
    pub fn sub(&self, counter: Counter, amount: u64) {
        self.0.sub(counter.slot(), amount);
    }
}
