//! A counter that many threads can bump without contending: one of the workshop's techniques for
//! monitoring that stays cheap (Task 2's waste figures, Task 4's metrics).
//!
//! A single `AtomicU64` bumped by every thread is correct but slow under load: each bump takes
//! the cache line away from the other cores (measured: a size-class pool's get+return went from
//! 27 ns on one thread to over 600 ns per thread on two, mostly for its two shared counters).
//! Here each thread bumps one of several counters, each on a cache line of its own, and a read
//! adds them up. Reads are exact once writers are done; during writes they are a consistent sum
//! of what had landed.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// How many shards. More than the cores of most machines, few enough to sum quickly.
const SHARDS: usize = 16;

/// One counter on a cache line of its own (128 bytes: adjacent-line prefetching pairs lines).
#[repr(align(128))]
#[derive(Default)]
struct Padded(AtomicU64);

/// A counter sharded by thread. See the module docs.
#[derive(Default)]
pub struct ShardedCounter {
    shards: [Padded; SHARDS],
}

thread_local! {
    /// This thread's shard, assigned round-robin on first use.
    static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn this_threads_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    // During thread teardown the thread-local may be gone: any shard is correct, only slower.
    SHARD
        .try_with(|shard| {
            if shard.get() == usize::MAX {
                shard.set(NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS);
            }
            shard.get()
        })
        .unwrap_or(0)
}

impl ShardedCounter {
    /// Adds `amount`.
    #[inline]
    pub fn add(&self, amount: u64) {
        self.shards[this_threads_shard()]
            .0
            .fetch_add(amount, Ordering::Relaxed);
    }

    /// Subtracts `amount`, for a gauge: a shard may wrap below zero, the sum does not (as long as
    /// the true total does not).
    #[inline]
    pub fn sub(&self, amount: u64) {
        self.shards[this_threads_shard()]
            .0
            .fetch_sub(amount, Ordering::Relaxed);
    }

    /// The sum of everything added (less everything subtracted).
    pub fn sum(&self) -> u64 {
        self.shards.iter().fold(0u64, |sum, shard| {
            sum.wrapping_add(shard.0.load(Ordering::Relaxed))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_up_across_threads() {
        let counter = ShardedCounter::default();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..1000 {
                        counter.add(3);
                    }
                });
            }
        });
        assert_eq!(counter.sum(), 8 * 1000 * 3);
    }

    #[test]
    fn a_gauge_goes_up_on_one_thread_and_down_on_another() {
        let gauge = ShardedCounter::default();
        gauge.add(100);
        std::thread::scope(|scope| {
            scope.spawn(|| gauge.sub(60));
        });
        assert_eq!(gauge.sum(), 40);
    }
}
