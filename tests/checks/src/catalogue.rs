//! The catalogue: every graded check as data, in syllabus order. Everything the grader prints
//! about a check, and everything it needs to schedule one, is in `tests/checks/catalogue.toml`,
//! which `build.rs` turns into [`TASKS`] and [`CATALOGUE`] at build time; the types are here.
//! The functions that run the checks live in one module per pool and register under the same
//! ids (see [`crate::checks`]). A test proves the two match one to one.
//!
//! Adding a check: one entry in `catalogue.toml`, and one function registered in its pool's
//! module.

use std::time::Duration;

/// One workshop task, as the grader lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskInfo {
    /// 1 to 4.
    pub number: u8,
    /// The task's name.
    pub title: &'static str,
    /// What the student builds, in one line.
    pub summary: &'static str,
}

/// What a check grades: one of the workshop's pools, or the student's measurement toolkit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Task 1's `SyncPool`.
    Sync,
    /// Task 2's `FixedPool`.
    Fixed,
    /// Task 2's `SizeClassPool`.
    SizeClass,
    /// Task 2's `AdaptivePool`.
    Adaptive,
    /// Task 3's measurement toolkit (`count_allocations`, `throughput_ratio`).
    Toolkit,
    /// Task 4's `ProductionPool` and its configuration loaders.
    Production,
}

/// Which of the exercise's success criteria a check counts towards, beside its own verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It proves its pool correct; a strategy counts as done when all of these pass.
    Correctness,
    /// It measures its pool against the criteria (80% fewer allocations, 2x throughput, stable
    /// memory) and reports the figures.
    Criteria,
    /// It proves the pool's monitoring (metrics and their export) exact.
    Monitoring,
}

/// The static description of a check: everything the grader prints about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    /// Stable identifier, e.g. `sync-reuse`; used by `--check ID` and `hint ID`.
    pub id: &'static str,
    /// The task it grades (1 to 4).
    pub task: u8,
    /// The pool it grades.
    pub pool: Pool,
    /// The file, under the graded crate's `src/`, that holds the code it grades: where a
    /// student looks when it fails.
    pub file: &'static str,
    /// Which success criterion it counts towards.
    pub role: Role,
    /// What it proves, as a short sentence.
    pub title: &'static str,
    /// Why the property matters in a real program.
    pub why: &'static str,
    /// What to look at when it fails.
    pub hint: &'static str,
    /// The grader's broken fixture (by its `--fixture` name) that this check must fail: the
    /// grader's own tests prove it does, and `hint` shows what that fixture gets wrong.
    pub fixture: &'static str,
    /// How long the check may run before it counts as timed out.
    pub time_limit: Duration,
    /// Whether it measures time: the grader then runs it alone, after the others, and never
    /// while another grader on the machine is timing.
    pub timed: bool,
}

// `TASKS` and `CATALOGUE`, from `tests/checks/catalogue.toml` (see `build.rs`).
include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));
