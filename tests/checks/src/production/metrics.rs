//! Task 4's metrics checks: after a scripted sequence, and under 8 threads, every counter and
//! gauge is exactly what the check itself did.

use super::build;
use crate::check::{ensure, passed, Outcome};
use crate::pool::BufferPool;
use crate::task4::{PoolConfig, ProductionPoolApi, Task4};

/// After a scripted sequence, every counter and gauge is exactly what the script did.
pub fn metrics_add_up_exactly<W: Task4>(workshop: &W) -> Outcome {
    let pool = build(
        workshop,
        PoolConfig {
            buffer_size: 1024,
            max_buffer_size: 64 * 1024,
            max_pooled: 3,
            ..PoolConfig::default()
        },
    )?;
    // 5 gets held at once: 5 misses. Returned: 3 kept, 2 dropped (pool full).
    let held: Vec<_> = (0..5).map(|_| pool.get(100)).collect();
    let during = pool.metrics();
    drop(held);
    // 3 hits, then one buffer grown past max_buffer_size: dropped as oversized.
    let reused: Vec<_> = (0..3).map(|_| pool.get(100)).collect();
    drop(reused);
    let mut big = pool.get(100);
    big.reserve(128 * 1024);
    drop(big);
    let metrics = pool.metrics();
    let expected = (9, 9, 4, 5, 5, 0, 5, 2, 2, 1);
    let seen = (
        metrics.gets,
        metrics.returns,
        metrics.hits,
        metrics.misses,
        metrics.created,
        metrics.in_use,
        metrics.high_water_in_use,
        metrics.pooled,
        metrics.dropped_full,
        metrics.dropped_oversized,
    );
    ensure(
        seen == expected && during.in_use == 5,
        || {
            "after 5 gets held and returned, 3 reused, 1 grown past the limit: gets 9, returns 9, \
             hits 4, misses 5, created 5, in use 0 (5 while held), high water 5, pooled 2, \
             dropped full 2, dropped oversized 1"
                .into()
        },
        || {
            format!(
                "gets {}, returns {}, hits {}, misses {}, created {}, in use {} ({} while held), \
                 high water {}, pooled {}, dropped full {}, dropped oversized {}",
                seen.0,
                seen.1,
                seen.2,
                seen.3,
                seen.4,
                seen.5,
                during.in_use,
                seen.6,
                seen.7,
                seen.8,
                seen.9
            )
        },
    )?;
    ensure(
        metrics.bytes_retained == 2 * 1024 && (metrics.hit_rate() - 4.0 / 9.0).abs() < 1e-9,
        || "bytes retained 2048 (two 1 KiB buffers idle) and hit rate 4/9".into(),
        || {
            format!(
                "bytes retained {}, hit rate {}",
                metrics.bytes_retained,
                metrics.hit_rate()
            )
        },
    )?;
    passed("every counter and gauge matched the script; hit rate 0.444")
}

/// Under 8 threads, the counters still add up.
pub fn metrics_add_up_under_threads<W: Task4>(workshop: &W) -> Outcome {
    const THREADS: u64 = 8;
    const ROUNDS: u64 = 2_000;
    let pool = build(workshop, PoolConfig::default())?;
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for round in 0..ROUNDS {
                    let first = pool.get(512);
                    if round % 3 == 0 {
                        let second = pool.get(512);
                        drop(second);
                    }
                    drop(first);
                }
            });
        }
    });
    let metrics = pool.metrics();
    let gets = THREADS * (ROUNDS + ROUNDS.div_ceil(3));
    ensure(
        metrics.gets == gets
            && metrics.returns == gets
            && metrics.hits + metrics.misses == gets
            && metrics.in_use == 0
            && metrics.created == metrics.misses,
        || {
            format!(
                "{gets} gets and returns by {THREADS} threads: gets = returns = hits + misses = \
                 {gets}, created = misses, in use 0"
            )
        },
        || {
            format!(
                "gets {}, returns {}, hits {} + misses {}, created {}, in use {}",
                metrics.gets,
                metrics.returns,
                metrics.hits,
                metrics.misses,
                metrics.created,
                metrics.in_use
            )
        },
    )?;
    passed(format!(
        "{gets} gets by {THREADS} threads counted exactly; hit rate {:.3}",
        metrics.hit_rate()
    ))
}
