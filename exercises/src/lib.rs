//! Your pools, all four tasks together. Each task is a crate of its own under `exercises/`:
//! `task1/` to `task4/`. Open the file the grader points at, read its top comment, and replace
//! the `todo!()`s.
//!
//! Grade your work with `cargo run -p grader` (all tasks) or `cargo run -p grader -- --task 1`.
//! The grader builds each task on its own and runs each check in a process of its own, so a
//! compile error stops its task only, and a panic or a deadlock in your code fails one check
//! while the others still run.
//!
//! This crate joins the four for Task 3's benchmark (`benches/pools.rs`, which compares every
//! pool), and holds your answers to Task 3's questions (`TRADEOFFS.md`). Nothing to edit here.

pub use exercises_task1::{task1_sync_pool, SyncPool};
pub use exercises_task2::{
    task2_adaptive_pool, task2_fixed_pool, task2_size_class_pool, AdaptivePool, FixedPool,
    SizeClassPool,
};
pub use exercises_task3::task3_measure;
pub use exercises_task4::{task4_config, task4_production_pool, ProductionPool};

/// Every task's types, as the grader sees them: `Workshop::default()` is a whole workshop.
pub type Workshop = pool_contract::Assembled<
    exercises_task1::Workshop,
    exercises_task2::Workshop,
    exercises_task3::Workshop,
    exercises_task4::Workshop,
>;
