//! Task 4: `ProductionPool`, the pool you would run in a network server: configured and
//! validated (see [`crate::task4_config`]), observable, bounded, and calm at its limits.
//!
//! # Design
//!
//! - **Store**: a bounded lock-free queue of idle buffers (`max_pooled`), as in `FixedPool`.
//! - **Limits**: two exact atomic gauges, buffers and bytes in use. A get reserves a slot with a
//!   compare-and-swap, so the limit holds under any interleaving; at the limit the policy
//!   decides: allocate anyway and count it, wait on a condition variable for a return (with a
//!   timeout), or fail at once. A return always releases its slot and wakes one waiter.
//! - **Metrics**: counters kept per thread ([`ThreadCounters`]): a bump is a plain load and
//!   store on the thread's own counters, no locked instruction and no contention; a snapshot sums
//!   them. Gauges are read from the state. `gets` is `hits + misses` by construction, so
//!   a snapshot taken under load still adds up.
//! - **Hygiene**: `zero_on_return` zeroes a buffer's whole capacity when it comes back, past its
//!   length too (a holder may have truncated it: what it wrote is still in memory). `track_leaks` records a backtrace per buffer out, keyed by the address of its
//!   box, for the leak report: expensive, for debugging only.
//!
//! Bytes in use are counted by the capacity handed out and the capacity returned; a holder that
//! grows a buffer makes the count low until it returns it.

use crate::task4_config::validate;
use crate::thread_counters::ThreadCounters;
use crossbeam_queue::ArrayQueue;
use pool_checks::task4::{
    LeakReport, LimitPolicy, Metrics, PoolConfig, PoolError, ProductionPoolApi,
};
use pool_checks::{BufferPool, ConfigError, PoolStats, Pooled};
use std::backtrace::Backtrace;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A production pool. See the module docs.
pub struct ProductionPool {
    config: PoolConfig,
    idle: ArrayQueue<Box<Vec<u8>>>,
    in_use: AtomicUsize,
    bytes_in_use: AtomicUsize,
    high_water: AtomicUsize,
    counters: ThreadCounters,
    /// Gets waiting at the limit; a return wakes one.
    waiting: AtomicUsize,
    wait_lock: Mutex<()>,
    returned: Condvar,
    /// Where each buffer out was taken, by the address of its box (`track_leaks` only).
    leaks: Mutex<HashMap<usize, Backtrace>>,
}

/// Indexes of the counters in the pool's [`ThreadCounters`].
const HITS: usize = 0;
const MISSES: usize = 1;
const RETURNS: usize = 2;
const DROPPED_OVERSIZED: usize = 3;
const DROPPED_FULL: usize = 4;
const DROPPED_TRIMMED: usize = 5;
const DEGRADED: usize = 6;
const REJECTED: usize = 7;
/// A gauge: capacity of the idle buffers.
const BYTES_RETAINED: usize = 8;

impl ProductionPool {
    /// A pool configured by `config`, refused with the broken rule if it is invalid.
    pub fn new(config: PoolConfig) -> Result<Self, ConfigError> {
        validate(&config)?;
        Ok(ProductionPool {
            idle: ArrayQueue::new(config.max_pooled),
            config,
            in_use: AtomicUsize::new(0),
            bytes_in_use: AtomicUsize::new(0),
            high_water: AtomicUsize::new(0),
            counters: ThreadCounters::default(),
            waiting: AtomicUsize::new(0),
            wait_lock: Mutex::new(()),
            returned: Condvar::new(),
            leaks: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Reserves one buffer and `bytes` within the limits; false (and nothing reserved) at a
    /// limit.
    fn reserve(&self, bytes: usize) -> bool {
        let max = self.config.max_in_use;
        let slot = self
            .in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            });
        if slot.is_err() {
            return false;
        }
        let max_bytes = self.config.max_bytes_in_use;
        let room = self
            .bytes_in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                (held + bytes <= max_bytes).then_some(held + bytes)
            });
        if room.is_err() {
            self.release_slot();
            return false;
        }
        true
    }

    /// Takes one buffer and `bytes` whatever the limits (policy `allocate`).
    fn reserve_anyway(&self, bytes: usize) {
        self.in_use.fetch_add(1, Ordering::AcqRel);
        self.bytes_in_use.fetch_add(bytes, Ordering::AcqRel);
    }

    fn release_slot(&self) {
        self.in_use.fetch_sub(1, Ordering::AcqRel);
        if self.waiting.load(Ordering::Acquire) > 0 {
            // Taking the lock orders this wake-up after the waiter's last check.
            let _lock = self.lock_waiters();
            self.returned.notify_one();
        }
    }

    fn lock_waiters(&self) -> MutexGuard<'_, ()> {
        self.wait_lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reserves within the limits, applying the policy when a limit is reached.
    fn admit(&self, bytes: usize) -> Result<(), PoolError> {
        if self.reserve(bytes) {
            return Ok(());
        }
        match self.config.on_limit {
            LimitPolicy::Allocate => {
                self.reserve_anyway(bytes);
                self.counters.update(|c| c.add(DEGRADED, 1));
                Ok(())
            }
            LimitPolicy::Fail => {
                self.counters.update(|c| c.add(REJECTED, 1));
                Err(self.limit_error(bytes))
            }
            LimitPolicy::Wait => self.wait_for_room(bytes),
        }
    }

    fn limit_error(&self, bytes: usize) -> PoolError {
        if self.in_use.load(Ordering::Acquire) >= self.config.max_in_use {
            PoolError::LimitReached {
                limit: "max_in_use",
                value: self.config.max_in_use,
            }
        } else {
            PoolError::LimitReached {
                limit: "max_bytes_in_use",
                value: self.config.max_bytes_in_use.max(bytes),
            }
        }
    }

    fn wait_for_room(&self, bytes: usize) -> Result<(), PoolError> {
        let timeout = Duration::from_millis(self.config.wait_timeout_ms);
        let started = Instant::now();
        let mut lock = self.lock_waiters();
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let result = loop {
            if self.reserve(bytes) {
                break Ok(());
            }
            let Some(left) = timeout
                .checked_sub(started.elapsed())
                .filter(|left| !left.is_zero())
            else {
                self.counters.update(|c| c.add(REJECTED, 1));
                break Err(PoolError::Timeout {
                    waited_ms: started.elapsed().as_millis() as u64,
                });
            };
            lock = match self.returned.wait_timeout(lock, left) {
                Ok((lock, _)) => lock,
                Err(poisoned) => poisoned.into_inner().0,
            };
        };
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        result
    }

    /// An idle buffer, or a new one of at least `capacity` bytes.
    fn take(&self, capacity: usize) -> Box<Vec<u8>> {
        match self.idle.pop() {
            Some(buffer) => {
                self.counters.update(|c| {
                    c.add(HITS, 1);
                    c.sub(BYTES_RETAINED, buffer.capacity() as u64);
                });
                buffer
            }
            None => {
                self.counters.update(|c| c.add(MISSES, 1));
                Box::new(Vec::with_capacity(capacity.max(self.config.buffer_size)))
            }
        }
    }

    /// Admits a get of `capacity` bytes and hands out its buffer, shaped by `shape`.
    fn lend(
        &self,
        capacity: usize,
        shape: impl FnOnce(&Self, Box<Vec<u8>>) -> Pooled<'_, Self>,
    ) -> Result<Pooled<'_, Self>, PoolError> {
        let bytes = capacity.max(self.config.buffer_size);
        self.admit(bytes)?;
        let guard = shape(self, self.take(capacity));
        // The limit reserved `bytes`; account for the capacity really handed out.
        let handed_out = guard.capacity();
        if handed_out > bytes {
            self.bytes_in_use
                .fetch_add(handed_out - bytes, Ordering::AcqRel);
        } else {
            self.bytes_in_use
                .fetch_sub(bytes - handed_out, Ordering::AcqRel);
        }
        // A read first: the read-modify-write is needed only when the mark moves.
        let in_use = self.in_use.load(Ordering::Acquire);
        if in_use > self.high_water.load(Ordering::Relaxed) {
            self.high_water.fetch_max(in_use, Ordering::AcqRel);
        }
        if self.config.track_leaks {
            let buffer: &Vec<u8> = &guard;
            let address = buffer as *const Vec<u8> as usize;
            self.lock_leaks()
                .insert(address, Backtrace::force_capture());
        }
        Ok(guard)
    }

    fn lock_leaks(&self) -> MutexGuard<'_, HashMap<usize, Backtrace>> {
        self.leaks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Frees idle buffers while `more` says so; returns the bytes freed.
    fn free_idle(&self, mut more: impl FnMut(&Self) -> bool) -> usize {
        let mut freed = 0;
        while more(self) {
            let Some(buffer) = self.idle.pop() else { break };
            self.counters.update(|c| {
                c.sub(BYTES_RETAINED, buffer.capacity() as u64);
                c.add(DROPPED_TRIMMED, 1);
            });
            freed += buffer.capacity();
        }
        freed
    }

    /// The metrics, in the order Prometheus lists them: (name, help, is a counter, value).
    fn samples(metrics: &Metrics) -> [(&'static str, &'static str, bool, u64); 14] {
        [
            (
                "pool_gets_total",
                "Gets served (hits + misses).",
                true,
                metrics.gets,
            ),
            (
                "pool_returns_total",
                "Buffers given back.",
                true,
                metrics.returns,
            ),
            (
                "pool_hits_total",
                "Gets served from an idle buffer.",
                true,
                metrics.hits,
            ),
            (
                "pool_misses_total",
                "Gets that needed a new buffer.",
                true,
                metrics.misses,
            ),
            (
                "pool_created_total",
                "Buffers allocated.",
                true,
                metrics.created,
            ),
            (
                "pool_dropped_oversized_total",
                "Returned buffers dropped as oversized.",
                true,
                metrics.dropped_oversized,
            ),
            (
                "pool_dropped_full_total",
                "Returned buffers dropped because the pool was full.",
                true,
                metrics.dropped_full,
            ),
            (
                "pool_dropped_trimmed_total",
                "Idle buffers freed by trim or shrink_to.",
                true,
                metrics.dropped_trimmed,
            ),
            (
                "pool_degraded_total",
                "Gets served outside the pool's limits.",
                true,
                metrics.degraded,
            ),
            (
                "pool_rejected_total",
                "Gets refused at a limit.",
                true,
                metrics.rejected,
            ),
            ("pool_in_use", "Buffers held now.", false, metrics.in_use),
            (
                "pool_high_water_in_use",
                "The most buffers held at once.",
                false,
                metrics.high_water_in_use,
            ),
            ("pool_pooled", "Idle buffers now.", false, metrics.pooled),
            (
                "pool_bytes_retained",
                "Capacity of the idle buffers, in bytes.",
                false,
                metrics.bytes_retained,
            ),
        ]
    }
}

impl BufferPool for ProductionPool {
    /// Never fails: at a limit, whatever the policy, the get is served outside the pool's
    /// limits and counted as degraded. Use `try_get` to let the policy refuse.
    fn get(&self, capacity: usize) -> Pooled<'_, Self> {
        self.lend(capacity, |pool, buffer| {
            Pooled::growable(pool, buffer, capacity)
        })
        .unwrap_or_else(|_| {
            self.reserve_anyway(capacity.max(self.config.buffer_size));
            self.counters.update(|c| c.add(DEGRADED, 1));
            Pooled::growable(self, self.take(capacity), capacity)
        })
    }

    fn get_read(&self, len: usize) -> Pooled<'_, Self> {
        self.lend(len, |pool, buffer| Pooled::readable(pool, buffer, len))
            .unwrap_or_else(|_| {
                self.reserve_anyway(len.max(self.config.buffer_size));
                self.counters.update(|c| c.add(DEGRADED, 1));
                Pooled::readable(self, self.take(len), len)
            })
    }

    fn put(&self, mut buffer: Box<Vec<u8>>) {
        if self.config.track_leaks {
            self.lock_leaks()
                .remove(&(&*buffer as *const Vec<u8> as usize));
        }
        let capacity = buffer.capacity();
        let _ = self
            .bytes_in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                Some(held.saturating_sub(capacity))
            });
        self.release_slot();
        if capacity > self.config.max_buffer_size {
            self.counters.update(|c| {
                c.add(RETURNS, 1);
                c.add(DROPPED_OVERSIZED, 1);
            });
            return;
        }
        if self.config.zero_on_return {
            // The whole capacity, not just the length: a holder that truncated the buffer left
            // its secret past the length, in memory until someone writes over it. The buffer
            // keeps the capacity as its length, so a read buffer is not zeroed again on its way
            // out.
            let capacity = buffer.capacity();
            buffer.clear();
            buffer.resize(capacity, 0);
        }
        let kept = self.idle.push(buffer).is_ok();
        self.counters.update(|c| {
            c.add(RETURNS, 1);
            if kept {
                c.add(BYTES_RETAINED, capacity as u64);
            } else {
                c.add(DROPPED_FULL, 1);
            }
        });
    }

    fn stats(&self) -> PoolStats {
        let metrics = self.metrics();
        PoolStats {
            created: metrics.created,
            dropped: metrics.dropped_full + metrics.dropped_oversized + metrics.dropped_trimmed,
            idle: metrics.pooled as usize,
        }
    }
}

impl ProductionPoolApi for ProductionPool {
    fn try_get(&self, capacity: usize) -> Result<Pooled<'_, Self>, PoolError> {
        self.lend(capacity, |pool, buffer| {
            Pooled::growable(pool, buffer, capacity)
        })
    }

    fn metrics(&self) -> Metrics {
        let count = |index| self.counters.sum(index);
        let (hits, misses) = (count(HITS), count(MISSES));
        Metrics {
            gets: hits + misses,
            returns: count(RETURNS),
            hits,
            misses,
            created: misses,
            in_use: self.in_use.load(Ordering::Acquire) as u64,
            high_water_in_use: self.high_water.load(Ordering::Acquire) as u64,
            pooled: self.idle.len() as u64,
            bytes_retained: count(BYTES_RETAINED),
            dropped_oversized: count(DROPPED_OVERSIZED),
            dropped_full: count(DROPPED_FULL),
            dropped_trimmed: count(DROPPED_TRIMMED),
            degraded: count(DEGRADED),
            rejected: count(REJECTED),
        }
    }

    fn prometheus(&self) -> String {
        let metrics = self.metrics();
        let mut out = String::new();
        for (name, help, counter, value) in Self::samples(&metrics) {
            let kind = if counter { "counter" } else { "gauge" };
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP pool_hit_ratio Hits over gets.\n# TYPE pool_hit_ratio gauge\npool_hit_ratio {}",
            metrics.hit_rate()
        );
        out
    }

    fn metrics_json(&self) -> String {
        let metrics = self.metrics();
        let mut json = serde_json::to_value(metrics).unwrap_or_default();
        if let Some(object) = json.as_object_mut() {
            object.insert("hit_rate".into(), metrics.hit_rate().into());
        }
        json.to_string()
    }

    fn shrink_to(&self, bytes: usize) -> usize {
        self.free_idle(|pool| pool.counters.sum(BYTES_RETAINED) > bytes as u64)
    }

    fn trim(&self) {
        let keep = self.idle.len() * usize::from(self.config.trim_keep_percent) / 100;
        self.free_idle(|pool| pool.idle.len() > keep);
    }

    fn leak_report(&self) -> LeakReport {
        let sites = if self.config.track_leaks {
            self.lock_leaks()
                .values()
                .map(|backtrace| backtrace.to_string())
                .collect()
        } else {
            Vec::new()
        };
        LeakReport {
            outstanding: self.in_use.load(Ordering::Acquire),
            sites,
        }
    }
}

impl Drop for ProductionPool {
    /// A pool dropped with buffers still out reports them: each one is a leak (a forgotten or
    /// detached guard), since a held guard keeps its pool alive.
    fn drop(&mut self) {
        let report = self.leak_report();
        if report.outstanding > 0 {
            eprintln!(
                "buffer pool dropped with {} buffer(s) never given back{}",
                report.outstanding,
                if self.config.track_leaks {
                    "; taken at:"
                } else {
                    " (set track_leaks to see where they were taken)"
                }
            );
            for site in report.sites {
                eprintln!("{site}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_lists_every_metric_with_help_and_type() {
        let pool = ProductionPool::new(PoolConfig::default()).unwrap();
        drop(pool.get(10));
        let text = pool.prometheus();
        assert_eq!(text.matches("# HELP ").count(), 15);
        assert_eq!(text.matches("# TYPE ").count(), 15);
        assert!(text.contains("pool_gets_total 1\n"));
        assert!(text.contains("pool_pooled 1\n"));
    }

    /// A scripted sequence whose metrics are known: 3 misses, 3 hits, 1 oversized drop.
    fn scripted() -> ProductionPool {
        let pool = ProductionPool::new(PoolConfig {
            buffer_size: 1024,
            max_buffer_size: 8192,
            ..PoolConfig::default()
        })
        .unwrap();
        let held: Vec<_> = (0..3).map(|_| pool.get(100)).collect();
        drop(held);
        drop((pool.get(100), pool.get(100)));
        let mut big = pool.get(100);
        big.reserve(64 * 1024);
        drop(big);
        pool
    }

    #[test]
    fn the_prometheus_export_reads_as_a_scraper_sees_it() {
        insta::assert_snapshot!("prometheus", scripted().prometheus());
    }

    #[test]
    fn the_json_export_reads_as_a_dashboard_sees_it() {
        let json: serde_json::Value = serde_json::from_str(&scripted().metrics_json()).unwrap();
        insta::assert_json_snapshot!("metrics_json", json);
    }

    #[test]
    fn get_never_fails_even_when_the_policy_would() {
        let pool = ProductionPool::new(PoolConfig {
            max_in_use: 1,
            on_limit: LimitPolicy::Fail,
            ..PoolConfig::default()
        })
        .unwrap();
        let first = pool.get(10);
        assert!(pool.try_get(10).is_err());
        let second = pool.get(10);
        assert_eq!(pool.metrics().degraded, 1);
        drop((first, second));
        assert_eq!(pool.metrics().in_use, 0);
    }
}
