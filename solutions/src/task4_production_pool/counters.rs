//! The production pool's counters, by name: which of the per-thread counters beside each
//! thread's slot ([`TieredStore`]) holds which metric. A bump is a plain load and store on the
//! calling thread's own counter; a snapshot sums every thread's.

use super::admission::Limits;
use crate::tiered_store::{Local, TieredStore};

/// A counter of the production pool.
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
}

impl Counter {
    /// Adds `amount` to this counter, on the thread of `local`.
    #[inline]
    pub fn add(self, local: &Local<'_, Limits>, amount: u64) {
        local.add(self as usize, amount);
    }

    /// This counter, summed over every thread.
    pub fn sum(self, store: &TieredStore<Limits>) -> u64 {
        store.sum(self as usize)
    }
}
