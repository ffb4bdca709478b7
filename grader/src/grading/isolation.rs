//! The parent side of isolation: runs each check in a child process of its own (the subject's
//! runner, with a [`Request`] on its command line), with a time limit, and turns whatever
//! happened into a [`Status`]. A check of a task that does not compile is not run: its status
//! is the compile error. A student's panic, deadlock, infinite loop, abort or stack overflow fails that
//! one check and the others still run.

use crate::grading::build::Runner;
use crate::grading::idle::CpuWatch;
use crate::grading::status::{CheckResult, Status};
use anyhow::{Context, Result};
use grader_runner::not_built::NOT_BUILT;
use grader_runner::protocol::{Message, Request};
use pool_checks::CheckInfo;
use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// Runs `checks` with `runner`, each isolated; results in the order given. Ordinary checks run
/// `jobs` at a time; then the timed ones (they measure time) run one by one, alone.
pub fn run_all(runner: &Runner, checks: &[CheckInfo], jobs: usize) -> Result<Vec<CheckResult>> {
    let (timed, shared): (Vec<usize>, Vec<usize>) =
        (0..checks.len()).partition(|&index| checks[index].timed);
    let mut results: Vec<Option<CheckResult>> = (0..checks.len()).map(|_| None).collect();
    for (indices, jobs, alone) in [(shared, jobs, false), (timed, 1, true)] {
        let batch: Vec<CheckInfo> = indices.iter().map(|&index| checks[index]).collect();
        // The timed checks: no other grader on the machine times meanwhile.
        let _timing = (alone && !batch.is_empty()).then(crate::grading::timing_lock::acquire);
        for (index, result) in indices.into_iter().zip(run_batch(runner, &batch, jobs)?) {
            results[index] = Some(result);
        }
    }
    Ok(results.into_iter().flatten().collect())
}

/// Runs `checks` `jobs` at a time; results in the order given.
fn run_batch(runner: &Runner, checks: &[CheckInfo], jobs: usize) -> Result<Vec<CheckResult>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<CheckResult>>>> =
        Mutex::new((0..checks.len()).map(|_| None).collect());
    thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, checks.len().max(1)) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(info) = checks.get(index) else { break };
                let result = run_isolated(runner, *info);
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
pub fn run_isolated(runner: &Runner, info: CheckInfo) -> Result<CheckResult> {
    if let Some(error) = runner.compile_error(info.task) {
        return Ok(CheckResult {
            info,
            status: Status::DoesNotCompile(error.clone()),
            elapsed: Duration::ZERO,
        });
    }
    let request = Request::RunCheck {
        id: info.id.to_string(),
    };
    let run = run_child(runner, &request, info.time_limit, info.id)?;
    Ok(CheckResult {
        info,
        status: run.status(),
        elapsed: run.elapsed,
    })
}

/// What a child process did.
pub struct ChildRun {
    /// How it ended.
    pub end: End,
    /// Its standard output (the message lines are there).
    pub stdout: String,
    /// Its standard error (the default panic message, "overflowed its stack", ...).
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
    /// Its time limit.
    pub limit: Duration,
    /// The tasks its runner was built without, with their compile errors.
    not_built: Vec<crate::grading::build::CompileError>,
    /// The secret its message lines carry: handed over on its standard input, so that a pool
    /// printing a message line of its own cannot fake a verdict.
    nonce: String,
}

/// How a child process ended.
#[derive(Debug, Clone, Copy)]
pub enum End {
    /// It exited by itself.
    Exited(ExitStatus),
    /// It was killed at its time limit.
    TimeLimit,
    /// It was killed after this long without using CPU time.
    Idle(Duration),
}

impl ChildRun {
    /// What happened, in a check's terms.
    pub fn status(&self) -> Status {
        match self.end {
            End::TimeLimit => Status::TimedOut {
                limit: self.limit,
                idle: None,
            },
            End::Idle(idle) => Status::TimedOut {
                limit: self.limit,
                idle: Some(idle),
            },
            End::Exited(exit) => self.classify(exit),
        }
    }

    /// The messages it sent with this run's secret, in order.
    pub fn messages(&self) -> Vec<Message> {
        Message::all_in(&self.stdout, &self.nonce)
    }

    /// Turns a finished child's exit status and output into a [`Status`]: its verdict if it
    /// sent one, else what stopped it.
    fn classify(&self, exit: ExitStatus) -> Status {
        let messages = self.messages();
        let verdict = messages.iter().find_map(|message| match message {
            Message::Passed(evidence) => Some(Status::Passed(evidence.clone())),
            Message::Failed(failure) => Some(Status::Failed(failure.clone())),
            Message::Panicked { .. } | Message::Measured(_) => None,
        });
        if let Some(status) = verdict {
            return status;
        }
        if self.stderr.contains(ALLOCATION_FAILED) {
            return Status::OutOfMemory {
                ceiling: grader_runner::ceiling::MEMORY_CEILING,
            };
        }
        let panic = messages.into_iter().find_map(|message| match message {
            Message::Panicked { message, location } => Some((message, location)),
            _ => None,
        });
        if let Some((message, location)) = panic {
            // A pool of a task that does not compile (a Task 3 criterion needs Task 1's pool).
            let missing = message.strip_prefix(NOT_BUILT).and_then(|task| {
                let task: u8 = task.trim().parse().ok()?;
                self.not_built.iter().find(|error| error.task == task)
            });
            if let Some(error) = missing {
                return Status::DoesNotCompile(error.clone());
            }
            if let Some(todo) = message.strip_prefix("not yet implemented") {
                return Status::NotStarted {
                    todo: todo.trim_start_matches(": ").to_string(),
                    location,
                };
            }
            let at = location.map(|at| format!(" at {at}")).unwrap_or_default();
            return Status::Crashed {
                detail: format!("panicked{at}: {message}"),
            };
        }
        Status::Crashed {
            detail: describe_exit(exit, &self.stderr),
        }
    }
}

/// What Rust's default allocation-error handler prints before it aborts the process.
const ALLOCATION_FAILED: &str = "memory allocation of ";

/// A check's process that uses no CPU time for this long is deadlocked: every thread is blocked
/// for good. No check waits idle this long on purpose (the longest, `prod-limit-wait`'s, is
/// served within a second), and a busy or slow pool uses CPU time, so it is never mistaken for
/// one.
pub const IDLE_LIMIT: Duration = Duration::from_millis(2_500);

/// Runs `runner` with `request`, up to `limit`; `what` names it in errors.
pub fn run_child(
    runner: &Runner,
    request: &Request,
    limit: Duration,
    what: &str,
) -> Result<ChildRun> {
    let nonce = new_nonce();
    let started = Instant::now();
    let mut child = Command::new(&runner.program)
        .args(request.args())
        .args(&runner.suffix)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("Failed to start a process for {what}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // The child reads it before it runs any pool code; a child that died at once closed
        // its end, which is reported by its exit below, not here.
        let _ = writeln!(stdin, "{nonce}");
    }
    // Read both pipes while waiting, so that a chatty pool cannot fill a pipe and stall.
    let stdout = child.stdout.take().map(capture);
    let stderr = child.stderr.take().map(capture);
    let end =
        wait_with_limit(&mut child, limit).with_context(|| format!("Failed to wait for {what}"))?;
    Ok(ChildRun {
        end,
        stdout: stdout.map(join_capture).unwrap_or_default(),
        stderr: stderr.map(join_capture).unwrap_or_default(),
        elapsed: started.elapsed(),
        limit,
        not_built: runner.not_built.clone(),
        nonce,
    })
}

/// A fresh secret for one child: std's randomly seeded hasher over the time and a counter.
fn new_nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_usize(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos()),
    );
    format!("{:016x}", hasher.finish())
}

/// Waits for `child` up to `limit`, or until it has used no CPU time for [`IDLE_LIMIT`]; kills
/// it then.
fn wait_with_limit(child: &mut Child, limit: Duration) -> std::io::Result<End> {
    let started = Instant::now();
    let deadline = started + limit;
    let mut cpu = CpuWatch::new(child.id());
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(End::Exited(status));
        }
        let now = Instant::now();
        let idle = cpu.idle_for(now);
        if now >= deadline || idle >= IDLE_LIMIT {
            child.kill()?;
            child.wait()?;
            return Ok(if idle >= IDLE_LIMIT {
                End::Idle(idle)
            } else {
                End::TimeLimit
            });
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// At most this much of each pipe is kept: enough for the message lines and a panic message.
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
