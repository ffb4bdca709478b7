//! The patterns benchmark's `get_return` or `hold_8` on one subject and one thread, without
//! criterion: 5 timings of a loop of 40 million buffers (a 4 KiB buffer taken, one byte written,
//! given back), in ns per buffer, and their median.
//!
//! ```text
//! cargo run -p solutions --release --example one_thread_loop -- size_class hold_8
//! cargo run -p solutions --release --example one_thread_loop -- adaptive get_return
//! ```
//!
//! Subjects: `sync`, `fixed`, `size_class`, `adaptive`, `production` (the reference pools, as the
//! patterns benchmark configures them) and `mimalloc` (called directly).
//!
//! Why it exists: to compare two builds of a pool, a loop that runs in seconds can be run by
//! turns, build against build, several times in one sitting (copy each build's binary from
//! `target/release/examples` first). On these shared 2-core machines a whole criterion run
//! settles into one speed, and two runs minutes apart differ by as much as a change is worth. The
//! figures in `docs/measurement.md` that compare builds come from three to five rounds of this
//! loop by turns. It is not a benchmark of record: on 2026-12-05 the same pools read up to 1.4 ns
//! per buffer less here than in the patterns benchmark run twenty minutes earlier, at 09:40 (size
//! classes' get+return 7.5 against 8.9, the fixed pool's 3.9 against 4.0).

use anyhow::{bail, Context, Result};
use pool_contract::BufferPool;
use std::hint::black_box;
use std::time::Instant;

// The patterns benchmark's subjects and buffer size, shared with it.
#[path = "../benches/support/mi_block.rs"]
mod mi_block;
#[path = "../benches/support/subjects.rs"]
mod subjects;
use mi_block::MiBlock;
use subjects::SIZE;
// mimalloc's blocks are as large as the pools' buffers.
const _: () = assert!(mi_block::BLOCK == SIZE);
/// Buffers per timing, and timings per run.
const BUFFERS: u64 = 40_000_000;
const TIMINGS: usize = 5;
/// Buffers a request holds at once in `hold_8`.
const HELD: usize = 8;

/// Which loop to time.
#[derive(Clone, Copy)]
enum Pattern {
    GetReturn,
    Hold8,
}

fn main() -> Result<()> {
    const USAGE: &str = "cargo run -p solutions --release --example one_thread_loop -- SUBJECT \
                         PATTERN (SUBJECT: sync, fixed, size_class, adaptive, production or \
                         mimalloc; PATTERN: get_return or hold_8)";
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.into_string().ok().context("an argument is not text"))
        .collect::<Result<_>>()?;
    let [subject, pattern] = args.as_slice() else {
        bail!("name a subject and a pattern: {USAGE}");
    };
    let pattern = match pattern.as_str() {
        "get_return" => Pattern::GetReturn,
        "hold_8" => Pattern::Hold8,
        other => bail!("unknown pattern {other:?}: {USAGE}"),
    };
    let mut timings = match subject.as_str() {
        "sync" => pool_timings(&subjects::sync_pool(), pattern),
        "fixed" => pool_timings(&subjects::fixed_pool(), pattern),
        "size_class" => pool_timings(&subjects::size_class_pool(), pattern),
        "adaptive" => pool_timings(&subjects::adaptive_pool(), pattern),
        "production" => pool_timings(&subjects::production_pool(), pattern),
        "mimalloc" => timings_of(MiBlock::new, pattern),
        other => bail!("unknown subject {other:?}: {USAGE}"),
    };
    let shown: Vec<String> = timings.iter().map(|ns| format!("{ns:.2}")).collect();
    timings.sort_by(f64::total_cmp);
    println!(
        "{subject} {}: ns per buffer, {TIMINGS} timings of {BUFFERS} buffers: {} (median {:.2})",
        args[1],
        shown.join(" "),
        timings[TIMINGS / 2]
    );
    Ok(())
}

/// The timings of a reference pool: a buffer of `SIZE` bytes with one byte written.
fn pool_timings<P: BufferPool>(pool: &P, pattern: Pattern) -> Vec<f64> {
    timed(pattern, |pattern, iterations| match pattern {
        Pattern::GetReturn => pool_get_return(pool, iterations),
        Pattern::Hold8 => pool_hold_8(pool, iterations),
    })
}

/// The timings of what `take` makes (mimalloc's blocks).
fn timings_of<T>(take: impl Fn() -> T, pattern: Pattern) -> Vec<f64> {
    timed(pattern, |pattern, iterations| match pattern {
        Pattern::GetReturn => get_return(&take, iterations),
        Pattern::Hold8 => hold_8(&take, iterations),
    })
}

/// `TIMINGS` timings of `BUFFERS` buffers, run by `run` (given the pattern and its iterations:
/// buffers, or requests of `HELD`): ns per buffer, each timing's.
fn timed(pattern: Pattern, run: impl Fn(Pattern, u64)) -> Vec<f64> {
    (0..TIMINGS)
        .map(|_| {
            let iterations = match pattern {
                Pattern::GetReturn => BUFFERS,
                Pattern::Hold8 => BUFFERS / HELD as u64,
            };
            let started = Instant::now();
            run(pattern, iterations);
            started.elapsed().as_nanos() as f64 / BUFFERS as f64
        })
        .collect()
}

/// `iterations` buffers of `pool` taken, written to and given back, one at a time. A function of
/// its own for each pool, with the pool's get and the guard's drop inlined into its loop.
#[inline(never)]
fn pool_get_return<P: BufferPool>(pool: &P, iterations: u64) {
    for _ in 0..iterations {
        let mut buffer = pool.get(black_box(SIZE));
        buffer.push(1);
        black_box(&buffer);
    }
}

/// `iterations` requests of `HELD` buffers of `pool` each, held together, then given back.
#[inline(never)]
fn pool_hold_8<P: BufferPool>(pool: &P, iterations: u64) {
    for _ in 0..iterations {
        let held: [_; HELD] = std::array::from_fn(|_| {
            let mut buffer = pool.get(black_box(SIZE));
            buffer.push(1);
            buffer
        });
        black_box(&held);
    }
}

/// [`pool_get_return`] for what `take` makes.
#[inline(never)]
fn get_return<T>(take: &impl Fn() -> T, iterations: u64) {
    for _ in 0..iterations {
        black_box(&take());
    }
}

/// [`pool_hold_8`] for what `take` makes.
#[inline(never)]
fn hold_8<T>(take: &impl Fn() -> T, iterations: u64) {
    for _ in 0..iterations {
        let held: [T; HELD] = std::array::from_fn(|_| take());
        black_box(&held);
    }
}
