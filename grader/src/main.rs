//! The grader's binary: the counting allocator, and the command line handed to the library.

use std::process::ExitCode;

/// Every check process counts allocator calls: the checks trust the allocator, not the pool.
#[global_allocator]
static GLOBAL: pool_checks::counting::SwitchableCounting =
    pool_checks::counting::SwitchableCounting;

fn main() -> ExitCode {
    match grader::run(std::env::args().skip(1)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
