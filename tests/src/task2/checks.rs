//! The graded checks of Task 2, written once for any [`Task2`] implementation.
//!
//! As in Task 1, reuse and release are proven by allocation identity and the counting allocator.
//! The one figure taken from a pool, its [`Waste`], is compared with what the check itself saw
//! handed out: monitoring that reports wrong figures fails.

use super::{
    AdaptiveConfig, AdaptivePoolApi, FixedPoolApi, FixedPoolConfig, SizeClassConfig,
    SizeClassPoolApi, Task2, Waste,
};
use crate::check::{ensure, Check, CheckInfo, Failure, Outcome};
use crate::config::ConfigError;
use crate::counting::{count_allocations, count_buffer_allocations, ensure_counting};
use crate::every_pool::{self, address, SplitMix64};
use crate::pool::{BufferPool, Pooled};
use std::collections::HashSet;
use std::time::Duration;

/// Task 2's checks, in the order a student meets them.
pub fn checks<W: Task2>() -> Vec<Check<W>> {
    vec![
        Check {
            info: FIXED_CONFIG,
            run: fixed_refuses_bad_configs::<W>,
        },
        Check {
            info: FIXED_PREALLOC,
            run: fixed_preallocates::<W>,
        },
        Check {
            info: FIXED_REUSE,
            run: fixed_reuses_its_buffers::<W>,
        },
        Check {
            info: FIXED_BOUND,
            run: fixed_keeps_at_most_max_pooled::<W>,
        },
        Check {
            info: FIXED_OVERSIZE,
            run: fixed_serves_but_never_keeps_oversize::<W>,
        },
        Check {
            info: FIXED_DETACHED,
            run: fixed_checks_detached_returns::<W>,
        },
        Check {
            info: FIXED_RESET,
            run: fixed_resets::<W>,
        },
        Check {
            info: FIXED_STRESS,
            run: fixed_never_shares::<W>,
        },
        Check {
            info: CLASS_CONFIG,
            run: class_refuses_bad_configs::<W>,
        },
        Check {
            info: CLASS_SELECT,
            run: class_serves_the_smallest_class_that_fits::<W>,
        },
        Check {
            info: CLASS_OWN,
            run: class_takes_buffers_back_into_their_class::<W>,
        },
        Check {
            info: CLASS_BOUND,
            run: class_bounds_each_class::<W>,
        },
        Check {
            info: CLASS_ABOVE_MAX,
            run: class_never_keeps_above_max::<W>,
        },
        Check {
            info: CLASS_REGROWN,
            run: class_moves_regrown_buffers::<W>,
        },
        Check {
            info: CLASS_WASTE,
            run: class_reports_waste::<W>,
        },
        Check {
            info: CLASS_RESET,
            run: class_resets::<W>,
        },
        Check {
            info: CLASS_STRESS,
            run: class_never_shares::<W>,
        },
        Check {
            info: ADAPTIVE_CONFIG,
            run: adaptive_refuses_bad_configs::<W>,
        },
        Check {
            info: ADAPTIVE_BURST,
            run: adaptive_forgets_a_burst::<W>,
        },
        Check {
            info: ADAPTIVE_IDLE,
            run: adaptive_shrinks_to_its_floor::<W>,
        },
        Check {
            info: ADAPTIVE_STEADY,
            run: adaptive_allocates_nothing_in_steady_state::<W>,
        },
        Check {
            info: ADAPTIVE_RESET,
            run: adaptive_resets::<W>,
        },
        Check {
            info: ADAPTIVE_STRESS,
            run: adaptive_never_shares::<W>,
        },
    ]
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// Unwraps a constructor's result for a configuration that is valid.
fn built<P>(result: Result<P, ConfigError>, what: &str) -> Result<P, Failure> {
    result.map_err(|error| {
        Failure::new(
            format!("a {what} built from a valid configuration"),
            format!("the constructor refused it: {error}"),
        )
    })
}

/// Each bad configuration must be refused with an error that names the field.
fn refuses_each<P, C: std::fmt::Debug>(
    build: impl Fn(C) -> Result<P, ConfigError>,
    cases: Vec<(C, &'static str)>,
) -> Outcome {
    let count = cases.len();
    for (config, field) in cases {
        let described = format!("{config:?}");
        match build(config) {
            Ok(_) => {
                return Err(Failure::new(
                    format!("{described} to be refused: `{field}` breaks its rule"),
                    "the pool was built",
                ))
            }
            Err(error) => ensure(
                error.field == field,
                || format!("the error for {described} to name the field `{field}`"),
                || format!("it names `{}` ({error})", error.field),
            )?,
        }
    }
    Ok(format!(
        "{count} bad configurations refused, each naming its field"
    ))
}

// Fixed-size pool.

const FIXED: FixedPoolConfig = FixedPoolConfig {
    buffer_size: 4096,
    preallocate: 0,
    max_pooled: 32,
};

fn fixed<W: Task2>(workshop: &W, config: FixedPoolConfig) -> Result<W::FixedPool, Failure> {
    built(workshop.fixed_pool(config), "fixed-size pool")
}

/// Zero sizes and bounds, and a preallocation beyond the bound, are refused.
pub fn fixed_refuses_bad_configs<W: Task2>(workshop: &W) -> Outcome {
    refuses_each(
        |config| workshop.fixed_pool(config),
        vec![
            (
                FixedPoolConfig {
                    buffer_size: 0,
                    ..FIXED
                },
                "buffer_size",
            ),
            (
                FixedPoolConfig {
                    max_pooled: 0,
                    ..FIXED
                },
                "max_pooled",
            ),
            (
                FixedPoolConfig {
                    preallocate: 33,
                    ..FIXED
                },
                "preallocate",
            ),
        ],
    )
}

/// Building the pool allocates its buffers; the first `preallocate` gets allocate nothing.
pub fn fixed_preallocates<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let config = FixedPoolConfig {
        preallocate: 8,
        ..FIXED
    };
    let (pool, building) = count_allocations(|| fixed(workshop, config));
    let pool = pool?;
    ensure(
        building.bytes_allocated >= 8 * 4096,
        || "building a pool with preallocate = 8 to allocate 8 buffers of 4096 bytes".into(),
        || {
            format!(
                "{} bytes allocated while building it",
                building.bytes_allocated
            )
        },
    )?;
    let mut held = Vec::with_capacity(8);
    // Every buffer of this pool is 4096 bytes: smaller blocks are its bookkeeping.
    let (_, calls) = count_buffer_allocations(4096, || {
        for _ in 0..8 {
            held.push(pool.get(1000));
        }
    });
    let distinct: HashSet<usize> = held.iter().map(|buffer| address(buffer)).collect();
    ensure(
        calls.buffers == 0 && distinct.len() == 8,
        || "the first 8 gets, held at once: 8 distinct buffers, no buffer allocated".into(),
        || format!("{} distinct; {}", distinct.len(), calls.describe()),
    )?;
    Ok(format!(
        "{} bytes preallocated; the first 8 gets made {}",
        building.bytes_allocated,
        calls.describe()
    ))
}

/// Every buffer has exactly `buffer_size` of capacity, and a returned one is reused.
pub fn fixed_reuses_its_buffers<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = fixed(workshop, FIXED)?;
    let buffer = pool.get(1000);
    ensure(
        buffer.capacity() == 4096,
        || "get(1000) from a pool of 4096-byte buffers: capacity exactly 4096".into(),
        || format!("capacity {}", buffer.capacity()),
    )?;
    let first = address(&buffer);
    drop(buffer);
    let (again, calls) = count_buffer_allocations(4096, || address(&pool.get(4096)));
    every_pool::ensure_reused(first, again, &calls, "get(4096) after a return")?;
    let (again, calls) = count_buffer_allocations(4096, || address(&pool.get_read(4096)));
    every_pool::ensure_reused(first, again, &calls, "get_read(4096) after a return")?;
    Ok("capacity exactly 4096; reused by get and get_read with no buffer allocated".into())
}

/// Returning more buffers than `max_pooled` frees the excess; the bound is kept, not less.
pub fn fixed_keeps_at_most_max_pooled<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = fixed(
        workshop,
        FixedPoolConfig {
            max_pooled: 4,
            ..FIXED
        },
    )?;
    keeps_at_most_four(&pool, 4096, "max_pooled")
}

/// Holding 6 buffers of `size` and returning them frees 2 of them; the 4 kept serve the next 4
/// gets with no allocation, and a 5th get allocates. `bound` names the setting (4) in messages.
fn keeps_at_most_four<P: BufferPool>(pool: &P, size: usize, bound: &str) -> Outcome {
    let held: Vec<_> = (0..6).map(|_| pool.get(size)).collect();
    let (_, returning) = count_allocations(|| drop(held));
    // Bytes, not calls: the boxes the buffers travel in and the check's own list are freed too.
    ensure(
        (2 * size..3 * size).contains(&returning.bytes_freed),
        || format!("6 buffers of {size} bytes returned with {bound} = 4: 2 of them freed"),
        || format!("{} bytes freed", returning.bytes_freed),
    )?;
    let mut again = Vec::with_capacity(5);
    let (_, four) = count_buffer_allocations(size, || {
        for _ in 0..4 {
            again.push(pool.get(size));
        }
    });
    let (_, fifth) = count_buffer_allocations(size, || again.push(pool.get(size)));
    ensure(
        four.buffers == 0 && fifth.buffers > 0,
        || {
            "the 4 kept buffers to serve 4 gets with no buffer allocated, and a 5th get to \
             allocate one"
                .into()
        },
        || format!("4 gets: {}; the 5th: {}", four.describe(), fifth.describe()),
    )?;
    Ok(format!(
        "kept 4 of 6 buffers of {size} bytes, freed 2, reused the 4"
    ))
}

/// A request larger than `buffer_size` is served by a plain allocation, freed on return and
/// counted as a miss.
pub fn fixed_serves_but_never_keeps_oversize<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = fixed(workshop, FIXED)?;
    let created_before = pool.stats().created;
    let big = pool.get(10_000);
    ensure(
        big.capacity() >= 10_000,
        || "get(10000) from a pool of 4096-byte buffers: served, capacity >= 10000".into(),
        || format!("capacity {}", big.capacity()),
    )?;
    let big_capacity = big.capacity();
    let (_, returning) = count_allocations(|| drop(big));
    ensure(
        returning.bytes_freed >= big_capacity,
        || format!("the {big_capacity}-byte buffer freed when it came back, not kept"),
        || format!("{} bytes freed", returning.bytes_freed),
    )?;
    let misses = pool.stats().created - created_before;
    ensure(
        misses == 1,
        || "stats().created to count the oversize request as one miss".into(),
        || format!("it grew by {misses}"),
    )?;
    Ok(format!(
        "{big_capacity} bytes served, freed on return, counted as a miss"
    ))
}

/// A detached buffer of the right size can be returned; a wrong-size one is refused with an
/// error that gives it back.
pub fn fixed_checks_detached_returns<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = fixed(workshop, FIXED)?;
    let detached = Pooled::detach(pool.get(100));
    let kept = address(&detached);
    if let Err(rejected) = pool.return_detached(detached) {
        return Err(Failure::new(
            "a detached 4096-byte buffer to be taken back",
            format!("refused: {rejected}"),
        ));
    }
    // Every buffer of this pool is 4096 bytes: smaller blocks are its bookkeeping.
    let (again, calls) = count_buffer_allocations(4096, || address(&pool.get(100)));
    every_pool::ensure_reused(kept, again, &calls, "the next get after return_detached")?;
    let mut grown = Pooled::detach(pool.get(100));
    grown.reserve_exact(8192);
    for (buffer, what) in [
        (Vec::with_capacity(100), "a 100-byte buffer"),
        (grown, "a grown one"),
    ] {
        let (capacity, original) = (buffer.capacity(), address(&buffer));
        match pool.return_detached(buffer) {
            Ok(()) => {
                return Err(Failure::new(
                    format!("{what} (capacity {capacity}) to be refused by a 4096-byte pool"),
                    "it was accepted",
                ))
            }
            Err(rejected) => {
                let message = rejected.to_string();
                ensure(
                    address(&rejected.buffer) == original
                        && message.contains("4096")
                        && message.contains(&capacity.to_string()),
                    || {
                        format!(
                            "the error to give {what} back and name both capacities (4096 and \
                             {capacity})"
                        )
                    },
                    || {
                        format!(
                            "{message:?}, buffer given back: {}",
                            address(&rejected.buffer) == original
                        )
                    },
                )?;
            }
        }
    }
    Ok("right size taken back and reused; wrong sizes refused with the buffer given back".into())
}

/// The fixed-size pool resets before reuse.
pub fn fixed_resets<W: Task2>(workshop: &W) -> Outcome {
    every_pool::resets_buffers_before_reuse(&fixed(workshop, FIXED)?)
}

/// The fixed-size pool under many threads.
pub fn fixed_never_shares<W: Task2>(workshop: &W) -> Outcome {
    let pool = fixed(workshop, FIXED)?;
    every_pool::never_shares_a_buffer(move || pool, 4096)
}

// Size-class pool.

const CLASSES: SizeClassConfig = SizeClassConfig {
    min_size: 64,
    max_size: MIB,
    max_per_class: 32,
};

fn classes<W: Task2>(workshop: &W, config: SizeClassConfig) -> Result<W::SizeClassPool, Failure> {
    built(workshop.size_class_pool(config), "size-class pool")
}

/// Zero or non-power-of-two sizes, a maximum below the minimum and a zero bound are refused.
pub fn class_refuses_bad_configs<W: Task2>(workshop: &W) -> Outcome {
    refuses_each(
        |config| workshop.size_class_pool(config),
        vec![
            (
                SizeClassConfig {
                    min_size: 0,
                    ..CLASSES
                },
                "min_size",
            ),
            (
                SizeClassConfig {
                    min_size: 100,
                    ..CLASSES
                },
                "min_size",
            ),
            (
                SizeClassConfig {
                    max_size: 32,
                    ..CLASSES
                },
                "max_size",
            ),
            (
                SizeClassConfig {
                    max_size: 1000,
                    ..CLASSES
                },
                "max_size",
            ),
            (
                SizeClassConfig {
                    max_per_class: 0,
                    ..CLASSES
                },
                "max_per_class",
            ),
        ],
    )
}

/// A request is served from the smallest class that fits, on every boundary.
///
/// The capacity alone would not prove it: a pool that took the class below (512 bytes for a
/// 1000-byte request) would have its buffer grown to 1024 by `Vec::reserve`, which doubles. So
/// each buffer is also returned and asked for again with the same request: the right class
/// hands the same buffer back, a wrong one another.
pub fn class_serves_the_smallest_class_that_fits<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = classes(workshop, CLASSES)?;
    for (size, class) in [
        (1, 64),
        (64, 64),
        (65, 128),
        (1000, 1024),
        (4096, 4096),
        (MIB, MIB),
    ] {
        let first = pool.get(size);
        let capacity = first.capacity();
        ensure(
            capacity == class,
            || format!("get({size}) served from the {class}-byte class (capacity exactly {class})"),
            || format!("capacity {capacity}"),
        )?;
        // The pool still holds the first buffer, so no new allocation can land at its address:
        // the same address is the same buffer.
        let first_address = address(&first);
        drop(first);
        let again = address(&pool.get(size));
        ensure(
            again == first_address,
            || {
                format!(
                    "get({size}), returned and asked for again, to come back from the \
                     {class}-byte class: the same buffer"
                )
            },
            || {
                format!(
                    "a different buffer: the request looked in another class than the one its \
                     buffer went back to (a {class}-byte capacity can come from Vec::reserve \
                     doubling a smaller class's buffer)"
                )
            },
        )?;
    }
    let above = pool.get(MIB + 1).capacity();
    ensure(
        above > MIB,
        || "get(1 MiB + 1), above the largest class, served anyway (capacity > 1 MiB)".into(),
        || format!("capacity {above}"),
    )?;
    Ok("1->64, 64->64, 65->128, 1000->1024, 4096->4096, 1 MiB->1 MiB, 1 MiB+1 served".into())
}

/// A returned buffer goes back into its own class: the next request of that class reuses it, a
/// request of another class does not.
pub fn class_takes_buffers_back_into_their_class<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = classes(workshop, CLASSES)?;
    // Classes of 1 KiB and more, so that a pool's bookkeeping (smaller blocks) is told apart
    // from its buffers.
    let first = address(&pool.get(2000));
    let other = address(&pool.get(1024));
    ensure(
        other != first,
        || "get(1024), after a 2048-byte buffer came back, served from the 1024-byte class".into(),
        || "it was handed the 2048-byte buffer".into(),
    )?;
    let (again, calls) = count_buffer_allocations(1024, || address(&pool.get(1800)));
    every_pool::ensure_reused(
        first,
        again,
        &calls,
        "get(1800) after get(2000) returned its buffer (both class 2048)",
    )?;
    Ok("back into class 2048 and reused there, not by class 1024".into())
}

/// Each class keeps at most `max_per_class` idle buffers.
pub fn class_bounds_each_class<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = classes(
        workshop,
        SizeClassConfig {
            max_per_class: 4,
            ..CLASSES
        },
    )?;
    keeps_at_most_four(&pool, 4096, "max_per_class")
}

/// A request above the largest class is served by a plain allocation that is never kept.
pub fn class_never_keeps_above_max<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = classes(workshop, CLASSES)?;
    let big = pool.get(MIB + 1);
    let capacity = big.capacity();
    let (_, returning) = count_allocations(|| drop(big));
    ensure(
        returning.bytes_freed >= capacity,
        || format!("the {capacity}-byte buffer, above the largest class, freed on return"),
        || format!("{} bytes freed: the pool kept it", returning.bytes_freed),
    )?;
    Ok(format!("{capacity} bytes served and freed on return"))
}

/// A buffer that grew or shrank while held goes to the class its capacity now fits, or is
/// dropped: never back into its old class.
pub fn class_moves_regrown_buffers<W: Task2>(workshop: &W) -> Outcome {
    let pool = classes(workshop, CLASSES)?;
    let mut grown = pool.get(100);
    grown.resize(300, 1);
    let grown_at = address(&grown);
    let grown_capacity = grown.capacity();
    drop(grown);
    ensure(
        address(&pool.get(128)) != grown_at,
        || {
            format!(
                "a class-128 buffer that grew to capacity {grown_capacity} not to be handed out \
                 as a 128-byte buffer again"
            )
        },
        || "get(128) was handed the grown buffer: class 128 now pins more than it says".into(),
    )?;
    let mut shrunk = pool.get(100);
    shrunk.shrink_to(100);
    let (shrunk_at, shrunk_capacity) = (address(&shrunk), shrunk.capacity());
    drop(shrunk);
    let next = pool.get(128);
    ensure(
        next.capacity() >= 128 && (shrunk_capacity >= 128 || address(&next) != shrunk_at),
        || {
            format!(
                "a class-128 buffer shrunk to capacity {shrunk_capacity} not to be handed out for \
                 get(128)"
            )
        },
        || {
            format!(
                "get(128) got capacity {} at the shrunk buffer's address",
                next.capacity()
            )
        },
    )?;
    Ok("grown and shrunk buffers left class 128".into())
}

/// `waste()` reports exactly the bytes asked for and the capacity handed out.
pub fn class_reports_waste<W: Task2>(workshop: &W) -> Outcome {
    let pool = classes(workshop, CLASSES)?;
    let before = pool.waste();
    let mut truth = Waste::default();
    for size in [1, 64, 65, 100, 1000, 5000, 70_000] {
        let buffer = pool.get(size);
        truth.requested_bytes += size as u64;
        truth.handed_out_bytes += buffer.capacity() as u64;
    }
    for len in [10, 3000] {
        let buffer = pool.get_read(len);
        truth.requested_bytes += len as u64;
        truth.handed_out_bytes += buffer.capacity() as u64;
    }
    let after = pool.waste();
    let reported = Waste {
        requested_bytes: after.requested_bytes - before.requested_bytes,
        handed_out_bytes: after.handed_out_bytes - before.handed_out_bytes,
    };
    ensure(
        reported == truth,
        || {
            format!(
                "waste() to report {} bytes requested and {} handed out, as observed",
                truth.requested_bytes, truth.handed_out_bytes
            )
        },
        || {
            format!(
                "{} requested and {} handed out",
                reported.requested_bytes, reported.handed_out_bytes
            )
        },
    )?;
    Ok(format!(
        "{} bytes asked, {} handed out, {} wasted: reported exactly",
        truth.requested_bytes,
        truth.handed_out_bytes,
        truth.wasted_bytes()
    ))
}

/// The size-class pool resets before reuse.
pub fn class_resets<W: Task2>(workshop: &W) -> Outcome {
    every_pool::resets_buffers_before_reuse(&classes(workshop, CLASSES)?)
}

/// The size-class pool under many threads.
pub fn class_never_shares<W: Task2>(workshop: &W) -> Outcome {
    let pool = classes(workshop, CLASSES)?;
    every_pool::never_shares_a_buffer(move || pool, 8192)
}

// Adaptive pool.

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
    Ok(format!(
        "{} KiB pooled after the burst faded",
        dropping.bytes_freed / KIB
    ))
}

/// Two trims with no use in between shrink the pool to its floor, and not below.
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
    Ok(format!(
        "kept 8 while busy; idle, freed {} bytes down to the floor of 2",
        idle.bytes_freed
    ))
}

/// Under a steady load of large buffers (100-200 KiB, more than any fixed cap would keep), the
/// pool allocates nothing once it has learned the load.
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
    Ok(format!(
        "500 steady gets of 100-200 KiB: {}",
        calls.describe()
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

// The descriptions, kept together so that the list reads like a syllabus.

const LIMIT: Duration = Duration::from_secs(5);
const STRESS_LIMIT: Duration = Duration::from_secs(30);

/// `fixed-config`.
pub const FIXED_CONFIG: CheckInfo = CheckInfo {
    id: "fixed-config",
    task: 2,
    title: "fixed: a bad configuration is refused with an error naming the field",
    why: "a pool with buffer_size 0 or no room to keep anything is a configuration mistake; \
          saying so beats a panic or a pool that silently does nothing",
    hint: "validate in FixedPool::new and return ConfigError::new(field, value, rule)",
    catches: "a pool that accepts preallocate > max_pooled",
    time_limit: LIMIT,
    exclusive: false,
};

/// `fixed-prealloc`.
pub const FIXED_PREALLOC: CheckInfo = CheckInfo {
    id: "fixed-prealloc",
    task: 2,
    title: "fixed: preallocate = N makes the first N gets allocation-free",
    why: "preallocation moves the allocation cost to start-up, before the first request",
    hint: "allocate config.preallocate buffers of buffer_size in new() and store them",
    catches: "a pool that ignores preallocate",
    time_limit: LIMIT,
    exclusive: false,
};

/// `fixed-reuse`.
pub const FIXED_REUSE: CheckInfo = CheckInfo {
    id: "fixed-reuse",
    task: 2,
    title: "fixed: every buffer has exactly buffer_size capacity and is reused",
    why: "one size for everything is what makes this pool simple and its memory predictable",
    hint: "allocate Vec::with_capacity(buffer_size) whatever was asked (up to buffer_size); \
           keep returned buffers and hand them out again",
    catches: "a pool that allocates exactly what is asked and never reuses",
    time_limit: LIMIT,
    exclusive: false,
};

/// `fixed-bound`.
pub const FIXED_BOUND: CheckInfo = CheckInfo {
    id: "fixed-bound",
    task: 2,
    title: "fixed: at most max_pooled idle buffers are kept",
    why: "an unbounded pool keeps the memory of its worst burst forever",
    hint: "in put, drop the buffer when the store already holds max_pooled",
    catches: "a pool that keeps every returned buffer",
    time_limit: LIMIT,
    exclusive: false,
};

/// `fixed-oversize`.
pub const FIXED_OVERSIZE: CheckInfo = CheckInfo {
    id: "fixed-oversize",
    task: 2,
    title: "fixed: a request above buffer_size is served, counted as a miss, and never kept",
    why: "refusing large requests breaks callers; keeping them breaks the pool's one size",
    hint: "serve it with a plain allocation of the size asked; in put, drop any buffer whose \
           capacity is not buffer_size; count it in stats().created",
    catches: "a pool that keeps oversize buffers",
    time_limit: LIMIT,
    exclusive: false,
};

/// `fixed-detached`.
pub const FIXED_DETACHED: CheckInfo = CheckInfo {
    id: "fixed-detached",
    task: 2,
    title: "fixed: return_detached refuses a wrong-size buffer with an error that gives it back",
    why: "a buffer of the wrong size in a fixed pool breaks the next holder; a panic or a \
          silently dropped buffer hides the caller's bug",
    hint: "compare the capacity with buffer_size; on mismatch return Err(Rejected { buffer, \
           expected_capacity })",
    catches: "a pool that accepts any buffer on the raw return path",
    time_limit: LIMIT,
    exclusive: false,
};

/// `fixed-reset`.
pub const FIXED_RESET: CheckInfo = CheckInfo {
    id: "fixed-reset",
    task: 2,
    title: "fixed: buffers are reset before reuse",
    why: "a buffer that still holds the previous request's bytes corrupts the next message",
    hint: "clear() on get (keep the length for get_read, which resizes)",
    catches: "a pool that hands buffers out as the previous holder left them",
    time_limit: LIMIT,
    exclusive: false,
};

/// `fixed-stress`.
pub const FIXED_STRESS: CheckInfo = CheckInfo {
    id: "fixed-stress",
    task: 2,
    title: "fixed: 8 threads x 2000 rounds, no buffer shared, none lost or leaked",
    why: "a buffer handed to two holders at once corrupts both messages, silently, under load",
    hint: "guard the store with a Mutex (or a lock-free queue); never alias a buffer",
    catches: "a pool that leaks its buffers when dropped",
    time_limit: STRESS_LIMIT,
    exclusive: false,
};

/// `class-config`.
pub const CLASS_CONFIG: CheckInfo = CheckInfo {
    id: "class-config",
    task: 2,
    title: "size-class: a bad configuration is refused with an error naming the field",
    why: "classes are powers of two from min_size to max_size; anything else cannot be served",
    hint: "validate in SizeClassPool::new: sizes non-zero powers of two, max >= min, bound >= 1",
    catches: "a pool that accepts a min_size that is not a power of two",
    time_limit: LIMIT,
    exclusive: false,
};

/// `class-select`.
pub const CLASS_SELECT: CheckInfo = CheckInfo {
    id: "class-select",
    task: 2,
    title: "size-class: a request is served from the smallest class that fits",
    why: "the class arithmetic decides both the waste and the reuse; off by one on a boundary \
          and every 64-byte request takes a 128-byte buffer",
    hint: "the class of n is the next power of two at or above max(n, min_size); write it as a \
           small pure function and test its boundaries",
    catches: "a class function that is off by one on powers of two",
    time_limit: LIMIT,
    exclusive: false,
};

/// `class-own`.
pub const CLASS_OWN: CheckInfo = CheckInfo {
    id: "class-own",
    task: 2,
    title: "size-class: a returned buffer goes back into its own class",
    why: "a buffer in the wrong class is either wasted or too small for the next request",
    hint: "in put, compute the class from the buffer's capacity and push it there",
    catches: "a pool that puts every returned buffer in one list",
    time_limit: LIMIT,
    exclusive: false,
};

/// `class-bound`.
pub const CLASS_BOUND: CheckInfo = CheckInfo {
    id: "class-bound",
    task: 2,
    title: "size-class: each class keeps at most max_per_class idle buffers",
    why: "without a bound per class, one burst of one size pins its memory forever",
    hint: "in put, drop the buffer when its class already holds max_per_class",
    catches: "a pool without a bound per class",
    time_limit: LIMIT,
    exclusive: false,
};

/// `class-above-max`.
pub const CLASS_ABOVE_MAX: CheckInfo = CheckInfo {
    id: "class-above-max",
    task: 2,
    title: "size-class: a request above the largest class is served and never kept",
    why: "the largest class is the most memory the pool will pin per buffer",
    hint: "serve it with a plain allocation; in put, drop buffers larger than max_size",
    catches: "a pool that keeps buffers above max_size",
    time_limit: LIMIT,
    exclusive: false,
};

/// `class-regrown`.
pub const CLASS_REGROWN: CheckInfo = CheckInfo {
    id: "class-regrown",
    task: 2,
    title: "size-class: a buffer that grew or shrank moves to the class it now fits",
    why: "a holder may grow or shrink a buffer; putting it back by its old class hands out the \
          wrong size later",
    hint: "classify returned buffers by capacity, rounding down (a 300-byte buffer serves \
           class 256), and drop those below min_size",
    catches: "a pool that remembers the class a buffer was handed out from",
    time_limit: LIMIT,
    exclusive: false,
};

/// `class-waste`.
pub const CLASS_WASTE: CheckInfo = CheckInfo {
    id: "class-waste",
    task: 2,
    title: "size-class: waste() reports bytes asked for and capacity handed out, exactly",
    why: "waste is the price of size classes; monitoring that misreports it hides the cost",
    hint: "on every get and get_read, add the size asked and the capacity handed out to two \
           atomic counters",
    catches: "a pool that counts the class size of above-max requests instead of their capacity",
    time_limit: LIMIT,
    exclusive: false,
};

/// `class-reset`.
pub const CLASS_RESET: CheckInfo = CheckInfo {
    id: "class-reset",
    task: 2,
    title: "size-class: buffers are reset before reuse",
    why: "a buffer that still holds the previous request's bytes corrupts the next message",
    hint: "clear() on get (keep the length for get_read, which resizes)",
    catches: "a pool that hands buffers out as the previous holder left them",
    time_limit: LIMIT,
    exclusive: false,
};

/// `class-stress`.
pub const CLASS_STRESS: CheckInfo = CheckInfo {
    id: "class-stress",
    task: 2,
    title: "size-class: 8 threads x 2000 rounds, no buffer shared, none lost or leaked",
    why: "a buffer handed to two holders at once corrupts both messages, silently, under load",
    hint: "one Mutex per class (or one for all) around the class stacks",
    catches: "a pool that loses every buffer returned on a thread other than the one that took it",
    time_limit: STRESS_LIMIT,
    exclusive: false,
};

/// `adaptive-config`.
pub const ADAPTIVE_CONFIG: CheckInfo = CheckInfo {
    id: "adaptive-config",
    task: 2,
    title: "adaptive: a bad configuration is refused with an error naming the field",
    why: "a percentile of 0 or a window of 0 cannot be calibrated; say so at start-up",
    hint: "validate in AdaptivePool::new: max_pooled >= 1, floor <= max_pooled, window >= 1, \
           percentile in 1..=100",
    catches: "a pool that accepts a percentile above 100",
    time_limit: LIMIT,
    exclusive: false,
};

/// `adaptive-burst`.
pub const ADAPTIVE_BURST: CheckInfo = CheckInfo {
    id: "adaptive-burst",
    task: 2,
    title: "adaptive: after a burst of huge requests, memory falls back to the small working set",
    why: "one burst must not pin its memory forever (golang/go#23199); the pool must learn that \
          huge is no longer normal",
    hint: "at the end of each window, set the largest size worth keeping from the window's \
           percentile, free idle buffers above it, and drop returned ones above it",
    catches: "a pool that never recalibrates and keeps the burst's buffers",
    time_limit: LIMIT,
    exclusive: false,
};

/// `adaptive-idle`.
pub const ADAPTIVE_IDLE: CheckInfo = CheckInfo {
    id: "adaptive-idle",
    task: 2,
    title: "adaptive: trim() keeps the recent peak, and shrinks an idle pool to its floor",
    why: "a quiet server should give memory back, but not so eagerly that the next request \
          allocates",
    hint: "track the most buffers held at once since the last trim; trim keeps that many \
           (held + idle), at least floor idle, and resets the peak",
    catches: "a pool whose trim() frees everything, floor included",
    time_limit: LIMIT,
    exclusive: false,
};

/// `adaptive-steady`.
pub const ADAPTIVE_STEADY: CheckInfo = CheckInfo {
    id: "adaptive-steady",
    task: 2,
    title: "adaptive: under a steady load of 100-200 KiB buffers, 0 allocations",
    why: "the point of adapting is to serve the actual load without allocating, whatever its size",
    hint: "make new buffers at the learned typical size (or larger), and keep every buffer up to \
           the learned percentile",
    catches: "a pool with a fixed cap (64 KiB) instead of a learned one",
    time_limit: LIMIT,
    exclusive: false,
};

/// `adaptive-reset`.
pub const ADAPTIVE_RESET: CheckInfo = CheckInfo {
    id: "adaptive-reset",
    task: 2,
    title: "adaptive: buffers are reset before reuse",
    why: "a buffer that still holds the previous request's bytes corrupts the next message",
    hint: "clear() on get (keep the length for get_read, which resizes)",
    catches: "a pool that hands buffers out as the previous holder left them",
    time_limit: LIMIT,
    exclusive: false,
};

/// `adaptive-stress`.
pub const ADAPTIVE_STRESS: CheckInfo = CheckInfo {
    id: "adaptive-stress",
    task: 2,
    title: "adaptive: 8 threads x 2000 rounds, no buffer shared, none lost or leaked",
    why: "a buffer handed to two holders at once corrupts both messages, silently, under load",
    hint: "keep the counters (held, peak, histogram) and the store under one Mutex",
    catches: "a pool that hands one allocation to two holders",
    time_limit: STRESS_LIMIT,
    exclusive: false,
};
