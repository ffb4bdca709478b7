//! Task 3, pool performance analysis: your measurement toolkit, in `task3_measure.rs`. The
//! task's benchmark (`exercises/benches/pools.rs`) and your answers (`exercises/TRADEOFFS.md`)
//! live in the `exercises` crate, which sees every task's pools.
//!
//! Each task is a crate of its own, so that a file that does not compile stops only its own
//! task's checks. The `Workshop` type below tells the grader which of your functions implement
//! the task; it is already wired up.

pub mod task3_measure;

use pool_contract::task3::{AllocationCount, Task3};

/// This crate's answer to Task 3, as the grader sees it. Already done: you need not change it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Workshop;

impl Task3 for Workshop {
    fn count_allocations(&self, work: &mut dyn FnMut()) -> AllocationCount {
        task3_measure::count_allocations(work)
    }

    fn throughput_ratio(
        &self,
        baseline: &mut dyn FnMut(),
        candidate: &mut dyn FnMut(),
        rounds: usize,
    ) -> f64 {
        task3_measure::throughput_ratio(baseline, candidate, rounds)
    }
}
