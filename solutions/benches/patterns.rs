//! How a server really uses buffers, on every reference pool and on what a user would use
//! instead: `cargo bench -p solutions --bench patterns`.
//!
//! Three patterns, each at 1, 2, 4, 8 and 16 threads (as many as the machine has cores):
//!
//! - **get_return**: a thread takes a 4 KiB buffer, writes a byte, gives it back.
//! - **hold_8**: a thread takes 8 buffers (a request's header, body, reply...), writes a byte in
//!   each, then gives all 8 back.
//! - **hand_off**: a producer thread takes a buffer, writes a byte and passes it through a
//!   bounded queue to a consumer thread, which gives it back: the buffer is freed on another
//!   thread than the one that took it. Threads come in pairs.
//!
//! Every figure is the time per buffer on one thread (the slowest thread's time over the buffers it
//! handled), so that thread counts compare directly: a pattern that scales keeps its figure as
//! threads are added. Each benchmark makes its subject anew and runs it on threads that stay for
//! its warm-up and all its samples, as a server's workers do (see `bench`). Subjects: the reference
//! pools, `lockfree-object-pool` and `object-pool`, malloc and free (glibc, the process's
//! allocator), mimalloc called directly (the global allocator stays the system's), and the floor: a
//! word moved through the same pattern, no buffer at all.

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use crossbeam_queue::ArrayQueue;
use lockfree_object_pool::LinearObjectPool;
use pool_checks::measure::Crew;
use pool_checks::BufferPool;
use std::hint::black_box;
use support::mi_block::MiBlock;
use support::subjects::{
    adaptive_pool, fixed_pool, production_pool, size_class_pool, sync_pool, SIZE,
};

mod support {
    pub mod mi_block;
    pub mod subjects;
}

// mimalloc's blocks are as large as the pools' buffers.
const _: () = assert!(support::mi_block::BLOCK == SIZE);
/// Buffers a request of the `hold_8` pattern holds at once.
const HELD: usize = 8;
/// Buffers on their way between a producer and its consumer, at most.
const CHANNEL: usize = 16;

/// Something that hands out a 4 KiB buffer, written to once, and takes it back when the buffer
/// is dropped.
trait Source: Sync {
    /// A buffer it handed out.
    type Buffer<'a>: Send
    where
        Self: 'a;
    /// A buffer of `SIZE` bytes with one byte written.
    fn take(&self) -> Self::Buffer<'_>;
}

/// A reference pool, or anything with the contract's `BufferPool`.
struct Pool<P>(P);

impl<P: BufferPool> Source for Pool<P> {
    type Buffer<'a>
        = pool_checks::Pooled<'a, P>
    where
        P: 'a;
    #[inline(always)]
    fn take(&self) -> Self::Buffer<'_> {
        let mut buffer = self.0.get(black_box(SIZE));
        buffer.push(1);
        buffer
    }
}

/// `lockfree-object-pool`'s `LinearObjectPool`.
struct Linear(LinearObjectPool<Vec<u8>>);

impl Source for Linear {
    type Buffer<'a> = lockfree_object_pool::LinearReusable<'a, Vec<u8>>;
    #[inline(always)]
    fn take(&self) -> Self::Buffer<'_> {
        let mut buffer = self.0.pull();
        buffer.push(1);
        buffer
    }
}

/// `object-pool`'s `Pool`.
struct ObjectPool(object_pool::Pool<Vec<u8>>);

impl Source for ObjectPool {
    type Buffer<'a> = object_pool::Reusable<'a, Vec<u8>>;
    #[inline(always)]
    fn take(&self) -> Self::Buffer<'_> {
        let mut buffer = self.0.pull(|| Vec::with_capacity(SIZE));
        buffer.clear();
        buffer.push(1);
        buffer
    }
}

/// No pool: the process's allocator (glibc's malloc and free).
struct Malloc;

impl Source for Malloc {
    type Buffer<'a> = Vec<u8>;
    #[inline(always)]
    fn take(&self) -> Vec<u8> {
        let mut buffer = Vec::with_capacity(black_box(SIZE));
        buffer.push(1);
        buffer
    }
}

/// No pool: mimalloc, called directly.
struct Mimalloc;

impl Source for Mimalloc {
    type Buffer<'a> = MiBlock;
    #[inline(always)]
    fn take(&self) -> MiBlock {
        MiBlock::new()
    }
}

/// The floor: a word through the same pattern, no buffer.
struct Word;

impl Source for Word {
    type Buffer<'a> = usize;
    #[inline(always)]
    fn take(&self) -> usize {
        black_box(1)
    }
}

fn patterns(c: &mut Criterion) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let counts: Vec<usize> = [1, 2, 4, 8, 16]
        .into_iter()
        .filter(|&threads| threads <= cores)
        .collect();
    for pattern in [Pattern::GetReturn, Pattern::Hold8, Pattern::HandOff] {
        let mut group = c.benchmark_group(pattern.name());
        for &threads in &counts {
            if pattern == Pattern::HandOff && threads < 2 {
                continue;
            }
            // Each benchmark gets a subject of its own (see `bench`).
            let group = &mut group;
            bench(group, "sync_pool", pattern, threads, Pool(sync_pool()));
            bench(group, "fixed_pool", pattern, threads, Pool(fixed_pool()));
            let classes = size_class_pool();
            bench(group, "size_class_pool", pattern, threads, Pool(classes));
            let adaptive = adaptive_pool();
            bench(group, "adaptive_pool", pattern, threads, Pool(adaptive));
            let production = production_pool();
            bench(group, "production_pool", pattern, threads, Pool(production));
            let linear = LinearObjectPool::new(|| Vec::with_capacity(SIZE), Vec::clear);
            bench(
                group,
                "lockfree_object_pool",
                pattern,
                threads,
                Linear(linear),
            );
            let object = object_pool::Pool::new(256, || Vec::with_capacity(SIZE));
            bench(group, "object_pool", pattern, threads, ObjectPool(object));
            bench(group, "malloc_free", pattern, threads, Malloc);
            bench(group, "mimalloc", pattern, threads, Mimalloc);
            bench(group, "floor_word", pattern, threads, Word);
        }
        group.finish();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    GetReturn,
    Hold8,
    HandOff,
}

impl Pattern {
    fn name(self) -> &'static str {
        match self {
            Pattern::GetReturn => "get_return",
            Pattern::Hold8 => "hold_8",
            Pattern::HandOff => "hand_off",
        }
    }
}

/// Benchmarks `source` in `pattern` on `threads` threads; criterion's figure is the time per
/// buffer on one thread.
///
/// The subject is this benchmark's alone, and its threads stay for the whole benchmark, warm-up
/// and samples ([`Crew`], which says why). A subject shared by several benchmarks would hand one
/// benchmark's threads the buffers that another's made: hold 8 on two threads read 6.6-6.7 ns
/// per buffer for the fixed pool on threads that made their own buffers, and 9.4-10.0 in the runs
/// where such buffers put one cache line in both threads' way (`cargo run -p solutions --release
/// --example hold_samples -- fixed 2 same|inherited`, see docs/measurement.md).
fn bench<S: Source>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    pattern: Pattern,
    threads: usize,
    source: S,
) {
    // Hand-off: a queue per producer and consumer pair (threads 2k and 2k + 1), kept for every
    // sample. A bounded lock-free queue (crossbeam's `ArrayQueue`) whose two sides spin when it
    // is full or empty, then yield (see [`Wait`]): a channel that puts a thread to sleep and
    // wakes it through the kernel costs about a microsecond per buffer on these machines
    // (measured with `std`'s `sync_channel`: the floor, a word with no buffer, read 1.0 us),
    // which would hide every subject's own cost.
    let queues: Vec<ArrayQueue<S::Buffer<'_>>> =
        (0..threads / 2).map(|_| ArrayQueue::new(CHANNEL)).collect();
    let (source, queues) = (&source, &queues);
    std::thread::scope(|scope| {
        let crew = Crew::start(scope, threads, move |worker, iterations| match pattern {
            Pattern::GetReturn => get_return(source, iterations),
            Pattern::Hold8 => hold_8(source, iterations),
            Pattern::HandOff if worker % 2 == 0 => produce(source, &queues[worker / 2], iterations),
            Pattern::HandOff => consume::<S>(&queues[worker / 2], iterations),
        });
        group.bench_function(format!("{name}/{threads}_threads"), |b| {
            b.iter_custom(|iterations| match pattern {
                Pattern::Hold8 => crew.run(iterations) / HELD as u32,
                Pattern::GetReturn | Pattern::HandOff => crew.run(iterations),
            })
        });
    });
}

/// `iterations` buffers taken and given back, one at a time. Each pattern's loop is a function
/// of its own for each subject, so that every subject's take and drop are inlined alike.
#[inline(never)]
fn get_return<S: Source>(source: &S, iterations: u64) {
    for _ in 0..iterations {
        black_box(&source.take());
    }
}

/// `iterations` requests of `HELD` buffers each, held together, then given back.
#[inline(never)]
fn hold_8<S: Source>(source: &S, iterations: u64) {
    for _ in 0..iterations {
        let held: [S::Buffer<'_>; HELD] = std::array::from_fn(|_| source.take());
        black_box(&held);
    }
}

/// A producer's loop: `iterations` buffers taken and queued, waiting while the queue is full.
#[inline(never)]
fn produce<'a, S: Source>(source: &'a S, queue: &ArrayQueue<S::Buffer<'a>>, iterations: u64) {
    for _ in 0..iterations {
        let mut buffer = source.take();
        let mut waited = Wait::default();
        while let Err(full) = queue.push(buffer) {
            buffer = full;
            waited.once();
        }
    }
}

/// A consumer's loop: `iterations` buffers dequeued and given back (on this thread).
#[inline(never)]
fn consume<'a, S: Source>(queue: &ArrayQueue<S::Buffer<'a>>, iterations: u64) {
    let mut left = iterations;
    let mut waited = Wait::default();
    while left > 0 {
        match queue.pop() {
            Some(buffer) => {
                drop(black_box(buffer));
                left -= 1;
                waited = Wait::default();
            }
            None => waited.once(),
        }
    }
}

/// Waiting for the other side of a queue: spinning, then giving the processor away. When the
/// other thread is not running (a machine with more threads than cores, or anything else busy),
/// spinning only burns the time slice it needs: measured on a 2-core machine with a build on
/// it, pure spinning read 100 us to 400 us per buffer for every subject, the floor included.
#[derive(Default)]
struct Wait {
    spins: u32,
}

impl Wait {
    /// Spins before this many checks have failed; yields after.
    const SPINS: u32 = 64;

    fn once(&mut self) {
        if self.spins < Self::SPINS {
            self.spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

criterion_group!(benches, patterns);
criterion_main!(benches);
