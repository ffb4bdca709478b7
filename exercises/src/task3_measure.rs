//! # Task 3: the measurement toolkit
//!
//! TODO: build the two tools every claim about a pool rests on. The grader uses the same method
//! for its success criteria (see `pool_checks::measure`, and README's "How the ratios are
//! measured"), and checks yours against work whose answer is known.
//!
//! 1. `count_allocations(work)`: how many allocator calls `work` made. Take a
//!    `stats_alloc::Region::new(&stats_alloc::INSTRUMENTED_SYSTEM)` before running it and read
//!    `region.change()` after. The calls that obtained memory are `allocations` plus
//!    `reallocations` (a `Vec` that grows reallocates); report those, and `bytes_allocated`.
//!    The grader's process installs the counting allocator for you. Graded by `measure-count`:
//!    37 boxes must count 37, arithmetic 0, and a `Vec` pushed past its capacity 2.
//! 2. `throughput_ratio(baseline, candidate, rounds)`: how many times faster `candidate` runs.
//!    One timing of each side would lie on a shared, noisy machine. Instead: run both a couple of
//!    times to warm up; find how many repetitions of `baseline` take a few milliseconds (so the
//!    timer's resolution does not matter); then, for each round, time both sides (alternating
//!    which goes first) and keep baseline time / candidate time; return the **median** of the
//!    rounds' ratios, which one disturbed round cannot move. Graded by `measure-ratio`: half the
//!    work must measure about 2x, the same work about 1x, four times the work about 0.25x.
//!
//! What the checks cannot see: whether you would trust your own numbers. Run the criterion
//! benchmark in `exercises/benches/pools.rs` (`cargo bench -p exercises`) and compare.

use pool_checks::task3::AllocationCount;

/// Runs `work` and counts the allocator calls that obtained memory and the bytes they obtained.
pub fn count_allocations(work: impl FnOnce()) -> AllocationCount {
    let _ = work;
    todo!("count the allocator calls of one run of `work` with a stats_alloc Region")
}

/// How many times faster `candidate` runs than `baseline`: the median over `rounds` interleaved
/// rounds of baseline time / candidate time.
pub fn throughput_ratio(baseline: impl FnMut(), candidate: impl FnMut(), rounds: usize) -> f64 {
    let _ = (baseline, candidate);
    todo!("measure {rounds} interleaved rounds and return the median ratio")
}
