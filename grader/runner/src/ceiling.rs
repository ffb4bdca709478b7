//! The memory ceiling of a check's process, enforced by the process's own allocator, the same way
//! on every system: a runner installs [`Ceiling`] as its global allocator, which forwards every
//! call to the counting allocator the checks read ([`SwitchableCounting`], and through it
//! [`COUNTING`]) and refuses an allocation that would bring the bytes in use, as counted, above
//! [`MEMORY_CEILING`]. Refused, Rust's allocation-error handler prints "memory allocation of N
//! bytes failed" and aborts, which the grader reports as *out of memory*.
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: grader_runner::ceiling::Ceiling =
//!     grader_runner::ceiling::Ceiling::new(grader_runner::ceiling::MEMORY_CEILING);
//! ```
//!
//! What it sees is what the counting allocator counts. Inside a timed stretch (Task 3's,
//! [`pool_checks::counting::without_counting`]) the counts stand still, so a pool that hoards
//! only there is stopped by its check's time limit instead (a single request above the ceiling
//! is still refused). Threads that allocate at the same moment may each pass the check before
//! either is counted: the ceiling can be overshot by the requests in flight at once.

use pool_checks::counting::{counting_on, SwitchableCounting, COUNTING};
use std::alloc::{GlobalAlloc, Layout};

/// The bytes a check's process may have in use at once, as its counting allocator counts them:
/// far more than any check's buffers need, far less than a laptop has, so that a pool that keeps
/// every buffer is stopped with a verdict before it makes the machine swap.
pub const MEMORY_CEILING: u64 = 4 << 30;

/// The global allocator of a check's process: the counting allocator, under a ceiling.
#[derive(Debug, Clone, Copy)]
pub struct Ceiling {
    /// The most bytes in use (allocated minus freed, as counted) that an allocation may bring.
    limit: usize,
}

impl Ceiling {
    /// The counting allocator with at most `limit` bytes in use (all of `usize` where `limit`
    /// does not fit in it).
    pub const fn new(limit: u64) -> Self {
        let limit = if limit > usize::MAX as u64 {
            usize::MAX
        } else {
            limit as usize
        };
        Ceiling { limit }
    }

    /// Whether a request for `bytes` more must be refused.
    // why: Task 3's timing checks run in this process, and the no-pool side of each ratio
    // allocates on every operation, so whatever this costs is added to the baseline the pools
    // are compared with. So no read-modify-write of its own, and no lock: inside a timed stretch
    // (counting off) one relaxed load of the counting switch, which the counting allocator reads
    // next anyway; while counting, the counter loads of `stats()` (on x86-64 a sequentially
    // consistent load is the same plain `mov` as a relaxed one), beside the two atomic additions
    // the counting allocator makes on every call in any case.
    #[inline]
    fn refuses(&self, bytes: usize) -> bool {
        if bytes > self.limit {
            return true;
        }
        if !counting_on() {
            return false;
        }
        let stats = COUNTING.stats();
        would_exceed(
            in_use(stats.bytes_allocated, stats.bytes_deallocated),
            bytes,
            self.limit,
        )
    }
}

/// The bytes in use from the counter's totals: never below zero, although blocks obtained
/// while counting was off may be freed while it is on, and the two totals are read one after
/// the other while other threads allocate.
fn in_use(allocated: usize, freed: usize) -> usize {
    allocated.saturating_sub(freed)
}

/// Whether `request` more bytes, with `in_use` already, would go above `ceiling`. Reaching the
/// ceiling exactly is allowed; a sum that overflows is above it.
fn would_exceed(in_use: usize, request: usize, ceiling: usize) -> bool {
    in_use
        .checked_add(request)
        .is_none_or(|total| total > ceiling)
}

// SAFETY: every call is forwarded unchanged, with the caller's own guarantees, to
// `SwitchableCounting`, a sound global allocator (see its impl), or answered with a null pointer
// without touching memory. A null pointer is how `GlobalAlloc::alloc`, `alloc_zeroed` and
// `realloc` report a failure; after a refused `realloc` the old block is left as it was, still
// owned by the caller, as the trait requires. Every block handed out therefore came from
// `SwitchableCounting`, which is where `dealloc` and `realloc` return it.
unsafe impl GlobalAlloc for Ceiling {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.refuses(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded with the caller's guarantees (see the impl's comment).
        unsafe { SwitchableCounting.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if self.refuses(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { SwitchableCounting.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees; `ptr` came from `SwitchableCounting`.
        unsafe { SwitchableCounting.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Only a block that grows brings more bytes into use.
        if new_size > layout.size() && self.refuses(new_size - layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded with the caller's guarantees; `ptr` came from `SwitchableCounting`.
        unsafe { SwitchableCounting.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_itself_may_be_reached_and_not_passed() {
        assert!(!would_exceed(0, 100, 100));
        assert!(!would_exceed(60, 40, 100));
        assert!(would_exceed(60, 41, 100));
        assert!(would_exceed(101, 0, 100));
        // The hoarding fixture: 64 blocks of 64 MiB fill 4 GiB; the 65th is refused.
        let block = 64 << 20;
        let ceiling = Ceiling::new(MEMORY_CEILING).limit;
        assert!(!would_exceed(63 * block, block, ceiling));
        assert!(would_exceed(64 * block, block, ceiling));
    }

    #[test]
    fn a_sum_that_overflows_is_above_any_ceiling() {
        assert!(would_exceed(usize::MAX, 1, usize::MAX));
        assert!(would_exceed(1, usize::MAX, usize::MAX));
        assert!(!would_exceed(0, usize::MAX, usize::MAX));
    }

    #[test]
    fn more_freed_than_allocated_is_nothing_in_use() {
        assert_eq!(in_use(1000, 400), 600);
        assert_eq!(in_use(400, 1000), 0);
    }

    #[test]
    fn a_ceiling_too_large_for_usize_is_all_of_it() {
        assert_eq!(Ceiling::new(u64::MAX).limit, usize::MAX);
        assert_eq!(Ceiling::new(1 << 20).limit, 1 << 20);
    }

    /// The wrapper itself, called directly (this test process's own global allocator is the
    /// system's, so only these calls reach the counter): it counts through `COUNTING`, refuses
    /// what would pass its limit, and takes freed and shrunk blocks off the count.
    #[test]
    fn the_wrapper_refuses_what_would_pass_its_limit_and_counts_what_is_freed() {
        const KIB: usize = 1 << 10;
        let now = || {
            let stats = COUNTING.stats();
            in_use(stats.bytes_allocated, stats.bytes_deallocated)
        };
        let ceiling = Ceiling::new((now() + 1024 * KIB) as u64);
        let big = Layout::from_size_align(768 * KIB, 8).expect("a layout");
        let half = Layout::from_size_align(512 * KIB, 8).expect("a layout");
        // SAFETY: the layouts have non-zero sizes; every block obtained is freed below with the
        // layout (or the size after realloc) it has, through the same allocator.
        unsafe {
            let first = ceiling.alloc(big);
            assert!(!first.is_null(), "768 KiB fits under a 1 MiB ceiling");
            assert!(now() >= 768 * KIB, "counted through COUNTING");
            assert!(
                ceiling.alloc(half).is_null(),
                "768 + 512 KiB would pass 1 MiB"
            );
            assert!(
                ceiling.alloc_zeroed(half).is_null(),
                "zeroed blocks count alike"
            );
            // Growing 768 KiB to 1280 KiB would pass the ceiling: refused, the block unchanged.
            assert!(ceiling.realloc(first, big, 1280 * KIB).is_null());
            // Shrinking is always allowed, and gives bytes back to the count.
            let shrunk = ceiling.realloc(first, big, 256 * KIB);
            assert!(!shrunk.is_null());
            let second = ceiling.alloc(half);
            assert!(!second.is_null(), "256 + 512 KiB fit");
            ceiling.dealloc(
                shrunk,
                Layout::from_size_align(256 * KIB, 8).expect("a layout"),
            );
            ceiling.dealloc(second, half);
            let again = ceiling.alloc(big);
            assert!(!again.is_null(), "freed blocks come off the count");
            ceiling.dealloc(again, big);
        }
    }

    #[test]
    fn a_single_request_above_the_ceiling_is_refused_without_asking_the_system() {
        let ceiling = Ceiling::new(1 << 20);
        let layout = Layout::from_size_align((1 << 20) + 1, 1).expect("a layout");
        // SAFETY: a non-zero size; the null pointer it returns is not used.
        assert!(unsafe { ceiling.alloc(layout) }.is_null());
    }
}
