//! # Task 2a: the fixed-size pool
//!
//! TODO: build `FixedPool`, the simplest custom pool there is: every buffer has the same
//! capacity, `config.buffer_size`, set once at construction. It is the pooling guide's
//! `BufferPool` and the Go exercise's `CustomBufferPool`.
//!
//! **What it is for**: workloads whose buffers all have one natural size (network packets up to
//! the MTU, disk pages, fixed frames). Its memory is bounded by `max_pooled * buffer_size`,
//! whatever the traffic. **When it is the wrong choice**: sizes that vary widely. Small requests
//! waste most of each buffer, and requests above `buffer_size` are not pooled at all.
//!
//! What to build, and the check that grades each part:
//!
//! 1. `new` validates the config and returns `Err(ConfigError::new(field, value, rule))` for a
//!    zero `buffer_size` or `max_pooled`, or a `preallocate` above `max_pooled`
//!    (`fixed-config`). Then it allocates `preallocate` buffers up front (`fixed-prealloc`).
//! 2. `get(n)` with `n <= buffer_size` hands out an idle buffer, or a new one of capacity exactly
//!    `buffer_size`; a returned buffer is reused (`fixed-reuse`). Empty on `get`, exactly `len`
//!    bytes on `get_read`, and keep the length when a buffer comes back so that `get_read` need
//!    not zero it again (`fixed-reset`, and Task 1's explanation).
//! 3. `put` keeps at most `max_pooled` idle buffers and drops the rest (`fixed-bound`).
//! 4. A request above `buffer_size` is served by a plain allocation of the size asked, counted
//!    in `stats().created` (a miss), and dropped when it comes back: `put` keeps only buffers
//!    whose capacity is exactly `buffer_size` (`fixed-oversize`).
//! 5. `return_detached` takes back a buffer that left its guard (`Pooled::detach`). A buffer of
//!    the wrong capacity is refused with `Err(Rejected { buffer, expected_capacity })`, which
//!    gives it back to the caller: never a panic, never a silently kept buffer (`fixed-detached`).
//! 6. Thread-safe: a `Mutex<Vec<Box<Vec<u8>>>>` is enough (`fixed-stress`). Threads come and
//!    go: a buffer returned on a thread that then ends is reused by the next thread
//!    (`fixed-thread-exit`). A pool without a per-thread cache passes as it is; if you add one,
//!    its `Drop` at thread exit must hand its buffers to the shared store.
//!
//! No per-thread tier, or one slot per thread as in Task 1, is enough to pass. Task 3's `bursts`
//! and `pipeline` rows show what one slot costs when a request holds several buffers or another
//! thread returns them; Task 1's notes (`task1_sync_pool.rs`) say where to go further.

use pool_contract::task2::{FixedPoolApi, FixedPoolConfig, Rejected};
use pool_contract::{BufferPool, ConfigError, PoolStats, Pooled};

/// A pool of buffers of one size. See the module docs for what to build.
pub struct FixedPool {
    // TODO: your fields. For example: the config, a `Mutex` around the idle buffers, counters.
    config: FixedPoolConfig,
}

impl FixedPool {
    /// A pool of `config.buffer_size`-byte buffers, `config.preallocate` of them made now; a
    /// `ConfigError` naming the field for a config that breaks a rule.
    pub fn new(config: FixedPoolConfig) -> Result<Self, ConfigError> {
        todo!("validate {config:?}, then preallocate its buffers")
    }
}

impl BufferPool for FixedPool {
    /// An empty buffer of capacity `buffer_size` (or a plain one when `capacity` is larger).
    fn get(&self, capacity: usize) -> Pooled<'_, Self> {
        todo!("hand out an empty buffer for get({capacity})")
    }

    /// Exactly `len` initialised bytes, not zeroed again if the buffer was used before.
    fn get_read(&self, len: usize) -> Pooled<'_, Self> {
        todo!("hand out a read buffer of exactly {len} bytes")
    }

    /// Keeps the buffer if its capacity is `buffer_size` and fewer than `max_pooled` are idle.
    fn put(&self, buffer: Box<Vec<u8>>) {
        todo!(
            "take back a buffer of capacity {} (buffer_size: {})",
            buffer.capacity(),
            self.config.buffer_size
        )
    }

    /// Buffers created (misses included), dropped, and idle now.
    fn stats(&self) -> PoolStats {
        todo!("report created, dropped and idle")
    }
}

impl FixedPoolApi for FixedPool {
    /// Takes back a detached buffer, or refuses it with `Rejected` when its size is wrong.
    fn return_detached(&self, buffer: Vec<u8>) -> Result<(), Rejected> {
        todo!(
            "take back a detached buffer of capacity {}",
            buffer.capacity()
        )
    }
}
