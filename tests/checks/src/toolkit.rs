//! The checks of Task 3's measurement toolkit: the student's allocation counter and throughput
//! ratio, on work whose answers are known.

use crate::check::{ensure, passed, Outcome, Registration};
use crate::counting::ensure_counting;
use crate::task3::Task3;
use std::hint::black_box;

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
    passed(format!(
        "half, same and four times the work: {}",
        found.join(", ")
    ))
}
