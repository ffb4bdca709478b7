//! The contract the workshop's pools implement, and nothing else: what a student reads to know
//! what to build.
//!
//! - [`pool`]: the [`BufferPool`] trait every pool implements, its RAII guard [`Pooled`] and its
//!   [`PoolStats`].
//! - [`config`]: the [`ConfigError`] every pool constructor returns for a bad configuration.
//! - [`task1`] to [`task4`]: what each task asks an implementation to provide (a trait such as
//!   [`task1::Task1`]), with the configurations its pools are built from.
//!
//! The student's `exercises` crate and the reference `solutions` crate implement these traits.
//! The graded checks live in a crate of their own (`pool-checks`, beside this one in `tests/`),
//! which only the grader depends on.

pub mod config;
pub mod pool;
pub mod task1;
pub mod task2;
pub mod task3;
pub mod task4;

pub use config::ConfigError;
pub use pool::{BufferPool, PoolStats, Pooled};

use task1::Task1;
use task2::Task2;
use task3::Task3;
use task4::Task4;

/// A whole implementation of the workshop: every task's trait. The grader and the checks ask
/// for this one bound, so that a new task adds its trait here and nowhere else.
pub trait Workshop: Task1 + Task2 + Task3 + Task4 {}

impl<W: Task1 + Task2 + Task3 + Task4> Workshop for W {}

/// A workshop put together from one implementation per task: `Assembled<A, B, C, D>` answers
/// Task 1 as `A` does, Task 2 as `B`, Task 3 as `C` and Task 4 as `D`. Each task of the
/// exercises is a crate of its own (so that a compile error in one task leaves the others
/// gradable); this joins them into one [`Workshop`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Assembled<A, B, C, D>(pub A, pub B, pub C, pub D);

impl<A: Task1, B, C, D> Task1 for Assembled<A, B, C, D> {
    type SyncPool = A::SyncPool;

    fn sync_pool(&self, config: task1::SyncPoolConfig) -> Self::SyncPool {
        self.0.sync_pool(config)
    }
}

impl<A, B: Task2, C, D> Task2 for Assembled<A, B, C, D> {
    type FixedPool = B::FixedPool;
    type SizeClassPool = B::SizeClassPool;
    type AdaptivePool = B::AdaptivePool;

    fn fixed_pool(&self, config: task2::FixedPoolConfig) -> Result<Self::FixedPool, ConfigError> {
        self.1.fixed_pool(config)
    }

    fn size_class_pool(
        &self,
        config: task2::SizeClassConfig,
    ) -> Result<Self::SizeClassPool, ConfigError> {
        self.1.size_class_pool(config)
    }

    fn adaptive_pool(
        &self,
        config: task2::AdaptiveConfig,
    ) -> Result<Self::AdaptivePool, ConfigError> {
        self.1.adaptive_pool(config)
    }
}

impl<A, B, C: Task3, D> Task3 for Assembled<A, B, C, D> {
    fn count_allocations(&self, work: &mut dyn FnMut()) -> task3::AllocationCount {
        self.2.count_allocations(work)
    }

    fn throughput_ratio(
        &self,
        baseline: &mut dyn FnMut(),
        candidate: &mut dyn FnMut(),
        rounds: usize,
    ) -> f64 {
        self.2.throughput_ratio(baseline, candidate, rounds)
    }
}

impl<A, B, C, D: Task4> Task4 for Assembled<A, B, C, D> {
    type ProductionPool = D::ProductionPool;

    fn production_pool(
        &self,
        config: task4::PoolConfig,
    ) -> Result<Self::ProductionPool, ConfigError> {
        self.3.production_pool(config)
    }

    fn config_from_toml(&self, text: &str) -> Result<task4::PoolConfig, ConfigError> {
        self.3.config_from_toml(text)
    }

    fn config_from_env(&self, vars: &[(String, String)]) -> Result<task4::PoolConfig, ConfigError> {
        self.3.config_from_env(vars)
    }
}
