//! The checks of Task 2's size-class pool, written once for any [`Task2`] implementation: the
//! smallest class that fits, buffers back into the class their capacity fits, a bound per class,
//! nothing kept above the largest class, and waste reported exactly.
//!
//! The one figure taken from the pool, its [`Waste`], is compared with what the check itself
//! saw handed out: monitoring that reports wrong figures fails.

use crate::check::{ensure, passed, Failure, Outcome, Registration};
use crate::counting::{count_allocations, count_buffer_allocations, ensure_counting};
use crate::every_pool::{self, address, keeps_at_most_four};
use crate::pool::BufferPool;
use crate::refusals::{built, refuses_each};
use crate::task2::{SizeClassConfig, SizeClassPoolApi, Task2, Waste};

const MIB: usize = 1024 * 1024;

/// The checks of this module, by their ids in the catalogue.
pub fn registered<W: Task2>() -> Vec<Registration<W>> {
    vec![
        ("class-config", class_refuses_bad_configs::<W>),
        (
            "class-select",
            class_serves_the_smallest_class_that_fits::<W>,
        ),
        ("class-own", class_takes_buffers_back_into_their_class::<W>),
        ("class-bound", class_bounds_each_class::<W>),
        ("class-above-max", class_never_keeps_above_max::<W>),
        ("class-regrown", class_moves_regrown_buffers::<W>),
        ("class-waste", class_reports_waste::<W>),
        ("class-reset", class_resets::<W>),
        ("class-stress", class_never_shares::<W>),
    ]
}

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
    passed("1->64, 64->64, 65->128, 1000->1024, 4096->4096, 1 MiB->1 MiB, 1 MiB+1 served")
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
    passed("back into class 2048 and reused there, not by class 1024")
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
    passed(format!("{capacity} bytes served and freed on return"))
}

/// A buffer that grew or shrank while held goes to the class its capacity now fits (rounding
/// down), never back into its old class, nor into the class above.
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
    let (class, capacity) = regrown_buffer_serves_the_class_below(workshop)?;
    passed(format!(
        "grown and shrunk buffers left class 128; a buffer regrown to capacity {capacity} \
         served get({class}) again, allocating nothing"
    ))
}

/// A buffer regrown to a capacity between two classes goes to the class below, the one its
/// capacity fits, and serves it with no allocation: classed by rounding up, it would sit in the
/// class above and be grown again (a reallocation) by the get that finds it there. Returns the
/// class and the regrown capacity.
fn regrown_buffer_serves_the_class_below<W: Task2>(
    workshop: &W,
) -> Result<(usize, usize), Failure> {
    ensure_counting()?;
    let pool = classes(workshop, CLASSES)?;
    // Buffers of 1 KiB and more, so that a pool's bookkeeping (smaller blocks) is told apart.
    let mut regrown = pool.get(1000);
    regrown.reserve_exact(3000);
    let (at, capacity) = (address(&regrown), regrown.capacity());
    // The class its capacity fits: the largest power of two not above it (2048 for 3000).
    let class = 1 << capacity.ilog2();
    drop(regrown);
    let (again, calls) = count_buffer_allocations(class, || {
        let buffer = pool.get(class);
        (address(&buffer), buffer.capacity())
    });
    ensure(
        again.0 == at && calls.buffers == 0,
        || {
            format!(
                "a class-1024 buffer regrown to capacity {capacity} to go back into class \
                 {class}, the class its capacity fits, and to serve get({class}) again: the same \
                 allocation, no buffer allocated"
            )
        },
        || {
            let which = if again.0 == at {
                "the same"
            } else {
                "a different"
            };
            format!(
                "{which} allocation (capacity {}); {}: the regrown buffer was not in class \
                 {class} (a capacity rounded up to the next class puts it where every get must \
                 grow it again)",
                again.1,
                calls.describe()
            )
        },
    )?;
    Ok((class, capacity))
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
    passed(format!(
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
