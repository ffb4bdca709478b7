//! The checks of Task 3's measurement toolkit: the student's allocation counter and throughput
//! ratio, on work whose answers are known.

use crate::check::{ensure, passed, Outcome, Registration};
use crate::counting::ensure_counting;
use crate::measure::affinity::on_one_cpu;
use crate::task3::Task3;
use competitor::Competitor;
use std::hint::black_box;

pub mod competitor;

/// The checks of this module, by their ids in the catalogue.
pub fn registered<W: Task3>() -> Vec<Registration<W>> {
    vec![
        ("measure-count", counts_allocations_exactly::<W>),
        ("measure-ratio", measures_known_ratios::<W>),
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
    passed("37, 0 and 2 allocator calls counted exactly")
}

/// Work that spins `steps` times: its cost is known and proportional.
fn spin(steps: u64) {
    let mut x = 1u64;
    for step in 0..steps {
        x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(step));
    }
    black_box(x);
}

/// The steps of the smallest work the check measures: about 250 us, so that the few
/// microseconds a hand-over to the competitor costs the thread's CPU time weigh about 1%.
const UNIT: u64 = 200_000;

/// Rounds of the toolkit's first measurement, and of its measurement again after a near miss.
const TOOLKIT_ROUNDS: usize = 15;
const TOOLKIT_ROUNDS_AGAIN: usize = 45;

/// The toolkit's ratio finds 2x, 1x and 0.25x where the work is known, while every run of the
/// baseline first gives the processor to a competing thread for a millisecond ([`competitor`]):
/// a toolkit that counts the time its thread spent off the processor (a wall clock) reads the
/// ratio too high. A result just outside a range (by less than -20% / +25%) is measured again
/// with more rounds, and that result is judged: the ranges never move.
pub fn measures_known_ratios<W: Task3>(workshop: &W) -> Outcome {
    // On Linux the check's thread is kept on the lowest-numbered processor it may use, and the
    // competitor, which inherits that processor, takes it from the thread. Elsewhere the
    // competitor runs where the scheduler puts it; the baseline waits for its turn all the same.
    on_one_cpu(|| {
        let competitor = Competitor::start();
        measure_known_ratios(workshop, competitor.as_ref())
    })
}

/// [`measures_known_ratios`], with `competitor` (if any) taking the processor before every
/// baseline run.
fn measure_known_ratios<W: Task3>(workshop: &W, competitor: Option<&Competitor>) -> Outcome {
    let mut found = Vec::new();
    for (what, baseline, candidate, range) in [
        ("half the work", 2 * UNIT, UNIT, 1.5..2.7),
        ("the same work", UNIT, UNIT, 0.8..1.25),
        ("four times the work", UNIT, 4 * UNIT, 0.18..0.35),
    ] {
        let measure = |rounds| {
            workshop.throughput_ratio(
                &mut || {
                    if let Some(competitor) = competitor {
                        competitor.hand_over();
                    }
                    spin(baseline);
                },
                &mut || spin(candidate),
                rounds,
            )
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
                let why = if ratio > 0.0 && range.contains(&(1.0 / ratio)) {
                    "; that is the right answer upside down: divide the baseline's time by \
                     the candidate's"
                } else if competitor.is_some() && ratio >= range.end {
                    "; the baseline read slower than it is: before every baseline run the check \
                     gave your thread's processor to another thread for 1 ms, and your toolkit \
                     counted that time, as a wall clock (Instant) does. Time each side by the \
                     thread's CPU time (cpu_time::ThreadTime), which stops while the thread is \
                     off the processor (docs/measurement.md, \"How the ratios are measured\")"
                } else {
                    ""
                };
                format!("{measured}{why}")
            },
        )?;
        found.push(format!("{ratio:.2}x"));
    }
    let disturbance = match competitor {
        Some(_) => "with another thread taking the processor for 1 ms before every baseline run",
        None => "undisturbed (no competing thread could be started)",
    };
    passed(format!(
        "half, same and four times the work: {}, {disturbance}",
        found.join(", ")
    ))
}
