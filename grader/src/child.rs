//! The child side of isolation: runs one check in this process and prints its outcome on stdout
//! as one tagged JSON line, which the parent reads (see `isolation`).

use crate::subject::Subject;
use pool_checks::Outcome;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// The tag before the child's outcome line.
pub const OUTCOME_TAG: &str = "@@grader-outcome ";
/// The tag before the line the child prints when something panics.
pub const PANIC_TAG: &str = "@@grader-panic ";

/// What a child reports when its check ran to the end.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ChildOutcome {
    /// The check passed, with what it observed.
    Passed { evidence: String },
    /// The check failed.
    Failed { expected: String, seen: String },
}

/// What a child reports about the first panic in any of its threads.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChildPanic {
    /// The panic message.
    pub message: String,
    /// `file:line:column` of the panic, when known.
    pub location: Option<String>,
}

/// Runs check `id` of `subject` and prints its outcome.
pub fn run_check(subject: Subject, id: &str) -> ExitCode {
    install_panic_reporter();
    let Some(outcome) = subject.run(id) else {
        eprintln!("no check called `{id}`");
        return ExitCode::from(2);
    };
    let report = match outcome {
        Outcome::Ok(evidence) => ChildOutcome::Passed { evidence },
        Outcome::Err(failure) => ChildOutcome::Failed {
            expected: failure.expected,
            seen: failure.seen,
        },
    };
    print_tagged(OUTCOME_TAG, &report);
    ExitCode::SUCCESS
}

/// Reports the first panic of any thread on stdout, then lets the default hook print it as usual.
fn install_panic_reporter() {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !REPORTED.swap(true, Ordering::SeqCst) {
            let message = if let Some(text) = info.payload().downcast_ref::<&str>() {
                (*text).to_string()
            } else if let Some(text) = info.payload().downcast_ref::<String>() {
                text.clone()
            } else {
                "(a panic without a message)".to_string()
            };
            let location = info
                .location()
                .map(|at| format!("{}:{}:{}", at.file(), at.line(), at.column()));
            print_tagged(PANIC_TAG, &ChildPanic { message, location });
        }
        default_hook(info);
    }));
}

fn print_tagged(tag: &str, value: &impl Serialize) {
    let json = serde_json::to_string(value).unwrap_or_else(|error| {
        format!("{{\"result\":\"failed\",\"expected\":\"a report\",\"seen\":\"{error}\"}}")
    });
    let mut stdout = std::io::stdout().lock();
    // Leading newline: the pool under test may have left a partial line on stdout.
    let _ = writeln!(stdout, "\n{tag}{json}");
    let _ = stdout.flush();
}
