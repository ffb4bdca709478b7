//! The workshop's reference solutions: the same public API as the `exercises` crate, solved.
//!
//! Instructors grade it with `cargo run -p grader -- --solutions`; students may read it once they
//! have tried. Each module is written to teach first: the clearest correct code, with a comment
//! wherever speed made it less obvious.

pub mod task1_sync_pool;
pub mod task2_adaptive_pool;
pub mod task2_fixed_pool;
pub mod task2_size_class_pool;
pub mod task3_measure;
pub mod task4_config;
pub mod task4_production_pool;
pub mod tiered_store;

pub use task1_sync_pool::SyncPool;
pub use task2_adaptive_pool::AdaptivePool;
pub use task2_fixed_pool::FixedPool;
pub use task2_size_class_pool::SizeClassPool;
pub use task4_production_pool::ProductionPool;

use pool_contract::task1::{SyncPoolConfig, Task1};
use pool_contract::task2::{AdaptiveConfig, FixedPoolConfig, SizeClassConfig, Task2};
use pool_contract::task3::{AllocationCount, Task3};
use pool_contract::task4::{PoolConfig, Task4};
use pool_contract::ConfigError;

/// This crate's implementation of the workshop, as the grader sees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Workshop;

impl Task1 for Workshop {
    type SyncPool = SyncPool;

    fn sync_pool(&self, config: SyncPoolConfig) -> SyncPool {
        SyncPool::new(config)
    }
}

impl Task2 for Workshop {
    type FixedPool = FixedPool;
    type SizeClassPool = SizeClassPool;
    type AdaptivePool = AdaptivePool;

    fn fixed_pool(&self, config: FixedPoolConfig) -> Result<FixedPool, ConfigError> {
        FixedPool::new(config)
    }

    fn size_class_pool(&self, config: SizeClassConfig) -> Result<SizeClassPool, ConfigError> {
        SizeClassPool::new(config)
    }

    fn adaptive_pool(&self, config: AdaptiveConfig) -> Result<AdaptivePool, ConfigError> {
        AdaptivePool::new(config)
    }
}

impl Task3 for Workshop {
    fn count_allocations(&self, work: &mut dyn FnMut()) -> AllocationCount {
        task3_measure::count_allocations(work)
    }

    fn throughput_ratio(
        &self,
        baseline: &mut dyn FnMut(),
        candidate: &mut dyn FnMut(),
        rounds: usize,
    ) -> f64 {
        task3_measure::throughput_ratio(baseline, candidate, rounds)
    }
}

impl Task4 for Workshop {
    type ProductionPool = ProductionPool;

    fn production_pool(&self, config: PoolConfig) -> Result<ProductionPool, ConfigError> {
        ProductionPool::new(config)
    }

    fn config_from_toml(&self, text: &str) -> Result<PoolConfig, ConfigError> {
        task4_config::from_toml(text)
    }

    fn config_from_env(&self, vars: &[(String, String)]) -> Result<PoolConfig, ConfigError> {
        task4_config::from_env(vars)
    }
}
