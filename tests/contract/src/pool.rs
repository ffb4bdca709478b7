//! The contract every pool in the workshop implements: [`BufferPool`], its guard [`Pooled`] and
//! its [`PoolStats`].
//!
//! A pool hands out buffers wrapped in a [`Pooled`] guard. The guard is the only way to reach the
//! buffer, and it gives the buffer back to its pool when it is dropped: Rust's form of the
//! `try { use(buf) } finally { pool.release(buf) }` that pooling guides ask of every caller. A
//! panic, an early `return` or a `?` in the caller cannot leak the buffer.
//!
//! Two shapes of use are served, because real workloads need both:
//!
//! - [`BufferPool::get`]: a *growable* buffer, empty, with room for at least `capacity` bytes, for
//!   building a message by appending (`extend_from_slice`, `write!`);
//! - [`BufferPool::get_read`]: a *read* buffer of exactly `len` initialised bytes, to hand to
//!   [`std::io::Read::read`], which needs a `&mut [u8]`.
//!
//! # Stale bytes
//!
//! A read buffer is **not** zeroed again each time it is reused: zeroing 64 KiB costs about as much
//! as allocating a fresh zeroed buffer, which would erase what pooling gains. Its bytes are zeroed
//! once, when the buffer is created; after that they hold whatever the previous holder left there.
//! Code that reads past what it filled sees another request's data. This is sound (the bytes are
//! initialised memory) but it is a confidentiality hazard, exactly as with Go's `sync.Pool` and
//! .NET's `ArrayPool`: read only what you filled (`&buf[..n]` after `read` returned `n`), and use a
//! pool that zeroes on return for secrets (Task 4).
//!
//! A pool remembers how much of each buffer is initialised by keeping the buffer's length when it
//! comes back: a `Vec<u8>`'s length is exactly its initialised prefix, so no `unsafe` is needed to
//! hand those bytes out again.
//!
//! # Why the buffers are boxed
//!
//! Pools move buffers as `Box<Vec<u8>>`: an 8-byte pointer, where a `Vec<u8>` is a 24-byte
//! header. Moving the header in and out of a thread-local slot on every get and return costs more
//! than it looks: the compiler copies it through the stack with loads wider than the stores that
//! wrote it, and the processor stalls on each (a failed store-to-load forward). Measured on the
//! reference pool: about 9.5 ns per get+return with `Vec<u8>`, under 4 ns with a box, on a
//! machine where malloc+free costs 32 ns. The box is allocated once per buffer, with the buffer.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

/// A pool of byte buffers, shared by many threads.
///
/// Implementations hand out [`Pooled`] guards built with [`Pooled::new`] and take buffers back in
/// [`BufferPool::put`], which the guard calls when it is dropped. Buffers travel boxed (see "Why
/// the buffers are boxed" in the module docs): keep them boxed in the pool, so that a reused
/// buffer costs no allocation at all.
///
/// `Send + Sync` is part of the contract: a pool is meant to be shared by every thread of a
/// server, and it must never hand one buffer to two holders at once.
pub trait BufferPool: Send + Sync {
    /// Hands out an empty buffer (`len() == 0`) with `capacity() >= capacity`.
    ///
    /// Whatever the previous holder wrote is gone from view: the length is 0.
    fn get(&self, capacity: usize) -> Pooled<'_, Self>;

    /// Hands out a buffer of exactly `len` initialised bytes, for [`std::io::Read::read`].
    ///
    /// The bytes are zero when the buffer is new and otherwise hold what a previous holder left
    /// (see "Stale bytes" in the module docs): the pool must not zero them again on every reuse.
    fn get_read(&self, len: usize) -> Pooled<'_, Self>;

    /// Takes a buffer back. The [`Pooled`] guard calls this when it is dropped (never with a
    /// zero-capacity buffer); you rarely call it yourself.
    ///
    /// The pool decides whether to keep the buffer (and where) or to let it go, for example when
    /// its capacity grew past what the pool is willing to retain.
    fn put(&self, buffer: Box<Vec<u8>>);

    /// What the pool knows about itself. For monitoring only: the grader never trusts these
    /// figures for a verdict; it counts allocations itself.
    fn stats(&self) -> PoolStats;
}

/// Figures a pool reports about itself, for monitoring.
///
/// Every field is a count since the pool was created, except `idle`, which is a snapshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Buffers the pool created because it had none to reuse (Go's `New` calls).
    pub created: u64,
    /// Buffers the pool let go of instead of keeping them: oversized ones, ones over its bound,
    /// and idle ones freed by a collection cycle.
    pub dropped: u64,
    /// Idle buffers the pool holds right now, as far as it can see them (a pool with per-thread
    /// caches may not see other threads' caches).
    pub idle: usize,
}

/// A buffer on loan from a pool `P`; it goes back to the pool when this guard is dropped.
///
/// Dereferences to the `Vec<u8>`, so everything a `Vec` can do works on the guard:
/// `buf.extend_from_slice(..)`, `reader.read(&mut buf[..])`, `buf.len()`.
pub struct Pooled<'pool, P: BufferPool + ?Sized> {
    pool: &'pool P,
    /// Taken out exactly once: by `drop`, or by `detach_boxed` (which never lets `drop` run).
    buffer: ManuallyDrop<Box<Vec<u8>>>,
}

impl<'pool, P: BufferPool + ?Sized> Pooled<'pool, P> {
    /// Wraps `buffer` so that it is given back to `pool` (through [`BufferPool::put`]) on drop.
    /// Pools call this in their `get` and `get_read`.
    #[inline]
    pub fn new(pool: &'pool P, buffer: Box<Vec<u8>>) -> Self {
        Pooled {
            pool,
            buffer: ManuallyDrop::new(buffer),
        }
    }

    /// Resets `buffer` for the growable shape, empty with room for `capacity` bytes, and wraps
    /// it: what a pool's `get` hands out. Clearing keeps the capacity and frees nothing.
    #[inline]
    pub fn growable(pool: &'pool P, mut buffer: Box<Vec<u8>>, capacity: usize) -> Self {
        buffer.clear();
        // Checked first because a reused buffer almost always fits.
        if buffer.capacity() < capacity {
            return Pooled::grown(pool, buffer, capacity);
        }
        Pooled::new(pool, buffer)
    }

    /// [`Pooled::growable`] for a buffer too small: out of line, and its call the last thing a
    /// get does, so that a get that needs no call saves no registers for one.
    #[cold]
    fn grown(pool: &'pool P, mut buffer: Box<Vec<u8>>, capacity: usize) -> Self {
        // `reserve` counts from the length, 0 here: capacity >= `capacity` afterwards.
        buffer.reserve(capacity);
        Pooled::new(pool, buffer)
    }

    /// Sizes `buffer` to exactly `len` initialised bytes and wraps it: what a pool's `get_read`
    /// hands out. `resize` truncates when the buffer already holds `len` initialised bytes and
    /// zeroes only the bytes past its initialised prefix otherwise, so a reused buffer is not
    /// zeroed again (see "Stale bytes").
    #[inline]
    pub fn readable(pool: &'pool P, mut buffer: Box<Vec<u8>>, len: usize) -> Self {
        buffer.resize(len, 0);
        Pooled::new(pool, buffer)
    }

    /// Takes the buffer out of the guard for good: it will not go back to the pool. Use it to hand
    /// the bytes to an owner that outlives the loan. Written `Pooled::detach(guard)` so that it
    /// cannot be confused with a method of `Vec`. (It frees the small box the buffer travelled in;
    /// [`Pooled::detach_boxed`] keeps it.)
    #[inline]
    pub fn detach(guard: Self) -> Vec<u8> {
        *Pooled::detach_boxed(guard)
    }

    /// Like [`Pooled::detach`], but keeps the buffer boxed: for code that passes buffers from one
    /// pool to another (a wrapper that adds metrics, say) without an allocation.
    #[inline]
    pub fn detach_boxed(guard: Self) -> Box<Vec<u8>> {
        let mut guard = ManuallyDrop::new(guard);
        // SAFETY: `guard` is wrapped in `ManuallyDrop`, so `Pooled::drop` never runs for it: this
        // is the only place its buffer is taken, and the guard is not used afterwards.
        unsafe { ManuallyDrop::take(&mut guard.buffer) }
    }

    /// The pool this buffer will go back to.
    #[inline]
    pub fn pool(guard: &Self) -> &'pool P {
        guard.pool
    }
}

impl<P: BufferPool + ?Sized> Deref for Pooled<'_, P> {
    type Target = Vec<u8>;

    #[inline]
    fn deref(&self) -> &Vec<u8> {
        &self.buffer
    }
}

impl<P: BufferPool + ?Sized> DerefMut for Pooled<'_, P> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buffer
    }
}

impl<P: BufferPool + ?Sized> Drop for Pooled<'_, P> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `drop` runs at most once, and never for a guard given to `detach_boxed` (the
        // only other place that takes the buffer): the buffer is taken exactly once, and `self` is not
        // used after this line.
        let buffer = unsafe { ManuallyDrop::take(&mut self.buffer) };
        // A buffer without an allocation (replaced by `Vec::new()`, say) is nothing to keep, so
        // pools never see one.
        if buffer.capacity() != 0 {
            self.pool.put(buffer);
        }
    }
}

impl<P: BufferPool + ?Sized> fmt::Debug for Pooled<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pooled")
            .field("len", &self.buffer.len())
            .field("capacity", &self.buffer.capacity())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records what comes back to it.
    #[derive(Default)]
    struct Recorder {
        returned: Mutex<Vec<Box<Vec<u8>>>>,
    }

    impl BufferPool for Recorder {
        fn get(&self, capacity: usize) -> Pooled<'_, Self> {
            Pooled::new(self, Box::new(Vec::with_capacity(capacity)))
        }
        fn get_read(&self, len: usize) -> Pooled<'_, Self> {
            Pooled::new(self, Box::new(vec![0; len]))
        }
        fn put(&self, buffer: Box<Vec<u8>>) {
            self.returned.lock().unwrap().push(buffer);
        }
        fn stats(&self) -> PoolStats {
            PoolStats::default()
        }
    }

    #[test]
    fn dropping_the_guard_returns_the_buffer_with_its_bytes() {
        let pool = Recorder::default();
        let mut buffer = pool.get(16);
        buffer.extend_from_slice(b"hello");
        let address = buffer.as_ptr();
        drop(buffer);
        let returned = pool.returned.lock().unwrap();
        assert_eq!(returned.len(), 1);
        assert_eq!(
            returned[0].as_ptr(),
            address,
            "the same allocation comes back"
        );
        assert_eq!(
            returned[0].as_slice(),
            b"hello",
            "with its length and bytes"
        );
    }

    #[test]
    fn a_growable_buffer_is_empty_with_room_for_the_request_whatever_it_was() {
        let pool = Recorder::default();
        // Big enough: cleared, its allocation kept.
        let mut roomy = Box::new(Vec::with_capacity(64));
        roomy.extend_from_slice(b"stale");
        let address = roomy.as_ptr();
        let guard = Pooled::growable(&pool, roomy, 32);
        assert_eq!((guard.len(), guard.as_ptr()), (0, address));
        drop(guard);
        // Too small (the out-of-line path): cleared and grown.
        let mut small = Box::new(Vec::with_capacity(4));
        small.extend_from_slice(b"old");
        let guard = Pooled::growable(&pool, small, 1000);
        assert_eq!(guard.len(), 0);
        assert!(guard.capacity() >= 1000);
    }

    #[test]
    fn a_detached_buffer_is_not_returned() {
        let pool = Recorder::default();
        let mut guard = pool.get_read(8);
        guard[0] = 7;
        let address = guard.as_ptr();
        let owned = Pooled::detach(guard);
        assert_eq!(owned.as_ptr(), address);
        assert_eq!(owned, [7, 0, 0, 0, 0, 0, 0, 0]);
        assert!(pool.returned.lock().unwrap().is_empty());
    }

    #[test]
    fn a_buffer_without_an_allocation_is_not_returned() {
        let pool = Recorder::default();
        let mut guard = pool.get(16);
        *guard = Vec::new();
        drop(guard);
        assert!(pool.returned.lock().unwrap().is_empty());
    }

    #[test]
    fn a_guard_returns_its_buffer_when_the_holder_panics() {
        let pool = Recorder::default();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _buffer = pool.get(16);
            panic!("the holder fails mid-request");
        }));
        assert!(result.is_err());
        assert_eq!(
            pool.returned.lock().unwrap().len(),
            1,
            "try/finally, the Rust way"
        );
    }
}
