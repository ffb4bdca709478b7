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
