//! The packet server on each reference pool against the one thing no pool can beat: one buffer
//! reused for every message, with no pool in between. A ratio per pool (its speed over that
//! buffer's), by the grader's own method: the thread's CPU time, short interleaved slices, each
//! round's fastest slice, the median of 15 rounds. Also each side's fastest time per message.
//!
//! ```text
//! cargo run -p solutions --release --example packet_vs_one_buffer
//! ```
//!
//! Why it exists: issue 18 asks that the reference pools keep the packet server at 0.9x or more
//! of that buffer's speed, and two things made that unmeasurable with a plain loop:
//!
//! - **Code layout.** Two loops that each inline the message's work differ in layout by as much
//!   as a pool costs (two builds of one earlier probe read every pool at 0.7-0.9x and at
//!   1.1-1.4x). Here both sides call one function, never inlined, for a message's work.
//! - **The buffer's address.** A message's copy and checksum took 63 ns in one buffer, 80 ns in
//!   another and 100 ns in a third on 2026-12-05, by where the allocator had put each (the
//!   source is chosen by the destination's address, so their relative alignment moves with it).
//!   A baseline with a buffer of its own measured that, not the pool: with one, four pools read
//!   0.77-0.80x. So the baseline uses the pool's own buffer, taken once per run of 64 messages
//!   (a get and a return per 64 messages: about a tenth of a nanosecond per message), and reuses
//!   it alone.
//!
//! What differs between the sides is then only a get and a return per message. The pools are
//! configured as the grader configures them for the packet server
//! ([`pool_checks::strategy::with_strategy`]).

use anyhow::{anyhow, Result};
use pool_checks::measure::{interleaved_ratios, Clock, Ratio, ROUNDS};
use pool_checks::strategy::{with_strategy, Strategy, WithPool};
use pool_checks::workloads::{Workload, READ_BUFFER};
use pool_contract::BufferPool;
use std::hint::black_box;

/// Messages per run of either side (as in the workloads benchmark).
const MESSAGES: usize = 64;

fn main() -> Result<()> {
    let sizes = Workload::PacketServer.message_sizes(MESSAGES, 42);
    println!("packet server, speed against one buffer reused without a pool ({ROUNDS} rounds):");
    for strategy in Strategy::ALL {
        let measured = with_strategy(
            &solutions::Workshop,
            strategy,
            Workload::PacketServer,
            AgainstOneBuffer { sizes: &sizes },
        )
        .map_err(|failure| anyhow!("{}: {failure}", strategy.name()))?;
        let Measured {
            ratio,
            one_buffer,
            pooled,
        } = measured;
        println!(
            "  {:<9} {:.2}x (rounds from {:.2}x to {:.2}x); ns per message: one buffer {:.0}, \
             pool {:.0}",
            strategy.name(),
            ratio.median,
            ratio.lowest,
            ratio.highest,
            one_buffer,
            pooled
        );
    }
    Ok(())
}

/// One message's work, on whichever buffer: the same machine code for both sides.
#[inline(never)]
fn serve(buffer: &mut Vec<u8>, size: usize) -> u64 {
    Workload::PacketServer.serve_message(buffer, size)
}

/// Measures a pool against one buffer reused.
struct AgainstOneBuffer<'a> {
    sizes: &'a [usize],
}

/// What [`AgainstOneBuffer`] measures: the ratio, and each side's fastest time per message.
struct Measured {
    ratio: Ratio,
    one_buffer: f64,
    pooled: f64,
}

impl WithPool for AgainstOneBuffer<'_> {
    type Output = Measured;

    fn with<P: BufferPool>(self, pool: &P) -> Measured {
        let sizes = self.sizes;
        // The pool's own buffer, taken once per run (see the module docs).
        let mut one_buffer = || {
            let mut kept = pool.get_read(READ_BUFFER);
            let mut sum = 0u64;
            for &size in sizes {
                // What `get_read` does to a reused buffer: `READ_BUFFER` bytes, not zeroed again.
                kept.resize(READ_BUFFER, 0);
                sum = sum.wrapping_add(serve(&mut kept, size));
            }
            black_box(sum);
        };
        let mut pooled = || {
            let mut sum = 0u64;
            for &size in sizes {
                let mut buffer = pool.get_read(READ_BUFFER);
                sum = sum.wrapping_add(serve(&mut buffer, size));
            }
            black_box(sum);
        };
        let ratio = Ratio::from_rounds(interleaved_ratios(&mut one_buffer, &mut pooled, ROUNDS));
        Measured {
            ratio,
            one_buffer: fastest_per_message(&mut one_buffer, sizes.len()),
            pooled: fastest_per_message(&mut pooled, sizes.len()),
        }
    }
}

/// The fastest of 20 slices of 100 runs of `run`, in ns of the thread's CPU time per message.
fn fastest_per_message(run: &mut dyn FnMut(), messages: usize) -> f64 {
    (0..20)
        .map(|_| {
            let started = Clock::ThreadCpu.now();
            for _ in 0..100 {
                run();
            }
            let took = Clock::ThreadCpu.now().saturating_sub(started);
            took.as_nanos() as f64 / (100 * messages) as f64
        })
        .fold(f64::MAX, f64::min)
}
