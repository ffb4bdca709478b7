//! The checks of Task 2's fixed-size pool, written once for any [`Task2`] implementation: it
//! preallocates, reuses, stays bounded, refuses what is not its size, and resets.
//!
//! As everywhere, reuse and release are proven by allocation identity and the counting
//! allocator, never by the pool's word.

use crate::check::{ensure, passed, Failure, Outcome, Registration};
use crate::counting::{count_allocations, count_buffer_allocations, ensure_counting};
use crate::every_pool::{self, address, keeps_at_most_four};
use crate::pool::{BufferPool, Pooled};
use crate::refusals::{built, refuses_each};
use crate::task2::{FixedPoolApi, FixedPoolConfig, Task2};
use std::collections::HashSet;

/// The checks of this module, by their ids in the catalogue.
pub fn registered<W: Task2>() -> Vec<Registration<W>> {
    vec![
        ("fixed-config", fixed_refuses_bad_configs::<W>),
        ("fixed-prealloc", fixed_preallocates::<W>),
        ("fixed-reuse", fixed_reuses_its_buffers::<W>),
        ("fixed-bound", fixed_keeps_at_most_max_pooled::<W>),
        ("fixed-oversize", fixed_serves_but_never_keeps_oversize::<W>),
        ("fixed-detached", fixed_checks_detached_returns::<W>),
        ("fixed-reset", fixed_resets::<W>),
        ("fixed-stress", fixed_never_shares::<W>),
    ]
}

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
    passed(format!(
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
    passed("capacity exactly 4096; reused by get and get_read with no buffer allocated")
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
    passed(format!(
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
    passed("right size taken back and reused; wrong sizes refused with the buffer given back")
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
