//! Checks with threads that come and go, for every pool that may keep buffers per thread (Task
//! 2's fixed, size-class and adaptive pools, Task 4's production pool; Task 1's has its own,
//! `sync-cross-thread` and `sync-per-thread`).
//!
//! A per-thread cache makes a thread's common case fast, and it is also where a pool can lose
//! things: a buffer, a limit reservation or a count parked in a thread's cache when that thread
//! ends, a return that parks a buffer while another thread waits at a limit, a trim that does not
//! reach the caches. A pool without any per-thread cache (what the stubs suggest first) passes
//! every check here; a cache that strands, leaks or hides anything fails one.
//!
//! Threads are started and joined with `join`, which returns once the thread's thread-locals
//! were dropped, so a check reads the pool as it is after the thread ended. Every verdict comes
//! from the allocator's counts and from what the check itself holds, never from timing, except
//! that `prod-limit-wake` needs a waiting get to be served well before its timeout.

use crate::check::{ensure, passed, Failure, Outcome, Registration};
use crate::counting::{count_allocations, count_buffer_allocations, ensure_counting};
use crate::pool::BufferPool;
use crate::refusals::built;
use crate::task2::{AdaptiveConfig, AdaptivePoolApi, FixedPoolConfig, SizeClassConfig, Task2};
use crate::task4::{LimitPolicy, PoolConfig, PoolError, ProductionPoolApi, Task4};
use std::sync::{mpsc, Barrier};
use std::time::{Duration, Instant};

/// The checks of this module, by their ids in the catalogue.
pub fn registered<W: Task2 + Task4>() -> Vec<Registration<W>> {
    vec![
        (
            "fixed-thread-exit",
            fixed_buffers_outlive_their_threads::<W>,
        ),
        (
            "class-thread-exit",
            class_buffers_outlive_their_threads::<W>,
        ),
        (
            "adaptive-thread-exit",
            adaptive_buffers_and_gets_outlive_their_threads::<W>,
        ),
        (
            "adaptive-trim-caches",
            adaptive_trim_reaches_every_thread::<W>,
        ),
        ("prod-thread-exit", prod_limits_outlive_their_threads::<W>),
        ("prod-limit-cached", prod_limits_count_cached_buffers::<W>),
        ("prod-limit-wake", prod_a_parked_return_wakes_a_waiter::<W>),
        ("prod-trim-caches", prod_trim_reaches_every_thread::<W>),
    ]
}

/// Threads that take a buffer, give it back and end, one after another.
pub const ENDED_THREADS: usize = 16;
/// Threads that keep a buffer in their caches and live on.
const LIVING_THREADS: usize = 4;
/// The buffer size of these checks.
const SIZE: usize = 4096;

/// Runs `work` on a new thread and returns its result once the thread has ended, its
/// thread-locals dropped.
fn on_a_thread_that_ends<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(work)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The hint for a buffer lost with its thread.
const LOST_WITH_ITS_THREAD: &str = "when a thread ends, its cache must hand every buffer it \
    holds to the pool's shared store (a thread_local! value's Drop runs at thread exit); a pool \
    without a per-thread cache passes as it is";

/// [`ENDED_THREADS`] threads, one after another, each get a buffer of `size` bytes, write to it,
/// give it back and end; then this thread gets one. Every buffer a thread parked in its cache
/// must come back into use: one buffer serves them all (at most 2 buffer allocations in all,
/// for slack). A buffer freed with its thread, or stranded in its cache, must be replaced by a
/// new one on the next thread, so the count tells both apart from reuse. (Bytes freed would
/// not: each thread's own start-up allocations are freed when it ends.)
pub fn buffers_of_ended_threads_are_reused<P: BufferPool>(pool: &P, size: usize) -> Outcome {
    ensure_counting()?;
    // Thread start-up allocates a few things once per process; do it before counting.
    on_a_thread_that_ends(|| ());
    let (_, calls) = count_buffer_allocations(size, || {
        for _ in 0..ENDED_THREADS {
            on_a_thread_that_ends(|| {
                let mut buffer = pool.get(size);
                buffer.push(1);
            });
        }
        drop(pool.get(size));
    });
    ensure(
        calls.buffers <= 2,
        || {
            format!(
                "{ENDED_THREADS} threads, one after another, each get({size}), return it and \
                 end, then a get here: the buffer the first thread returned serves every later \
                 get (at most 2 buffer allocations in all)"
            )
        },
        || {
            format!(
                "{}: buffers returned on threads that then ended were lost (freed with the \
                 thread, or stranded in its cache) instead of reused",
                calls.describe()
            )
        },
    )
    .map_err(|failure| failure.with_hint(LOST_WITH_ITS_THREAD))?;
    passed(format!(
        "{ENDED_THREADS} threads that ended: {}",
        calls.describe()
    ))
}

/// The fixed pool reuses buffers returned on threads that ended.
pub fn fixed_buffers_outlive_their_threads<W: Task2>(workshop: &W) -> Outcome {
    let pool = built(
        workshop.fixed_pool(FixedPoolConfig {
            buffer_size: SIZE,
            preallocate: 0,
            max_pooled: 32,
        }),
        "fixed-size pool",
    )?;
    buffers_of_ended_threads_are_reused(&pool, SIZE)
}

/// The size-class pool reuses buffers returned on threads that ended.
pub fn class_buffers_outlive_their_threads<W: Task2>(workshop: &W) -> Outcome {
    let pool = built(
        workshop.size_class_pool(SizeClassConfig::default()),
        "size-class pool",
    )?;
    buffers_of_ended_threads_are_reused(&pool, SIZE)
}

/// The adaptive pool reuses buffers returned on threads that ended, and its calibration window
/// counts the gets those threads made.
pub fn adaptive_buffers_and_gets_outlive_their_threads<W: Task2>(workshop: &W) -> Outcome {
    let pool = built(
        workshop.adaptive_pool(AdaptiveConfig::default()),
        "adaptive pool",
    )?;
    let reused = buffers_of_ended_threads_are_reused(&pool, SIZE)?;
    // Windows of 20 gets: 30 small gets on a thread that ends close one window (95% of its
    // requests were 100 bytes). A 1 MiB buffer taken and returned here is then not worth
    // keeping. A pool that lost the ended thread's gets has not calibrated yet, and keeps it.
    const WINDOW: usize = 20;
    const SMALL_GETS: usize = 30;
    const BIG: usize = 1 << 20;
    let pool = built(
        workshop.adaptive_pool(AdaptiveConfig {
            window: WINDOW,
            ..AdaptiveConfig::default()
        }),
        "adaptive pool",
    )?;
    on_a_thread_that_ends(|| {
        for _ in 0..SMALL_GETS {
            drop(pool.get(100));
        }
    });
    let big = pool.get(BIG);
    let big_capacity = big.capacity();
    let (_, returning) = count_allocations(|| drop(big));
    ensure(
        returning.bytes_freed >= big_capacity,
        || {
            format!(
                "with windows of {WINDOW} gets: {SMALL_GETS} gets of 100 bytes on a thread that \
                 then ended, then a get of 1 MiB here: the ended thread's gets closed a window \
                 that learned 100-byte requests, so the 1 MiB buffer is freed when it comes back"
            )
        },
        || {
            format!(
                "{} bytes freed on its return: the pool kept it, as if the ended thread's \
                 {SMALL_GETS} gets had never happened",
                returning.bytes_freed
            )
        },
    )
    .map_err(|failure| {
        failure.with_hint(
            "every get counts in the window, whichever thread made it: a thread that counts its \
             gets in a cache of its own must add them to the window before it ends (or the pool \
             must collect them when it next calibrates)",
        )
    })?;
    passed(format!(
        "{}; the window counted the {SMALL_GETS} gets of a thread that ended",
        reused.text
    ))
}

/// [`LIVING_THREADS`] threads each get a buffer, hold it until every one of them has its own,
/// give it back (into their caches, if the pool keeps any) and stay alive while `then` runs
/// here; returns what `then` returned. Held at once, the buffers are distinct whatever the pool:
/// a pool without per-thread caches, whose threads could otherwise all reuse the first
/// thread's buffer, holds [`LIVING_THREADS`] idle ones too.
fn with_buffers_parked_on_living_threads<P: BufferPool, T>(
    pool: &P,
    then: impl FnOnce() -> T,
) -> T {
    let taken = Barrier::new(LIVING_THREADS);
    let parked = Barrier::new(LIVING_THREADS + 1);
    let done = Barrier::new(LIVING_THREADS + 1);
    std::thread::scope(|scope| {
        for _ in 0..LIVING_THREADS {
            scope.spawn(|| {
                let mut buffer = pool.get(SIZE);
                buffer.push(1);
                taken.wait();
                drop(buffer);
                parked.wait();
                done.wait();
            });
        }
        parked.wait();
        let result = then();
        done.wait();
        result
    })
}

/// The hint for a trim that misses the caches.
const TRIM_MISSES_CACHES: &str = "idle buffers parked in other threads' caches are idle too: \
    trim and shrink_to must reach them (take them back from every thread's cache, or keep \
    caches the pool can empty), not only the shared store";

/// The bytes the adaptive pool's two trims free while [`LIVING_THREADS`] living threads each
/// parked a returned buffer: with floor 0, every idle buffer.
pub fn adaptive_trim_reaches_every_thread<W: Task2>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = built(
        workshop.adaptive_pool(AdaptiveConfig {
            floor: 0,
            ..AdaptiveConfig::default()
        }),
        "adaptive pool",
    )?;
    let freed = with_buffers_parked_on_living_threads(&pool, || {
        count_allocations(|| {
            pool.trim();
            pool.trim();
        })
        .1
        .bytes_freed
    });
    let wanted = LIVING_THREADS * SIZE;
    ensure(
        freed >= wanted,
        || {
            format!(
                "{LIVING_THREADS} threads each get({SIZE}), all held at once, return them and live on; two \
                 trim() calls here with floor 0 free every idle buffer: at least {wanted} bytes"
            )
        },
        || {
            format!(
                "{freed} bytes freed: the buffers those threads returned stayed in their caches, \
                 out of trim's reach"
            )
        },
    )
    .map_err(|failure| failure.with_hint(TRIM_MISSES_CACHES))?;
    passed(format!(
        "two trims freed {freed} bytes, the buffers of {LIVING_THREADS} living threads included"
    ))
}

/// A production pool with `max_in_use` = `limit` and policy `fail`.
fn limited<W: Task4>(workshop: &W, limit: usize) -> Result<W::ProductionPool, Failure> {
    built(
        workshop.production_pool(PoolConfig {
            max_in_use: limit,
            on_limit: LimitPolicy::Fail,
            ..PoolConfig::default()
        }),
        "production pool",
    )
}

/// How `count` try_gets here went, all held at once: the errors, as text.
fn take_all_at_once<P: ProductionPoolApi>(pool: &P, count: usize) -> Vec<String> {
    take_all_at_once_then(pool, count, || ()).0
}

/// [`take_all_at_once`], running `then` while the buffers are still held.
fn take_all_at_once_then<P: ProductionPoolApi, T>(
    pool: &P,
    count: usize,
    then: impl FnOnce() -> T,
) -> (Vec<String>, T) {
    let held: Vec<_> = (0..count).map(|_| pool.try_get(SIZE)).collect();
    let refused = held
        .iter()
        .enumerate()
        .filter_map(|(index, got)| {
            got.as_ref()
                .err()
                .map(|error| format!("get {} of {count}: {error}", index + 1))
        })
        .collect();
    (refused, then())
}

/// With `max_in_use` = 4 (policy fail), [`ENDED_THREADS`] threads one after another each take
/// two buffers, return them and end. The limit must not shrink: then 4 gets here, held at once,
/// are all served and a fifth is refused. And the returned buffers are reused, not lost.
pub fn prod_limits_outlive_their_threads<W: Task4>(workshop: &W) -> Outcome {
    ensure_counting()?;
    const LIMIT: usize = 4;
    let pool = limited(workshop, LIMIT)?;
    on_a_thread_that_ends(|| ());
    let ((refused_on_threads, refused_here, fifth), calls) = count_buffer_allocations(SIZE, || {
        let mut refused_on_threads = Vec::new();
        for thread in 1..=ENDED_THREADS {
            let refused = on_a_thread_that_ends(|| take_all_at_once(&pool, 2));
            refused_on_threads.extend(
                refused
                    .into_iter()
                    .map(|error| format!("thread {thread}, {error}")),
            );
        }
        let (refused_here, fifth) = take_all_at_once_then(&pool, LIMIT, || {
            pool.try_get(SIZE).map(|buffer| buffer.capacity())
        });
        (refused_on_threads, refused_here, fifth)
    });
    let refused: Vec<String> = refused_on_threads.into_iter().chain(refused_here).collect();
    ensure(
        refused.is_empty() && matches!(fifth, Err(PoolError::LimitReached { .. })),
        || {
            format!(
                "max_in_use = {LIMIT} (policy fail): after {ENDED_THREADS} threads each took 2 \
                 buffers, returned them and ended, {LIMIT} gets here held at once are all \
                 served and a fifth is refused (LimitReached)"
            )
        },
        || {
            if refused.is_empty() {
                format!(
                    "every get served, and the fifth too ({fifth:?}): the pool lets more than \
                     {LIMIT} buffers out"
                )
            } else {
                format!(
                    "refused: {}: the limit shrank as threads ended (each left a reservation \
                     behind in its cache that nobody gave back)",
                    refused.join("; ")
                )
            }
        },
    )
    .map_err(|failure| {
        failure.with_hint(
            "a buffer parked in a thread's cache with its limit reservation must give both \
             back when the thread ends: the buffer to the shared store, the reservation to the \
             limit",
        )
    })?;
    ensure(
        calls.buffers <= LIMIT + 1,
        || {
            format!(
                "the buffers those threads returned reused: at most {} buffer allocations in \
                 all ({LIMIT} are needed for the {LIMIT} held here)",
                LIMIT + 1
            )
        },
        || {
            format!(
                "{}: buffers returned on threads that then ended were lost",
                calls.describe()
            )
        },
    )
    .map_err(|failure| failure.with_hint(LOST_WITH_ITS_THREAD))?;
    passed(format!(
        "after {ENDED_THREADS} threads ended: {LIMIT} served, the fifth refused; {}",
        calls.describe()
    ))
}

/// With `max_in_use` = 4 (policy fail), 4 living threads each return a buffer (into their
/// caches) and take one again, which their caches may serve: the four count as in use, so a get
/// here is refused. Once they gave them back again (and live on), 4 gets here are served.
pub fn prod_limits_count_cached_buffers<W: Task4>(workshop: &W) -> Outcome {
    const LIMIT: usize = LIVING_THREADS;
    let pool = limited(workshop, LIMIT)?;
    let (retaken, refused, returned) = (
        Barrier::new(LIMIT + 1),
        Barrier::new(LIMIT + 1),
        Barrier::new(LIMIT + 1),
    );
    let (while_held, after_returns) = std::thread::scope(|scope| {
        for _ in 0..LIMIT {
            scope.spawn(|| {
                drop(pool.get(SIZE));
                let again = pool.get(SIZE);
                retaken.wait();
                refused.wait();
                drop(again);
                returned.wait();
                // Alive while the check takes the buffers back.
                refused.wait();
            });
        }
        retaken.wait();
        let while_held = pool.try_get(SIZE).map(|buffer| buffer.capacity());
        refused.wait();
        returned.wait();
        let after_returns = take_all_at_once(&pool, LIMIT);
        refused.wait();
        (while_held, after_returns)
    });
    ensure(
        matches!(while_held, Err(PoolError::LimitReached { .. })),
        || {
            format!(
                "max_in_use = {LIMIT} (policy fail): {LIMIT} threads each return a buffer and \
                 take one again (from their caches, if the pool keeps any), and hold it; a get \
                 here is refused (LimitReached)"
            )
        },
        || {
            format!(
                "{while_held:?}: served, so {} buffers were out at once; a buffer a thread's \
                 cache hands out again must count as in use, as one from the shared store does",
                LIMIT + 1
            )
        },
    )
    .map_err(|failure| {
        failure.with_hint(
            "a thread's cache that gives a buffer's reservation back when it parks the buffer \
             must take a reservation again when it hands the buffer out (or keep the \
             reservation with the parked buffer, and give it back on demand)",
        )
    })?;
    ensure(
        after_returns.is_empty(),
        || {
            format!(
                "once those {LIMIT} threads returned their buffers (and live on), {LIMIT} gets \
                 here held at once all served"
            )
        },
        || {
            format!(
                "refused: {}: buffers returned into living threads' caches still count against \
                 the limit",
                after_returns.join("; ")
            )
        },
    )
    .map_err(|failure| {
        failure.with_hint(
            "a get at the limit must take back the reservations parked in other threads' caches \
             (see prod-limit-returned)",
        )
    })?;
    passed(format!(
        "{LIMIT} buffers held through threads' caches: the next get refused; returned: {LIMIT} \
         served here"
    ))
}

/// How long a waiting get may wait in `prod-limit-wake`, and by when it must have been served.
/// The timeout stays below the 2.5 s after which the grader takes a process whose threads all
/// sleep for deadlocked; a pool that re-checks now and then rather than being woken (the
/// reference's waiters also look for parked reservations after 50 ms, then twice as long each
/// time) is served well within the limit.
const WAKE_TIMEOUT: Duration = Duration::from_secs(2);
const SERVED_WITHIN: Duration = Duration::from_millis(1500);
/// How long the holder keeps its buffer after the waiter started.
const HOLD_AFTER: Duration = Duration::from_millis(200);

/// With `max_in_use` = 1 and policy `wait` (2 s), a thread holds the only buffer; a get here
/// waits. The thread returns its buffer (into its cache, if the pool keeps any) and lives on:
/// the waiting get is served long before its timeout.
pub fn prod_a_parked_return_wakes_a_waiter<W: Task4>(workshop: &W) -> Outcome {
    let pool = built(
        workshop.production_pool(PoolConfig {
            max_in_use: 1,
            on_limit: LimitPolicy::Wait,
            wait_timeout_ms: WAKE_TIMEOUT.as_millis() as u64,
            ..PoolConfig::default()
        }),
        "production pool",
    )?;
    let (holding, held) = mpsc::channel::<()>();
    let (served_tx, served_rx) = mpsc::channel::<()>();
    let (outcome, waited) = std::thread::scope(|scope| {
        let pool = &pool;
        scope.spawn(move || {
            let buffer = pool.get(SIZE);
            holding.send(()).ok();
            std::thread::sleep(HOLD_AFTER);
            drop(buffer);
            // Alive, and idle, until the waiter is done.
            served_rx.recv().ok();
        });
        held.recv().ok();
        let started = Instant::now();
        let outcome = pool.try_get(SIZE).map(|buffer| buffer.capacity());
        let waited = started.elapsed();
        served_tx.send(()).ok();
        (outcome, waited)
    });
    ensure(
        outcome.is_ok() && waited < SERVED_WITHIN,
        || {
            format!(
                "max_in_use = 1, policy wait ({} s): another thread holds the buffer and \
                 returns it {} ms after our get began, then lives on; our get served within {} \
                 s, well before its timeout",
                WAKE_TIMEOUT.as_secs(),
                HOLD_AFTER.as_millis(),
                SERVED_WITHIN.as_secs_f64()
            )
        },
        || {
            format!(
                "{} after {:.1} s: the return did not wake the waiting get (the buffer stayed \
                 parked in the returning thread's cache, with its reservation)",
                match &outcome {
                    Ok(_) => "served".to_string(),
                    Err(error) => format!("refused ({error})"),
                },
                waited.as_secs_f64()
            )
        },
    )
    .map_err(|failure| {
        failure.with_hint(
            "a return must wake a get waiting at the limit whatever happens to the buffer: kept \
             in the shared store, dropped, or parked in the returning thread's cache (then the \
             waiter must be able to take that reservation back)",
        )
    })?;
    passed(format!(
        "the waiting get was served {:.0} ms after it began",
        waited.as_secs_f64() * 1000.0
    ))
}

/// `shrink_to(0)` and `trim()` (with `trim_keep_percent` = 0) free the buffers that living
/// threads parked in their caches.
pub fn prod_trim_reaches_every_thread<W: Task4>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let wanted = LIVING_THREADS * SIZE;
    let mut found = Vec::new();
    for (what, keep) in [("shrink_to(0)", None), ("trim()", Some(0))] {
        let pool = built(
            workshop.production_pool(PoolConfig {
                trim_keep_percent: keep.unwrap_or(PoolConfig::default().trim_keep_percent),
                ..PoolConfig::default()
            }),
            "production pool",
        )?;
        let freed = with_buffers_parked_on_living_threads(&pool, || {
            count_allocations(|| match keep {
                None => {
                    pool.shrink_to(0);
                }
                Some(_) => pool.trim(),
            })
            .1
            .bytes_freed
        });
        ensure(
            freed >= wanted,
            || {
                format!(
                    "{LIVING_THREADS} threads each get({SIZE}), all held at once, return them and live on; \
                     {what}{} here frees every idle buffer: at least {wanted} bytes",
                    if keep.is_some() {
                        " with trim_keep_percent = 0"
                    } else {
                        ""
                    }
                )
            },
            || {
                format!(
                    "{freed} bytes freed: the buffers those threads returned stayed in their \
                     caches, out of {what}'s reach"
                )
            },
        )
        .map_err(|failure| failure.with_hint(TRIM_MISSES_CACHES))?;
        found.push(format!("{what} freed {freed} bytes"));
    }
    passed(format!(
        "{}, the buffers of {LIVING_THREADS} living threads included",
        found.join(", ")
    ))
}
