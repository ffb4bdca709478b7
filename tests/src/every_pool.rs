//! Checks every pool must pass, whatever its strategy: reset before reuse, and no buffer shared
//! by two holders under many threads. Each task's checks call them on its own pools.

use crate::check::{ensure, Failure, Outcome};
use crate::counting::{count_allocations, ensure_counting, AllocatorCalls};
use crate::pool::BufferPool;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The address of a buffer's allocation: two buffers with the same address are the same memory.
pub fn address(buffer: &[u8]) -> usize {
    buffer.as_ptr() as usize
}

/// Passes when the buffer at `again` is the allocation `first` and getting it cost no allocator
/// call (`calls`): the grader's proof of reuse. `expected` says what was done.
pub fn ensure_reused(
    first: usize,
    again: usize,
    calls: &AllocatorCalls,
    expected: &str,
) -> Result<(), Failure> {
    ensure(
        again == first && calls.allocations == 0,
        || format!("{expected}: the same allocation, 0 allocator calls"),
        || {
            let which = if again == first {
                "the same"
            } else {
                "a different"
            };
            format!(
                "{which} allocation, {} allocator call(s)",
                calls.allocations
            )
        },
    )
}

/// A reused buffer shows nothing of its previous holder: `get` gives an empty buffer with the
/// capacity asked for, `get_read` exactly the length asked for. The holder fills the buffer only
/// up to its capacity, so that it comes back unchanged in size and is reused.
pub fn resets_buffers_before_reuse<P: BufferPool>(pool: &P) -> Outcome {
    let mut dirty = pool.get(64);
    let filled = dirty.capacity();
    dirty.resize(filled, 0x5A);
    let first = address(&dirty);
    drop(dirty);
    let reused = pool.get(64);
    ensure(
        address(&reused) == first,
        || "get(64) after a return to reuse the returned buffer (the check needs it)".into(),
        || "a different allocation (the reuse checks say more)".into(),
    )?;
    ensure(
        reused.is_empty() && reused.capacity() >= 64,
        || {
            format!(
                "after a holder filled the buffer with {filled} bytes and returned it, get(64) to \
                 give it back empty (len 0) with capacity >= 64"
            )
        },
        || format!("len {} and capacity {}", reused.len(), reused.capacity()),
    )?;
    drop(reused);
    let mut dirty = pool.get(16);
    let filled = dirty.capacity();
    dirty.resize(filled, 0x5A);
    drop(dirty);
    let read = pool.get_read(16);
    ensure(
        read.len() == 16,
        || {
            format!(
                "get_read(16) after a holder left {filled} bytes in the buffer: exactly 16 bytes"
            )
        },
        || format!("len {}", read.len()),
    )?;
    drop(read);
    let grown = pool.get(10_000);
    ensure(
        grown.is_empty() && grown.capacity() >= 10_000,
        || {
            "get(10000) when the pool holds only smaller buffers: an empty buffer with capacity \
            >= 10000"
                .into()
        },
        || format!("len {} and capacity {}", grown.len(), grown.capacity()),
    )?;
    Ok("empty on get, exact length on get_read, grown when asked for more".into())
}

/// Threads in the stress.
pub const STRESS_THREADS: usize = 8;
/// Rounds per thread.
pub const STRESS_ROUNDS: usize = 2_000;
/// Buffers a thread holds at once, at most.
pub const STRESS_MAX_HELD: usize = 3;

/// Many threads, many rounds, on the pool `make_pool` builds (requests of 64 to `max_request`
/// bytes): no buffer is ever held by two holders at once, and returned buffers are reused rather
/// than lost or leaked. The pool must keep at least `STRESS_THREADS * STRESS_MAX_HELD` idle
/// buffers of the sizes asked.
pub fn never_shares_a_buffer<P: BufferPool>(
    make_pool: impl FnOnce() -> P,
    max_request: usize,
) -> Outcome {
    ensure_counting()?;
    // Thread start-up allocates a few things once per process; do it before counting.
    std::thread::spawn(|| ()).join().ok();
    let held: Mutex<HashSet<usize>> =
        Mutex::new(HashSet::with_capacity(4 * STRESS_THREADS * STRESS_MAX_HELD));
    let shared = AtomicUsize::new(0);
    let corrupted = AtomicUsize::new(0);
    let (gets, calls) = count_allocations(|| {
        let pool = make_pool();
        let gets = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..STRESS_THREADS)
                .map(|thread| {
                    let stress = Stress {
                        pool: &pool,
                        max_request,
                        held: &held,
                        shared: &shared,
                        corrupted: &corrupted,
                    };
                    scope.spawn(move || stress.run(thread))
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| {
                    worker
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .sum::<usize>()
        });
        drop(pool);
        gets
    });
    let shared = shared.load(Ordering::SeqCst);
    let corrupted = corrupted.load(Ordering::SeqCst);
    ensure(
        shared == 0 && corrupted == 0,
        || "no buffer handed to two holders at once".into(),
        || {
            format!(
                "{shared} time(s) a buffer already held was handed out again; {corrupted} \
                 time(s) a holder's bytes were overwritten by another holder"
            )
        },
    )?;
    // A pool that reuses what comes back needs about as many buffers as are held at once
    // (STRESS_THREADS * STRESS_MAX_HELD = 24); thread start-up adds a few allocations per thread.
    let allowed = 200;
    ensure(
        calls.allocations <= allowed,
        || {
            format!(
                "{gets} gets by {STRESS_THREADS} threads served with at most {allowed} allocator \
                 calls"
            )
        },
        || {
            format!(
                "{} allocator calls: returned buffers are being lost instead of reused",
                calls.allocations
            )
        },
    )?;
    ensure(
        calls.net_bytes() < 4096,
        || "every byte freed once the threads ended and the pool was dropped".into(),
        || {
            format!(
                "{} bytes still allocated: the pool leaks buffers",
                calls.net_bytes()
            )
        },
    )?;
    Ok(format!(
        "{gets} gets by {STRESS_THREADS} threads: never shared, {} allocator calls, {} bytes left",
        calls.allocations,
        calls.net_bytes()
    ))
}

/// What one stress thread shares with the others.
struct Stress<'a, P> {
    pool: &'a P,
    max_request: usize,
    /// Addresses of the buffers held right now, by any thread.
    held: &'a Mutex<HashSet<usize>>,
    shared: &'a AtomicUsize,
    corrupted: &'a AtomicUsize,
}

impl<P: BufferPool> Stress<'_, P> {
    /// Each round takes 1 to `STRESS_MAX_HELD` buffers, marks each with a pattern of its own,
    /// checks that nobody else holds or writes it, and returns them. Returns how many gets it did.
    fn run(&self, thread: usize) -> usize {
        let mut random = SplitMix64(thread as u64 + 1);
        let mut buffers = Vec::with_capacity(STRESS_MAX_HELD);
        let mut gets = 0;
        for round in 0..STRESS_ROUNDS {
            let count = 1 + random.below(STRESS_MAX_HELD);
            for slot in 0..count {
                let size = 64 + random.below(self.max_request - 64);
                let mut buffer = self.pool.get(size);
                gets += 1;
                if !self.lock_held().insert(address(&buffer)) {
                    self.shared.fetch_add(1, Ordering::SeqCst);
                }
                let mark = (thread * 31 + round * 7 + slot) as u8;
                buffer.resize(64, mark);
                buffers.push((buffer, mark));
            }
            std::thread::yield_now();
            for (buffer, mark) in buffers.drain(..) {
                if buffer.iter().any(|&byte| byte != mark) {
                    self.corrupted.fetch_add(1, Ordering::SeqCst);
                }
                self.lock_held().remove(&address(&buffer));
            }
        }
        gets
    }

    fn lock_held(&self) -> std::sync::MutexGuard<'_, HashSet<usize>> {
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A small seeded random number generator, so that a check does the same work every run.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`.
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }
}
