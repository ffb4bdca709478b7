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

mod admission;
mod counters;
mod export;

use crate::task4_config::validate;
use admission::{Admitted, Limits};
use counters::{Counter, Counters};
use crossbeam_queue::ArrayQueue;
use pool_contract::task4::{LeakReport, Metrics, PoolConfig, PoolError, ProductionPoolApi};
use pool_contract::{BufferPool, ConfigError, PoolStats, Pooled};
use std::backtrace::Backtrace;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// A production pool. See the module docs.
pub struct ProductionPool {
    config: PoolConfig,
    idle: ArrayQueue<Box<Vec<u8>>>,
    limits: Limits,
    counters: Counters,
    /// Where each buffer out was taken, by the address of its box (`track_leaks` only).
    leaks: Mutex<HashMap<usize, Backtrace>>,
}

impl ProductionPool {
    /// A pool configured by `config`, refused with the broken rule if it is invalid.
    pub fn new(config: PoolConfig) -> Result<Self, ConfigError> {
        validate(&config)?;
        Ok(ProductionPool {
            idle: ArrayQueue::new(config.max_pooled),
            limits: Limits::new(&config),
            config,
            counters: Counters::default(),
            leaks: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// The bytes a get of `capacity` reserves: at least a standard buffer.
    fn reserved_for(&self, capacity: usize) -> usize {
        capacity.max(self.config.buffer_size)
    }

    /// An idle buffer, or a new one of at least `capacity` bytes.
    fn take(&self, capacity: usize) -> Box<Vec<u8>> {
        match self.idle.pop() {
            Some(buffer) => {
                self.counters.update(|c| {
                    c.add(Counter::Hits, 1);
                    c.sub(Counter::BytesRetained, buffer.capacity() as u64);
                });
                buffer
            }
            None => {
                self.counters.add(Counter::Misses, 1);
                Box::new(Vec::with_capacity(self.reserved_for(capacity)))
            }
        }
    }

    /// Hands out a buffer for `capacity` bytes already admitted, shaped by `shape`.
    fn lend(
        &self,
        capacity: usize,
        shape: impl FnOnce(&Self, Box<Vec<u8>>) -> Pooled<'_, Self>,
    ) -> Pooled<'_, Self> {
        let guard = shape(self, self.take(capacity));
        // The limit reserved the standard figure; account for the capacity really handed out.
        self.limits
            .handed_out(self.reserved_for(capacity), guard.capacity());
        if self.config.track_leaks {
            let buffer: &Vec<u8> = &guard;
            let address = buffer as *const Vec<u8> as usize;
            self.lock_leaks()
                .insert(address, Backtrace::force_capture());
        }
        guard
    }

    /// Admits a get of `capacity` as the policy says; a get the policy serves past the limits
    /// is counted as degraded.
    fn admit(&self, capacity: usize) -> Result<(), PoolError> {
        if self.limits.admit(self.reserved_for(capacity))? == Admitted::Outside {
            self.counters.add(Counter::Degraded, 1);
        }
        Ok(())
    }

    /// A get that must not fail: at a limit, whatever the policy, it is served outside the
    /// limits and counted as degraded (never as rejected: nothing was refused).
    fn admit_anyway(&self, capacity: usize) {
        if self.admit(capacity).is_err() {
            self.limits.reserve_anyway(self.reserved_for(capacity));
            self.counters.add(Counter::Degraded, 1);
        }
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
                c.sub(Counter::BytesRetained, buffer.capacity() as u64);
                c.add(Counter::DroppedTrimmed, 1);
            });
            freed += buffer.capacity();
        }
        freed
    }
}

impl BufferPool for ProductionPool {
    /// Never fails: at a limit, whatever the policy, the get is served outside the pool's
    /// limits and counted as degraded. Use `try_get` to let the policy refuse.
    fn get(&self, capacity: usize) -> Pooled<'_, Self> {
        self.admit_anyway(capacity);
        self.lend(capacity, |pool, buffer| {
            Pooled::growable(pool, buffer, capacity)
        })
    }

    fn get_read(&self, len: usize) -> Pooled<'_, Self> {
        self.admit_anyway(len);
        self.lend(len, |pool, buffer| Pooled::readable(pool, buffer, len))
    }

    fn put(&self, mut buffer: Box<Vec<u8>>) {
        if self.config.track_leaks {
            self.lock_leaks()
                .remove(&(&*buffer as *const Vec<u8> as usize));
        }
        let capacity = buffer.capacity();
        self.limits.release(capacity);
        if capacity > self.config.max_buffer_size {
            self.counters.update(|c| {
                c.add(Counter::Returns, 1);
                c.add(Counter::DroppedOversized, 1);
            });
            return;
        }
        if self.config.zero_on_return {
            // The whole capacity, not just the length: a holder that truncated the buffer left
            // its secret past the length, in memory until someone writes over it. The buffer
            // keeps the capacity as its length, so a read buffer is not zeroed again on its way
            // out.
            buffer.clear();
            buffer.resize(capacity, 0);
        }
        let kept = self.idle.push(buffer).is_ok();
        self.counters.update(|c| {
            c.add(Counter::Returns, 1);
            if kept {
                c.add(Counter::BytesRetained, capacity as u64);
            } else {
                c.add(Counter::DroppedFull, 1);
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
    /// Lets the policy decide at a limit: a get it refuses is counted as rejected, one it
    /// serves outside the limits (`allocate`) as degraded.
    fn try_get(&self, capacity: usize) -> Result<Pooled<'_, Self>, PoolError> {
        self.admit(capacity)
            .inspect_err(|_| self.counters.add(Counter::Rejected, 1))?;
        Ok(self.lend(capacity, |pool, buffer| {
            Pooled::growable(pool, buffer, capacity)
        }))
    }

    fn metrics(&self) -> Metrics {
        let count = |counter| self.counters.sum(counter);
        let (hits, misses) = (count(Counter::Hits), count(Counter::Misses));
        Metrics {
            gets: hits + misses,
            returns: count(Counter::Returns),
            hits,
            misses,
            created: misses,
            in_use: self.limits.in_use() as u64,
            high_water_in_use: self.limits.high_water() as u64,
            pooled: self.idle.len() as u64,
            bytes_retained: count(Counter::BytesRetained),
            dropped_oversized: count(Counter::DroppedOversized),
            dropped_full: count(Counter::DroppedFull),
            dropped_trimmed: count(Counter::DroppedTrimmed),
            degraded: count(Counter::Degraded),
            rejected: count(Counter::Rejected),
        }
    }

    fn prometheus(&self) -> String {
        export::prometheus(&self.metrics())
    }

    fn metrics_json(&self) -> String {
        export::json(&self.metrics())
    }

    fn shrink_to(&self, bytes: usize) -> usize {
        self.free_idle(|pool| pool.counters.sum(Counter::BytesRetained) > bytes as u64)
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
            outstanding: self.limits.in_use(),
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
    use pool_contract::task4::LimitPolicy;

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
        // The get was served outside the limit, not refused: only try_get's refusal counts
        // as rejected.
        assert_eq!((pool.metrics().degraded, pool.metrics().rejected), (1, 1));
        drop((first, second));
        assert_eq!(pool.metrics().in_use, 0);
    }
}
