//! Task 2: `FixedPool`, the fixed-size pool (the pooling guide's `BufferPool`, the Go exercise's
//! `CustomBufferPool`).
//!
//! Every buffer has the same capacity, set at construction; `preallocate` of them are made up
//! front and at most `max_pooled` are kept idle. It is the simplest pool to reason about: its
//! memory is `max_pooled * buffer_size` at most, whatever the traffic.
//!
//! It suits workloads whose buffers all have one natural size: network packets up to the MTU,
//! disk pages, fixed frames. It is the wrong choice when sizes vary widely: small requests waste
//! most of each buffer, and requests above `buffer_size` are not pooled at all (they are served by
//! a plain allocation and counted as misses).

//!
//! # Where a buffer lives
//!
//! In two tiers ([`TieredStore`]): the calling thread's magazine (a slot reached with no lock and
//! no shared write, then a stack of 7 behind it), then a shared store behind a mutex. The simple,
//! correct version of this pool is the shared store alone (a `Mutex<Vec<_>>` bounded at
//! `max_pooled`); the magazine in front is for speed: a thread that takes a buffer and gives it
//! back, request after request, never touches memory another thread writes, so two threads cost
//! what one does; a request that holds several buffers keeps them on its thread; and a thread
//! that frees what another took trades 4 buffers with the store at a time.
//!
//! The bound stays exact: a magazine holds a place in `max_pooled` for each buffer it may keep
//! (at most half of them go to magazines), so idle buffers in magazines and in the store never
//! exceed it.

use crate::tiered_store::{TieredStore, NO_TAG};
use pool_contract::task2::{FixedPoolApi, FixedPoolConfig, Rejected};
use pool_contract::{BufferPool, ConfigError, PoolStats, Pooled};
use std::sync::atomic::{AtomicU64, Ordering};

/// A pool of buffers of one size. See the module docs.
pub struct FixedPool {
    config: FixedPoolConfig,
    /// One class: every pooled buffer has `buffer_size` bytes.
    idle: TieredStore,
    created: AtomicU64,
    dropped: AtomicU64,
}

/// The store's only class.
const CLASS: usize = 0;

impl FixedPool {
    /// A pool of `config.buffer_size`-byte buffers, `config.preallocate` of them made now.
    ///
    /// Refuses a zero `buffer_size` or `max_pooled`, and a `preallocate` above `max_pooled`.
    pub fn new(config: FixedPoolConfig) -> Result<Self, ConfigError> {
        if config.buffer_size == 0 {
            return Err(ConfigError::new("buffer_size", 0, "must be at least 1"));
        }
        if config.max_pooled == 0 {
            return Err(ConfigError::new("max_pooled", 0, "must be at least 1"));
        }
        if config.preallocate > config.max_pooled {
            return Err(ConfigError::new(
                "preallocate",
                config.preallocate,
                format!("must be at most max_pooled ({})", config.max_pooled),
            ));
        }
        let idle = TieredStore::new(1, config.max_pooled);
        for _ in 0..config.preallocate {
            // Cannot fail: `preallocate <= max_pooled`, the store's bound.
            let _ = idle.put_shared(CLASS, Box::new(Vec::with_capacity(config.buffer_size)));
        }
        Ok(FixedPool {
            config,
            idle,
            created: AtomicU64::new(config.preallocate as u64),
            dropped: AtomicU64::new(0),
        })
    }

    /// An idle buffer if there is one (its length kept: its initialised prefix), else a new one.
    #[inline]
    fn take(&self, size: usize) -> Box<Vec<u8>> {
        if size > self.config.buffer_size {
            // Too large for this pool: a plain allocation, which `put` will not keep.
            return self.create(size);
        }
        // This thread's magazine: its slot, then the stack behind it (a request that holds
        // several buffers takes all but one from there).
        let own = self.idle.local(|local| {
            local
                .take_parked(CLASS)
                .or_else(|| local.take_stacked(CLASS))
        });
        match own {
            Some(buffer) => buffer,
            None => self.take_slow(),
        }
    }

    /// A get this thread's magazine did not serve: a batch from the shared store, then a new
    /// buffer. (Out of line, so that a get and the guard's drop stay small enough to be inlined
    /// where they are used.)
    #[cold]
    fn take_slow(&self) -> Box<Vec<u8>> {
        self.idle
            .local(|local| local.take_shared_batch(CLASS, NO_TAG, |more| more.len()))
            .unwrap_or_else(|| self.create(self.config.buffer_size))
    }

    fn create(&self, capacity: usize) -> Box<Vec<u8>> {
        self.created.fetch_add(1, Ordering::Relaxed);
        Box::new(Vec::with_capacity(capacity))
    }

    /// A return the fast path did not park: into this thread's magazine (taking a place in the
    /// bound, or first giving half a full stack to the shared store), else the shared store; a
    /// full store hands the buffer back, and it is dropped.
    #[cold]
    fn put_slow(&self, buffer: Box<Vec<u8>>) {
        let kept = self
            .idle
            .local(|local| local.park(CLASS, buffer))
            .or_else(|buffer| self.idle.put_shared(CLASS, buffer));
        if kept.is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl BufferPool for FixedPool {
    /// Always inlined: with the stack's branch in it, the compiler left it a call in the
    /// patterns benchmark, which cost about a nanosecond per get+return (measured against the
    /// build before the magazines were served inline).
    #[inline(always)]
    fn get(&self, capacity: usize) -> Pooled<'_, Self> {
        Pooled::growable(self, self.take(capacity), capacity)
    }

    #[inline]
    fn get_read(&self, len: usize) -> Pooled<'_, Self> {
        Pooled::readable(self, self.take(len), len)
    }

    /// The fast path: a buffer of this pool's size into a place this thread's magazine holds
    /// already. Everything else is `put_slow`'s, behind one call: with no other call to prepare
    /// for, the compiler saves no registers for one on every return (about 1 ns per get+return).
    #[inline]
    fn put(&self, buffer: Box<Vec<u8>>) {
        // Oversize requests, and buffers a holder grew or shrank, are not this pool's size.
        if buffer.capacity() != self.config.buffer_size {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let parked = self
            .idle
            .try_local(buffer, |local, buffer| {
                local.park_in_place(CLASS, buffer, None)
            })
            .and_then(|parked| parked);
        if let Err(buffer) = parked {
            self.put_slow(buffer);
        }
    }

    fn stats(&self) -> PoolStats {
        PoolStats {
            created: self.created.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            idle: self.idle.idle(),
        }
    }
}

impl FixedPoolApi for FixedPool {
    fn return_detached(&self, buffer: Vec<u8>) -> Result<(), Rejected> {
        if buffer.capacity() != self.config.buffer_size {
            return Err(Rejected {
                buffer,
                expected_capacity: self.config.buffer_size,
            });
        }
        self.put(Box::new(buffer));
        Ok(())
    }
}

impl std::fmt::Debug for FixedPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedPool")
            .field("config", &self.config)
            .field("stats", &self.stats())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: FixedPoolConfig = FixedPoolConfig {
        buffer_size: 1024,
        preallocate: 2,
        max_pooled: 3,
    };

    #[test]
    fn stats_follow_preallocation_misses_and_drops() {
        let pool = FixedPool::new(CONFIG).unwrap();
        assert_eq!(
            pool.stats(),
            PoolStats {
                created: 2,
                dropped: 0,
                idle: 2
            }
        );
        let held: Vec<_> = (0..5).map(|_| pool.get(10)).collect();
        drop(pool.get(5000)); // oversize: created and dropped
        drop(held); // 5 come back, 3 are kept
        assert_eq!(
            pool.stats(),
            PoolStats {
                created: 6,
                dropped: 3,
                idle: 3
            }
        );
    }

    #[test]
    fn a_rejected_buffer_explains_itself() {
        let pool = FixedPool::new(CONFIG).unwrap();
        let rejected = pool.return_detached(vec![0; 10]).unwrap_err();
        assert_eq!(rejected.buffer, vec![0; 10]);
        assert_eq!(
            rejected.to_string(),
            "buffer size mismatch: this pool keeps buffers of capacity 1024, this one has capacity 10"
        );
    }

    #[test]
    fn an_oversize_read_buffer_is_zeroed_and_exact() {
        let pool = FixedPool::new(CONFIG).unwrap();
        let buffer = pool.get_read(2000);
        assert_eq!(buffer.len(), 2000);
        assert!(buffer.iter().all(|&byte| byte == 0));
    }
}
