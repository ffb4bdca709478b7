//! Task 3, pool performance analysis: the measurement toolkit a student builds ([`Task3`]).
//!
//! The exercise this workshop mirrors only *reports* "70-90% fewer allocations, 2-4x faster".
//! Here the student builds the two instruments behind such claims, an allocation counter and a
//! robust throughput ratio; the grader checks them on work with known answers, and measures
//! every strategy with its own copy of the method.

/// What the student's allocation counter reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocationCount {
    /// Calls that obtained memory: `alloc`, `alloc_zeroed` and `realloc`.
    pub allocations: usize,
    /// Bytes those calls obtained (a realloc counts its growth).
    pub bytes: usize,
}

/// The measurement toolkit a student builds in Task 3, as the checks call it.
pub trait Task3 {
    /// Runs `work` once and counts the allocator calls it made, with `stats_alloc`.
    fn count_allocations(&self, work: &mut dyn FnMut()) -> AllocationCount;

    /// How many times faster `candidate` runs than `baseline`: the median, over `rounds`
    /// rounds, of each round's baseline time per run divided by its candidate time per run,
    /// each side timed by the thread's CPU time as its fastest of a few short interleaved
    /// slices (the grader's own method: docs/measurement.md, "How the ratios are measured").
    fn throughput_ratio(
        &self,
        baseline: &mut dyn FnMut(),
        candidate: &mut dyn FnMut(),
        rounds: usize,
    ) -> f64;
}
