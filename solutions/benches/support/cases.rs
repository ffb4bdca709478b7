//! What the workload benchmarks share: the standard workloads (from `pool_checks::workloads`)
//! run unpooled, on every reference pool, and on the pool crates a user would pick instead.

use criterion::{BenchmarkId, Criterion, Throughput};
use lockfree_object_pool::LinearObjectPool;
use pool_checks::workloads::{Workload, PACKET_BUFFER, READ_BUFFER, SMALL_BUFFER};
use pool_contract::task1::SyncPoolConfig;
use pool_contract::task2::{AdaptiveConfig, FixedPoolConfig, SizeClassConfig};
use solutions::{AdaptivePool, FixedPool, SizeClassPool, SyncPool};
use std::hint::black_box;

/// Messages per benchmark iteration.
const MESSAGES: usize = 64;

/// The natural buffer size of a workload (what a fixed pool and a factory are built with).
fn natural_size(workload: Workload) -> usize {
    match workload {
        Workload::PacketServer | Workload::Framing => READ_BUFFER,
        Workload::SmallBuffers => SMALL_BUFFER,
        Workload::Bursts | Workload::Pipeline => PACKET_BUFFER,
    }
}

/// Benchmarks every workload: unpooled, and with each pool. `with_pools` false runs the
/// unpooled baseline and `SyncPool` only (for a second allocator).
pub fn workloads(c: &mut Criterion, group_prefix: &str, with_pools: bool) {
    for workload in Workload::ONE_BUFFER {
        let sizes = workload.message_sizes(MESSAGES, 42);
        let mut group = c.benchmark_group(format!("{group_prefix}/{}", workload.name()));
        group.throughput(Throughput::Elements(MESSAGES as u64));
        let size = natural_size(workload);
        group.bench_function("no_pool", |b| b.iter(|| workload.run_unpooled(&sizes)));
        let sync = SyncPool::new(SyncPoolConfig::with_capacity(size, 1 << 20));
        group.bench_function("sync_pool", |b| {
            b.iter(|| workload.run_pooled(&sync, &sizes))
        });
        if with_pools {
            let fixed = FixedPool::new(FixedPoolConfig {
                buffer_size: size,
                preallocate: 0,
                max_pooled: 64,
            })
            .expect("a valid config");
            group.bench_function("fixed_pool", |b| {
                b.iter(|| workload.run_pooled(&fixed, &sizes))
            });
            let classes = SizeClassPool::new(SizeClassConfig::default()).expect("a valid config");
            group.bench_function("size_class_pool", |b| {
                b.iter(|| workload.run_pooled(&classes, &sizes))
            });
            let adaptive = AdaptivePool::new(AdaptiveConfig::default()).expect("a valid config");
            group.bench_function("adaptive_pool", |b| {
                b.iter(|| workload.run_pooled(&adaptive, &sizes))
            });
            bench_crates(&mut group, workload, &sizes, size);
        }
        group.finish();
    }
}

/// The same workload on `lockfree-object-pool` and `object-pool`. Their reset closures keep the
/// buffer's bytes (as ours do): `prepare` then sizes it without zeroing again.
fn bench_crates(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    workload: Workload,
    sizes: &[usize],
    size: usize,
) {
    let linear = LinearObjectPool::<Vec<u8>>::new(move || Vec::with_capacity(size), |_| {});
    group.bench_function(BenchmarkId::new("lockfree_object_pool", "linear"), |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for &message in sizes {
                let mut buffer = linear.pull();
                workload.prepare(&mut buffer);
                sum = sum.wrapping_add(workload.serve_message(&mut buffer, message));
            }
            black_box(sum)
        })
    });
    let object = object_pool::Pool::<Vec<u8>>::new(64, move || Vec::with_capacity(size));
    group.bench_function(BenchmarkId::new("object_pool", "pool"), |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for &message in sizes {
                let mut buffer = object.pull(|| Vec::with_capacity(size));
                workload.prepare(&mut buffer);
                sum = sum.wrapping_add(workload.serve_message(&mut buffer, message));
            }
            black_box(sum)
        })
    });
}
