//! # Task 3: the measurement toolkit
//!
//! TODO: build the two tools every claim about a pool rests on. The grader uses the same method
//! for its success criteria (docs/measurement.md, "How the ratios are measured"), and checks yours against
//! work whose answer is known.
//!
//! 1. `count_allocations(work)`: how many allocator calls `work` made. Take a
//!    `stats_alloc::Region::new(&stats_alloc::INSTRUMENTED_SYSTEM)` before running it and read
//!    `region.change()` after. The calls that obtained memory are `allocations` plus
//!    `reallocations` (a `Vec` that grows reallocates); report those, and `bytes_allocated`.
//!    The grader's process installs the counting allocator for you. Graded by `measure-count`:
//!    37 boxes must count 37, arithmetic 0, and a `Vec` pushed past its capacity 2.
//! 2. `throughput_ratio(baseline, candidate, rounds)`: how many times faster `candidate` runs.
//!    One timing of each side would lie, and so would many timings by the wall clock: on a
//!    laptop with an editor and rust-analyzer busy, your thread is preempted for milliseconds
//!    at a time, and the longer side absorbs more of those pauses, so the ratio comes out
//!    *biased*, not merely noisy. Measure the way the grader does:
//!    - time by the **thread's CPU time** (`cpu_time::ThreadTime::now()` and `.elapsed()`, a
//!      dependency this crate already has): time spent preempted does not count;
//!    - warm both sides up (a couple of runs each), then find, for **each side**, how many
//!      repetitions make a **short slice** of about half a millisecond (long beside the clock's
//!      resolution, short beside the scheduler's time slice);
//!    - in each round, time a few slices of each side (say 5), alternating which goes first,
//!      and keep each side's **fastest** slice: a slice can be slowed by a cache another
//!      program flushed, never sped up, so the fastest is the work's own cost;
//!    - the round's ratio is the baseline's time per run over the candidate's; return the
//!      **median** of the rounds' ratios, which one disturbed round cannot move.
//!
//!    Graded by `measure-ratio`: half the work must measure about 2x, the same work about 1x,
//!    four times the work about 0.25x; a result just outside a range is measured once more
//!    with more rounds before it fails. The check does what a busy laptop does, on purpose:
//!    before every run of the baseline it gives your thread's processor to another thread for
//!    a millisecond. A wall clock (`Instant`) counts that millisecond and reads the baseline
//!    several times slower than it is, in every slice; the thread's CPU time does not count it.
//!    You need not keep your thread on one processor: the check keeps it on one before it
//!    calls you.
//!
//! What the checks cannot see: whether you would trust your own numbers. Run the criterion
//! benchmark in `exercises/benches/pools.rs` (`cargo bench -p exercises`) and compare.

use pool_contract::task3::AllocationCount;

/// Runs `work` and counts the allocator calls that obtained memory and the bytes they obtained.
pub fn count_allocations(work: impl FnOnce()) -> AllocationCount {
    let _ = work;
    todo!("count the allocator calls of one run of `work` with a stats_alloc Region")
}

/// How many times faster `candidate` runs than `baseline`: the median over `rounds` rounds of
/// the baseline's fastest slice over the candidate's, per run, by the thread's CPU time.
pub fn throughput_ratio(baseline: impl FnMut(), candidate: impl FnMut(), rounds: usize) -> f64 {
    let _ = (baseline, candidate);
    todo!("measure {rounds} interleaved rounds and return the median ratio")
}
