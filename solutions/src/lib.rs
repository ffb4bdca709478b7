//! The workshop's reference solutions: the same public API as the `exercises` crate, solved.
//!
//! Instructors grade it with `cargo run -p grader -- --solutions`; students may read it once they
//! have tried. Each module is written to teach first: the clearest correct code, with a comment
//! wherever speed made it less obvious.

pub mod task1_sync_pool;

pub use task1_sync_pool::SyncPool;

use pool_checks::task1::{SyncPoolConfig, Task1};

/// This crate's implementation of the workshop, as the grader sees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Workshop;

impl Task1 for Workshop {
    type SyncPool = SyncPool;

    fn sync_pool(&self, config: SyncPoolConfig) -> SyncPool {
        SyncPool::new(config)
    }
}
