//! Task 1: `SyncPool`, a Go-style `sync.Pool` for byte buffers.
//!
//! A pool is a set of buffers that are allocated once and used many times, so that a hot loop
//! (one buffer per request, per packet, per message) stops paying the allocator for each one.
//! It suits buffers that are expensive to create or to initialise and that live for a single
//! request; it does not suit buffers that are cheap and small (a modern allocator already caches
//! those per thread) or long-lived (a pool only adds bookkeeping).
//!
//! # Where a buffer lives
//!
//! Like Go's `sync.Pool`, this pool has tiers, looked at in order by `get`:
//!
//! 1. **The calling thread's magazine** (Go's per-P `private` field, grown into a small stack):
//!    up to 8 buffers per thread and pool, reached without a lock or an atomic
//!    read-modify-write. A thread that takes a buffer and gives it back, request after request,
//!    lives here, and so does a request that holds several buffers at once.
//! 2. **The shared store** behind a mutex: buffers from warming, those of threads that ended
//!    (nothing is stranded: a get that finds the store empty first takes back what they left),
//!    and half a magazine at a time: a full one gives its 4 oldest, an empty one takes up to 4,
//!    under one lock, so a thread that frees buffers another took touches the store once per 4.
//! 3. **The victims**: buffers that were idle when the last collection cycle ran. `get` still
//!    takes them, which saves them; the next cycle frees those that are left.
//! 4. **The factory** (Go's `New`), when every tier is empty.
//!
//! The magazines and the shared store are the per-thread tier every reference pool uses
//! ([`TieredStore`], one class, with no bound on how many buffers it keeps: the cap on capacity
//! bounds each buffer, as in Go).
//!
//! # Collection cycles
//!
//! Go clears pools at each garbage collection, keeping one cycle's worth as victims. Rust has no
//! GC, so `collect()` is called by the owner (a timer, a memory-pressure signal). Buffers idle
//! since the previous cycle are freed; buffers used in between survive. Magazines are aged by a
//! tag per buffer (the cycle in which it came back): `collect()` frees the calling thread's
//! expired buffers at once, and other threads free theirs at their next get that the slot does
//! not serve, or when they end. That is the price of a fast path that no other thread may touch:
//! Go avoids it only because its collector stops the world.
//!
//! # What is reset
//!
//! A returned buffer keeps its bytes and its length: a `Vec<u8>`'s length is exactly its
//! initialised prefix, which `get_read` hands out again without zeroing it (see the contract's
//! "Stale bytes"). `get` clears it, so a growable buffer always starts empty.
//!
//! # Speed
//!
//! A get+return on the slot costs a few nanoseconds: a thread-local load, a comparison of store
//! ids, and a pointer moved in and out (buffers live boxed, see the contract). Everything else
//! (the stack behind the slot, expired buffers, the shared store) is one out-of-line call, so
//! that a get and the guard's drop stay small enough to be inlined where they are used.
//! `cargo bench -p solutions --bench get_return` compares it with malloc+free, the simplest
//! thread-local stack and two crates; `--bench patterns` holds 8 buffers at once and hands them
//! from one thread to another.

use crate::tiered_store::{rebox, TieredStore};

use pool_contract::task1::{Factory, SyncPoolApi, SyncPoolConfig};
use pool_contract::{BufferPool, PoolStats, Pooled};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// A Go-style `sync.Pool` of byte buffers: per-thread magazines in front of a shared store, a
/// factory, a cap on retained capacity, warming, and collection cycles. See the module docs.
pub struct SyncPool {
    factory: Factory,
    max_retained_capacity: usize,
    /// How many collection cycles have run: the tag a returned buffer parks with.
    cycle: AtomicU64,
    /// The magazines, then the buffers returned since the last cycle (its shared store).
    store: TieredStore,
    /// Buffers that were idle when the last cycle ran: freed by the next one.
    victims: Mutex<Vec<Box<Vec<u8>>>>,
    created: AtomicU64,
    dropped: AtomicU64,
}

/// The store's only class.
const CLASS: usize = 0;

/// A buffer that came back in cycle `stamp` has been idle through two cycles by `cycle`.
fn idle_through_two_cycles(stamp: u64, cycle: u64) -> bool {
    cycle.wrapping_sub(stamp) >= 2
}

impl SyncPool {
    /// A pool that makes buffers with `config.factory` and keeps those whose capacity is at most
    /// `config.max_retained_capacity`.
    pub fn new(config: SyncPoolConfig) -> Self {
        SyncPool {
            factory: config.factory,
            max_retained_capacity: config.max_retained_capacity,
            cycle: AtomicU64::new(0),
            store: TieredStore::new(1, usize::MAX),
            victims: Mutex::new(Vec::new()),
            created: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// Takes a buffer from the first tier that has one, or makes one. The fast path takes a
    /// fresh buffer from this thread's magazine (slot, then the stack's top); anything else
    /// (an expired buffer in the way, an empty magazine) is `take_slow`'s.
    #[inline]
    fn take(&self) -> Box<Vec<u8>> {
        let cycle = self.cycle.load(Ordering::Relaxed);
        let parked = self.store.try_local(cycle, |local, cycle| {
            let fresh = |stamp| !idle_through_two_cycles(stamp, cycle);
            local
                .take_parked_if(CLASS, fresh)
                .or_else(|| local.take_stacked_if(CLASS, fresh))
        });
        match parked {
            Ok(Some(buffer)) => buffer,
            _ => self.take_slow(),
        }
    }

    /// Every get but the fast path's: the rest of this thread's magazine (its expired buffers
    /// freed on the way), then up to 4 buffers from the shared store under one lock (one for
    /// this get, the others stacked for the next), then a victim, then the factory.
    #[cold]
    #[inline(never)]
    fn take_slow(&self) -> Box<Vec<u8>> {
        let cycle = self.cycle.load(Ordering::Relaxed);
        let fresh = |stamp| !idle_through_two_cycles(stamp, cycle);
        let (found, freed) = self.store.local(|local| {
            let mut freed = 0;
            let found = loop {
                if let Some(buffer) = local.take_parked_if(CLASS, fresh) {
                    break Some(buffer);
                }
                match local.take_stacked_tagged(CLASS) {
                    Some((buffer, stamp)) if fresh(stamp) => break Some(buffer),
                    Some(_expired) => freed += 1,
                    None => {}
                }
                // Expired buffers are left (the slot's, or under the stack's newest): free them
                // all, then look again; with none left, the magazine has nothing for this get.
                match local.free_where(CLASS, |stamp| !fresh(stamp)) {
                    0 => break local.take_stacked(CLASS),
                    more => freed += more,
                }
            };
            let found = found.or_else(|| local.take_shared_batch(CLASS, cycle, |more| more.len()));
            (found, freed)
        });
        self.count_dropped(freed);
        found
            .or_else(|| self.lock_victims().pop().map(rebox))
            .unwrap_or_else(|| self.create())
    }

    /// Calls the factory, counting it. The buffer is boxed once, here, for its whole life in
    /// the pool (see the contract's "Why the buffers are boxed").
    fn create(&self) -> Box<Vec<u8>> {
        self.created.fetch_add(1, Ordering::Relaxed);
        Box::new((self.factory)())
    }

    /// Every return but the fast path's: an oversized buffer is let go; others go to this
    /// thread's magazine, or to the shared store.
    #[cold]
    #[inline(never)]
    fn put_slow(&self, buffer: Box<Vec<u8>>) {
        if buffer.capacity() > self.max_retained_capacity {
            // Keeping it would pin its memory for as long as the pool lives.
            drop(buffer);
            return self.count_dropped(1);
        }
        let cycle = self.cycle.load(Ordering::Relaxed);
        let kept = self
            .store
            .local(|local| local.park_tagged(CLASS, buffer, cycle))
            .or_else(|buffer| self.store.put_shared(CLASS, buffer));
        if kept.is_err() {
            // Cannot happen: the store keeps any number of buffers. Counted if it ever does.
            self.count_dropped(1);
        }
    }

    /// The victims. A panic while they were locked cannot leave them inconsistent (every update
    /// is a single pop or swap), so a poisoned lock is used as it is.
    fn lock_victims(&self) -> MutexGuard<'_, Vec<Box<Vec<u8>>>> {
        self.victims
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts buffers let go of (oversized, or freed by a cycle).
    fn count_dropped(&self, buffers: usize) {
        if buffers > 0 {
            self.dropped.fetch_add(buffers as u64, Ordering::Relaxed);
        }
    }
}

impl BufferPool for SyncPool {
    #[inline]
    fn get(&self, capacity: usize) -> Pooled<'_, Self> {
        Pooled::growable(self, self.take(), capacity)
    }

    #[inline]
    fn get_read(&self, len: usize) -> Pooled<'_, Self> {
        // Not zeroed again when reused: see `Pooled::readable`.
        Pooled::readable(self, self.take(), len)
    }

    /// The fast path: a buffer within the cap into a place this thread's magazine holds (its
    /// slot, or the stack behind it). Every other case is `put_slow`'s, behind one call.
    #[inline]
    fn put(&self, buffer: Box<Vec<u8>>) {
        let parked = if buffer.capacity() <= self.max_retained_capacity {
            let cycle = self.cycle.load(Ordering::Relaxed);
            self.store
                .try_local(buffer, |local, buffer| {
                    local.park_in_place(CLASS, buffer, Some(cycle))
                })
                .and_then(|parked| parked)
        } else {
            Err(buffer)
        };
        if let Err(buffer) = parked {
            self.put_slow(buffer);
        }
    }

    fn stats(&self) -> PoolStats {
        PoolStats {
            created: self.created.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            idle: self.store.idle() + self.lock_victims().len(),
        }
    }
}

impl SyncPoolApi for SyncPool {
    fn warm(&self, count: usize) {
        // Made before locking, so that the factory never runs under the lock.
        for buffer in (0..count).map(|_| self.create()) {
            if self.store.put_shared(CLASS, buffer).is_err() {
                self.count_dropped(1);
            }
        }
    }

    fn collect(&self) {
        // What threads that ended left behind is idle too.
        self.store.reclaim_ended();
        let freed = {
            let mut victims = self.lock_victims();
            // This cycle's idle buffers become the victims; last cycle's victims, not taken
            // since, are freed.
            let idle = self.store.drain_shared(CLASS);
            self.cycle.fetch_add(1, Ordering::Relaxed);
            std::mem::replace(&mut *victims, idle)
        };
        // Freed outside the lock: a `free` of many large buffers can take a while.
        let mut count = freed.len();
        drop(freed);
        let cycle = self.cycle.load(Ordering::Relaxed);
        count += self
            .store
            .local(|local| local.free_where(CLASS, |stamp| idle_through_two_cycles(stamp, cycle)));
        self.count_dropped(count);
    }
}

impl std::fmt::Debug for SyncPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncPool")
            .field("max_retained_capacity", &self.max_retained_capacity)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn pool() -> SyncPool {
        SyncPool::new(SyncPoolConfig::with_capacity(1024, 64 * 1024))
    }

    /// The addresses of `count` buffers taken at once from `pool`, then all given back.
    fn held_at_once(pool: &SyncPool, count: usize) -> Vec<usize> {
        let held: Vec<_> = (0..count).map(|_| pool.get(10)).collect();
        let mut addresses: Vec<usize> =
            held.iter().map(|buffer| buffer.as_ptr() as usize).collect();
        addresses.sort_unstable();
        addresses
    }

    #[test]
    fn a_request_holding_a_magazine_full_keeps_it_on_its_thread() {
        let pool = pool();
        let first = held_at_once(&pool, crate::tiered_store::MAGAZINE);
        // All 8 wait in this thread's magazine: none in the shared store for another thread.
        let other = std::thread::scope(|scope| {
            scope
                .spawn(|| pool.get(10).as_ptr() as usize)
                .join()
                .expect("the other thread ends cleanly")
        });
        assert!(!first.contains(&other));
        assert_eq!(held_at_once(&pool, crate::tiered_store::MAGAZINE), first);
        assert_eq!(pool.stats().created, 9);
    }

    #[test]
    fn a_full_magazine_spills_its_oldest_half_to_the_shared_store() {
        let pool = pool();
        // 12 back at once: the magazine keeps 8 and the 4 oldest of its stack go to the store
        // when the ninth comes back, so another thread finds 4 buffers without the factory.
        drop(held_at_once(&pool, 12));
        let created = pool.stats().created;
        let others = std::thread::scope(|scope| {
            scope
                .spawn(|| held_at_once(&pool, 4))
                .join()
                .expect("the other thread ends cleanly")
        });
        assert_eq!(others.len(), 4);
        assert_eq!(pool.stats().created, created);
    }

    #[test]
    fn two_collections_free_every_idle_buffer_of_a_magazine() {
        let pool = pool();
        drop(held_at_once(&pool, crate::tiered_store::MAGAZINE));
        pool.collect();
        pool.collect();
        assert_eq!(
            pool.stats(),
            PoolStats {
                created: 8,
                dropped: 8,
                idle: 0
            }
        );
    }

    #[test]
    fn stats_count_created_dropped_and_idle() {
        let pool = pool();
        pool.warm(3);
        assert_eq!(
            pool.stats(),
            PoolStats {
                created: 3,
                dropped: 0,
                idle: 3
            }
        );
        let mut big = pool.get(10);
        big.reserve(128 * 1024);
        drop(big);
        assert_eq!(
            pool.stats(),
            PoolStats {
                created: 3,
                dropped: 1,
                idle: 2
            }
        );
        pool.collect();
        pool.collect();
        assert_eq!(
            pool.stats(),
            PoolStats {
                created: 3,
                dropped: 3,
                idle: 0
            }
        );
    }

    #[test]
    fn a_second_buffer_returned_on_a_thread_waits_behind_the_first() {
        let pool = pool();
        let (first, second) = (pool.get(10), pool.get(10));
        drop(first);
        drop(second);
        // One in this thread's slot, one on its magazine's stack: both visible, both reused.
        assert_eq!(pool.stats().idle, 2);
        let _held = (pool.get(10), pool.get(10));
        assert_eq!(pool.stats().created, 2);
    }

    #[test]
    fn a_thread_that_outlives_the_pool_frees_its_slot_quietly() {
        use std::sync::Barrier;
        let ready = Arc::new(Barrier::new(2));
        let go = Arc::new(Barrier::new(2));
        let pool = Arc::new(pool());
        let worker = {
            let (pool, ready, go) = (Arc::clone(&pool), Arc::clone(&ready), Arc::clone(&go));
            std::thread::spawn(move || {
                drop(pool.get(10)); // now in this thread's slot
                drop(pool);
                ready.wait();
                go.wait(); // meanwhile the last handle to the pool is dropped
            })
        };
        ready.wait();
        drop(pool);
        go.wait();
        // The thread ends after its pool: its slot's buffer is freed, and nothing panics.
        worker.join().expect("the worker thread ends cleanly");
    }

    #[test]
    fn a_pool_dropped_while_its_slot_is_the_hot_one_leaves_the_next_pool_working() {
        let first = pool();
        drop(first.get(10)); // the thread's remembered slot is now the first pool's
        drop(first);
        let second = pool();
        let address = second.get(10).as_ptr();
        assert_eq!(second.get(10).as_ptr(), address);
        assert_eq!(second.stats().created, 1);
        assert_eq!(second.stats().idle, 1);
    }

    #[test]
    fn a_slot_that_is_not_the_hot_one_still_serves_its_thread() {
        let (a, b) = (pool(), pool());
        let a_address = a.get(10).as_ptr(); // a's slot holds it
        drop(b.get(10)); // b's slot is now the remembered one
                         // a's get takes its buffer through the list, not the remembered pointer.
        assert_eq!(a.get(10).as_ptr(), a_address);
        assert_eq!(a.stats().created, 1);
    }

    #[test]
    fn a_thread_that_ends_gives_its_slots_buffer_to_the_shared_store() {
        let pool = Arc::new(pool());
        let worker = {
            let pool = Arc::clone(&pool);
            std::thread::spawn(move || drop(pool.get(10)))
        };
        // `join` returns once the thread has ended, its thread-locals' destructors run (a
        // scoped thread's join may return before them).
        worker.join().expect("the worker ends cleanly");
        assert_eq!(pool.stats().idle, 1);
        drop(pool.get(10));
        assert_eq!(pool.stats().created, 1);
    }

    #[test]
    fn two_pools_on_one_thread_keep_their_buffers_apart() {
        let (a, b) = (pool(), pool());
        let a_address = a.get(10).as_ptr();
        let b_address = b.get(10).as_ptr();
        assert_eq!(a.get(10).as_ptr(), a_address);
        assert_eq!(b.get(10).as_ptr(), b_address);
        assert_ne!(a_address, b_address);
    }
}
