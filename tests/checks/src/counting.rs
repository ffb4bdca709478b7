//! Counting allocator calls, the way the grader proves reuse.
//!
//! A process that runs checks installs [`SwitchableCounting`] as its global allocator:
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: pool_checks::counting::SwitchableCounting =
//!     pool_checks::counting::SwitchableCounting;
//! ```
//!
//! (The grader's runners install it inside their memory ceiling, `grader_runner::ceiling`, which
//! forwards every call to it.) It is `stats_alloc`'s counting allocator, which the checks then
//! ask, not the pool, how many times the allocator was called. The counts are process-wide:
//! measure single-threaded code, or code whose other threads are idle.
//!
//! Counting is not free: every call bumps shared atomic counters, which would slow the unpooled
//! baseline of a throughput measurement more than the pool (and contend between threads). So
//! counting can be switched off for timing ([`without_counting`]); the system allocator then
//! serves the calls directly.

use crate::check::Failure;
use stats_alloc::{Region, Stats, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The counting allocator that check processes install (inside [`SwitchableCounting`]).
pub static COUNTING: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Whether calls go through the counting allocator: on, except inside [`without_counting`].
static COUNTING_ON: AtomicBool = AtomicBool::new(true);

/// Inside [`count_buffer_allocations`]: blocks of at least this many bytes count as buffers
/// (`usize::MAX` outside it: none does).
static BUFFER_AT_LEAST: AtomicUsize = AtomicUsize::new(usize::MAX);
/// Buffer-sized blocks obtained since the process started (see [`BUFFER_AT_LEAST`]).
static BUFFER_BLOCKS: AtomicUsize = AtomicUsize::new(0);

/// Counts a block of `size` bytes obtained while counting, if it is buffer-sized.
fn note_block(size: usize) {
    if size >= BUFFER_AT_LEAST.load(Ordering::Relaxed) {
        BUFFER_BLOCKS.fetch_add(1, Ordering::Relaxed);
    }
}

/// The global allocator of processes that run checks: [`COUNTING`], or the system allocator
/// itself while counting is switched off.
#[derive(Debug, Clone, Copy, Default)]
pub struct SwitchableCounting;

impl SwitchableCounting {
    fn counting() -> bool {
        counting_on()
    }
}

/// Whether allocator calls are counted now: `false` inside [`without_counting`] (a timed
/// stretch), while [`COUNTING`]'s figures stand still. One relaxed load, cheap enough for an
/// allocator to ask on every call (the runners' memory ceiling does).
pub fn counting_on() -> bool {
    COUNTING_ON.load(Ordering::Relaxed)
}

// SAFETY: every call is forwarded unchanged, with the caller's own guarantees, to `COUNTING` or to
// `System`. `COUNTING` is `StatsAlloc<System>`, which forwards to `System` after counting, so both
// paths allocate from the same system allocator: a block obtained through one may be freed or
// reallocated through the other, whatever the switch says meanwhile.
unsafe impl GlobalAlloc for SwitchableCounting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if Self::counting() {
            note_block(layout.size());
            // SAFETY: forwarded with the caller's guarantees (see the impl's comment).
            unsafe { COUNTING.alloc(layout) }
        } else {
            // SAFETY: as above.
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if Self::counting() {
            // SAFETY: forwarded with the caller's guarantees; `ptr` came from `System` either way.
            unsafe { COUNTING.dealloc(ptr, layout) }
        } else {
            // SAFETY: as above.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if Self::counting() {
            note_block(layout.size());
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { COUNTING.alloc_zeroed(layout) }
        } else {
            // SAFETY: as above.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if Self::counting() {
            // A block regrown into a buffer's size is a buffer obtained; one that was already
            // that large was counted when it was.
            if layout.size() < BUFFER_AT_LEAST.load(Ordering::Relaxed) {
                note_block(new_size);
            }
            // SAFETY: forwarded with the caller's guarantees; `ptr` came from `System` either way.
            unsafe { COUNTING.realloc(ptr, layout, new_size) }
        } else {
            // SAFETY: as above.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

/// Runs `work` with allocation counting switched off (for timing), then switches it on again,
/// even if `work` panics.
pub fn without_counting<T>(work: impl FnOnce() -> T) -> T {
    struct OnAgain;
    impl Drop for OnAgain {
        fn drop(&mut self) {
            COUNTING_ON.store(true, Ordering::SeqCst);
        }
    }
    COUNTING_ON.store(false, Ordering::SeqCst);
    let _on_again = OnAgain;
    work()
}

/// What the allocator saw while some code ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocatorCalls {
    /// Calls that obtained memory: `alloc`, `alloc_zeroed` and `realloc` (a regrowth counts).
    pub allocations: usize,
    /// Calls that gave memory back: `dealloc`.
    pub frees: usize,
    /// Bytes obtained (a realloc that grows a block counts its growth).
    pub bytes_allocated: usize,
    /// Bytes given back (a realloc that shrinks a block counts its shrinkage).
    pub bytes_freed: usize,
}

impl AllocatorCalls {
    fn from_stats(stats: Stats) -> Self {
        // stats_alloc already adds a realloc's growth to `bytes_allocated` (and its shrinkage to
        // `bytes_deallocated`); a realloc counts here as one more call that obtained memory.
        AllocatorCalls {
            allocations: stats.allocations + stats.reallocations,
            frees: stats.deallocations,
            bytes_allocated: stats.bytes_allocated,
            bytes_freed: stats.bytes_deallocated,
        }
    }

    /// Bytes allocated and not yet freed (negative when more was freed than allocated).
    pub fn net_bytes(&self) -> i64 {
        self.bytes_allocated as i64 - self.bytes_freed as i64
    }
}

/// Runs `work` and returns its result with the allocator calls made meanwhile (by any thread).
pub fn count_allocations<T>(work: impl FnOnce() -> T) -> (T, AllocatorCalls) {
    let region = Region::new(COUNTING);
    let result = work();
    let change = region.change();
    (result, AllocatorCalls::from_stats(change))
}

/// Allocator calls split by what they obtained: a pool's buffers, or its bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferCalls {
    /// Everything the allocator saw.
    pub calls: AllocatorCalls,
    /// Calls that obtained a block of at least [`BufferCalls::at_least`] bytes: buffers.
    pub buffers: usize,
    /// The size from which a block counts as a buffer: the smallest request made.
    pub at_least: usize,
}

impl BufferCalls {
    /// Calls that obtained smaller blocks: the pool's bookkeeping (queue blocks, slot tables,
    /// boxes), and anything else the process did meanwhile.
    pub fn bookkeeping(&self) -> usize {
        self.calls.allocations.saturating_sub(self.buffers)
    }

    /// The counts in words, for a check's message.
    pub fn describe(&self) -> String {
        format!(
            "{} buffer allocation(s) (blocks of {} bytes or more) and {} bookkeeping \
             allocation(s) (smaller blocks)",
            self.buffers,
            self.at_least,
            self.bookkeeping()
        )
    }
}

/// Runs `work` and returns its result with the allocator calls made meanwhile, split into
/// blocks of at least `at_least` bytes (buffers: every request `work` makes must be that large)
/// and smaller ones (bookkeeping). One such count at a time in a process: checks run alone.
pub fn count_buffer_allocations<T>(at_least: usize, work: impl FnOnce() -> T) -> (T, BufferCalls) {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            BUFFER_AT_LEAST.store(usize::MAX, Ordering::SeqCst);
        }
    }
    let before = BUFFER_BLOCKS.load(Ordering::SeqCst);
    BUFFER_AT_LEAST.store(at_least.max(1), Ordering::SeqCst);
    let reset = Reset;
    let (result, calls) = count_allocations(work);
    drop(reset);
    let buffers = BUFFER_BLOCKS.load(Ordering::SeqCst) - before;
    (
        result,
        BufferCalls {
            calls,
            buffers,
            at_least,
        },
    )
}

/// Bytes allocated and not yet freed, by the counting allocator, since the process started
/// (calls made while counting was off are not in it).
pub fn live_bytes() -> i64 {
    let stats = COUNTING.stats();
    stats.bytes_allocated as i64 - stats.bytes_deallocated as i64
}

/// Proves that the counting allocator really is this process's global allocator. Without it every
/// count reads zero and every "allocates nothing" check would pass: a check that cannot fail.
pub fn ensure_counting() -> Result<(), Failure> {
    let (_, calls) = count_allocations(|| std::hint::black_box(Box::new(0x5eed_u64)));
    if calls.allocations == 0 {
        return Err(Failure::new(
            "the counting allocator (stats_alloc) to see a test allocation",
            "no allocation counted: this process did not install pool_checks::counting::COUNTING \
             as its #[global_allocator] (a bug in whatever runs the checks, not in your pool)",
        ));
    }
    Ok(())
}
