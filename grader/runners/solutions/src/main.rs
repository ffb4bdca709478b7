//! The runner for the reference solutions: the grader starts it once per check and per
//! measurement of `--solutions` (and of `--compare`'s reference figures).

use std::process::ExitCode;

/// Every check process counts allocator calls (the checks trust the allocator, not the pool),
/// under a memory ceiling (a pool that hoards memory gets a verdict).
#[global_allocator]
static GLOBAL: grader_runner::ceiling::Ceiling =
    grader_runner::ceiling::Ceiling::new(grader_runner::ceiling::MEMORY_CEILING);

fn main() -> ExitCode {
    grader_runner::serve::main(|_| Ok(solutions::Workshop))
}
