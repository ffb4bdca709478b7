//! How a check ended, in the words reports use: one type for one result, from the child's
//! message (or its silence) to the report.

use crate::grading::build::CompileError;
use pool_checks::{CheckInfo, Evidence, Failure};
use std::time::Duration;

/// How a check ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// It passed, with what it measured.
    Passed(Evidence),
    /// It ran and found the pool wrong.
    Failed(Failure),
    /// It reached a `todo!()`: the code it needs is not written yet.
    NotStarted {
        /// The `todo!()`'s message.
        todo: String,
        /// Where it is.
        location: Option<String>,
    },
    /// It was killed: past its time limit (an endless loop, or anything too slow), or earlier,
    /// after `idle` without using any CPU time (a deadlock: every thread blocked for good).
    TimedOut {
        /// Its time limit.
        limit: Duration,
        /// How long it used no CPU time, if that is why it was stopped.
        idle: Option<Duration>,
    },
    /// It reached the memory ceiling of a check's process and could not allocate.
    OutOfMemory {
        /// The ceiling, in bytes.
        ceiling: u64,
    },
    /// It panicked, aborted or was killed by a signal.
    Crashed {
        /// What happened, in a student's words.
        detail: String,
    },
    /// It could not run: a task's crate it needs does not compile (its own task's, or another's
    /// pool, for a Task 3 criterion).
    DoesNotCompile(CompileError),
}

impl Status {
    /// Every word [`Status::word`] gives, in the order reports count them.
    pub const WORDS: [&'static str; 7] = [
        "passed",
        "failed",
        "not started",
        "timed out",
        "out of memory",
        "crashed",
        "does not compile",
    ];

    /// The word reports use for it.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Passed(_) => "passed",
            Status::Failed(_) => "failed",
            Status::NotStarted { .. } => "not started",
            Status::TimedOut { .. } => "timed out",
            Status::OutOfMemory { .. } => "out of memory",
            Status::Crashed { .. } => "crashed",
            Status::DoesNotCompile(_) => "does not compile",
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
            Status::DoesNotCompile(error) => Some(format!(
                "task {}'s crate does not compile, so this check could not run: {} at {}",
                error.task,
                error.message,
                error.location()
            )),
            Status::Passed(_) | Status::NotStarted { .. } => None,
        }
    }

    /// Whether it passed.
    pub fn passed(&self) -> bool {
        matches!(self, Status::Passed(_))
    }

    /// Whether the check never finished (stopped, out of memory, or crashed), so that nothing it
    /// measures can be trusted either.
    pub fn unfinished(&self) -> bool {
        matches!(
            self,
            Status::TimedOut { .. }
                | Status::OutOfMemory { .. }
                | Status::Crashed { .. }
                | Status::DoesNotCompile(_)
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_word_in_the_list() {
        let statuses = [
            Status::Passed(Evidence {
                text: String::new(),
                figures: None,
            }),
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
            Status::DoesNotCompile(CompileError {
                task: 1,
                file: String::new(),
                line: 1,
                column: 1,
                message: String::new(),
                rendered: String::new(),
            }),
        ];
        let words: Vec<&str> = statuses.iter().map(Status::word).collect();
        assert_eq!(words, Status::WORDS);
    }
}
