//! The child side of isolation: runs one check in this process and prints its outcome on stdout
//! as one tagged JSON line, which the parent reads (see `isolation`). The tag carries a secret
//! the parent handed over on standard input, so that a line the pool prints cannot pass for it;
//! the process's address space is capped, so that a pool that hoards memory gets a verdict.

use crate::subject::Subject;
use pool_checks::Outcome;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// The tag before the child's outcome line.
pub const OUTCOME_TAG: &str = "@@grader-outcome ";
/// The tag before the line the child prints when something panics.
pub const PANIC_TAG: &str = "@@grader-panic ";
/// The tag before a measurement child's figures.
pub const FIGURES_TAG: &str = "@@grader-figures ";

/// What a measurement child reports: one strategy on one workload (Task 3's table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredFigures {
    /// Allocator calls per message with the pool.
    pub pooled_allocations: f64,
    /// Allocator calls per message without.
    pub unpooled_allocations: f64,
    /// 1 - pooled / unpooled.
    pub reduction: f64,
    /// Throughput ratio, one thread: median, lowest and highest round.
    pub one_thread: [f64; 3],
    /// Throughput ratio, two threads on one pool: median, lowest and highest round.
    pub two_threads: [f64; 3],
    /// Peak live bytes while a buffer was held, first and second half of a long run.
    pub peak_live: [i64; 2],
    /// Live bytes after the run: what the pool retains.
    pub retained: i64,
    /// The unpooled baseline's peak live bytes.
    pub unpooled_peak: i64,
    /// Whether live memory stopped growing.
    pub stable: bool,
}

impl From<pool_checks::task3::Figures> for MeasuredFigures {
    fn from(figures: pool_checks::task3::Figures) -> Self {
        let ratio = |r: &pool_checks::measure::Ratio| [r.median, r.lowest, r.highest];
        MeasuredFigures {
            pooled_allocations: figures.allocations.pooled,
            unpooled_allocations: figures.allocations.unpooled,
            reduction: figures.allocations.reduction(),
            one_thread: ratio(&figures.one_thread),
            two_threads: ratio(&figures.two_threads),
            peak_live: [
                figures.memory.first_half_peak,
                figures.memory.second_half_peak,
            ],
            retained: figures.memory.retained,
            unpooled_peak: figures.unpooled_peak,
            stable: figures.memory.is_stable(),
        }
    }
}

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

/// The address space a check's process may use (Linux and the BSDs; macOS does not enforce
/// it): far more than any check's buffers need, far less than a laptop has, so that a pool that
/// keeps every buffer is stopped with a verdict before it makes the machine swap.
pub const MEMORY_CEILING: u64 = 4 << 30;

/// The secret the parent handed over on standard input, which every tagged line carries (see
/// `isolation::ChildRun::tagged`).
static NONCE: OnceLock<String> = OnceLock::new();

/// What every child does before any pool code runs: takes the secret from standard input, caps
/// its memory, and reports panics.
fn prepare() {
    let mut nonce = String::new();
    // No secret (a child started by hand): tagged lines carry an empty one.
    let _ = std::io::stdin().read_line(&mut nonce);
    let _ = NONCE.set(nonce.trim().to_string());
    limit_memory();
    install_panic_reporter();
}

#[cfg(unix)]
fn limit_memory() {
    let ceiling = libc::rlimit {
        rlim_cur: MEMORY_CEILING as libc::rlim_t,
        rlim_max: MEMORY_CEILING as libc::rlim_t,
    };
    // SAFETY: setrlimit reads the `rlimit` we pass by pointer, which lives across the call, and
    // changes only this process's limit; it has no other effect on memory Rust manages. A
    // failure (a lower hard limit already set) leaves the limit as it was: checked below.
    let status = unsafe { libc::setrlimit(libc::RLIMIT_AS, &ceiling) };
    if status != 0 {
        eprintln!("note: could not set the memory ceiling of a check's process");
    }
}

#[cfg(not(unix))]
fn limit_memory() {}

/// Runs check `id` of `subject` and prints its outcome.
pub fn run_check(subject: Subject, id: &str) -> ExitCode {
    prepare();
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

/// Measures `strategy` on `workload` for `subject` and prints the figures (or why it could not).
pub fn run_measure(
    subject: Subject,
    strategy: pool_checks::task3::Strategy,
    workload: pool_checks::workloads::Workload,
) -> ExitCode {
    prepare();
    match subject.analyse(strategy, workload) {
        Ok(figures) => print_tagged(FIGURES_TAG, &MeasuredFigures::from(figures)),
        Err(failure) => print_tagged(
            OUTCOME_TAG,
            &ChildOutcome::Failed {
                expected: failure.expected,
                seen: failure.seen,
            },
        ),
    }
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
    let nonce = NONCE.get().map_or("", String::as_str);
    let mut stdout = std::io::stdout().lock();
    // Leading newline: the pool under test may have left a partial line on stdout.
    let _ = writeln!(stdout, "\n{tag}{nonce} {json}");
    let _ = stdout.flush();
}
