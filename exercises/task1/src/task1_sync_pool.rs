//! # Task 1: the standard pool, done right
//!
//! TODO: build `SyncPool`, the pool Go programmers reach for first (`sync.Pool`), for byte
//! buffers. Rust's standard library has no such pool; you will build one, and learn why each of
//! its details matters in a real server.
//!
//! A pool keeps buffers that were used once so that the next request reuses them instead of
//! asking the allocator again. Yours must have:
//!
//! 1. **A factory** (`config.factory`, Go's `New`): the only way your pool makes a new buffer.
//!    Graded by `sync-factory`.
//! 2. **Reuse with a reset**: a returned buffer is handed out again (`sync-reuse`). `get(n)`
//!    hands it out empty with room for `n` bytes; `get_read(n)` hands it out with exactly `n`
//!    initialised bytes (`sync-reset`). The contract's `Pooled::growable` and
//!    `Pooled::readable` do exactly these resets: read them, then use them.
//! 3. **No re-zeroing**: a read buffer's bytes are zeroed once, when it is new. When it comes
//!    back, keep its length (a `Vec<u8>`'s length is exactly how many of its bytes are
//!    initialised) and let `get_read` use `resize(n, 0)`, which zeroes only what was never
//!    initialised. If `put` called `clear()`, every `get_read` would zero the whole buffer again,
//!    which costs as much as allocating a new one (`sync-read-reuse`).
//! 4. **A cap on retained capacity**: `put` drops a buffer whose *capacity* grew past
//!    `config.max_retained_capacity`, so one huge request does not pin its memory forever
//!    (`sync-oversized`).
//! 5. **Per-thread caching in front of a shared store**: the common case (a thread takes a buffer
//!    and gives it back) must take no lock. Keep one buffer per thread in a `thread_local!` slot
//!    and the rest in a `Mutex<Vec<Box<Vec<u8>>>>`. `put` fills the calling thread's empty slot
//!    first; `get` looks in the calling thread's slot first. A slot is its thread's alone (Go's
//!    per-P `private`): while the thread lives, no other thread takes from it. `sync-per-thread`
//!    proves this by buffer identity: thread A returns a buffer and keeps running, thread B's
//!    get must not receive that buffer, and A's next get must. A `thread_local!` is per thread,
//!    not per pool, so give each pool an id and keep a small list of `(pool id, buffer)` slots
//!    per thread. When a thread ends, its slot's `Drop` must hand the buffer to the shared
//!    store, or it is stranded (`sync-cross-thread`).
//! 6. **Warming**: `warm(n)` makes `n` buffers up front, so the first `n` gets allocate nothing
//!    (`sync-warm`).
//! 7. **Collection cycles** (Go clears pools at each garbage collection; Rust has none, so the
//!    owner calls `collect()`): a buffer idle since the previous cycle is freed. Keep a "victims"
//!    list: `collect()` frees the old victims and turns the idle buffers into the new victims;
//!    `get` still takes victims (which saves them). One cycle frees nothing that was idle for
//!    only one cycle (`sync-collect-one`); two cycles free it (`sync-collect-two`). For thread
//!    slots, remember the cycle in which the buffer came back.
//! 8. **Thread safety**: `SyncPool` is shared by many threads and must never hand one buffer to
//!    two holders (`sync-stress`). If you write no `unsafe`, the compiler proves most of this
//!    for you.
//!
//! Buffers travel boxed, as `Box<Vec<u8>>`: `Pooled::new(self, buffer)` takes one and `put`
//! receives one. Box each buffer once, when the factory makes it (`Box::new((self.config.factory)())`),
//! and keep it boxed in your store: moving an 8-byte pointer in and out of a slot is much cheaper
//! than moving a 24-byte `Vec` header (the contract's docs, `pool_contract::pool`, say why).
//!
//! Suggested order: `new`, `get`, `put` with a `Mutex<Vec<Box<Vec<u8>>>>` only (most checks turn
//! green), then `get_read`, the cap, `warm`, `collect`, and last the thread slots.
//!
//! What the checks cannot see: whether your slot is reached without any lock or atomic
//! read-modify-write (a slot behind a `Mutex` per thread passes `sync-per-thread`, and costs
//! more). The reference's benchmark (`cargo bench -p solutions --bench get_return`) shows what a
//! common case without a lock is worth, on one thread and on two.
//!
//! One slot per thread is enough to pass. Task 3's table shows what it costs: in its `bursts`
//! row (a request holds 8 buffers at once) seven gets in eight go to the shared store, and in
//! its `pipeline` row (buffers returned on another thread) every get and nearly every return
//! does. To go further, keep a small stack per thread (a "magazine" of, say, 8 buffers) and
//! trade half of it with the shared store at a time, under one lock: Bonwick and Adams'
//! magazines (USENIX 2001), Go's `poolChain` behind its per-P `private` slot.

use pool_contract::task1::{SyncPoolApi, SyncPoolConfig};
use pool_contract::{BufferPool, PoolStats, Pooled};

/// A Go-style `sync.Pool` of byte buffers. See the module docs for what to build.
pub struct SyncPool {
    // TODO: your fields. For example: the config, a `Mutex` around the shared store and the
    // victims, a collection-cycle counter, an id that tells this pool's thread slots apart.
    config: SyncPoolConfig,
}

impl SyncPool {
    /// A pool that makes new buffers with `config.factory` and keeps buffers whose capacity is at
    /// most `config.max_retained_capacity`.
    pub fn new(config: SyncPoolConfig) -> Self {
        todo!("build a SyncPool from {config:?}")
    }
}

impl BufferPool for SyncPool {
    /// An empty buffer (`len() == 0`) with `capacity() >= capacity`: the calling thread's slot
    /// first, then the shared store, then the victims, and the factory last.
    fn get(&self, capacity: usize) -> Pooled<'_, Self> {
        todo!("hand out an empty buffer with capacity >= {capacity}: Pooled::new(self, buffer)")
    }

    /// A buffer of exactly `len` initialised bytes, not zeroed again if it was used before.
    fn get_read(&self, len: usize) -> Pooled<'_, Self> {
        todo!("hand out a buffer of exactly {len} initialised bytes (resize, do not zero again)")
    }

    /// Called by the guard when it is dropped: keep `buffer` (keeping its length) unless it grew
    /// past `max_retained_capacity`.
    fn put(&self, buffer: Box<Vec<u8>>) {
        todo!(
            "take back a buffer of capacity {} (max retained: {})",
            buffer.capacity(),
            self.config.max_retained_capacity
        )
    }

    /// How many buffers the factory made, how many the pool dropped, how many it holds idle.
    fn stats(&self) -> PoolStats {
        todo!("report created, dropped and idle")
    }
}

impl SyncPoolApi for SyncPool {
    /// Makes `count` buffers with the factory and stores them where `get` will find them.
    fn warm(&self, count: usize) {
        todo!("prefill the pool with {count} buffers")
    }

    /// One collection cycle: free the victims, and turn the idle buffers into the new victims.
    fn collect(&self) {
        todo!("run one collection cycle")
    }
}
