//! What the grader and its runners share, and nothing that links a pool.
//!
//! The grader (`grader/`) never links the code it grades: for each subject it builds a runner,
//! a small binary that links that subject's pools (`grader/runners/exercises`, `solutions`,
//! `fixtures`), and starts it once per check and per measurement. So a student's file that does
//! not compile breaks no grader command, only the grading of its own task.
//!
//! - [`protocol`]: the requests the grader sends and the messages a runner answers.
//! - [`serve`]: a runner's `main`, generic over the workshop it links: reports panics, runs one
//!   check or measurement.
//! - [`ceiling`]: a runner's global allocator: the counting allocator the checks read, under a
//!   memory ceiling, the same on every system.
//! - [`not_built`]: what a runner links for a task that does not compile.
//! - [`fixture_table`]: the grader's broken pools (and correct ones written differently) as
//!   data: names, flaws, and the status each check must give each one.

pub mod ceiling;
pub mod fixture_table;
pub mod not_built;
pub mod protocol;
pub mod serve;
