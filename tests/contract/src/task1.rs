//! Task 1, the standard pool done right: what a `SyncPool` must offer.
//!
//! Go programmers reach for `sync.Pool` first; Rust's standard library has no twin, so the
//! workshop builds one. Its contract is [`SyncPoolApi`] (a [`BufferPool`] that can also be warmed
//! and collected), built from a [`SyncPoolConfig`] (Go's `New`, plus the cap on retained capacity
//! that Go's pool lacks). An implementation of the workshop provides it through [`Task1`].

use crate::pool::BufferPool;
use std::fmt;
use std::sync::Arc;

/// Makes a new buffer when the pool has none to reuse: Go's `Pool.New`.
pub type Factory = Arc<dyn Fn() -> Vec<u8> + Send + Sync>;

/// How to build a `SyncPool`.
#[derive(Clone)]
pub struct SyncPoolConfig {
    /// Makes new buffers. The pool calls it only when it has no idle buffer to hand out, and then
    /// grows the buffer if a caller asked for more capacity than the factory gave.
    pub factory: Factory,
    /// A buffer whose capacity grew past this many bytes is dropped when it comes back instead of
    /// being kept: one request for 100 MiB must not pin 100 MiB in the pool forever (the classic
    /// `sync.Pool` pitfall, golang/go#23199).
    pub max_retained_capacity: usize,
}

impl SyncPoolConfig {
    /// A pool whose new buffers have `capacity` bytes of room and which keeps buffers of up to
    /// `max_retained_capacity` bytes.
    pub fn with_capacity(capacity: usize, max_retained_capacity: usize) -> Self {
        SyncPoolConfig {
            factory: Arc::new(move || Vec::with_capacity(capacity)),
            max_retained_capacity,
        }
    }
}

impl Default for SyncPoolConfig {
    /// New buffers of 4 KiB; buffers that grew past 1 MiB are not kept.
    fn default() -> Self {
        SyncPoolConfig::with_capacity(4 * 1024, 1024 * 1024)
    }
}

impl fmt::Debug for SyncPoolConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncPoolConfig")
            .field("factory", &"<fn() -> Vec<u8>>")
            .field("max_retained_capacity", &self.max_retained_capacity)
            .finish()
    }
}

/// A `sync.Pool`-like buffer pool: a [`BufferPool`] with warming and a collection cycle.
pub trait SyncPoolApi: BufferPool {
    /// Prefills the pool with `count` new buffers from the factory, so that the next `count` gets
    /// (even while all are held at once) allocate nothing.
    fn warm(&self, count: usize);

    /// One collection cycle, in the spirit of Go's garbage collector clearing pools: buffers that
    /// stayed idle since the previous cycle are freed. An idle buffer survives one cycle and not
    /// two (Go's victim cache), so a pool in steady use keeps its buffers while an idle one
    /// gives its memory back.
    fn collect(&self);
}

/// What an implementation of the workshop provides for Task 1.
pub trait Task1 {
    /// Its `SyncPool`.
    type SyncPool: SyncPoolApi;

    /// Builds a `SyncPool` from `config` (usually by calling `SyncPool::new(config)`).
    fn sync_pool(&self, config: SyncPoolConfig) -> Self::SyncPool;
}
