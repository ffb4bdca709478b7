//! The parent side of isolation: runs each check in a child process of its own (this same
//! binary, with `__run-check ID`), with a time limit, and turns whatever happened into a
//! [`Status`]. A student's panic, deadlock, infinite loop, abort or stack overflow fails that
//! one check and the others still run.

use crate::child::{ChildOutcome, ChildPanic, OUTCOME_TAG, PANIC_TAG};
use crate::cli::RUN_CHECK;
use crate::subject::Subject;
use anyhow::{Context, Result};
use pool_checks::{CheckInfo, Failure};
use std::io::{Read, Write};
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
    /// It was killed: past its time limit (an endless loop, or anything too slow), or earlier,
    /// after `idle` without using any CPU time (a deadlock: every thread blocked for good).
    TimedOut {
        limit: Duration,
        idle: Option<Duration>,
    },
    /// It reached the memory ceiling of a check's process and could not allocate.
    OutOfMemory { ceiling: u64 },
    /// It panicked, aborted or was killed by a signal.
    Crashed { detail: String },
}

impl Status {
    /// Every word [`Status::word`] gives, in the order reports count them.
    pub const WORDS: [&'static str; 6] = [
        "passed",
        "failed",
        "not started",
        "timed out",
        "out of memory",
        "crashed",
    ];

    /// The word reports use for it.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Passed { .. } => "passed",
            Status::Failed(_) => "failed",
            Status::NotStarted { .. } => "not started",
            Status::TimedOut { .. } => "timed out",
            Status::OutOfMemory { .. } => "out of memory",
            Status::Crashed { .. } => "crashed",
        }
    }

    /// What was seen, in a student's words, for a check that ran and did not pass.
    pub fn seen(&self) -> Option<String> {
        match self {
            Status::Failed(failure) => Some(failure.seen.clone()),
            Status::TimedOut {
                idle: Some(idle), ..
            } => Some(format!(
                "no progress for {:.1} s (no CPU time used, no thread runnable), so it was \
                 stopped: a deadlock, such as a lock taken twice or held while waiting for another",
                idle.as_secs_f64()
            )),
            Status::TimedOut { limit, idle: None } => Some(format!(
                "still running after {} s, its time limit, so it was stopped: an endless loop \
                 (a spin that never ends, a retry that never succeeds), or work far slower than \
                 it should be",
                limit.as_secs()
            )),
            Status::OutOfMemory { ceiling } => Some(format!(
                "it could not allocate within the {} GiB a check may use: the pool keeps (or \
                 leaks) far more memory than the check's buffers need",
                ceiling >> 30
            )),
            Status::Crashed { detail } => Some(detail.clone()),
            Status::Passed { .. } | Status::NotStarted { .. } => None,
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
    /// How it ended.
    pub end: End,
    /// Its standard output (the tagged report lines are there).
    pub stdout: String,
    /// Its standard error (the default panic message, "overflowed its stack", ...).
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
    /// Its time limit.
    pub limit: Duration,
    /// The secret its tagged lines carry: handed over on its standard input, so that a pool
    /// printing a tagged line of its own cannot fake a verdict.
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

    /// The first line tagged `tag` with this run's secret, parsed.
    pub fn tagged<T: serde::de::DeserializeOwned>(&self, tag: &str) -> Option<T> {
        let prefix = format!("{tag}{} ", self.nonce);
        self.stdout
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .and_then(|json| serde_json::from_str(json).ok())
    }

    /// Turns a finished child's exit status and output into a [`Status`].
    fn classify(&self, exit: ExitStatus) -> Status {
        if let Some(outcome) = self.tagged::<ChildOutcome>(OUTCOME_TAG) {
            return match outcome {
                ChildOutcome::Passed { evidence } => Status::Passed { evidence },
                ChildOutcome::Failed { expected, seen } => {
                    Status::Failed(Failure { expected, seen })
                }
            };
        }
        if self.stderr.contains(ALLOCATION_FAILED) {
            return Status::OutOfMemory {
                ceiling: crate::child::MEMORY_CEILING,
            };
        }
        if let Some(panic) = self.tagged::<ChildPanic>(PANIC_TAG) {
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

/// Runs this same binary with `args`, up to `limit`; `what` names it in errors.
pub fn run_child(args: &[String], limit: Duration, what: &str) -> Result<ChildRun> {
    let program = std::env::current_exe().context("Failed to find the grader's own executable")?;
    let nonce = new_nonce();
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
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

/// Watches a process's CPU time (Linux: `/proc/PID/stat`; elsewhere it never reports idleness,
/// and only the time limit stops a deadlock).
struct CpuWatch {
    pid: u32,
    /// The last CPU time read, and when it last changed.
    last: Option<(u64, Instant)>,
    next_read: Instant,
}

impl CpuWatch {
    fn new(pid: u32) -> Self {
        let now = Instant::now();
        CpuWatch {
            pid,
            last: None,
            next_read: now,
        }
    }

    /// How long the process has used no CPU time with none of its threads runnable, as of
    /// `now` (read every 100 ms). A thread that waits for a processor on a crowded machine is
    /// runnable: starved is not deadlocked.
    fn idle_for(&mut self, now: Instant) -> Duration {
        if now >= self.next_read {
            self.next_read = now + Duration::from_millis(100);
            if let Some(ticks) = cpu_ticks(self.pid) {
                match self.last {
                    Some((last, _)) if last == ticks && !any_thread_runnable(self.pid) => {}
                    _ => self.last = Some((ticks, now)),
                }
            }
        }
        self.last
            .map_or(Duration::ZERO, |(_, since)| now.duration_since(since))
    }
}

/// The fields of a `/proc/.../stat` line after the command name (which is in parentheses and
/// may hold spaces): the state is the first, utime the 12th and stime the 13th.
fn stat_fields(path: &str) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(path).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    Some(after_name.split_whitespace().map(str::to_string).collect())
}

/// The CPU time (user and system, in clock ticks) of process `pid` and all its threads.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let fields = stat_fields(&format!("/proc/{pid}/stat"))?;
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// Whether any thread of process `pid` is running or waiting for a processor (state `R`). When
/// that cannot be read, the answer is yes: never stop a process on a guess.
fn any_thread_runnable(pid: u32) -> bool {
    let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return true;
    };
    threads.filter_map(Result::ok).any(|thread| {
        let path = thread.path().join("stat");
        stat_fields(&path.to_string_lossy())
            .is_none_or(|fields| fields.first().is_none_or(|state| state == "R"))
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_word_in_the_list() {
        let statuses = [
            Status::Passed {
                evidence: String::new(),
            },
            Status::Failed(Failure::new("", "")),
            Status::NotStarted {
                todo: String::new(),
                location: None,
            },
            Status::TimedOut {
                limit: Duration::ZERO,
                idle: None,
            },
            Status::OutOfMemory { ceiling: 0 },
            Status::Crashed {
                detail: String::new(),
            },
        ];
        let words: Vec<&str> = statuses.iter().map(Status::word).collect();
        assert_eq!(words, Status::WORDS);
    }
}
