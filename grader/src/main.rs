//! The grader's binary: the command line handed to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    match grader::run(std::env::args().skip(1)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
