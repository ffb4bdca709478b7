//! The checks of Task 2's adaptive pool, written once for any [`Task2`] implementation: it
//! forgets a burst, trims to its floor and not below, and allocates nothing once it has learned
//! a steady load that no fixed cap would keep.

use crate::check::{ensure, passed, Failure, Outcome, Registration};
use crate::counting::{count_allocations, count_buffer_allocations, ensure_counting};
use crate::every_pool::{self, SplitMix64};
use crate::pool::{BufferPool, Pooled};
use crate::refusals::{built, refuses_each};
use crate::task2::{AdaptiveConfig, AdaptivePoolApi, Task2};

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// The checks of this module, by their ids in the catalogue.
pub fn registered<W: Task2>() -> Vec<Registration<W>> {
    vec![
        ("adaptive-config", adaptive_refuses_bad_configs::<W>),
        ("adaptive-burst", adaptive_forgets_a_burst::<W>),
        ("adaptive-idle", adaptive_shrinks_to_its_floor::<W>),
        (
            "adaptive-steady",
            adaptive_allocates_nothing_in_steady_state::<W>,
        ),
        ("adaptive-reset", adaptive_resets::<W>),
        ("adaptive-stress", adaptive_never_shares::<W>),
    ]
}

const ADAPTIVE: AdaptiveConfig = AdaptiveConfig {
    floor: 2,
    max_pooled: 32,
    window: 100,
    percentile: 95,
};

fn adaptive<W: Task2>(workshop: &W, config: AdaptiveConfig) -> Result<W::AdaptivePool, Failure> {
    built(workshop.adaptive_pool(config), "adaptive pool")
}

/// Zero bounds and windows, a floor above the bound and a percentile outside 1..=100 are refused.
pub fn adaptive_refuses_bad_configs<W: Task2>(workshop: &W) -> Outcome {
    refuses_each(
        |config| workshop.adaptive_pool(config),
        vec![
            (
                AdaptiveConfig {
                    max_pooled: 0,
                    floor: 0,
                    ..ADAPTIVE
                },
                "max_pooled",
            ),
            (
                AdaptiveConfig {
                    floor: 33,
                    ..ADAPTIVE
                },
                "floor",
            ),
            (
                AdaptiveConfig {
                    window: 0,
                    ..ADAPTIVE
                },
                "window",
            ),
            (
                AdaptiveConfig {
                    percentile: 0,
                    ..ADAPTIVE
                },
                "percentile",
            ),
            (
                AdaptiveConfig {
                    percentile: 101,
                    ..ADAPTIVE
                },
                "percentile",
            ),
        ],
    )
}

/// Runs `gets` requests with sizes from `size`, holding 1 to `held.capacity()` buffers at once.
/// The caller provides `held`, so that this function allocates nothing itself.
fn serve<'pool, P: BufferPool>(
    pool: &'pool P,
    held: &mut Vec<Pooled<'pool, P>>,
    random: &mut SplitMix64,
    gets: usize,
    size: impl Fn(&mut SplitMix64) -> usize,
) {
    let mut done = 0;
    while done < gets {
        let count = (1 + random.below(held.capacity())).min(gets - done);
        for _ in 0..count {
            let wanted = size(random);
            held.push(pool.get(wanted));
        }
        done += count;
        held.clear();
    }
}

/// After a burst of huge requests and a long run of small ones, the pool holds about the small
/// working set again, not the burst's memory.
pub fn adaptive_forgets_a_burst<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = adaptive(workshop, ADAPTIVE)?;
    let burst: Vec<_> = (0..8).map(|_| pool.get(4 * MIB)).collect();
    drop(burst);
    let mut random = SplitMix64(7);
    let mut held = Vec::with_capacity(2);
    let small = |r: &mut SplitMix64| 1024 + r.below(3 * KIB);
    serve(&pool, &mut held, &mut random, 10 * ADAPTIVE.window, small);
    drop(held);
    let (_, dropping) = count_allocations(|| drop(pool));
    let allowed = ADAPTIVE.max_pooled * 8 * KIB;
    ensure(
        dropping.bytes_freed <= allowed,
        || {
            format!(
                "after 8 requests of 4 MiB then 1000 of 1-4 KiB, the pool to hold about the small \
                 working set (at most {} KiB), not the burst's 32 MiB",
                allowed / KIB
            )
        },
        || {
            format!(
                "{} KiB still pooled (freed when the pool was dropped)",
                dropping.bytes_freed / KIB
            )
        },
    )?;
    passed(format!(
        "{} KiB pooled after the burst faded",
        dropping.bytes_freed / KIB
    ))
}

/// Two trims with no use in between shrink the pool to its floor, and not below; a trim while
/// buffers are held keeps the peak counting them.
pub fn adaptive_shrinks_to_its_floor<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = adaptive(workshop, ADAPTIVE)?;
    let held: Vec<_> = (0..8).map(|_| pool.get(4096)).collect();
    drop(held);
    let (_, busy) = count_allocations(|| pool.trim());
    ensure(
        busy.bytes_freed < 4096,
        || "trim() right after 8 buffers were in use to keep all 8 (the recent peak)".into(),
        || format!("{} bytes freed", busy.bytes_freed),
    )?;
    let (_, idle) = count_allocations(|| pool.trim());
    ensure(
        idle.bytes_freed >= 6 * 4096 && idle.bytes_freed < 7 * 4096,
        || {
            "a second trim() with no use since to free 6 of the 8 buffers, down to the floor of 2"
                .into()
        },
        || format!("{} bytes freed", idle.bytes_freed),
    )?;
    let mut floor = Vec::with_capacity(2);
    let (_, calls) = count_buffer_allocations(4096, || {
        floor.push(pool.get(4096));
        floor.push(pool.get(4096));
    });
    ensure(
        calls.buffers == 0,
        || "the 2 buffers of the floor to serve 2 gets with no buffer allocated".into(),
        || calls.describe(),
    )?;
    let held_freed = trims_while_buffers_are_held(workshop)?;
    passed(format!(
        "kept 8 while busy; idle, freed {} bytes down to the floor of 2; with 3 held, freed {} \
         bytes of 5 idle (the peak of 3 counts the held ones)",
        idle.bytes_freed, held_freed
    ))
}

/// A trim while buffers are held counts them in the peak it keeps: after 8 buffers came back
/// and a trim, 3 are taken and held (the peak since that trim); the next trim keeps 3 buffers
/// in all, held and idle, so of the 5 idle only the floor's 2 stay. Returns the bytes it freed.
fn trims_while_buffers_are_held<W: Task2>(workshop: &W) -> Result<usize, Failure> {
    let pool = adaptive(workshop, ADAPTIVE)?;
    drop((0..8).map(|_| pool.get(4096)).collect::<Vec<_>>());
    pool.trim();
    let held: Vec<_> = (0..3).map(|_| pool.get(4096)).collect();
    let (_, trimming) = count_allocations(|| pool.trim());
    drop(held);
    ensure(
        trimming.bytes_freed >= 3 * 4096 && trimming.bytes_freed < 4 * 4096,
        || {
            "after 8 buffers came back and a trim(), 3 taken and still held, then trim(): the \
             peak since the last trim is 3, and the 3 held count in it, so of the 5 idle buffers \
             only the floor of 2 stays: 3 freed"
                .into()
        },
        || {
            let kept_peak_idle =
                trimming.bytes_freed >= 2 * 4096 && trimming.bytes_freed < 3 * 4096;
            format!(
                "{} bytes freed{}",
                trimming.bytes_freed,
                if kept_peak_idle {
                    ": 3 idle kept beside the 3 held, as if the held buffers were not part of the \
                     peak (keep peak minus held idle, at least floor)"
                } else {
                    ""
                }
            )
        },
    )?;
    Ok(trimming.bytes_freed)
}

/// Under a steady load of large buffers (100-200 KiB, more than any fixed cap would keep), the
/// pool allocates nothing once it has learned the load; and buffers asked for small and grown
/// before their return teach it to make new buffers that need no regrowth.
pub fn adaptive_allocates_nothing_in_steady_state<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = adaptive(workshop, ADAPTIVE)?;
    let mut random = SplitMix64(11);
    let size = |r: &mut SplitMix64| 100 * KIB + r.below(100 * KIB);
    let mut held = Vec::with_capacity(3);
    serve(&pool, &mut held, &mut random, 3 * ADAPTIVE.window, size);
    let (_, calls) = count_buffer_allocations(100 * KIB, || {
        serve(&pool, &mut held, &mut random, 5 * ADAPTIVE.window, size);
    });
    ensure(
        calls.buffers == 0,
        || {
            "after 3 windows of 100-200 KiB requests, 5 more windows with no buffer allocated \
             (blocks of 100 KiB or more)"
                .into()
        },
        || calls.describe(),
    )?;
    let learned = new_buffers_fit_what_returns_grew_to(workshop)?;
    passed(format!(
        "500 steady gets of 100-200 KiB: {}; {learned}",
        calls.describe()
    ))
}

/// Holders that ask for 64 bytes and grow the buffer before returning it (the framing
/// workload's pattern): the pool learns its typical size from the lengths buffers come back
/// with, so the buffers it makes once it has learned need no regrowth. Learning from the requests
/// as well would keep the request's 64-byte class, which every request adds to and no spread of
/// returned lengths outweighs. Returns what it saw, for the check's evidence.
fn new_buffers_fit_what_returns_grew_to<W: Task2>(workshop: &W) -> Result<String, Failure> {
    const HINT: usize = 64;
    const PIECE: [u8; 64] = [7; 64];
    let pool = adaptive(workshop, ADAPTIVE)?;
    let mut random = SplitMix64(13);
    // 3 windows of messages: 6 in 10 of 2049-4000 bytes (class 4096), the rest 1025-2000 bytes
    // (class 2048), built by appending 64-byte pieces; 1 or 2 held at once.
    let mut held = Vec::with_capacity(2);
    for _ in 0..3 * ADAPTIVE.window / 2 {
        for _ in 0..2 {
            let length = if random.below(10) < 6 {
                2049 + random.below(4000 - 2049)
            } else {
                1025 + random.below(2000 - 1025)
            };
            let mut buffer = pool.get(HINT);
            while buffer.len() < length {
                let piece = (length - buffer.len()).min(PIECE.len());
                buffer.extend_from_slice(&PIECE[..piece]);
            }
            held.push(buffer);
        }
        held.clear();
    }
    // More held at once than were idle: most of these 8 are new buffers, made as learned.
    let mut burst: Vec<_> = (0..8).map(|_| pool.get(HINT)).collect();
    let (_, growing) = count_allocations(|| {
        for buffer in &mut burst {
            while buffer.len() < 2000 {
                buffer.extend_from_slice(&PIECE);
            }
        }
    });
    let smallest = burst.iter().map(|buffer| buffer.capacity()).min();
    drop(burst);
    ensure(
        growing.allocations == 0,
        || {
            "after 3 windows of get(64) grown to 1-4 KiB before return (most to 2-4 KiB), 8 more \
             get(64) held at once and each grown to 2000 bytes with no allocation: new buffers \
             made at the typical size learned from the lengths buffers came back with (4096)"
                .into()
        },
        || {
            format!(
                "{} allocator call(s) while growing them (reallocations): new buffers were made \
                 smaller than the returned buffers grew (learned from the 64-byte requests, not \
                 from the returned lengths?)",
                growing.allocations
            )
        },
    )?;
    Ok(format!(
        "8 gets of 64 bytes after learning from 300 grown returns: capacity {} or more, grown to \
         2000 bytes with 0 allocations",
        smallest.unwrap_or_default()
    ))
}

/// The adaptive pool resets before reuse.
pub fn adaptive_resets<W: Task2>(workshop: &W) -> Outcome {
    every_pool::resets_buffers_before_reuse(&adaptive(workshop, ADAPTIVE)?)
}

/// The adaptive pool under many threads.
pub fn adaptive_never_shares<W: Task2>(workshop: &W) -> Outcome {
    let pool = adaptive(workshop, ADAPTIVE)?;
    every_pool::never_shares_a_buffer(move || pool, 8192)
}
