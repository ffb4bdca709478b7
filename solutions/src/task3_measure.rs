//! Task 3: the measurement toolkit, the two tools every claim about a pool rests on.
//!
//! - [`count_allocations`]: how many times the allocator was called while some code ran, counted
//!   by `stats_alloc`'s counting allocator (the process must install it as its global allocator;
//!   the grader does).
//! - [`throughput_ratio`]: how many times faster a candidate runs than a baseline, measured so
//!   that a busy machine cannot bias the answer: the thread's CPU time (time spent preempted does
//!   not count), short slices of each side interleaved, each side's fastest slice per round (a
//!   slice can be slowed down by a flushed cache, never sped up), and the median over rounds.
//!   It leaves the thread on whatever processors it may use: keeping it on one (which the
//!   grader's own measurements do) is the caller's choice, and `measure-ratio` makes it before
//!   it calls this.

use pool_contract::task3::AllocationCount;
use stats_alloc::{Region, INSTRUMENTED_SYSTEM};
use std::time::Duration;

/// Runs `work` and counts the allocator calls that obtained memory (`alloc`, `alloc_zeroed` and
/// `realloc`) and the bytes they obtained. Counts are process-wide: keep other threads idle.
pub fn count_allocations(work: impl FnOnce()) -> AllocationCount {
    let region = Region::new(&INSTRUMENTED_SYSTEM);
    work();
    let change = region.change();
    AllocationCount {
        allocations: change.allocations + change.reallocations,
        bytes: change.bytes_allocated,
    }
}

/// How long one slice of one side should take: long beside the clock's resolution, short beside
/// the scheduler's time slice, so that most slices run undisturbed.
const SLICE_TARGET: Duration = Duration::from_micros(500);
/// Slices of each side per round.
const SLICES: usize = 5;

/// How many times faster `candidate` runs than `baseline`: the median over `rounds` rounds of
/// the baseline's fastest slice over the candidate's, per run, by the thread's CPU time.
pub fn throughput_ratio(
    mut baseline: impl FnMut(),
    mut candidate: impl FnMut(),
    rounds: usize,
) -> f64 {
    // Warm-up: caches, branch predictors, the allocator's free lists.
    for _ in 0..2 {
        baseline();
        candidate();
    }
    // Each side its own repeat count, so that both slices are equally long and so equally
    // exposed to whatever the machine does.
    let base_repeats = repeats_for(&mut baseline);
    let cand_repeats = repeats_for(&mut candidate);
    let mut ratios: Vec<f64> = (0..rounds.max(1))
        .map(|round| {
            let mut base_fastest = Duration::MAX;
            let mut cand_fastest = Duration::MAX;
            for slice in 0..SLICES {
                // Alternate which side goes first, so that neither always follows the other.
                if (round + slice) % 2 == 0 {
                    base_fastest = base_fastest.min(cpu_time(&mut baseline, base_repeats));
                    cand_fastest = cand_fastest.min(cpu_time(&mut candidate, cand_repeats));
                } else {
                    cand_fastest = cand_fastest.min(cpu_time(&mut candidate, cand_repeats));
                    base_fastest = base_fastest.min(cpu_time(&mut baseline, base_repeats));
                }
            }
            per_run(base_fastest, base_repeats) / per_run(cand_fastest, cand_repeats)
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    let middle = ratios.len() / 2;
    if ratios.len() % 2 == 1 {
        ratios[middle]
    } else {
        (ratios[middle - 1] + ratios[middle]) / 2.0
    }
}

/// Seconds per run of a slice of `repeats` runs that took `took`.
fn per_run(took: Duration, repeats: u32) -> f64 {
    took.as_secs_f64().max(1e-9) / f64::from(repeats)
}

/// How many runs of `work` make a slice of at least `SLICE_TARGET`.
fn repeats_for(work: &mut impl FnMut()) -> u32 {
    let mut repeats = 1u32;
    while repeats < 1 << 20 && cpu_time(work, repeats) < SLICE_TARGET {
        repeats *= 2;
    }
    repeats
}

/// The CPU time this thread spends running `work` `repeats` times.
fn cpu_time(work: &mut impl FnMut(), repeats: u32) -> Duration {
    let start = cpu_time::ThreadTime::now();
    for _ in 0..repeats {
        work();
    }
    start.elapsed()
}
