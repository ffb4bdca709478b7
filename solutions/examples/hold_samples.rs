//! How steady is this machine? The patterns benchmark's `hold_8` (take 8 buffers of 4 KiB, write
//! a byte in each, give all 8 back) on one reference pool, timed sample by sample: each sample's
//! nanoseconds per buffer on one thread (the slowest thread's), then the fastest, median and
//! slowest sample.
//!
//! ```text
//! cargo run -p solutions --release --example hold_samples -- sync 2 same
//! cargo run -p solutions --release --example hold_samples -- sync 2 inherited
//! cargo run -p solutions --release --example hold_samples -- sync 2 fresh
//! ```
//!
//! Arguments: the pool (`sync`, `fixed`, `size_class`, `adaptive` or `production`), the number
//! of threads (1 to 16), and where the threads and buffers come from:
//!
//! - `same`: the same threads for every sample, as a server's workers, using buffers they made
//!   (as `cargo bench -p solutions --bench patterns` runs its subjects);
//! - `inherited`: the same threads, using buffers that threads which ended made first (as a
//!   pool shared by several benchmarks hands its buffers on);
//! - `fresh`: new threads for every sample (as threads started in a criterion routine are:
//!   criterion calls it once per sample).
//!
//! Why it exists: criterion prints one figure per subject, an estimate over its samples. Where
//! the same loop runs at two speeds, by turns or from one run to the next, that figure lies
//! wherever the mix of fast and slow samples put it. Here each sample shows which speed it ran
//! at, and (with the same threads throughout) how many cache lines the buffers of two threads
//! share: a buffer's header (its `Vec`, boxed) or its first bytes on the same 64-byte line as
//! another thread's. Both threads write there on every get, so the line moves between their
//! cores each time. glibc puts a buffer's header right after its bytes, and the next buffer's
//! first byte 32 bytes after the header, on the same line at least half the time: threads that
//! hold neighbouring buffers then share one without sharing any buffer.

use anyhow::{bail, Context, Result};
use pool_contract::task1::SyncPoolConfig;
use pool_contract::task2::{AdaptiveConfig, FixedPoolConfig, SizeClassConfig};
use pool_contract::task4::PoolConfig;
use pool_contract::BufferPool;
use solutions::{AdaptivePool, FixedPool, ProductionPool, SizeClassPool, SyncPool};
use std::collections::HashMap;
use std::hint::black_box;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// The patterns benchmark's buffer size.
const SIZE: usize = 4096;
/// Buffers a request holds at once, as in the patterns benchmark's `hold_8`.
const HELD: usize = 8;
/// Samples per run.
const SAMPLES: usize = 40;
/// Requests per sample and thread: about 30 ms each at 8 ns per buffer.
const REQUESTS: u64 = 500_000;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| {
            arg.into_string()
                .map_err(|arg| anyhow::anyhow!("an argument is not text: {arg:?}"))
        })
        .collect::<Result<_>>()?;
    let [pool, threads, mode] = args.as_slice() else {
        bail!(
            "usage: hold_samples POOL THREADS same|inherited|fresh \
             (POOL: sync, fixed, size_class, adaptive or production)"
        );
    };
    let threads: usize = threads
        .parse()
        .ok()
        .filter(|threads| (1..=16).contains(threads))
        .with_context(|| format!("THREADS must be a number from 1 to 16, not {threads:?}"))?;
    let mode = match mode.as_str() {
        "same" => Mode::Same,
        "inherited" => Mode::Inherited,
        "fresh" => Mode::Fresh,
        other => bail!("the mode must be `same`, `inherited` or `fresh`, not {other:?}"),
    };
    let run = match pool.as_str() {
        "sync" => sample(
            &SyncPool::new(SyncPoolConfig::with_capacity(SIZE, 1 << 20)),
            threads,
            mode,
        ),
        "fixed" => sample(
            &FixedPool::new(FixedPoolConfig {
                buffer_size: SIZE,
                preallocate: 0,
                max_pooled: 256,
            })?,
            threads,
            mode,
        ),
        "size_class" => sample(
            &SizeClassPool::new(SizeClassConfig::default())?,
            threads,
            mode,
        ),
        "adaptive" => sample(
            &AdaptivePool::new(AdaptiveConfig::default())?,
            threads,
            mode,
        ),
        "production" => sample(&ProductionPool::new(PoolConfig::default())?, threads, mode),
        other => bail!("no pool {other:?}: choose sync, fixed, size_class, adaptive or production"),
    };
    let per_buffer: Vec<f64> = run
        .samples
        .iter()
        .map(|slowest| slowest.as_nanos() as f64 / (REQUESTS * HELD as u64) as f64)
        .collect();
    let shown: Vec<String> = per_buffer.iter().map(|ns| format!("{ns:.1}")).collect();
    println!("ns per buffer, sample by sample:\n{}", shown.join(" "));
    let mut sorted = per_buffer;
    sorted.sort_by(f64::total_cmp);
    println!(
        "fastest {:.1}, median {:.1}, slowest {:.1}",
        sorted[0],
        sorted[SAMPLES / 2],
        sorted[SAMPLES - 1]
    );
    if let Some(shared) = run.shared_lines {
        println!("cache lines the threads' buffers share: {shared}");
    }
    Ok(())
}

/// Where a sample's threads and buffers come from (see the module docs).
#[derive(Clone, Copy)]
enum Mode {
    Same,
    Inherited,
    Fresh,
}

/// What [`sample`] measured.
struct Run {
    /// Each sample's slowest thread's time.
    samples: Vec<Duration>,
    /// With the same threads throughout: how many 64-byte lines two or more threads write on
    /// every get (a buffer's header, on one line or across two, or its first bytes).
    shared_lines: Option<usize>,
}

/// `SAMPLES` samples of `REQUESTS` requests on each of `threads` threads.
fn sample<P: BufferPool + Sync>(pool: &P, threads: usize, mode: Mode) -> Run {
    if let Mode::Inherited = mode {
        // Two threads at a time make a request's buffers each and end, three times over: the
        // pool then holds their buffers for the threads that follow.
        for _ in 0..3 {
            std::thread::scope(|scope| {
                for _ in 0..2 {
                    scope.spawn(|| {
                        let held: Vec<_> = (0..HELD).map(|_| pool.get(SIZE)).collect();
                        drop(held);
                    });
                }
            });
        }
    }
    if let Mode::Fresh = mode {
        let samples =
            (0..SAMPLES)
                .map(|_| {
                    let start_line = Barrier::new(threads);
                    std::thread::scope(|scope| {
                        let workers: Vec<_> = (0..threads)
                            .map(|_| {
                                scope.spawn(|| {
                                    start_line.wait();
                                    timed_requests(pool)
                                })
                            })
                            .collect();
                        slowest(workers.into_iter().map(|worker| {
                            worker.join().unwrap_or_else(|panic| resume_unwind(panic))
                        }))
                    })
                })
                .collect();
        return Run {
            samples,
            shared_lines: None,
        };
    }
    // The same threads throughout: each sample starts together, after the last one ended.
    let start_line = Barrier::new(threads);
    let per_thread: Vec<(Vec<Duration>, Vec<usize>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let times: Vec<Duration> = (0..SAMPLES)
                        .map(|_| {
                            start_line.wait();
                            timed_requests(pool)
                        })
                        .collect();
                    (times, lines_written(pool))
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap_or_else(|panic| resume_unwind(panic)))
            .collect()
    });
    let samples = (0..SAMPLES)
        .map(|index| {
            slowest(
                per_thread
                    .iter()
                    .map(|(times, _)| times.get(index).copied().unwrap_or_default()),
            )
        })
        .collect();
    // Each line, and how many threads write it.
    let mut writers: HashMap<usize, usize> = HashMap::new();
    for (_, lines) in &per_thread {
        let mut lines = lines.clone();
        lines.sort_unstable();
        lines.dedup();
        for line in lines {
            *writers.entry(line).or_default() += 1;
        }
    }
    let shared_lines = writers.values().filter(|&&threads| threads > 1).count();
    Run {
        samples,
        shared_lines: Some(shared_lines),
    }
}

/// The longest of a sample's threads' times (a thread that panicked counts as zero).
fn slowest(times: impl Iterator<Item = Duration>) -> Duration {
    times.max().unwrap_or_default()
}

/// `REQUESTS` requests of `HELD` buffers each, held together, then given back; their time. A
/// panic in the pool ends the process (its message printed first): the other threads would wait
/// for this one at the start line for ever.
#[inline(never)]
fn timed_requests<P: BufferPool>(pool: &P) -> Duration {
    let timed = catch_unwind(AssertUnwindSafe(|| {
        let started = Instant::now();
        for _ in 0..REQUESTS {
            let held: [_; HELD] = std::array::from_fn(|_| {
                let mut buffer = pool.get(black_box(SIZE));
                buffer.push(1);
                buffer
            });
            black_box(&held);
        }
        started.elapsed()
    }));
    timed.unwrap_or_else(|_| std::process::abort())
}

/// The 64-byte lines this thread writes on every request: its buffers' headers and first bytes.
/// A request takes the same buffers each time (they come back to its thread's magazine), so one
/// more request shows them.
fn lines_written<P: BufferPool>(pool: &P) -> Vec<usize> {
    let held: Vec<_> = (0..HELD).map(|_| pool.get(SIZE)).collect();
    held.iter()
        .flat_map(|buffer| {
            let header: &Vec<u8> = buffer;
            let header = std::ptr::from_ref(header).addr();
            // A header may cross into the next line (glibc aligns it to 16 bytes, not 64).
            [
                header / 64,
                (header + std::mem::size_of::<Vec<u8>>() - 1) / 64,
                buffer.as_ptr().addr() / 64,
            ]
        })
        .collect()
}
