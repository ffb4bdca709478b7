//! Task 4's hygiene checks: memory given back on demand, secrets zeroed, leaks reported
//! exactly, buffers reset, and none shared between threads.

use super::build;
use crate::check::{ensure, passed, Outcome};
use crate::counting::{count_allocations, count_buffer_allocations, ensure_counting};
use crate::every_pool::{self, address};
use crate::pool::BufferPool;
use crate::task4::{PoolConfig, ProductionPoolApi, Task4};

/// `shrink_to(bytes)` frees idle buffers down to the target, by the allocator's count.
pub fn shrink_frees_down_to_a_target<W: Task4>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = build(workshop, PoolConfig::default())?;
    let held: Vec<_> = (0..8).map(|_| pool.get(4096)).collect();
    drop(held);
    let (freed, calls) = count_allocations(|| pool.shrink_to(2 * 4096));
    let metrics = pool.metrics();
    ensure(
        calls.bytes_freed >= 6 * 4096
            && metrics.bytes_retained <= 2 * 4096
            && freed >= 6 * 4096
            && metrics.dropped_trimmed == 6,
        || {
            "shrink_to(8192) with 8 idle 4 KiB buffers: 6 freed (the allocator saw 24 KiB freed), \
            8 KiB retained, 6 counted as trimmed, and the freed bytes returned"
                .into()
        },
        || {
            format!(
                "{} bytes freed by the allocator, {freed} reported, {} retained, {} trimmed",
                calls.bytes_freed, metrics.bytes_retained, metrics.dropped_trimmed
            )
        },
    )?;
    // trim() keeps trim_keep_percent of the idle buffers, rounded down: 45% of 8 is 3.6, so 3
    // stay (rounding up or to the nearest would keep 4).
    let pool = build(
        workshop,
        PoolConfig {
            trim_keep_percent: 45,
            ..PoolConfig::default()
        },
    )?;
    let held: Vec<_> = (0..8).map(|_| pool.get(4096)).collect();
    drop(held);
    let (_, trimming) = count_allocations(|| pool.trim());
    let trimmed = pool.metrics();
    ensure(
        trimming.bytes_freed >= 5 * 4096 && trimmed.pooled == 3 && trimmed.dropped_trimmed == 5,
        || {
            "trim() with 8 idle 4 KiB buffers and trim_keep_percent = 45: 45% of 8 is 3.6, \
             rounded down to 3 kept, so 5 freed (the allocator saw 20 KiB freed), 3 still pooled, \
             5 counted as trimmed"
                .into()
        },
        || {
            let rounding = match trimmed.pooled {
                4 => " (3.6 rounded up: the contract rounds the kept share down)",
                _ => "",
            };
            format!(
                "{} bytes freed by the allocator, {} pooled, {} trimmed{rounding}",
                trimming.bytes_freed, trimmed.pooled, trimmed.dropped_trimmed
            )
        },
    )?;
    passed(format!(
        "shrink_to: {} bytes freed down to 8 KiB; trim: {} bytes freed, 3 of 8 kept (45%, \
         rounded down)",
        calls.bytes_freed, trimming.bytes_freed
    ))
}

/// With `zero_on_return`, a buffer taken after one that held a secret holds none of it.
pub fn zero_on_return_leaves_no_secret<W: Task4>(workshop: &W) -> Outcome {
    ensure_counting()?;
    const SECRET: &[u8] = b"correct horse battery staple";
    let config = PoolConfig {
        zero_on_return: true,
        ..PoolConfig::default()
    };
    let pool = build(workshop, config)?;
    let mut holder = pool.get_read(1024);
    for chunk in holder.chunks_mut(SECRET.len()) {
        chunk.copy_from_slice(&SECRET[..chunk.len()]);
    }
    let first = address(&holder);
    drop(holder);
    // Read as initialised bytes through the safe API: sound whatever the pool did.
    let next = pool.get_read(1024);
    ensure(
        address(&next) == first,
        || "the next get_read to reuse the buffer (the check needs it)".into(),
        || "a different allocation".into(),
    )?;
    let leaked = next.iter().filter(|&&byte| byte != 0).count();
    ensure(
        leaked == 0,
        || "with zero_on_return, the next holder sees no byte of the secret (all zero)".into(),
        || format!("{leaked} of 1024 bytes still non-zero"),
    )?;
    drop(next);
    // A holder that shrinks the buffer before returning it (`clear`, `truncate`) leaves the
    // secret past the length: zeroing the length alone would keep it in memory.
    let mut holder = pool.get(1024);
    let capacity = holder.capacity();
    holder.extend(SECRET.iter().cycle().take(capacity));
    holder.truncate(16);
    let first = address(&holder);
    drop(holder);
    let (next, calls) = count_buffer_allocations(capacity, || pool.get(1024));
    ensure(
        address(&next) == first && calls.buffers == 0 && next.capacity() == capacity,
        || "the next get to reuse the buffer, unchanged in capacity (the check needs it)".into(),
        || format!("another buffer, or {}", calls.describe()),
    )?;
    // SAFETY: `next` is the very allocation the holder filled to its full capacity: the same
    // address and capacity, and no block of that size obtained from the allocator since, so it
    // was neither freed and allocated again nor reallocated. All `capacity` bytes are therefore
    // initialised, by the holder or by the pool since.
    // The guard is only read through this shared slice while the slice lives.
    let whole = unsafe { std::slice::from_raw_parts(next.as_ptr(), capacity) };
    let lingering = whole.iter().filter(|&&byte| byte != 0).count();
    ensure(
        lingering == 0,
        || {
            format!(
                "with zero_on_return, a buffer filled to its {capacity} bytes and truncated to 16 \
                 before its return to be zeroed over its whole capacity"
            )
        },
        || {
            format!(
                "{lingering} of {capacity} bytes still hold the secret: the pool zeroed only the \
                 buffer's length, and the rest stays in memory until someone writes over it"
            )
        },
    )?;
    passed(
        "the reused buffer held no byte of the previous holder's secret, even past a truncated \
         length",
    )
}

/// The leak report counts the buffers still out, exactly, and says where each was taken.
pub fn leak_report_counts_exactly<W: Task4>(workshop: &W) -> Outcome {
    let config = PoolConfig {
        track_leaks: true,
        ..PoolConfig::default()
    };
    let pool = build(workshop, config)?;
    let held = pool.get(100);
    std::mem::forget(pool.get(100)); // a leak: never given back
    drop(pool.get(100));
    let report = pool.leak_report();
    ensure(
        report.outstanding == 2
            && report.sites.len() == 2
            && report.sites.iter().all(|s| !s.is_empty()),
        || "one guard held, one forgotten, one returned: 2 outstanding, with 2 sites".into(),
        || {
            format!(
                "{} outstanding, {} sites",
                report.outstanding,
                report.sites.len()
            )
        },
    )?;
    drop(held);
    let report = pool.leak_report();
    ensure(
        report.outstanding == 1 && report.sites.len() == 1,
        || "after the held guard came back: 1 outstanding (the forgotten one)".into(),
        || {
            format!(
                "{} outstanding, {} sites",
                report.outstanding,
                report.sites.len()
            )
        },
    )?;
    passed("2 outstanding with their sites, then 1")
}

/// The production pool resets before reuse.
pub fn production_pool_resets<W: Task4>(workshop: &W) -> Outcome {
    every_pool::resets_buffers_before_reuse(&build(workshop, PoolConfig::default())?)
}

/// The production pool under many threads.
pub fn production_pool_never_shares<W: Task4>(workshop: &W) -> Outcome {
    let pool = build(
        workshop,
        PoolConfig {
            buffer_size: 8192,
            ..PoolConfig::default()
        },
    )?;
    every_pool::never_shares_a_buffer(move || pool, 8192)
}
