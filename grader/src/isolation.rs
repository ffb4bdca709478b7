//! The parent side of isolation: runs each check in a child process of its own (this same
//! binary, with `__run-check ID`), with a time limit, and turns whatever happened into a
//! [`Status`]. A student's panic, deadlock, infinite loop, abort or stack overflow fails that
//! one check and the others still run.

use crate::child::{ChildOutcome, ChildPanic, OUTCOME_TAG, PANIC_TAG};
use crate::cli::RUN_CHECK;
use crate::subject::Subject;
use anyhow::{Context, Result};
use pool_checks::{CheckInfo, Failure};
use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// How a check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It passed; `evidence` is what it measured.
    Passed { evidence: String },
    /// It ran and found the pool wrong.
    Failed(Failure),
    /// It reached a `todo!()`: the code it needs is not written yet.
    NotStarted {
        todo: String,
        location: Option<String>,
    },
    /// It ran past its time limit (a deadlock or an endless loop) and was killed.
    TimedOut { limit: Duration },
    /// It panicked, aborted or was killed by a signal.
    Crashed { detail: String },
}

impl Status {
    /// The word reports use for it.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Passed { .. } => "passed",
            Status::Failed(_) => "failed",
            Status::NotStarted { .. } => "not started",
            Status::TimedOut { .. } => "timed out",
            Status::Crashed { .. } => "crashed",
        }
    }

    /// Whether it passed.
    pub fn passed(&self) -> bool {
        matches!(self, Status::Passed { .. })
    }
}

/// One check's result.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The check.
    pub info: CheckInfo,
    /// How it ended.
    pub status: Status,
    /// How long its process ran.
    pub elapsed: Duration,
}

/// Runs `checks` of `subject`, each isolated; results in the order given. Ordinary checks run
/// `jobs` at a time; then the exclusive ones (they measure time) run one by one, alone.
pub fn run_all(subject: Subject, checks: &[CheckInfo], jobs: usize) -> Result<Vec<CheckResult>> {
    let (exclusive, shared): (Vec<usize>, Vec<usize>) =
        (0..checks.len()).partition(|&index| checks[index].exclusive);
    let mut results: Vec<Option<CheckResult>> = (0..checks.len()).map(|_| None).collect();
    for (indices, jobs, timed) in [(shared, jobs, false), (exclusive, 1, true)] {
        let batch: Vec<CheckInfo> = indices.iter().map(|&index| checks[index]).collect();
        // The exclusive checks time things: no other grader on the machine times meanwhile.
        let _timing = (timed && !batch.is_empty()).then(crate::timing_lock::acquire);
        for (index, result) in indices.into_iter().zip(run_batch(subject, &batch, jobs)?) {
            results[index] = Some(result);
        }
    }
    Ok(results.into_iter().flatten().collect())
}

/// Runs `checks` `jobs` at a time; results in the order given.
fn run_batch(subject: Subject, checks: &[CheckInfo], jobs: usize) -> Result<Vec<CheckResult>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<CheckResult>>>> =
        Mutex::new((0..checks.len()).map(|_| None).collect());
    thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, checks.len().max(1)) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(info) = checks.get(index) else { break };
                let result = run_isolated(subject, *info);
                results.lock().unwrap_or_else(|e| e.into_inner())[index] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|result| result.expect("every check index is run once"))
        .collect()
}

/// Runs one check in a child process and classifies what happened.
pub fn run_isolated(subject: Subject, info: CheckInfo) -> Result<CheckResult> {
    let mut args = vec![RUN_CHECK.to_string(), info.id.to_string()];
    args.extend(subject.args());
    let run = run_child(&args, info.time_limit, info.id)?;
    Ok(CheckResult {
        info,
        status: run.status(),
        elapsed: run.elapsed,
    })
}

/// What a child process did.
pub struct ChildRun {
    /// How it ended; `None` if it was killed at its time limit.
    pub exit: Option<ExitStatus>,
    /// Its standard output (the tagged report lines are there).
    pub stdout: String,
    /// Its standard error (the default panic message, "overflowed its stack", ...).
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
    /// Its time limit.
    pub limit: Duration,
}

impl ChildRun {
    /// What happened, in a check's terms.
    pub fn status(&self) -> Status {
        match self.exit {
            None => Status::TimedOut { limit: self.limit },
            Some(exit) => classify(exit, &self.stdout, &self.stderr),
        }
    }
}

/// Runs this same binary with `args`, up to `limit`; `what` names it in errors.
pub fn run_child(args: &[String], limit: Duration, what: &str) -> Result<ChildRun> {
    let program = std::env::current_exe().context("Failed to find the grader's own executable")?;
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("Failed to start a process for {what}"))?;
    // Read both pipes while waiting, so that a chatty pool cannot fill a pipe and stall.
    let stdout = child.stdout.take().map(capture);
    let stderr = child.stderr.take().map(capture);
    let exit =
        wait_with_limit(&mut child, limit).with_context(|| format!("Failed to wait for {what}"))?;
    Ok(ChildRun {
        exit,
        stdout: stdout.map(join_capture).unwrap_or_default(),
        stderr: stderr.map(join_capture).unwrap_or_default(),
        elapsed: started.elapsed(),
        limit,
    })
}

/// Waits for `child` up to `limit`; kills it and returns `None` when time runs out.
fn wait_with_limit(child: &mut Child, limit: Duration) -> std::io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            child.kill()?;
            child.wait()?;
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// At most this much of each pipe is kept: enough for our tagged lines and a panic message.
const CAPTURE_LIMIT: usize = 1 << 20;

fn capture(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut chunk = [0u8; 8192];
        while let Ok(read @ 1..) = pipe.read(&mut chunk) {
            if kept.len() < CAPTURE_LIMIT {
                kept.extend_from_slice(&chunk[..read]);
            }
        }
        String::from_utf8_lossy(&kept).into_owned()
    })
}

fn join_capture(handle: thread::JoinHandle<String>) -> String {
    handle.join().unwrap_or_default()
}

/// Turns a finished child's exit status and output into a [`Status`].
fn classify(exit: ExitStatus, stdout: &str, stderr: &str) -> Status {
    if let Some(outcome) = tagged::<ChildOutcome>(stdout, OUTCOME_TAG) {
        return match outcome {
            ChildOutcome::Passed { evidence } => Status::Passed { evidence },
            ChildOutcome::Failed { expected, seen } => Status::Failed(Failure { expected, seen }),
        };
    }
    if let Some(panic) = tagged::<ChildPanic>(stdout, PANIC_TAG) {
        if let Some(todo) = panic.message.strip_prefix("not yet implemented") {
            return Status::NotStarted {
                todo: todo.trim_start_matches(": ").to_string(),
                location: panic.location,
            };
        }
        let at = panic
            .location
            .map(|at| format!(" at {at}"))
            .unwrap_or_default();
        return Status::Crashed {
            detail: format!("panicked{at}: {}", panic.message),
        };
    }
    Status::Crashed {
        detail: describe_exit(exit, stderr),
    }
}

/// The first line tagged `tag`, parsed.
pub fn tagged<T: serde::de::DeserializeOwned>(output: &str, tag: &str) -> Option<T> {
    output
        .lines()
        .find_map(|line| line.strip_prefix(tag))
        .and_then(|json| serde_json::from_str(json).ok())
}

/// Words for a child that ended without reporting.
fn describe_exit(exit: ExitStatus, stderr: &str) -> String {
    if stderr.contains("has overflowed its stack") {
        return "stack overflow: endless recursion, or a very large value on the stack".into();
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = exit.signal() {
            return match signal {
                6 => "aborted (SIGABRT): std::process::abort, a double panic, or a failed \
                      allocation"
                    .into(),
                11 => "segmentation fault (SIGSEGV): invalid memory access in unsafe code".into(),
                other => format!("killed by signal {other}"),
            };
        }
    }
    match exit.code() {
        Some(code) => format!(
            "the check's process exited with status {code} without reporting: does the pool \
             call std::process::exit?"
        ),
        None => "the check's process ended without reporting".into(),
    }
}
