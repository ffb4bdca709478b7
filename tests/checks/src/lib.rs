//! The workshop's graded checks, written once for any implementation of the contract
//! (`pool-contract`, re-exported here as [`pool`], [`config`] and [`task1`] to [`task4`]).
//!
//! - [`catalogue`]: every check as data (id, task, pool, file, words, fixture, time limit).
//! - [`check`]: what a check is and returns; [`checks`] binds the catalogue to the functions.
//! - One module per graded pool: [`sync_pool`] (Task 1); [`fixed_pool`], [`size_class_pool`],
//!   [`adaptive_pool`] (Task 2); [`toolkit`] and [`criteria`] (Task 3); [`production`] (Task 4).
//!   Each registers its check functions under their catalogue ids.
//! - [`every_pool`]: checks every pool must pass whatever its strategy (reset, many threads).
//! - [`thread_churn`]: threads that come and go, for every pool that may cache per thread.
//! - [`workloads`], [`measure`] and [`strategy`]: the standard workloads, how the criteria
//!   measure them (allocator calls per message, a robust throughput ratio, live memory), and
//!   each strategy's pool built for them (Task 3's table).
//! - [`counting`]: counting allocator calls with `stats_alloc`, the grader's source of truth.
//! - [`refusals`]: building pools from configurations, valid and bad.
//!
//! This crate knows no implementation. Only the `grader` depends on it: it runs [`checks`]
//! against the student's `exercises`, the reference `solutions` or a broken fixture, each check
//! in a process of its own.

pub mod adaptive_pool;
pub mod catalogue;
pub mod check;
pub mod counting;
pub mod criteria;
pub mod every_pool;
pub mod fixed_pool;
pub mod measure;
pub mod production;
pub mod refusals;
pub mod size_class_pool;
pub mod strategy;
pub mod sync_pool;
pub mod thread_churn;
pub mod toolkit;
pub mod workloads;

pub use catalogue::{CheckInfo, Pool, Role, TaskInfo, CATALOGUE, TASKS};
pub use check::{Check, CriteriaFigures, Evidence, Failure, Outcome};
pub use pool_contract::{config, pool, task1, task2, task3, task4};
pub use pool_contract::{Assembled, BufferPool, ConfigError, PoolStats, Pooled, Workshop};

use check::{unregistered, Registration};

/// Every check function, under its catalogue id, from every pool's module.
pub fn registered<W: Workshop>() -> Vec<Registration<W>> {
    let mut all = sync_pool::registered::<W>();
    all.extend(fixed_pool::registered::<W>());
    all.extend(size_class_pool::registered::<W>());
    all.extend(adaptive_pool::registered::<W>());
    all.extend(toolkit::registered::<W>());
    all.extend(criteria::registered::<W>());
    all.extend(production::registered::<W>());
    all.extend(thread_churn::registered::<W>());
    all
}

/// Every check of every task an implementation `W` provides, in catalogue (syllabus) order.
pub fn checks<W: Workshop>() -> Vec<Check<W>> {
    let registered = registered::<W>();
    CATALOGUE
        .iter()
        .map(|info| Check {
            info: *info,
            run: registered
                .iter()
                .find(|(id, _)| *id == info.id)
                .map_or(unregistered::<W>, |(_, run)| *run),
        })
        .collect()
}
