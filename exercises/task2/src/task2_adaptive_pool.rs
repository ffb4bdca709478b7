//! # Task 2c: the adaptive pool
//!
//! TODO: build `AdaptivePool`, a pool that grows and shrinks with demand, the way
//! valyala/bytebufferpool calibrates itself. It learns from the requests it serves, in windows
//! of `config.window` gets, and its decisions depend on nothing else (no clock), so the same
//! sequence of requests always gives the same pool.
//!
//! **What it is for**: servers whose load changes over the day or whose message sizes drift.
//! **When it is the wrong choice**: a known, fixed load (a fixed pool is simpler and cheaper),
//! or when every nanosecond counts (its bookkeeping runs on every get and return).
//!
//! What to build, and the check that grades each part:
//!
//! 1. `new` refuses a zero `max_pooled` or `window`, a `floor` above `max_pooled`, and a
//!    `percentile` outside 1..=100, with a `ConfigError` naming the field (`adaptive-config`).
//! 2. **How large.** Count each window's sizes by power of two (fixed arrays: counting must not
//!    allocate): the sizes asked for, and **apart from them the lengths buffers come back
//!    with** (a buffer returned empty says nothing new). A holder that builds a message by
//!    appending asks for 64 bytes and grows the buffer to what the message needs: only the
//!    returned length tells the pool how large its buffers should be (this is why
//!    valyala/bytebufferpool calibrates on returned lengths). At the end of a window, learn the
//!    *typical size*: the most frequent class **of the returned lengths** (of the requests only
//!    if every buffer came back empty). Counted together with the requests, the request's small
//!    class would win as soon as the lengths spread over a few classes, and every new buffer
//!    would be regrown (Task 3's framing workload: 0.67 allocator calls per message instead of
//!    0.40; its table shows yours). Make new buffers at least that large, rounded up to a power
//!    of two so that they fit every request of their class (`adaptive-steady` asks for 64 bytes,
//!    grows to 1-4 KiB, and then counts the reallocations of new buffers). Learn also the
//!    *largest size worth keeping*: the class of the `percentile`-th percentile of requests and
//!    returned lengths together. Free idle buffers above it at once and drop returned ones
//!    above it, so that a burst of huge requests is forgotten after one window of normal
//!    traffic (`adaptive-burst`), while a steady load of large buffers is kept and served with
//!    no allocation at all (`adaptive-steady`). Hand out the smallest idle buffer that fits.
//! 3. **How many.** Track the most buffers held at once since the last `trim()`. `trim()` keeps
//!    that many buffers (held and idle together: with 3 held at a peak of 3, no idle one is
//!    needed beyond the floor), at least `floor` idle, frees the rest, and
//!    resets the peak to what is held now: a busy pool keeps its working set, and two trims
//!    with no use in between shrink it to its floor (`adaptive-idle`).
//! 4. Reset before reuse (`adaptive-reset`) and thread safety (`adaptive-stress`): one `Mutex`
//!    around all of the state is the simple, correct choice. Free buffers after releasing it.
//!    With it, threads that come and go need nothing more: a buffer returned on a thread that
//!    then ends is reused, that thread's gets count in the window (`adaptive-thread-exit`), and
//!    `trim` reaches every idle buffer (`adaptive-trim-caches`). A per-thread cache added for
//!    speed must keep all three true.
//!
//! No per-thread tier, or one slot per thread as in Task 1, is enough to pass. Task 3's `bursts`
//! and `pipeline` rows show what one slot costs when a request holds several buffers or another
//! thread returns them; Task 1's notes (`task1_sync_pool.rs`) say where to go further.

use pool_contract::task2::{AdaptiveConfig, AdaptivePoolApi};
use pool_contract::{BufferPool, ConfigError, PoolStats, Pooled};

/// A pool that learns how many buffers to keep and how large. See the module docs.
pub struct AdaptivePool {
    // TODO: your fields. For example: the config, and a `Mutex` around the idle buffers, the
    // held count and its peak, the window's histogram, the learned sizes and the counters.
    config: AdaptiveConfig,
}

impl AdaptivePool {
    /// An adaptive pool; a `ConfigError` naming the field for a config that breaks a rule.
    pub fn new(config: AdaptiveConfig) -> Result<Self, ConfigError> {
        todo!("validate {config:?}")
    }
}

impl BufferPool for AdaptivePool {
    /// Records the request, then hands out the smallest idle buffer that fits, or a new one.
    fn get(&self, capacity: usize) -> Pooled<'_, Self> {
        todo!("record get({capacity}) and hand out an empty buffer")
    }

    /// Exactly `len` initialised bytes, recorded like a get.
    fn get_read(&self, len: usize) -> Pooled<'_, Self> {
        todo!("record get_read({len}) and hand out a read buffer")
    }

    /// Keeps the buffer unless it is above the learned size or `max_pooled` are idle.
    fn put(&self, buffer: Box<Vec<u8>>) {
        todo!(
            "take back a buffer of capacity {} (at most {} idle)",
            buffer.capacity(),
            self.config.max_pooled
        )
    }

    /// Buffers created, dropped, and idle now.
    fn stats(&self) -> PoolStats {
        todo!("report created, dropped and idle")
    }
}

impl AdaptivePoolApi for AdaptivePool {
    /// Frees idle buffers beyond the recent peak (keeping at least `floor`) and resets the peak.
    fn trim(&self) {
        todo!(
            "trim to the peak since the last trim, floor {}",
            self.config.floor
        )
    }
}
