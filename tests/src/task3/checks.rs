//! The graded checks of Task 3: the student's toolkit against workloads with known answers, and
//! the exercise's success criteria on every strategy.

use super::{with_strategy, Strategy, Task3, WithPool};
use crate::check::{ensure, Check, CheckInfo, Outcome};
use crate::counting::ensure_counting;
use crate::measure::{allocations_per_message, memory_profile, robust_ratio};
use crate::pool::BufferPool;
use crate::task1::Task1;
use crate::task2::Task2;
use crate::task4::Task4;
use crate::workloads::Workload;
use std::hint::black_box;
use std::time::Duration;

/// The threshold on allocation reduction: at least 80% fewer allocator calls.
pub const MIN_REDUCTION: f64 = 0.8;
/// The threshold on throughput: at least 2x the unpooled baseline.
pub const MIN_RATIO: f64 = 2.0;
/// Messages per batch in the criteria (seeded: the same packets every run).
const MESSAGES: usize = 256;
const SEED: u64 = 42;

/// Task 3's checks, in the order a student meets them.
pub fn checks<W: Task1 + Task2 + Task3 + Task4>() -> Vec<Check<W>> {
    vec![
        Check {
            info: MEASURE_COUNT,
            run: counts_allocations_exactly::<W>,
        },
        Check {
            info: MEASURE_RATIO,
            run: measures_known_ratios::<W>,
        },
        Check {
            info: CRITERIA_SYNC,
            run: sync_meets_the_criteria::<W>,
        },
        Check {
            info: CRITERIA_FIXED,
            run: fixed_meets_the_criteria::<W>,
        },
        Check {
            info: CRITERIA_CLASS,
            run: class_meets_the_criteria::<W>,
        },
        Check {
            info: CRITERIA_ADAPTIVE,
            run: adaptive_meets_the_criteria::<W>,
        },
        Check {
            info: CRITERIA_PROD,
            run: production_meets_the_criteria::<W>,
        },
    ]
}

/// The toolkit's counter gives exact answers on work whose allocations are known.
pub fn counts_allocations_exactly<W: Task3>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let cases: [(&str, usize, &mut dyn FnMut()); 3] = [
        ("37 boxes allocated and freed", 37, &mut || {
            for value in 0..37u64 {
                black_box(Box::new(value));
            }
        }),
        ("arithmetic that allocates nothing", 0, &mut || {
            black_box((1..100u64).sum::<u64>());
        }),
        (
            "a Vec of capacity 1 pushed past it (alloc, then realloc)",
            2,
            &mut || {
                let mut grown = Vec::with_capacity(black_box(1));
                grown.push(black_box(1u8));
                grown.push(black_box(2u8));
                black_box(grown);
            },
        ),
    ];
    for (work, known, run) in cases {
        let counted = workshop.count_allocations(run).allocations;
        ensure(
            counted == known,
            || format!("count_allocations on {work}: {known} allocator calls"),
            || format!("{counted}"),
        )?;
    }
    Ok("37, 0 and 2 allocator calls counted exactly".into())
}

/// Work that spins `steps` times: its cost is known and proportional.
fn spin(steps: u64) {
    let mut x = 1u64;
    for step in 0..steps {
        x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(step));
    }
    black_box(x);
}

/// Rounds of the toolkit's first measurement, and of its measurement again after a near miss.
const TOOLKIT_ROUNDS: usize = 15;
const TOOLKIT_ROUNDS_AGAIN: usize = 45;

/// The toolkit's ratio finds 2x, 1x and 0.25x where the work is known. A result just outside a
/// range (by less than -20% / +25%) is measured again with more rounds, and that result is
/// judged: the ranges never move.
pub fn measures_known_ratios<W: Task3>(workshop: &W) -> Outcome {
    let mut found = Vec::new();
    for (what, baseline, candidate, range) in [
        ("half the work", 20_000, 10_000, 1.5..2.7),
        ("the same work", 10_000, 10_000, 0.8..1.25),
        ("four times the work", 10_000, 40_000, 0.18..0.35),
    ] {
        let measure = |rounds| {
            workshop.throughput_ratio(&mut || spin(baseline), &mut || spin(candidate), rounds)
        };
        let first = measure(TOOLKIT_ROUNDS);
        let near = (range.start * 0.8..range.end * 1.25).contains(&first);
        let (ratio, again) = if !range.contains(&first) && near {
            (measure(TOOLKIT_ROUNDS_AGAIN), Some(first))
        } else {
            (first, None)
        };
        let measured = match again {
            Some(first) => format!("{ratio:.2} (measured again after {first:.2})"),
            None => format!("{ratio:.2}"),
        };
        ensure(
            range.contains(&ratio),
            || {
                format!(
                    "throughput_ratio with a candidate doing {what}: between {:.2} and {:.2}",
                    range.start, range.end
                )
            },
            || {
                let direction = if ratio > 0.0 && range.contains(&(1.0 / ratio)) {
                    "; that is the right answer upside down: divide the baseline's time by \
                     the candidate's"
                } else {
                    ""
                };
                format!("{measured}{direction}")
            },
        )?;
        found.push(format!("{ratio:.2}x"));
    }
    Ok(format!(
        "half, same and four times the work: {}",
        found.join(", ")
    ))
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
        Ok(format!(
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
        ))
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

// The descriptions.

const TOOLKIT_LIMIT: Duration = Duration::from_secs(30);
const CRITERIA_LIMIT: Duration = Duration::from_secs(60);

/// `measure-count`.
pub const MEASURE_COUNT: CheckInfo = CheckInfo {
    id: "measure-count",
    task: 3,
    title: "toolkit: count_allocations counts allocator calls exactly",
    why: "allocation counts are the evidence behind every pooling claim; a counter that is off by \
          one, or misses reallocations, proves nothing",
    hint: "take a stats_alloc Region on &stats_alloc::INSTRUMENTED_SYSTEM before the work and \
           read region.change() after; allocations + reallocations are the calls that obtained \
           memory",
    catches: "a counter that reports nothing",
    time_limit: TOOLKIT_LIMIT,
    exclusive: true,
};

/// `measure-ratio`.
pub const MEASURE_RATIO: CheckInfo = CheckInfo {
    id: "measure-ratio",
    task: 3,
    title: "toolkit: throughput_ratio finds 2x, 1x and 0.25x on known work",
    why: "a busy machine makes wall-clock timings lie, and the longer side absorbs more of the \
          pauses; the thread's CPU time, the fastest of short interleaved slices and a median \
          over rounds are what make a 2x claim repeatable on a laptop with other work running",
    hint: "time by cpu_time::ThreadTime; warm both up; give each side the repeat count that \
           makes a slice of about 0.5 ms; per round keep each side's fastest of 5 slices \
           (alternating which goes first); return the median of baseline over candidate time \
           per run",
    catches: "a ratio computed the wrong way round (candidate time over baseline time)",
    time_limit: TOOLKIT_LIMIT,
    exclusive: true,
};

/// `criteria-sync`.
pub const CRITERIA_SYNC: CheckInfo = criteria_info(
    "criteria-sync",
    "SyncPool on the packet server: >=80% fewer allocations, >=2x throughput, stable memory",
);
/// `criteria-fixed`.
pub const CRITERIA_FIXED: CheckInfo = criteria_info(
    "criteria-fixed",
    "FixedPool on the packet server: >=80% fewer allocations, >=2x throughput, stable memory",
);
/// `criteria-class`.
pub const CRITERIA_CLASS: CheckInfo = criteria_info(
    "criteria-class",
    "SizeClassPool on the packet server: >=80% fewer allocations, >=2x throughput, stable memory",
);
/// `criteria-adaptive`.
pub const CRITERIA_ADAPTIVE: CheckInfo = criteria_info(
    "criteria-adaptive",
    "AdaptivePool on the packet server: >=80% fewer allocations, >=2x throughput, stable memory",
);

/// `criteria-prod`.
pub const CRITERIA_PROD: CheckInfo = criteria_info(
    "criteria-prod",
    "ProductionPool on the packet server: >=80% fewer allocations, >=2x throughput, stable memory",
);

const fn criteria_info(id: &'static str, title: &'static str) -> CheckInfo {
    CheckInfo {
        id,
        task: 3,
        title,
        why: "the exercise's success criteria: a pool earns its complexity only if it removes \
              most allocations and at least doubles throughput where buffers are expensive \
              (64 KiB zeroed read buffers), without its memory creeping up",
        hint: "get_read must hand a reused buffer back without zeroing it again (keep its length \
               on return, resize on get), and put must keep 64 KiB buffers; the check's message \
               says which criterion failed",
        catches: "a correct pool that zeroes the whole buffer on every return (it fails 2x), \
                  and one that allocates a fresh buffer every time (it fails 80%)",
        time_limit: CRITERIA_LIMIT,
        exclusive: true,
    }
}
