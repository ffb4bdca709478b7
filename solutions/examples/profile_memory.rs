//! Profiles memory of the packet-server workload, unpooled and on each reference pool: the
//! exercise's "profile memory usage" step.
//!
//! `cargo run -p solutions --release --example profile_memory` prints each run's time and the
//! allocator's figures. With `--features dhat-heap` it runs under dhat instead and writes
//! `dhat-heap.json`: open it in DHAT's viewer (`dh_view.html`, shipped with Valgrind) to see
//! every allocation site, how many bytes each allocated, and for how long they lived. The
//! unpooled run shows one 64 KiB block per message; a pool shows a handful, alive all along.

use pool_checks::workloads::{Workload, READ_BUFFER};
use pool_checks::BufferPool;
use pool_contract::task1::SyncPoolConfig;
use pool_contract::task2::{AdaptiveConfig, FixedPoolConfig, SizeClassConfig};
use solutions::{AdaptivePool, FixedPool, SizeClassPool, SyncPool};
use std::time::Instant;

#[cfg(feature = "dhat-heap")]
#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

const MESSAGES: usize = 20_000;

fn main() -> anyhow::Result<()> {
    #[cfg(feature = "dhat-heap")]
    let _profiler = dhat::Profiler::new_heap();

    let workload = Workload::PacketServer;
    let sizes = workload.message_sizes(MESSAGES, 42);
    let start = Instant::now();
    workload.run_unpooled(&sizes);
    println!(
        "{:<16} {:>8.1} ms",
        "no pool",
        start.elapsed().as_secs_f64() * 1e3
    );

    let fixed = FixedPoolConfig {
        buffer_size: READ_BUFFER,
        preallocate: 0,
        max_pooled: 64,
    };
    run(
        "sync pool",
        &SyncPool::new(SyncPoolConfig::with_capacity(READ_BUFFER, 1 << 20)),
        &sizes,
    );
    run("fixed pool", &FixedPool::new(fixed)?, &sizes);
    run(
        "size-class pool",
        &SizeClassPool::new(SizeClassConfig::default())?,
        &sizes,
    );
    run(
        "adaptive pool",
        &AdaptivePool::new(AdaptiveConfig::default())?,
        &sizes,
    );
    Ok(())
}

fn run(name: &str, pool: &impl BufferPool, sizes: &[usize]) {
    let start = Instant::now();
    Workload::PacketServer.run_pooled(pool, sizes);
    let stats = pool.stats();
    println!(
        "{name:<16} {:>8.1} ms  {} buffers created, {} idle",
        start.elapsed().as_secs_f64() * 1e3,
        stats.created,
        stats.idle
    );
}
