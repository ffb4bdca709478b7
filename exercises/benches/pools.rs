//! # Task 3: your benchmark
//!
//! TODO: complete this criterion benchmark so that it compares each of your pools with no pool,
//! for buffers from 1 KiB to 1 MiB, on 1 and 2 threads. The harness is written: `bench` runs a
//! closure on 1 or 2 threads at once and reports the time per operation on one thread, and
//! `fill_once` is the operation (get a buffer of `size` bytes, write it, give it back). The
//! unpooled baseline is done. Add your pools where the TODO below says, run it with
//! `cargo bench -p exercises`, and use what you see in `exercises/TRADEOFFS.md`.
//!
//! Criterion's own options go after `--`: `cargo bench -p exercises --bench pools -- fill_16KiB`
//! runs only the benchmarks whose names match, `-- --warm-up-time 1 --measurement-time 3` makes
//! a run shorter, `-- --save-baseline before` and later `-- --baseline before` compare two runs
//! (after a change to a pool, say). Reports land in `target/criterion/`.
//!
//! Things to look for: where does pooling stop paying as buffers grow (glibc raises its mmap
//! threshold for large blocks)? Which of your pools survives two threads?
//!
//! The grader cannot run your benchmark for you; an instructor may ask for its output.

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use pool_checks::measure::Crew;
use pool_checks::BufferPool;
use std::hint::black_box;

/// Buffer sizes, 1 KiB to 1 MiB.
const SIZES: [usize; 4] = [1024, 16 * 1024, 256 * 1024, 1024 * 1024];

fn pools(c: &mut Criterion) {
    for size in SIZES {
        let mut group = c.benchmark_group(format!("fill_{}KiB", size / 1024));
        for threads in [1, 2] {
            bench(&mut group, "no_pool", threads, || {
                let mut buffer = Vec::with_capacity(size);
                buffer.resize(size, 1);
                black_box(buffer.as_ptr());
            });
            // TODO: one line per pool, once its task is done. For example:
            //   let sync = exercises::SyncPool::new(
            //       pool_contract::task1::SyncPoolConfig::with_capacity(size, 2 * size));
            //   bench(&mut group, "sync_pool", threads, || fill_once(&sync, size));
            // and the same for FixedPool, SizeClassPool and AdaptivePool.
        }
        group.finish();
    }
}

/// Gets a buffer of `size` bytes from `pool`, writes it, and gives it back.
#[allow(dead_code)] // Until your pools are added above.
fn fill_once(pool: &impl BufferPool, size: usize) {
    let mut buffer = pool.get(size);
    buffer.resize(size, 1);
    black_box(buffer.as_ptr());
}

/// Benchmarks `operation` on `threads` threads at once; the figure is the time per operation on
/// one thread (the slowest thread's), so that 1 and 2 threads compare directly. The threads stay
/// for the whole benchmark, as a server's workers do (criterion calls the routine once per sample:
/// threads started there would be new every time, and so would be where their buffers lie).
fn bench(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    threads: usize,
    operation: impl Fn() + Sync,
) {
    let operation = &operation;
    std::thread::scope(|scope| {
        let crew = Crew::start(scope, threads, move |_, iterations| {
            for _ in 0..iterations {
                operation();
            }
        });
        group.bench_function(format!("{name}/{threads}_thread"), |b| {
            b.iter_custom(|iterations| crew.run(iterations))
        });
    });
}

criterion_group!(benches, pools);
criterion_main!(benches);
