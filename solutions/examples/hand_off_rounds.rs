//! The patterns benchmark's `hand_off` (a producer takes a 4 KiB buffer, writes a byte and passes
//! it through a bounded queue to a consumer, which gives it back) on one subject, in rounds that
//! each start two new threads and a new queue: nanoseconds per buffer, the fastest, median and
//! slowest of the rounds.
//!
//! ```text
//! cargo run -p solutions --release --example hand_off_rounds -- adaptive
//! cargo run -p solutions --release --example hand_off_rounds -- mimalloc
//! ```
//!
//! Subjects: `sync`, `fixed`, `size_class`, `adaptive`, `production` (the reference pools, as
//! the patterns benchmark configures them), `mimalloc` (called directly) and `floor` (a word, no
//! buffer).
//!
//! Why it exists: in `cargo bench -p solutions --bench patterns` the hand-off's threads and queue
//! stay for a whole benchmark, and a whole run settles into one speed: on 2026-12-05, on one
//! machine, the floor read 69 to 251 ns per word in nine runs and mimalloc 142 to 431 in
//! fifteen. Rounds that each start anew show that spread within one run. Their median still
//! moves with the machine, and not for every subject alike: three runs of each by turns read
//! 150-155 for the adaptive and the production pools, and 70-172 for mimalloc. Compare subjects
//! by several runs of each, by turns, in one sitting.

use anyhow::{bail, Result};
use crossbeam_queue::ArrayQueue;
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
/// Buffers on their way between the producer and the consumer, at most (as in the benchmark).
const CHANNEL: usize = 16;
/// Rounds per run, and buffers per round (about 30 ms at 150 ns per buffer).
const ROUNDS: usize = 15;
const BUFFERS: u64 = 200_000;
/// Checks of a full or empty queue spent spinning before yielding (as in the benchmark).
const SPINS: u32 = 64;

fn main() -> Result<()> {
    let Some(subject) = std::env::args_os().nth(1) else {
        bail!(
            "name a subject: cargo run -p solutions --release --example hand_off_rounds -- \
             SUBJECT (sync, fixed, size_class, adaptive, production, mimalloc or floor)"
        );
    };
    let Some(subject) = subject.to_str() else {
        bail!("the subject is not text: {subject:?}");
    };
    let mut rounds = match subject {
        "sync" => pool_rounds(&subjects::sync_pool()),
        "fixed" => pool_rounds(&subjects::fixed_pool()),
        "size_class" => pool_rounds(&subjects::size_class_pool()),
        "adaptive" => pool_rounds(&subjects::adaptive_pool()),
        "production" => pool_rounds(&subjects::production_pool()),
        "mimalloc" => rounds_of(&|| MiBlock::new()),
        "floor" => rounds_of(&|| black_box(1_usize)),
        other => bail!(
            "unknown subject {other:?}: sync, fixed, size_class, adaptive, production, \
             mimalloc or floor"
        ),
    };
    rounds.sort_by(f64::total_cmp);
    println!(
        "{subject}: hand-off, ns per buffer over {ROUNDS} rounds: fastest {:.0}, median {:.0}, \
         slowest {:.0}",
        rounds[0],
        rounds[ROUNDS / 2],
        rounds[ROUNDS - 1]
    );
    Ok(())
}

/// The rounds of a reference pool: a buffer of `SIZE` bytes with one byte written.
fn pool_rounds<P: BufferPool + Sync>(pool: &P) -> Vec<f64> {
    rounds_of(&|| {
        let mut buffer = pool.get(black_box(SIZE));
        buffer.push(1);
        buffer
    })
}

/// `ROUNDS` rounds of `BUFFERS` hand-offs of what `take` makes: ns per buffer, each round's.
fn rounds_of<T: Send>(take: &(dyn Fn() -> T + Sync)) -> Vec<f64> {
    (0..ROUNDS)
        .map(|_| {
            let queue = ArrayQueue::new(CHANNEL);
            let started = Instant::now();
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    for _ in 0..BUFFERS {
                        let mut item = take();
                        let mut spins = 0;
                        while let Err(full) = queue.push(item) {
                            item = full;
                            wait(&mut spins);
                        }
                    }
                });
                scope.spawn(|| {
                    let (mut left, mut spins) = (BUFFERS, 0);
                    while left > 0 {
                        match queue.pop() {
                            Some(item) => {
                                drop(black_box(item));
                                left -= 1;
                                spins = 0;
                            }
                            None => wait(&mut spins),
                        }
                    }
                });
            });
            started.elapsed().as_nanos() as f64 / BUFFERS as f64
        })
        .collect()
}

/// One wait for the other side of the queue: a spin, or after `SPINS` of them a yield.
fn wait(spins: &mut u32) {
    if *spins < SPINS {
        *spins += 1;
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}
