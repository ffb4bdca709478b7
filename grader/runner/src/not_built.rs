//! What the exercises' runner links in place of a task whose crate does not compile: a task that
//! builds nothing. Every constructor panics with [`NOT_BUILT`] and the task's number, which the
//! grader reports as that task's compile error (a check of another task that needs this task's
//! pool, such as a Task 3 criterion, says so). Its pool type has no value at all, so no pool
//! method can ever run.

use pool_checks::task1::{SyncPoolApi, SyncPoolConfig, Task1};
use pool_checks::task2::{
    AdaptiveConfig, AdaptivePoolApi, FixedPoolApi, FixedPoolConfig, Rejected, SizeClassConfig,
    SizeClassPoolApi, Task2, Waste,
};
use pool_checks::task3::{AllocationCount, Task3};
use pool_checks::task4::{LeakReport, Metrics, PoolConfig, PoolError, ProductionPoolApi, Task4};
use pool_checks::{BufferPool, ConfigError, PoolStats, Pooled};

/// How the panic of a task that was not built begins; the task's number follows.
pub const NOT_BUILT: &str = "grader: not built, it does not compile: task ";

/// A task, numbered `TASK`, whose crate does not compile.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotBuilt<const TASK: u8>;

impl<const TASK: u8> NotBuilt<TASK> {
    fn stop(&self) -> ! {
        panic!("{NOT_BUILT}{TASK}")
    }
}

/// A pool that cannot exist: the type of every pool of a task that was not built.
#[derive(Debug)]
pub enum NoPool {}

impl BufferPool for NoPool {
    fn get(&self, _capacity: usize) -> Pooled<'_, Self> {
        match *self {}
    }

    fn get_read(&self, _len: usize) -> Pooled<'_, Self> {
        match *self {}
    }

    fn put(&self, _buffer: Box<Vec<u8>>) {
        match *self {}
    }

    fn stats(&self) -> PoolStats {
        match *self {}
    }
}

impl SyncPoolApi for NoPool {
    fn warm(&self, _count: usize) {
        match *self {}
    }

    fn collect(&self) {
        match *self {}
    }
}

impl FixedPoolApi for NoPool {
    fn return_detached(&self, _buffer: Vec<u8>) -> Result<(), Rejected> {
        match *self {}
    }
}

impl SizeClassPoolApi for NoPool {
    fn waste(&self) -> Waste {
        match *self {}
    }
}

impl AdaptivePoolApi for NoPool {
    fn trim(&self) {
        match *self {}
    }
}

impl ProductionPoolApi for NoPool {
    fn try_get(&self, _capacity: usize) -> Result<Pooled<'_, Self>, PoolError> {
        match *self {}
    }

    fn metrics(&self) -> Metrics {
        match *self {}
    }

    fn prometheus(&self) -> String {
        match *self {}
    }

    fn metrics_json(&self) -> String {
        match *self {}
    }

    fn shrink_to(&self, _bytes: usize) -> usize {
        match *self {}
    }

    fn trim(&self) {
        match *self {}
    }

    fn leak_report(&self) -> LeakReport {
        match *self {}
    }
}

impl<const TASK: u8> Task1 for NotBuilt<TASK> {
    type SyncPool = NoPool;

    fn sync_pool(&self, _config: SyncPoolConfig) -> NoPool {
        self.stop()
    }
}

impl<const TASK: u8> Task2 for NotBuilt<TASK> {
    type FixedPool = NoPool;
    type SizeClassPool = NoPool;
    type AdaptivePool = NoPool;

    fn fixed_pool(&self, _config: FixedPoolConfig) -> Result<NoPool, ConfigError> {
        self.stop()
    }

    fn size_class_pool(&self, _config: SizeClassConfig) -> Result<NoPool, ConfigError> {
        self.stop()
    }

    fn adaptive_pool(&self, _config: AdaptiveConfig) -> Result<NoPool, ConfigError> {
        self.stop()
    }
}

impl<const TASK: u8> Task3 for NotBuilt<TASK> {
    fn count_allocations(&self, _work: &mut dyn FnMut()) -> AllocationCount {
        self.stop()
    }

    fn throughput_ratio(
        &self,
        _baseline: &mut dyn FnMut(),
        _candidate: &mut dyn FnMut(),
        _rounds: usize,
    ) -> f64 {
        self.stop()
    }
}

impl<const TASK: u8> Task4 for NotBuilt<TASK> {
    type ProductionPool = NoPool;

    fn production_pool(&self, _config: PoolConfig) -> Result<NoPool, ConfigError> {
        self.stop()
    }

    fn config_from_toml(&self, _text: &str) -> Result<PoolConfig, ConfigError> {
        self.stop()
    }

    fn config_from_env(&self, _vars: &[(String, String)]) -> Result<PoolConfig, ConfigError> {
        self.stop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pool_checks::CATALOGUE;

    /// Every task missing: a workshop type for the tests that need one but run no pool.
    type NothingBuilt = pool_checks::Assembled<NotBuilt<1>, NotBuilt<2>, NotBuilt<3>, NotBuilt<4>>;

    #[test]
    fn a_task_not_built_says_which_when_used() {
        let missing = NotBuilt::<4>;
        let said = std::panic::catch_unwind(|| missing.config_from_toml(""))
            .expect_err("it cannot build anything");
        let said = said.downcast_ref::<String>().expect("a message");
        assert_eq!(said, &format!("{NOT_BUILT}4"));
    }

    #[test]
    fn the_catalogue_and_the_check_functions_match_one_to_one() {
        let registered = pool_checks::registered::<NothingBuilt>();
        for info in CATALOGUE {
            let functions = registered.iter().filter(|(id, _)| *id == info.id).count();
            assert_eq!(functions, 1, "{} has {functions} check functions", info.id);
        }
        for (id, _) in &registered {
            let entries = CATALOGUE.iter().filter(|info| info.id == *id).count();
            assert_eq!(
                entries, 1,
                "the function registered as {id} has {entries} entries"
            );
        }
    }
}
