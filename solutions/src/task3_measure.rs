//! Task 3: the measurement toolkit, the two tools every claim about a pool rests on.
//!
//! - [`count_allocations`]: how many times the allocator was called while some code ran, counted
//!   by `stats_alloc`'s counting allocator (the process must install it as its global allocator;
//!   the grader does).
//! - [`throughput_ratio`]: how many times faster a candidate runs than a baseline, measured so
//!   that a noisy shared machine cannot fake the answer: warm-up, enough repetitions per round to
//!   take milliseconds, interleaved rounds alternating which side goes first, and the median of
//!   the rounds' ratios.

use pool_checks::task3::AllocationCount;
use stats_alloc::{Region, INSTRUMENTED_SYSTEM};
use std::time::{Duration, Instant};

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

/// How long one side of one round should run at least.
const ROUND_TARGET: Duration = Duration::from_millis(2);

/// How many times faster `candidate` runs than `baseline`: the median over `rounds` interleaved
/// rounds of baseline time / candidate time.
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
    let repeats = repeats_for(&mut baseline);
    let mut ratios: Vec<f64> = (0..rounds.max(1))
        .map(|round| {
            // Alternate which side runs first, so that neither always gets the warmer machine.
            let (base, cand) = if round % 2 == 0 {
                let base = time(&mut baseline, repeats);
                (base, time(&mut candidate, repeats))
            } else {
                let cand = time(&mut candidate, repeats);
                (time(&mut baseline, repeats), cand)
            };
            base.as_secs_f64() / cand.as_secs_f64().max(1e-9)
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

/// How many runs of `work` take at least `ROUND_TARGET`.
fn repeats_for(work: &mut impl FnMut()) -> u32 {
    let mut repeats = 1u32;
    while repeats < 1 << 20 {
        let took = time(work, repeats);
        if took >= ROUND_TARGET {
            break;
        }
        repeats *= 2;
    }
    repeats
}

fn time(work: &mut impl FnMut(), repeats: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..repeats {
        work();
    }
    start.elapsed()
}
