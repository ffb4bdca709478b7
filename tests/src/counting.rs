//! Counting allocator calls, the way the grader proves reuse.
//!
//! A process that runs checks installs `stats_alloc`'s counting allocator as its global allocator:
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: &stats_alloc::StatsAlloc<std::alloc::System> = &pool_checks::counting::COUNTING;
//! ```
//!
//! and the checks then ask it, not the pool, how many times the allocator was called. The counts
//! are process-wide: measure single-threaded code, or code whose other threads are idle.

use crate::check::Failure;
use stats_alloc::{Region, Stats, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;

/// The counting allocator that check processes install as their global allocator.
pub static COUNTING: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// What the allocator saw while some code ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocatorCalls {
    /// Calls that obtained memory: `alloc`, `alloc_zeroed` and `realloc` (a regrowth counts).
    pub allocations: usize,
    /// Calls that gave memory back: `dealloc`.
    pub frees: usize,
    /// Bytes obtained (a realloc that grows a block counts its growth).
    pub bytes_allocated: usize,
    /// Bytes given back (a realloc that shrinks a block counts its shrinkage).
    pub bytes_freed: usize,
}

impl AllocatorCalls {
    fn from_stats(stats: Stats) -> Self {
        // stats_alloc already adds a realloc's growth to `bytes_allocated` (and its shrinkage to
        // `bytes_deallocated`); a realloc counts here as one more call that obtained memory.
        AllocatorCalls {
            allocations: stats.allocations + stats.reallocations,
            frees: stats.deallocations,
            bytes_allocated: stats.bytes_allocated,
            bytes_freed: stats.bytes_deallocated,
        }
    }

    /// Bytes allocated and not yet freed (negative when more was freed than allocated).
    pub fn net_bytes(&self) -> i64 {
        self.bytes_allocated as i64 - self.bytes_freed as i64
    }
}

/// Runs `work` and returns its result with the allocator calls made meanwhile (by any thread).
pub fn count_allocations<T>(work: impl FnOnce() -> T) -> (T, AllocatorCalls) {
    let region = Region::new(COUNTING);
    let result = work();
    let change = region.change();
    (result, AllocatorCalls::from_stats(change))
}

/// Proves that the counting allocator really is this process's global allocator. Without it every
/// count reads zero and every "allocates nothing" check would pass: a check that cannot fail.
pub fn ensure_counting() -> Result<(), Failure> {
    let (_, calls) = count_allocations(|| std::hint::black_box(Box::new(0x5eed_u64)));
    if calls.allocations == 0 {
        return Err(Failure::new(
            "the counting allocator (stats_alloc) to see a test allocation",
            "no allocation counted: this process did not install pool_checks::counting::COUNTING \
             as its #[global_allocator] (a bug in whatever runs the checks, not in your pool)",
        ));
    }
    Ok(())
}
