//! The reference pools as the patterns benchmark configures them, and its buffer size: shared
//! with the examples that repeat its patterns (`hand_off_rounds`, `one_thread_loop`, which include
//! this file by path), so that their figures stay comparable with the benchmark's.

use pool_contract::task1::SyncPoolConfig;
use pool_contract::task2::{AdaptiveConfig, FixedPoolConfig, SizeClassConfig};
use pool_contract::task4::PoolConfig;
use solutions::{AdaptivePool, FixedPool, ProductionPool, SizeClassPool, SyncPool};

/// The size of every buffer the patterns take: 4 KiB.
pub const SIZE: usize = 4096;

/// `SyncPool`, whose factory makes buffers of `SIZE` bytes; it keeps buffers up to 1 MiB.
pub fn sync_pool() -> SyncPool {
    SyncPool::new(SyncPoolConfig::with_capacity(SIZE, 1 << 20))
}

/// A `FixedPool` of `SIZE`-byte buffers, up to 256 kept.
pub fn fixed_pool() -> FixedPool {
    FixedPool::new(FixedPoolConfig {
        buffer_size: SIZE,
        preallocate: 0,
        max_pooled: 256,
    })
    .expect("a valid configuration")
}

/// A `SizeClassPool` with the default classes.
pub fn size_class_pool() -> SizeClassPool {
    SizeClassPool::new(SizeClassConfig::default()).expect("the default configuration is valid")
}

/// An `AdaptivePool` with the default configuration.
pub fn adaptive_pool() -> AdaptivePool {
    AdaptivePool::new(AdaptiveConfig::default()).expect("the default configuration is valid")
}

/// A `ProductionPool` with the default configuration.
pub fn production_pool() -> ProductionPool {
    ProductionPool::new(PoolConfig::default()).expect("the default configuration is valid")
}
