//! Task 4: `ProductionPool`, the pool you would run in a network server: configured and
//! validated (see [`crate::task4_config`]), observable, bounded, and calm at its limits.
//!
//! # Design: the simple version
//!
//! Read `admit`, `hand_out` and `put_slow` first: they are the whole pool, correct on their own.
//!
//! - **Store**: a bounded shared store of idle buffers (`max_pooled`).
//! - **Limits** (`Limits`, in `admission.rs`): two exact atomic gauges, buffers and bytes reserved. A get reserves
//!   a slot with a compare-and-swap, so the limit holds under any interleaving; at the limit the
//!   policy decides: allocate anyway and count it, wait on a condition variable for a return
//!   (with a timeout), or fail at once. A return releases its reservation and wakes one waiter.
//! - **Metrics**: counters kept per thread: a bump is a plain load and store on the thread's own
//!   counters, no locked instruction and no contention; a snapshot sums them. Gauges are read from
//!   the state. `gets` is `hits + misses` and `in_use` is `gets - returns` by construction, so a
//!   snapshot taken under load still adds up.
//! - **Hygiene**: `zero_on_return` zeroes a buffer's whole capacity when it comes back, past its
//!   length too (a holder may have truncated it: what it wrote is still in memory).
//!   `track_leaks` records a backtrace per buffer out, keyed by the address of its box, for the
//!   leak report: expensive, for debugging only.
//!
//! # Design: the fast path in front of it
//!
//! The simple version costs five shared atomic read-modify-writes per get and return, and two
//! threads fight over their cache lines (30 ns on one thread, 270 ns on two). So each thread
//! has a magazine in front of the store ([`TieredStore`]: a slot, then a stack of 7), and a
//! standard buffer (`buffer_size`) returned on a thread is **parked there with its
//! reservation** (its lease): the next get on that thread takes it back without touching the
//! gauges or the store. A get that finds the magazine empty takes up to 4 from the store at
//! once, reserving a lease for each one it stacks (for the batch at once, and a stack that spills
//! 4 to the store gives their leases back at once: one update of each gauge per batch, where
//! buffers go from one thread to another). Limits stay exact (a
//! parked lease is still counted), and three rules keep parked leases from standing in anyone's
//! way:
//!
//! - a get at a limit first takes back buffers parked in *any* thread's slot, leases included
//!   (which is why a slot's owner takes its buffer with an atomic swap);
//! - a return while a get waits at the limit gives its lease back instead of parking it;
//! - `trim` and `shrink_to` free parked buffers too, in every thread's slot.
//!
//! What it costs: the gauges overstate what is held by the parked leases, so the high-water mark
//! is exact on one thread and an upper bound on several (never above the limit); and a thread
//! keeps up to 8 buffers of `max_pooled` in its magazine while it lives. `track_leaks` turns the fast
//! path off (each buffer out needs its backtrace recorded).
//!
//! Bytes in use are counted by the capacity handed out and the capacity returned; a holder that
//! grows a buffer makes the count low until it returns it.

mod admission;
mod counters;
mod export;

use crate::task4_config::validate;
use crate::tiered_store::{Local, TieredStore, NO_TAG};
use admission::Limits;
use counters::Counter;
use pool_contract::task4::{
    LeakReport, LimitPolicy, Metrics, PoolConfig, PoolError, ProductionPoolApi,
};
use pool_contract::{BufferPool, ConfigError, PoolStats, Pooled};
use std::backtrace::Backtrace;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// A production pool. See the module docs.
pub struct ProductionPool {
    config: PoolConfig,
    /// The capacity of a buffer that parks on return as it is: `buffer_size`, or none
    /// (`usize::MAX`, which no `Vec<u8>` reaches) when every return needs work first (zeroing,
    /// leak records). One comparison for the fast path to make.
    parks_as_is: usize,
    /// Idle buffers (one class): each thread's slot, then the shared store; the limits travel
    /// with it, since a parked buffer keeps its lease. Also holds the per-thread counters.
    idle: TieredStore<Limits>,
    /// Where each buffer out was taken, by the address of its box (`track_leaks` only).
    leaks: Mutex<HashMap<usize, Backtrace>>,
}

/// The store's only class.
const CLASS: usize = 0;

/// How a get was let through its limits.
enum Admission {
    /// Reserved within the limits.
    Within,
    /// Past a limit, served anyway (policy `allocate`, or `BufferPool::get`): a degraded get.
    Outside,
    /// A buffer parked in a thread's slot, taken back with its lease, which covers this get.
    Reclaimed(Box<Vec<u8>>),
}

impl ProductionPool {
    /// A pool configured by `config`, refused with the broken rule if it is invalid.
    pub fn new(config: PoolConfig) -> Result<Self, ConfigError> {
        validate(&config)?;
        Ok(ProductionPool {
            idle: TieredStore::with_parking(1, config.max_pooled, Limits::new(&config)),
            parks_as_is: if config.zero_on_return || config.track_leaks {
                usize::MAX
            } else {
                config.buffer_size
            },
            config,
            leaks: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    fn limits(&self) -> &Limits {
        self.idle.parking()
    }

    /// The bytes a get of `capacity` reserves: at least a standard buffer.
    fn reserved_for(&self, capacity: usize) -> usize {
        capacity.max(self.config.buffer_size)
    }

    /// The fast path: a buffer this thread parked in its magazine (its slot, then the stack
    /// behind it), with its lease, if it serves `capacity`.
    #[inline]
    fn take_parked(&self, capacity: usize) -> Option<Box<Vec<u8>>> {
        self.take_own(capacity, |local| {
            local
                .take_parked(CLASS)
                .or_else(|| local.take_stacked(CLASS))
        })
    }

    /// A buffer this thread parked, taken by `take` and counted as a hit, if it serves
    /// `capacity`.
    #[inline]
    fn take_own(
        &self,
        capacity: usize,
        take: impl FnOnce(&Local<'_, Limits>) -> Option<Box<Vec<u8>>>,
    ) -> Option<Box<Vec<u8>>> {
        // Parked buffers are standard ones; with leak tracking every get takes the slow path.
        if capacity > self.config.buffer_size || self.config.track_leaks {
            return None;
        }
        self.idle.local(|local| {
            let buffer = take(local)?;
            Counter::Hits.add(local, 1);
            Some(buffer)
        })
    }

    /// The slow path of a get that must not fail (`BufferPool::get`), when this thread's
    /// magazine is empty: the limits; at a limit, whatever the policy, it is served outside them and
    /// counted as degraded (never as rejected: nothing was refused).
    #[cold]
    fn get_slow<'a>(
        &'a self,
        capacity: usize,
        shape: impl FnOnce(Box<Vec<u8>>) -> Pooled<'a, Self>,
    ) -> Pooled<'a, Self> {
        let reserved = self.reserved_for(capacity);
        let admission = self.admit(reserved).unwrap_or_else(|_| {
            self.limits().reserve_anyway(reserved);
            Admission::Outside
        });
        self.hand_out(capacity, reserved, admission, shape)
    }

    /// Hands out a buffer for a get of `capacity` let through as `admission` says (`reserved`
    /// bytes reserved), shaped by `shape`: an idle buffer or a new one, unless the admission
    /// brought one.
    fn hand_out<'a>(
        &'a self,
        capacity: usize,
        reserved: usize,
        admission: Admission,
        shape: impl FnOnce(Box<Vec<u8>>) -> Pooled<'a, Self>,
    ) -> Pooled<'a, Self> {
        let buffer = match admission {
            Admission::Reclaimed(buffer) => {
                self.idle.local(|local| Counter::Hits.add(local, 1));
                // Its lease covers `reserved`: nothing more to account.
                return self.lend(shape(buffer));
            }
            Admission::Within => self.take(capacity),
            Admission::Outside => {
                self.idle.local(|local| Counter::Degraded.add(local, 1));
                self.take(capacity)
            }
        };
        let guard = shape(buffer);
        // The limit reserved the standard figure; account for the capacity really handed out.
        self.limits().handed_out(reserved, guard.capacity());
        self.lend(guard)
    }

    /// Lets a get of `reserved` bytes through the limits, as the policy says.
    fn admit(&self, reserved: usize) -> Result<Admission, PoolError> {
        let limits = self.limits();
        let within = || {
            if limits.reserve(reserved) {
                return Some(Admission::Within);
            }
            // At a limit: a lease parked in some thread's slot serves nobody right now.
            self.reclaim_parked(reserved)
        };
        if let Some(admission) = within() {
            return Ok(admission);
        }
        match limits.policy() {
            LimitPolicy::Allocate => {
                limits.reserve_anyway(reserved);
                Ok(Admission::Outside)
            }
            LimitPolicy::Fail => Err(limits.limit_error(reserved)),
            LimitPolicy::Wait => limits.wait_for(within),
        }
    }

    /// Takes back buffers parked in threads' slots: the first whose lease covers `reserved`
    /// serves the get; others give their lease back (and go to the shared store), and the get
    /// tries to reserve again.
    fn reclaim_parked(&self, reserved: usize) -> Option<Admission> {
        while let Some(buffer) = self.idle.take_parked_anywhere(CLASS) {
            if buffer.capacity() >= reserved {
                return Some(Admission::Reclaimed(buffer));
            }
            self.limits().release(buffer.capacity());
            self.keep(buffer);
            if self.limits().reserve(reserved) {
                return Some(Admission::Within);
            }
        }
        None
    }

    /// An idle buffer from the shared store, or a new one of at least `capacity` bytes. A
    /// buffer from the store brings up to `BATCH - 1` more to this thread's magazine, each with
    /// a lease reserved now (as a returned buffer parks with the lease it had), so that the next
    /// gets on this thread take neither the store's lock nor the limits' counters. The leases are
    /// reserved together ([`Limits::reserve_many`]): one at a time, the gauges' cache line went
    /// back and forth between a thread that gets and one that returns once per buffer. Stacking
    /// stops at the first buffer not of the standard size (it goes back to the store, with those
    /// after it).
    fn take(&self, capacity: usize) -> Box<Vec<u8>> {
        let limits = self.limits();
        let lease = |capacities: &[usize]| {
            // With leak tracking none: every get records where it was taken, on the slow path.
            // Nor while a get waits at a limit: the leases would keep from it what it waits for.
            if self.config.track_leaks || limits.has_waiters() {
                return 0;
            }
            // Standard buffers only, as a return parks; reserved for the batch at once.
            let standard = capacities
                .iter()
                .take_while(|&&capacity| capacity == self.config.buffer_size)
                .count();
            limits.reserve_many(standard, self.config.buffer_size)
        };
        self.idle.local(|local| {
            let idle = local.take_shared_batch(CLASS, NO_TAG, lease);
            let counter = if idle.is_some() {
                Counter::Hits
            } else {
                Counter::Misses
            };
            counter.add(local, 1);
            idle.unwrap_or_else(|| Box::new(Vec::with_capacity(self.reserved_for(capacity))))
        })
    }

    /// Records where `guard` was taken, when leak tracking is on.
    fn lend<'a>(&'a self, guard: Pooled<'a, Self>) -> Pooled<'a, Self> {
        if self.config.track_leaks {
            let buffer: &Vec<u8> = &guard;
            let address = buffer as *const Vec<u8> as usize;
            self.lock_leaks()
                .insert(address, Backtrace::force_capture());
        }
        guard
    }

    /// A get that must not fail, of `capacity`: the fast path, or the slow one. Always inlined:
    /// with two callers or more the compiler left it a call, which cost about a nanosecond.
    #[inline(always)]
    fn get_shaped<'a>(
        &'a self,
        capacity: usize,
        shape: impl FnOnce(Box<Vec<u8>>) -> Pooled<'a, Self>,
    ) -> Pooled<'a, Self> {
        match self.take_parked(capacity) {
            Some(buffer) => shape(buffer),
            None => self.get_slow(capacity, shape),
        }
    }

    /// Keeps a buffer whose reservation was released in the shared store, or drops it (full).
    fn keep(&self, buffer: Box<Vec<u8>>) {
        if self.idle.put_shared(CLASS, buffer).is_err() {
            self.idle.local(|local| Counter::DroppedFull.add(local, 1));
        }
    }

    /// The slow path of a return: releases the reservation, then keeps or drops the buffer.
    #[cold]
    fn put_slow(&self, buffer: Box<Vec<u8>>) {
        self.limits().release(buffer.capacity());
        self.idle.local(|local| Counter::Returns.add(local, 1));
        self.keep(buffer);
    }

    /// Parks a standard buffer with its lease in this thread's slot, counting the return, unless
    /// a get waits for a lease (then the slow path releases it and wakes the get) or the slot is
    /// taken: then the buffer comes back.
    #[inline]
    fn park(&self, buffer: Box<Vec<u8>>) -> Result<(), Box<Vec<u8>>> {
        if self.limits().has_waiters() {
            return Err(buffer);
        }
        self.idle.local(|local| {
            local
                .park(CLASS, buffer)
                .map(|()| Counter::Returns.add(local, 1))
        })
    }

    /// A return that is not a standard buffer parked as it is: forgets its leak record, drops an
    /// oversized buffer, zeroes a buffer when the pool says so, then parks it or takes the slow
    /// path.
    #[cold]
    fn put_prepared(&self, mut buffer: Box<Vec<u8>>) {
        if self.config.track_leaks {
            self.lock_leaks()
                .remove(&(&*buffer as *const Vec<u8> as usize));
        }
        let capacity = buffer.capacity();
        if capacity > self.config.max_buffer_size {
            self.limits().release(capacity);
            self.idle.local(|local| {
                Counter::Returns.add(local, 1);
                Counter::DroppedOversized.add(local, 1);
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
        // Leak tracking keeps every buffer on the slow path (each get records a backtrace).
        if capacity == self.config.buffer_size && !self.config.track_leaks {
            match self.park(buffer) {
                Ok(()) => return,
                Err(full) => buffer = full,
            }
        }
        self.put_slow(buffer);
    }

    fn lock_leaks(&self) -> MutexGuard<'_, HashMap<usize, Backtrace>> {
        self.leaks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An idle buffer from anywhere (the shared store, then any thread's slot, giving its lease
    /// back), to be freed.
    fn take_any_idle(&self) -> Option<Box<Vec<u8>>> {
        if let Some(buffer) = self.idle.remove_shared(CLASS) {
            return Some(buffer);
        }
        let parked = self.idle.take_parked_anywhere(CLASS)?;
        self.limits().release(parked.capacity());
        Some(parked)
    }

    /// Frees idle buffers while `more` says so; returns the bytes freed.
    fn free_idle(&self, mut more: impl FnMut(&Self) -> bool) -> usize {
        let mut freed = 0;
        while more(self) {
            let Some(buffer) = self.take_any_idle() else {
                break;
            };
            self.idle
                .local(|local| Counter::DroppedTrimmed.add(local, 1));
            freed += buffer.capacity();
        }
        freed
    }

    /// Buffers taken and not given back.
    fn outstanding(&self) -> u64 {
        let gets = Counter::Hits.sum(&self.idle) + Counter::Misses.sum(&self.idle);
        gets.wrapping_sub(Counter::Returns.sum(&self.idle))
    }
}

impl BufferPool for ProductionPool {
    /// Never fails: at a limit, whatever the policy, the get is served outside the pool's
    /// limits and counted as degraded. Use `try_get` to let the policy refuse.
    ///
    /// Always inlined: with the stack's branch in it, the compiler left it a call in the
    /// patterns benchmark, which cost about a nanosecond per get+return (measured against the
    /// build before the magazines were served inline).
    #[inline(always)]
    fn get(&self, capacity: usize) -> Pooled<'_, Self> {
        self.get_shaped(capacity, |buffer| Pooled::growable(self, buffer, capacity))
    }

    #[inline]
    fn get_read(&self, len: usize) -> Pooled<'_, Self> {
        self.get_shaped(len, |buffer| Pooled::readable(self, buffer, len))
    }

    /// The fast path: a standard buffer that needs nothing done to it parks with its lease.
    /// Every other case is `put_prepared`'s, behind one call, so that this stays a few
    /// instructions wherever a guard is dropped.
    #[inline]
    fn put(&self, buffer: Box<Vec<u8>>) {
        let parked = if buffer.capacity() == self.parks_as_is && !self.limits().has_waiters() {
            self.idle
                .try_local(buffer, |local, buffer| {
                    local
                        .park_in_place(CLASS, buffer, None)
                        .map(|()| Counter::Returns.add(local, 1))
                })
                .and_then(|parked| parked)
        } else {
            Err(buffer)
        };
        if let Err(buffer) = parked {
            self.put_prepared(buffer);
        }
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
        let shape = |buffer| Pooled::growable(self, buffer, capacity);
        if let Some(buffer) = self.take_parked(capacity) {
            return Ok(shape(buffer));
        }
        let reserved = self.reserved_for(capacity);
        match self.admit(reserved) {
            Ok(admission) => Ok(self.hand_out(capacity, reserved, admission, shape)),
            Err(error) => {
                self.idle.local(|local| Counter::Rejected.add(local, 1));
                Err(error)
            }
        }
    }

    fn metrics(&self) -> Metrics {
        let count = |counter: Counter| counter.sum(&self.idle);
        let (hits, misses) = (count(Counter::Hits), count(Counter::Misses));
        Metrics {
            gets: hits + misses,
            returns: count(Counter::Returns),
            hits,
            misses,
            created: misses,
            in_use: self.outstanding(),
            high_water_in_use: self.limits().high_water() as u64,
            pooled: self.idle.idle() as u64,
            bytes_retained: self.idle.idle_bytes() as u64,
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
        self.free_idle(|pool| pool.idle.idle_bytes() > bytes)
    }

    fn trim(&self) {
        // Rounded down, as the contract says: 45% of 8 keeps 3.
        let keep = self.idle.idle() * usize::from(self.config.trim_keep_percent) / 100;
        self.free_idle(|pool| pool.idle.idle() > keep);
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
            outstanding: self.outstanding() as usize,
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

    /// `capacities` in the shared store, as returns of threads that ended leave them (no lease).
    fn stored(capacities: &[usize]) -> ProductionPool {
        let pool = ProductionPool::new(PoolConfig::default()).unwrap();
        for &capacity in capacities {
            let buffer = Box::new(Vec::with_capacity(capacity));
            assert!(pool.idle.put_shared(CLASS, buffer).is_ok());
        }
        pool
    }

    #[test]
    fn a_batch_from_the_store_stacks_each_buffer_with_its_lease() {
        let pool = stored(&[4096; 4]);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                // The first get brings the other 3 onto this thread's stack, leased: 4 reserved.
                let first = pool.get(4096);
                assert_eq!(pool.limits().gauges(), (4, 4 * 4096));
                // The next 3 come from the stack, on the leases they have.
                let rest: Vec<_> = (0..3).map(|_| pool.get(4096)).collect();
                assert_eq!(pool.limits().gauges(), (4, 4 * 4096));
                assert_eq!(pool.stats().created, 0);
                drop((first, rest));
            });
        });
    }

    #[test]
    fn a_batch_stacks_no_buffer_past_one_of_another_size() {
        // The store hands out its newest first: 4096, then a grown 8192, then 4096.
        let pool = stored(&[4096, 8192, 4096]);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let held: Vec<_> = (0..3).map(|_| pool.get(4096)).collect();
                // Each reserved as handed out: the 8192 through the limits, not on a lease
                // of 4096 from the stack.
                let bytes = held.iter().map(|buffer| buffer.capacity()).sum();
                assert_eq!(pool.limits().gauges(), (3, bytes));
                assert_eq!(bytes, 4096 + 8192 + 4096);
            });
        });
    }

    #[test]
    fn the_leases_of_buffers_a_full_stack_gives_up_are_released() {
        let pool = std::sync::Arc::new(ProductionPool::new(PoolConfig::default()).unwrap());
        let worker = {
            let pool = std::sync::Arc::clone(&pool);
            std::thread::spawn(move || {
                // 12 returned on one thread: its slot and stack hold 8, and the stack gives
                // up 4 to the shared store on the way (their leases released then).
                drop((0..12).map(|_| pool.get(4096)).collect::<Vec<_>>());
                let (in_use, _) = pool.limits().gauges();
                assert!(
                    in_use < 12,
                    "{in_use} reserved: the spilled buffers kept their leases"
                );
            })
        };
        // `join` returns once the thread's thread-locals are dropped (a scoped thread may count
        // as ended before): its entry can be retired. What it parked goes to the store, leases
        // released. Nothing is held.
        worker.join().expect("the worker ends cleanly");
        assert!(pool.idle.reclaim_ended());
        assert_eq!(pool.limits().gauges(), (0, 0));
        assert_eq!(pool.stats().idle, 12);
    }

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

    /// Runs `at_limit` while another thread, still alive, has returned its only buffer (parked
    /// in its slot with its lease) and waits.
    fn with_a_lease_parked_elsewhere(pool: &ProductionPool, at_limit: impl FnOnce()) {
        let (parked, done) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|scope| {
            scope.spawn(|| {
                drop(pool.get(100));
                parked.wait();
                done.wait();
            });
            parked.wait();
            at_limit();
            done.wait();
        });
    }

    /// A pool of one buffer in use at most, with `policy` at the limit (waits up to 2 s).
    fn one_in_use(policy: LimitPolicy) -> ProductionPool {
        ProductionPool::new(PoolConfig {
            max_in_use: 1,
            on_limit: policy,
            wait_timeout_ms: 2_000,
            ..PoolConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn a_lease_parked_by_a_live_thread_never_refuses_a_get() {
        let pool = one_in_use(LimitPolicy::Fail);
        with_a_lease_parked_elsewhere(&pool, || {
            assert_eq!(pool.metrics().in_use, 0, "a parked buffer is not held");
            let taken = pool.try_get(100);
            assert!(taken.is_ok(), "nothing is held: {:?}", taken.err());
            let metrics = pool.metrics();
            assert_eq!((metrics.hits, metrics.rejected, metrics.in_use), (1, 0, 1));
        });
    }

    #[test]
    fn a_bigger_get_at_the_limit_takes_the_parked_lease_back_too() {
        let pool = one_in_use(LimitPolicy::Fail);
        with_a_lease_parked_elsewhere(&pool, || {
            // Larger than a parked (standard) buffer: its lease is given back, then reserved anew.
            let taken = pool.try_get(10_000).map(|buffer| buffer.capacity());
            assert!(taken.is_ok_and(|capacity| capacity >= 10_000));
        });
    }

    #[test]
    fn a_waiting_get_is_served_by_a_buffer_parked_before_it_waited() {
        let pool = one_in_use(LimitPolicy::Wait);
        with_a_lease_parked_elsewhere(&pool, || {
            let started = std::time::Instant::now();
            assert!(pool.try_get(100).is_ok());
            assert!(started.elapsed() < std::time::Duration::from_millis(500));
        });
    }

    #[test]
    fn trim_frees_buffers_parked_in_other_threads_slots() {
        let pool = ProductionPool::new(PoolConfig {
            trim_keep_percent: 0,
            ..PoolConfig::default()
        })
        .unwrap();
        with_a_lease_parked_elsewhere(&pool, || {
            assert_eq!(pool.metrics().pooled, 1);
            pool.trim();
            let metrics = pool.metrics();
            assert_eq!((metrics.pooled, metrics.dropped_trimmed), (0, 1));
        });
        // Its lease was given back with it: the whole limit is free again.
        let held: Vec<_> = (0..1024).map(|_| pool.try_get(100).unwrap()).collect();
        assert_eq!(pool.metrics().degraded, 0);
        drop(held);
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
