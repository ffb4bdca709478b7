//! The runner for the reference solutions: the grader starts it once per check and per
//! measurement of `--solutions` (and of `--compare`'s reference figures).

use std::process::ExitCode;

/// Every check process counts allocator calls: the checks trust the allocator, not the pool.
#[global_allocator]
static GLOBAL: pool_checks::counting::SwitchableCounting =
    pool_checks::counting::SwitchableCounting;

fn main() -> ExitCode {
    grader_runner::serve::main(|_| Ok(solutions::Workshop))
}
