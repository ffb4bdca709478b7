//! The checks of the exercise's success criteria, on every strategy: on the packet server, at
//! least 80% fewer allocator calls and at least 2x the throughput of the unpooled baseline, with
//! live memory that stops growing. A passing check reports its figures as data
//! ([`CriteriaFigures`]), which the grader's checklist shows.

use crate::check::{ensure, CriteriaFigures, Evidence, Outcome, Registration};
use crate::counting::ensure_counting;
use crate::measure::{allocations_per_message, memory_profile, robust_ratio};
use crate::pool::BufferPool;
use crate::strategy::{with_strategy, Strategy, WithPool};
use crate::task1::Task1;
use crate::task2::Task2;
use crate::task4::Task4;
use crate::workloads::Workload;

/// The threshold on allocation reduction: at least 80% fewer allocator calls.
pub const MIN_REDUCTION: f64 = 0.8;
/// The threshold on throughput: at least 2x the unpooled baseline.
pub const MIN_RATIO: f64 = 2.0;
/// Messages per batch in the criteria (seeded: the same packets every run).
const MESSAGES: usize = 256;
const SEED: u64 = 42;

/// The checks of this module, by their ids in the catalogue.
pub fn registered<W: Task1 + Task2 + Task4>() -> Vec<Registration<W>> {
    vec![
        ("criteria-sync", sync_meets_the_criteria::<W>),
        ("criteria-fixed", fixed_meets_the_criteria::<W>),
        ("criteria-class", class_meets_the_criteria::<W>),
        ("criteria-adaptive", adaptive_meets_the_criteria::<W>),
        ("criteria-prod", production_meets_the_criteria::<W>),
    ]
}

/// The success criteria on the packet server, for one pool: at least 80% fewer allocator calls,
/// at least 2x the throughput, and live memory that stops growing.
struct Criteria;

impl WithPool for Criteria {
    type Output = Outcome;

    fn with<P: BufferPool>(self, pool: &P) -> Outcome {
        let workload = Workload::PacketServer;
        let sizes = workload.message_sizes(MESSAGES, SEED);
        // Memory first, while the pool is new: its live bytes are counted from nothing.
        let memory = memory_profile(workload, pool, &sizes, 8);
        let allocations = allocations_per_message(workload, pool, &sizes);
        ensure(
            allocations.reduction() >= MIN_REDUCTION,
            || {
                format!(
                    "at least 80% fewer allocator calls than the unpooled baseline ({:.3} per \
                     message)",
                    allocations.unpooled
                )
            },
            || {
                let change = match allocations.reduction() {
                    r if r >= 0.0 => format!("{:.0}% fewer", r * 100.0),
                    r => format!("{:.0}% more", -r * 100.0),
                };
                format!(
                    "{:.3} per message, {change}: the pool is not reusing its buffers",
                    allocations.pooled
                )
            },
        )?;
        ensure(
            memory.is_stable(),
            || {
                "live memory that stops growing: the second half's peak within 10% of the first's"
                    .into()
            },
            || {
                format!(
                    "peak {} KiB in the first half, {} KiB in the second: the pool keeps growing",
                    memory.first_half_peak / 1024,
                    memory.second_half_peak / 1024
                )
            },
        )?;
        let ratio = robust_ratio(
            &mut || {
                workload.run_unpooled(&sizes);
            },
            &mut || {
                workload.run_pooled(pool, &sizes);
            },
            MIN_RATIO,
        );
        ensure(
            ratio.median >= MIN_RATIO,
            || "at least 2x the throughput of the unpooled baseline (median of the rounds)".into(),
            || {
                format!(
                    "{:.2}x (median of {} rounds, {:.2}-{:.2}x): something costs as much as the \
                     allocation it saves; zeroing the whole buffer again is the usual suspect",
                    ratio.median, ratio.rounds, ratio.lowest, ratio.highest
                )
            },
        )?;
        let text = format!(
            "{:.1}% fewer allocator calls ({:.3} vs {:.3} per message); {:.1}x throughput (median \
             of {} rounds, {:.1}-{:.1}x); live memory stable (peak {} KiB, then {} KiB)",
            allocations.reduction() * 100.0,
            allocations.pooled,
            allocations.unpooled,
            ratio.median,
            ratio.rounds,
            ratio.lowest,
            ratio.highest,
            memory.first_half_peak / 1024,
            memory.second_half_peak / 1024
        );
        Ok(Evidence {
            text,
            figures: Some(CriteriaFigures {
                fewer_allocations: allocations.reduction(),
                throughput: ratio.median,
            }),
        })
    }
}

fn meets_the_criteria<W: Task1 + Task2 + Task4>(workshop: &W, strategy: Strategy) -> Outcome {
    ensure_counting()?;
    with_strategy(workshop, strategy, Workload::PacketServer, Criteria)?
}

/// `SyncPool` on the packet server.
pub fn sync_meets_the_criteria<W: Task1 + Task2 + Task4>(workshop: &W) -> Outcome {
    meets_the_criteria(workshop, Strategy::Sync)
}

/// `FixedPool` on the packet server.
pub fn fixed_meets_the_criteria<W: Task1 + Task2 + Task4>(workshop: &W) -> Outcome {
    meets_the_criteria(workshop, Strategy::Fixed)
}

/// `SizeClassPool` on the packet server.
pub fn class_meets_the_criteria<W: Task1 + Task2 + Task4>(workshop: &W) -> Outcome {
    meets_the_criteria(workshop, Strategy::SizeClass)
}

/// `AdaptivePool` on the packet server.
pub fn adaptive_meets_the_criteria<W: Task1 + Task2 + Task4>(workshop: &W) -> Outcome {
    meets_the_criteria(workshop, Strategy::Adaptive)
}

/// `ProductionPool` on the packet server.
pub fn production_meets_the_criteria<W: Task1 + Task2 + Task4>(workshop: &W) -> Outcome {
    meets_the_criteria(workshop, Strategy::Production)
}
