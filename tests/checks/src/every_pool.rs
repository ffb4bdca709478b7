//! Checks every pool must pass, whatever its strategy: reset before reuse, and no buffer shared
//! by two holders under many threads. Each task's checks call them on its own pools.

use crate::check::{ensure, passed, Failure, Outcome};
use crate::counting::{count_allocations, count_buffer_allocations, ensure_counting, BufferCalls};
use crate::pool::BufferPool;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The address of a buffer's allocation: two buffers with the same address are the same memory.
pub fn address(buffer: &[u8]) -> usize {
    buffer.as_ptr() as usize
}

/// Passes when the buffer at `again` is the allocation `first` and getting it obtained no
/// buffer from the allocator (`calls`, counted by [`count_buffer_allocations`] with the size
/// asked for): the grader's proof of reuse. A pool's bookkeeping (a queue's block, a slot for
/// the thread) may allocate meanwhile; it is reported, not held against the pool. `expected`
/// says what was done.
pub fn ensure_reused(
    first: usize,
    again: usize,
    calls: &BufferCalls,
    expected: &str,
) -> Result<(), Failure> {
    ensure(
        again == first && calls.buffers == 0,
        || format!("{expected}: the same allocation, no buffer allocated"),
        || {
            let which = if again == first {
                "the same"
            } else {
                "a different"
            };
            format!("{which} allocation; {}", calls.describe())
        },
    )
}

/// A reused buffer shows nothing of its previous holder: `get` gives an empty buffer with the
/// capacity asked for, `get_read` exactly the length asked for. The holder fills the buffer only
/// up to its capacity, so that it comes back unchanged in size and is reused.
pub fn resets_buffers_before_reuse<P: BufferPool>(pool: &P) -> Outcome {
    // Several buffers are dirtied and returned, so that whichever one the pool hands out next
    // (its own order: a stack, a queue, a per-thread slot first) was left dirty by a holder.
    let mut dirtied: Vec<_> = (0..DIRTIED).map(|_| pool.get(64)).collect();
    let filled = dirtied[0].capacity();
    for buffer in &mut dirtied {
        let capacity = buffer.capacity();
        buffer.resize(capacity, 0x5A);
    }
    let dirty: HashSet<usize> = dirtied.iter().map(|buffer| address(buffer)).collect();
    drop(dirtied);
    // Take buffers until one of the dirty ones comes back; every one must come out empty.
    let mut taken = Vec::new();
    let reused = loop {
        let buffer = pool.get(64);
        ensure(
            buffer.is_empty() && buffer.capacity() >= 64,
            || {
                format!(
                    "after holders filled buffers with {filled} bytes and returned them, get(64) \
                     to give a buffer back empty (len 0) with capacity >= 64"
                )
            },
            || format!("len {} and capacity {}", buffer.len(), buffer.capacity()),
        )?;
        if dirty.contains(&address(&buffer)) {
            break buffer;
        }
        taken.push(buffer);
        ensure(
            taken.len() < 4 * DIRTIED,
            || format!("one of the {DIRTIED} returned buffers to be handed out again"),
            || {
                format!(
                    "{} gets, none of them a returned buffer: the pool does not reuse them (the \
                     reuse checks say more), so this check cannot see whether it resets them",
                    taken.len()
                )
            },
        )?;
    };
    drop(taken);
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
    passed("empty on get, exact length on get_read, grown when asked for more")
}

/// Buffers the reset check dirties and returns.
const DIRTIED: usize = 4;

/// Threads in the stress.
pub const STRESS_THREADS: usize = 8;
/// Rounds per thread.
pub const STRESS_ROUNDS: usize = 2_000;
/// Buffers a thread holds at once, at most.
pub const STRESS_MAX_HELD: usize = 3;
/// The smallest request of the stress: every block this large or larger that the allocator hands
/// out meanwhile is taken for a buffer, anything smaller for the pool's bookkeeping.
pub const STRESS_MIN_REQUEST: usize = 1024;
/// Buffer allocations the stress allows: a pool that reuses what comes back needs about as many
/// buffers as are held at once (24), a few times over where they fall into several sizes or
/// per-thread caches; one that loses returns needs thousands.
pub const STRESS_MAX_BUFFERS: usize = 200;

/// Many threads, many rounds, on the pool `make_pool` builds (requests of
/// [`STRESS_MIN_REQUEST`] to `max_request` bytes): no buffer is ever held by two holders at once,
/// every buffer comes out empty, and returned buffers are reused rather than lost or leaked. The
/// pool must keep at least `STRESS_THREADS * STRESS_MAX_HELD` idle buffers of the sizes asked.
/// Its bookkeeping may allocate (a lock-free queue's blocks, a slot per thread): only blocks of a
/// buffer's size count against [`STRESS_MAX_BUFFERS`].
pub fn never_shares_a_buffer<P: BufferPool>(
    make_pool: impl FnOnce() -> P,
    max_request: usize,
) -> Outcome {
    ensure_counting()?;
    // Thread start-up allocates a few things once per process; do it before counting.
    std::thread::spawn(|| ()).join().ok();
    let held: Mutex<HashSet<usize>> =
        Mutex::new(HashSet::with_capacity(4 * STRESS_THREADS * STRESS_MAX_HELD));
    let seen = Seen::default();
    let (gets, split) = count_buffer_allocations(STRESS_MIN_REQUEST, || {
        let pool = make_pool();
        let gets = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..STRESS_THREADS)
                .map(|thread| {
                    let stress = Stress {
                        pool: &pool,
                        max_request,
                        held: &held,
                        seen: &seen,
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
    let [shared, not_empty, overwritten] = seen.counts();
    ensure(
        shared == 0,
        || "no buffer handed to two holders at once".into(),
        || {
            format!(
                "{shared} time(s) a buffer already held was handed out again: two holders \
                 would write the same memory"
            )
        },
    )?;
    ensure(
        not_empty == 0,
        || "every buffer handed out empty (len 0), whatever its previous holder left".into(),
        || {
            format!(
                "{not_empty} buffer(s) handed out holding their previous holder's bytes: the \
                 pool does not clear buffers before reuse (see the reset checks)"
            )
        },
    )
    .map_err(|failure| {
        failure.with_hint(
            "get must clear every buffer it hands out, whichever tier it came from (a \
             thread's slot, the shared store, the victims)",
        )
    })?;
    ensure(
        overwritten == 0,
        || "no holder's bytes changed by anyone else while it held the buffer".into(),
        || {
            format!(
                "{overwritten} time(s) a holder's bytes were overwritten while it held the \
                 buffer: another holder had the same memory"
            )
        },
    )?;
    ensure(
        split.buffers <= STRESS_MAX_BUFFERS,
        || {
            format!(
                "{gets} gets by {STRESS_THREADS} threads served with at most \
                 {STRESS_MAX_BUFFERS} buffer allocations (blocks of {STRESS_MIN_REQUEST} bytes or \
                 more)"
            )
        },
        || {
            format!(
                "{}: returned buffers are being lost instead of reused",
                split.describe()
            )
        },
    )
    .map_err(|failure| {
        failure.with_hint(
            "every returned buffer must reach a place where a later get finds it: the \
             returning thread's cache, or the shared store when that cache is full; look for a \
             put that drops a buffer the pool has room for, or a thread's cache that keeps its \
             buffers from other threads after the thread ended",
        )
    })?;
    let left = split.calls.net_bytes();
    ensure(
        left < 4096,
        || "every byte freed once the threads ended and the pool was dropped".into(),
        || format!("{left} bytes still allocated: the pool leaks buffers"),
    )
    .map_err(|failure| {
        failure.with_hint(
            "when the pool is dropped, every buffer it holds must be freed with it: look for \
             mem::forget, a leaked Box, or buffers parked where the pool's Drop does not reach",
        )
    })?;
    passed(format!(
        "{gets} gets by {STRESS_THREADS} threads: never shared, always empty; {}; {}",
        split.describe(),
        if left <= 0 {
            "every byte freed".to_string()
        } else {
            format!("{left} bytes left")
        }
    ))
}

/// What the stress threads saw, counted.
#[derive(Default)]
struct Seen {
    /// A buffer already held was handed out again.
    shared: AtomicUsize,
    /// A buffer came out of `get` not empty.
    not_empty: AtomicUsize,
    /// A holder's bytes changed while it held them.
    overwritten: AtomicUsize,
}

impl Seen {
    fn counts(&self) -> [usize; 3] {
        [&self.shared, &self.not_empty, &self.overwritten].map(|count| count.load(Ordering::SeqCst))
    }
}

/// What one stress thread shares with the others.
struct Stress<'a, P> {
    pool: &'a P,
    max_request: usize,
    /// Addresses of the buffers held right now, by any thread.
    held: &'a Mutex<HashSet<usize>>,
    seen: &'a Seen,
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
                let size = STRESS_MIN_REQUEST + random.below(self.max_request - STRESS_MIN_REQUEST);
                let mut buffer = self.pool.get(size);
                gets += 1;
                if !self.lock_held().insert(address(&buffer)) {
                    self.seen.shared.fetch_add(1, Ordering::SeqCst);
                }
                if !buffer.is_empty() {
                    // Counted as a reset failure, not mistaken for another holder's writes.
                    self.seen.not_empty.fetch_add(1, Ordering::SeqCst);
                    buffer.clear();
                }
                let mark = (thread * 31 + round * 7 + slot) as u8;
                buffer.resize(64, mark);
                buffers.push((buffer, mark));
            }
            std::thread::yield_now();
            for (buffer, mark) in buffers.drain(..) {
                if buffer.iter().any(|&byte| byte != mark) {
                    self.seen.overwritten.fetch_add(1, Ordering::SeqCst);
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

/// Holding 6 buffers of `size` and returning them frees 2 of them; the 4 kept serve the next 4
/// gets with no allocation, and a 5th get allocates. `bound` names the setting (4) in messages.
pub fn keeps_at_most_four<P: BufferPool>(pool: &P, size: usize, bound: &str) -> Outcome {
    let held: Vec<_> = (0..6).map(|_| pool.get(size)).collect();
    let (_, returning) = count_allocations(|| drop(held));
    // Bytes, not calls: the boxes the buffers travel in and the check's own list are freed too.
    ensure(
        (2 * size..3 * size).contains(&returning.bytes_freed),
        || format!("6 buffers of {size} bytes returned with {bound} = 4: 2 of them freed"),
        || format!("{} bytes freed", returning.bytes_freed),
    )?;
    let mut again = Vec::with_capacity(5);
    let (_, four) = count_buffer_allocations(size, || {
        for _ in 0..4 {
            again.push(pool.get(size));
        }
    });
    let (_, fifth) = count_buffer_allocations(size, || again.push(pool.get(size)));
    ensure(
        four.buffers == 0 && fifth.buffers > 0,
        || {
            "the 4 kept buffers to serve 4 gets with no buffer allocated, and a 5th get to \
             allocate one"
                .into()
        },
        || format!("4 gets: {}; the 5th: {}", four.describe(), fifth.describe()),
    )?;
    passed(format!(
        "kept 4 of 6 buffers of {size} bytes, freed 2, reused the 4"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::{PoolStats, Pooled};
    use std::collections::VecDeque;

    /// A correct pool that hands out its oldest idle buffer first (a queue, as a lock-free
    /// bounded queue does), made with two idle buffers: the next get is never the buffer just
    /// returned. `clears: false` makes it forget to reset.
    struct Queue {
        idle: Mutex<VecDeque<Box<Vec<u8>>>>,
        clears: bool,
    }

    impl Queue {
        fn new(clears: bool) -> Self {
            let idle = (0..2).map(|_| Box::new(Vec::with_capacity(4096))).collect();
            Queue {
                idle: Mutex::new(idle),
                clears,
            }
        }

        fn take(&self) -> Box<Vec<u8>> {
            let taken = self.idle.lock().unwrap().pop_front();
            taken.unwrap_or_else(|| Box::new(Vec::with_capacity(4096)))
        }
    }

    impl BufferPool for Queue {
        fn get(&self, capacity: usize) -> Pooled<'_, Self> {
            let buffer = self.take();
            if self.clears {
                Pooled::growable(self, buffer, capacity)
            } else {
                Pooled::new(self, buffer)
            }
        }
        fn get_read(&self, len: usize) -> Pooled<'_, Self> {
            Pooled::readable(self, self.take(), len)
        }
        fn put(&self, buffer: Box<Vec<u8>>) {
            self.idle.lock().unwrap().push_back(buffer);
        }
        fn stats(&self) -> PoolStats {
            PoolStats::default()
        }
    }

    #[test]
    fn a_pool_that_hands_out_its_oldest_buffer_first_passes_the_reset_check() {
        // The check once asked for the very buffer just returned, and so failed this pool.
        let outcome = resets_buffers_before_reuse(&Queue::new(true));
        assert!(outcome.is_ok(), "{outcome:?}");
    }

    #[test]
    fn the_same_pool_without_a_reset_fails_it() {
        let failure = resets_buffers_before_reuse(&Queue::new(false)).unwrap_err();
        assert!(failure.seen.starts_with("len "), "{failure:?}");
    }
}
