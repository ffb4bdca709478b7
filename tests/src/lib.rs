//! The workshop's contract and its graded checks, written once for any implementation.
//!
//! - [`pool`]: the [`BufferPool`] trait every pool implements, its RAII guard [`Pooled`] and its
//!   [`PoolStats`].
//! - [`task1`] to [`task4`]: what each task asks
//!   an implementation to provide (a trait such as [`task1::Task1`]) and the checks that grade it.
//! - [`workloads`] and [`measure`]: the standard workloads and how Task 3's criteria measure
//!   them (allocator calls per message, a robust throughput ratio, live memory).
//! - [`every_pool`]: checks every pool must pass whatever its strategy (reset, many threads).
//! - [`config`]: the [`ConfigError`] every pool constructor returns for a bad configuration.
//! - [`check`]: what a check is, and the task list.
//! - [`counting`]: counting allocator calls with `stats_alloc`, the grader's source of truth.
//!
//! This crate knows no implementation. The student's `exercises` crate and the reference
//! `solutions` crate implement the traits; the `grader` runs [`checks`] against either, each check
//! in a process of its own.

pub mod check;
pub mod config;
pub mod counting;
pub mod every_pool;
pub mod measure;
pub mod pool;
pub mod task1;
pub mod task2;
pub mod task3;
pub mod task4;
pub mod workloads;

pub use check::{Check, CheckInfo, Failure, Outcome, TaskInfo, TASKS};
pub use config::ConfigError;
pub use pool::{BufferPool, PoolStats, Pooled};

/// Every check of every task an implementation `W` provides, in syllabus order.
pub fn checks<W: task1::Task1 + task2::Task2 + task3::Task3 + task4::Task4>() -> Vec<Check<W>> {
    let mut checks = task1::checks::checks::<W>();
    checks.extend(task2::checks::checks::<W>());
    checks.extend(task3::checks::checks::<W>());
    checks.extend(task4::checks::checks::<W>());
    checks
}
