//! # Task 4b: the production pool
//!
//! TODO: build `ProductionPool`, the pool you would run in a network server: bounded,
//! observable, and calm when its limits are hit.
//!
//! 1. **Store and reuse**: idle buffers in a bounded queue or a `Mutex<Vec<_>>` (`max_pooled`);
//!    new buffers of `buffer_size`; returned buffers above `max_buffer_size` dropped; reset with
//!    `Pooled::growable` / `Pooled::readable` (`prod-reset`, `prod-stress`).
//! 2. **Metrics** (`metrics()`): gets, returns, hits, misses, created, in use, high-water mark,
//!    pooled, bytes retained, dropped (oversized, full, trimmed), degraded, rejected. Exact after
//!    a scripted sequence (`prod-metrics-exact`) and under 8 threads (`prod-metrics-threads`).
//!    Cheap: atomic counters, ideally one set per thread so that threads do not contend for one
//!    cache line (each thread bumps its own counters with a plain load and store; a snapshot
//!    sums them all; measure what yours costs with your benchmark).
//! 3. **Exports** (`prometheus()`, `metrics_json()`): Prometheus text with a `# HELP` and a
//!    `# TYPE` line per metric, counters named `…_total`; JSON with the fields of `Metrics` and
//!    `hit_rate` (`prod-exports`).
//! 4. **Limits**: at most `max_in_use` buffers and `max_bytes_in_use` bytes out. Reserve a slot
//!    with a compare-and-swap before taking a buffer; at the limit apply `on_limit`: `allocate`
//!    (serve anyway, count degraded), `fail` (return `PoolError::LimitReached` at once), `wait`
//!    (a `Mutex` + `Condvar`: wait up to `wait_timeout_ms` for a return, then
//!    `PoolError::Timeout`). Every return releases its slot and wakes a waiter, even for buffers
//!    the pool drops (`prod-limit-allocate`, `prod-limit-fail`, `prod-limit-wait`,
//!    `prod-limit-stress`). Under 8 threads neither limit may be passed, even for a moment:
//!    reserve the bytes with a read-modify-write too, and give the slot back if the bytes are
//!    refused (`prod-limit-threads`). `get` never fails: at a limit it serves anyway, counted
//!    degraded only; a `try_get` the policy refuses is counted rejected. A get served past a
//!    limit is in use like any other (`in_use` and the high-water mark count it: it holds
//!    memory). A returned buffer is no
//!    longer held, whichever thread returned it (`prod-limit-returned`). If you keep returned
//!    buffers in per-thread caches for speed (the simple version keeps none, and passes these
//!    as it is): a buffer a cache hands out again counts as in use (`prod-limit-cached`); a
//!    return wakes a waiting get even when the buffer stays in the returning thread's cache
//!    (`prod-limit-wake`); a thread that ends gives back its cached buffers and their
//!    reservations (`prod-thread-exit`); `shrink_to` and `trim` reach every cache
//!    (`prod-trim-caches`).
//! 5. **Memory pressure**: `shrink_to(bytes)` frees idle buffers until the idle capacity is at
//!    most `bytes`; `trim()` keeps `trim_keep_percent` of the idle ones, rounded down
//!    (`idle * percent / 100` in integers: 45% of 8 keeps 3) (`prod-shrink`).
//! 6. **Hygiene**: with `zero_on_return`, zero a returned buffer's whole capacity before keeping
//!    it, past its length too: a holder may have truncated the buffer, and what it wrote is still
//!    in memory (`buffer.clear()`, then `buffer.resize(capacity, 0)`) (`prod-zero`). The leak report
//!    counts buffers out and, with `track_leaks`, keeps a `std::backtrace::Backtrace` per buffer
//!    out, keyed by the address of its box (`&*buffer as *const Vec<u8> as usize`), removed on
//!    return (`prod-leaks`).

use pool_contract::task4::{LeakReport, Metrics, PoolConfig, PoolError, ProductionPoolApi};
use pool_contract::{BufferPool, ConfigError, PoolStats, Pooled};

/// A production pool. See the module docs for what to build.
pub struct ProductionPool {
    // TODO: your fields: the config, the idle store, the in-use gauges, the counters, the
    // wait lock and condition variable, the leak sites.
    config: PoolConfig,
}

impl ProductionPool {
    /// A pool configured by `config`, refused (with `task4_config::validate`) if it is invalid.
    pub fn new(config: PoolConfig) -> Result<Self, ConfigError> {
        todo!("validate {config:?} and build the pool")
    }
}

impl BufferPool for ProductionPool {
    /// Never fails: at a limit it serves anyway and counts a degraded event.
    fn get(&self, capacity: usize) -> Pooled<'_, Self> {
        todo!("hand out an empty buffer for get({capacity})")
    }

    /// Exactly `len` initialised bytes; never fails.
    fn get_read(&self, len: usize) -> Pooled<'_, Self> {
        todo!("hand out a read buffer of exactly {len} bytes")
    }

    /// Releases the in-use slot, wakes a waiter, and keeps or drops the buffer.
    fn put(&self, buffer: Box<Vec<u8>>) {
        todo!(
            "take back a buffer of capacity {} (max_buffer_size {})",
            buffer.capacity(),
            self.config.max_buffer_size
        )
    }

    /// Created, dropped and idle, from the metrics.
    fn stats(&self) -> PoolStats {
        todo!("report created, dropped and idle")
    }
}

impl ProductionPoolApi for ProductionPool {
    /// A buffer, or the limit policy's error.
    fn try_get(&self, capacity: usize) -> Result<Pooled<'_, Self>, PoolError> {
        todo!(
            "get({capacity}) under the limit policy {:?}",
            self.config.on_limit
        )
    }

    /// One snapshot of the counters and gauges.
    fn metrics(&self) -> Metrics {
        todo!("snapshot the metrics")
    }

    /// The metrics as Prometheus text.
    fn prometheus(&self) -> String {
        todo!("export the metrics as Prometheus text")
    }

    /// The metrics as JSON, with `hit_rate`.
    fn metrics_json(&self) -> String {
        todo!("export the metrics as JSON")
    }

    /// Frees idle buffers down to `bytes` of idle capacity; returns the bytes freed.
    fn shrink_to(&self, bytes: usize) -> usize {
        todo!("free idle buffers down to {bytes} bytes")
    }

    /// Keeps `trim_keep_percent` of the idle buffers (the count rounded down).
    fn trim(&self) {
        todo!(
            "keep {}% of the idle buffers",
            self.config.trim_keep_percent
        )
    }

    /// The buffers still out, and where they were taken.
    fn leak_report(&self) -> LeakReport {
        todo!("report the buffers still out")
    }
}
