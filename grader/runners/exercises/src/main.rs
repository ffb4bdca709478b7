//! The runner for the student's exercises: the grader starts it once per check and per
//! measurement. It links each task's crate that compiles (features `task1` to `task4`, which the
//! grader chooses); a task left out is [`grader_runner::not_built::NotBuilt`], whose checks the
//! grader reports as that task's compile error.

use std::process::ExitCode;

/// Every check process counts allocator calls (the checks trust the allocator, not the pool),
/// under a memory ceiling (a pool that hoards memory gets a verdict).
#[global_allocator]
static GLOBAL: grader_runner::ceiling::Ceiling =
    grader_runner::ceiling::Ceiling::new(grader_runner::ceiling::MEMORY_CEILING);

#[cfg(feature = "task1")]
type Task1 = exercises_task1::Workshop;
#[cfg(not(feature = "task1"))]
type Task1 = grader_runner::not_built::NotBuilt<1>;

#[cfg(feature = "task2")]
type Task2 = exercises_task2::Workshop;
#[cfg(not(feature = "task2"))]
type Task2 = grader_runner::not_built::NotBuilt<2>;

#[cfg(feature = "task3")]
type Task3 = exercises_task3::Workshop;
#[cfg(not(feature = "task3"))]
type Task3 = grader_runner::not_built::NotBuilt<3>;

#[cfg(feature = "task4")]
type Task4 = exercises_task4::Workshop;
#[cfg(not(feature = "task4"))]
type Task4 = grader_runner::not_built::NotBuilt<4>;

fn main() -> ExitCode {
    grader_runner::serve::main(|_| {
        Ok(pool_checks::Assembled::<Task1, Task2, Task3, Task4>::default())
    })
}
