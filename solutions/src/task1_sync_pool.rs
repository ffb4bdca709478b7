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
//! 1. **The calling thread's private slot** (Go's per-P `private`, grown into a small stack, a
//!    *magazine*): up to 8 buffers per thread and pool, reached without a lock or an atomic
//!    read-modify-write. A thread that takes a buffer and gives it back, request after request,
//!    lives here, and so does a request that holds several buffers at once.
//! 2. **The shared store** behind a mutex: buffers from warming, those of threads that ended (a
//!    slot hands its buffers to the store when its thread exits, so nothing is stranded), and
//!    half a magazine at a time: a full one gives its 4 oldest, an empty one takes up to 4, under
//!    one lock, so a thread that frees buffers another took touches the store once per 4.
//! 3. **The victims**: buffers that were idle when the last collection cycle ran. `get` still
//!    takes them, which saves them; the next cycle frees those that are left.
//! 4. **The factory** (Go's `New`), when every tier is empty.
//!
//! # Collection cycles
//!
//! Go clears pools at each garbage collection, keeping one cycle's worth as victims. Rust has no
//! GC, so `collect()` is called by the owner (a timer, a memory-pressure signal). Buffers idle
//! since the previous cycle are freed; buffers used in between survive. Private slots are aged by
//! a stamp per buffer (the cycle in which it came back): `collect()` frees the calling thread's
//! expired buffers at once, and other threads free theirs at their next get or when they end.
//! That is the price of a fast path that no other thread may touch: Go avoids it only because its
//! collector stops the world.
//!
//! # What is reset
//!
//! A returned buffer keeps its bytes and its length: a `Vec<u8>`'s length is exactly its
//! initialised prefix, which `get_read` hands out again without zeroing it (see the contract's
//! "Stale bytes"). `get` clears it, so a growable buffer always starts empty.
//!
//! # Speed
//!
//! A get+return on the private-slot path costs a few nanoseconds: a thread-local load, a
//! comparison of pool ids, and a pointer moved in and out (buffers live boxed, see the contract).
//! The slots themselves live in a `RefCell`'d list, the simple version; the fast paths reach the
//! slot used last through a remembered pointer, which skips the `RefCell`'s borrow flag and the
//! thread-local's liveness check (see `private_slot`). `cargo bench -p solutions --bench
//! get_return` compares it with malloc+free, the simplest thread-local stack and two crates.

mod private_slot;

use crate::tiered_store::rebox;

use pool_contract::task1::{Factory, SyncPoolApi, SyncPoolConfig};
use pool_contract::{BufferPool, PoolStats, Pooled};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A Go-style `sync.Pool` of byte buffers: per-thread slots in front of a shared store, a
/// factory, a cap on retained capacity, warming, and collection cycles. See the module docs.
pub struct SyncPool {
    shared: Arc<Shared>,
}

/// Everything the threads share. Private slots hold a `Weak` to it, to hand their buffer back
/// when their thread ends.
struct Shared {
    /// Tells this pool's private slots apart from other pools' in a thread's slot list. Never
    /// reused, so a slot of a dropped pool never matches a new one.
    id: u64,
    factory: Factory,
    max_retained_capacity: usize,
    /// How many collection cycles have run; private slots compare their stamp with it.
    cycle: AtomicU64,
    store: Mutex<Store>,
    created: AtomicU64,
    dropped: AtomicU64,
}

/// The shared tiers.
#[derive(Default)]
struct Store {
    /// Buffers returned since the last cycle.
    fresh: Vec<Box<Vec<u8>>>,
    /// Buffers that were idle when the last cycle ran: freed by the next one.
    victims: Vec<Box<Vec<u8>>>,
}

impl SyncPool {
    /// A pool that makes buffers with `config.factory` and keeps those whose capacity is at most
    /// `config.max_retained_capacity`.
    pub fn new(config: SyncPoolConfig) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        SyncPool {
            shared: Arc::new(Shared {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                factory: config.factory,
                max_retained_capacity: config.max_retained_capacity,
                cycle: AtomicU64::new(0),
                store: Mutex::new(Store::default()),
                created: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
            }),
        }
    }

    /// Takes a buffer from the first tier that has one, or makes one.
    #[inline]
    fn take(&self) -> Box<Vec<u8>> {
        if let Some(buffer) = private_slot::take_fast(&self.shared) {
            return buffer;
        }
        self.take_slow()
    }

    /// Every get but the fast path's: this thread's magazine (its stack, a slot not used last,
    /// expired buffers), and when it is empty one buffer for this get and up to `BATCH - 1`
    /// more for the next ones, from the shared store under one lock (or the factory).
    #[cold]
    #[inline(never)]
    fn take_slow(&self) -> Box<Vec<u8>> {
        if let Some(buffer) = private_slot::take(&self.shared) {
            return buffer;
        }
        let (first, more) = {
            let mut store = self.shared.lock_store();
            let first = store.fresh.pop().or_else(|| store.victims.pop());
            let more: [Option<Box<Vec<u8>>>; private_slot::BATCH - 1] =
                std::array::from_fn(|_| store.fresh.pop());
            (first, more)
        };
        // Re-boxed on this thread: a header another thread allocated may share a cache line
        // with one that thread keeps writing (see `tiered_store::rebox`).
        for buffer in more.into_iter().flatten() {
            if let Err(buffer) = private_slot::put(&self.shared, rebox(buffer)) {
                self.shared.store(buffer);
            }
        }
        first.map_or_else(|| self.shared.create(), rebox)
    }

    /// Every return but the fast path's: an oversized buffer is let go; others go to this
    /// thread's magazine (its stack, or a slot not used last), or to the shared store.
    #[cold]
    #[inline(never)]
    fn put_slow(&self, buffer: Box<Vec<u8>>) {
        if buffer.capacity() > self.shared.max_retained_capacity {
            // Keeping it would pin its memory for as long as the pool lives.
            return self.shared.let_go(buffer);
        }
        if let Err(buffer) = private_slot::put(&self.shared, buffer) {
            self.shared.store(buffer);
        }
    }
}

impl Shared {
    /// Calls the factory, counting it. The buffer is boxed once, here, for its whole life in
    /// the pool (see the contract's "Why the buffers are boxed").
    fn create(&self) -> Box<Vec<u8>> {
        self.created.fetch_add(1, Ordering::Relaxed);
        Box::new((self.factory)())
    }

    /// The shared store. A panic while it was locked cannot leave it inconsistent (every update
    /// is a single push, pop or swap), so a poisoned lock is used as it is.
    fn lock_store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Puts a buffer in the shared store.
    fn store(&self, buffer: Box<Vec<u8>>) {
        self.lock_store().fresh.push(buffer);
    }

    /// Frees a buffer too large to keep, counting it. Out of line: a return's fast path stays
    /// small enough to be inlined where the guard is dropped.
    #[cold]
    #[allow(clippy::boxed_local)] // Taking the box is the point: it is freed here.
    fn let_go(&self, buffer: Box<Vec<u8>>) {
        drop(buffer);
        self.count_dropped(1);
    }

    /// Counts buffers let go of (oversized, or freed by a cycle).
    fn count_dropped(&self, buffers: usize) {
        self.dropped.fetch_add(buffers as u64, Ordering::Relaxed);
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

    #[inline]
    fn put(&self, buffer: Box<Vec<u8>>) {
        if let Err(buffer) = private_slot::put_fast(&self.shared, buffer) {
            self.put_slow(buffer);
        }
    }

    fn stats(&self) -> PoolStats {
        let store = self.shared.lock_store();
        PoolStats {
            created: self.shared.created.load(Ordering::Relaxed),
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            idle: store.fresh.len() + store.victims.len() + private_slot::holds(&self.shared),
        }
    }
}

impl SyncPoolApi for SyncPool {
    fn warm(&self, count: usize) {
        // Made before locking, so that the factory never runs under the lock.
        let buffers: Vec<Box<Vec<u8>>> = (0..count).map(|_| self.shared.create()).collect();
        self.shared.lock_store().fresh.extend(buffers);
    }

    fn collect(&self) {
        let freed = {
            let mut store = self.shared.lock_store();
            let store = &mut *store;
            // This cycle's idle buffers become the victims; last cycle's victims, not taken since,
            // end up in `fresh` and are drained out to be freed. Swapping keeps both lists'
            // storage, so the next returns do not regrow them.
            std::mem::swap(&mut store.fresh, &mut store.victims);
            self.shared.cycle.fetch_add(1, Ordering::Relaxed);
            store.fresh.drain(..).collect::<Vec<_>>()
        };
        // Freed outside the lock: a `free` of many large buffers can take a while.
        let mut count = freed.len();
        drop(freed);
        count += private_slot::free_if_idle(&self.shared);
        self.shared.count_dropped(count);
    }
}

impl Drop for SyncPool {
    fn drop(&mut self) {
        // The calling thread's slot would otherwise keep its buffer until the thread ends.
        private_slot::forget(&self.shared);
    }
}

impl std::fmt::Debug for SyncPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncPool")
            .field("max_retained_capacity", &self.shared.max_retained_capacity)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let first = held_at_once(&pool, private_slot::MAGAZINE);
        // All 8 wait in this thread's magazine: none in the shared store for another thread.
        let other = std::thread::scope(|scope| {
            scope
                .spawn(|| pool.get(10).as_ptr() as usize)
                .join()
                .expect("the other thread ends cleanly")
        });
        assert!(!first.contains(&other));
        assert_eq!(held_at_once(&pool, private_slot::MAGAZINE), first);
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
        drop(held_at_once(&pool, private_slot::MAGAZINE));
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
