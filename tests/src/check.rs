//! What a graded check is: a function that proves one property of a pool, with the words a
//! student reads when it fails.

use std::fmt;
use std::time::Duration;

/// One workshop task, as the grader lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskInfo {
    /// 1 to 4.
    pub number: u8,
    /// The task's name.
    pub title: &'static str,
    /// What the student builds, in one line.
    pub summary: &'static str,
}

/// The workshop's four tasks, in order.
pub const TASKS: [TaskInfo; 4] = [
    TaskInfo {
        number: 1,
        title: "The standard pool, done right",
        summary: "a sync.Pool for Rust: per-thread cache, factory, reset, capacity cap, warming, collection",
    },
    TaskInfo {
        number: 2,
        title: "Custom buffer pools",
        summary: "fixed-size, size-class and adaptive pools",
    },
    TaskInfo {
        number: 3,
        title: "Pool performance analysis",
        summary: "counting allocations, robust throughput ratios, benchmarks, trade-offs",
    },
    TaskInfo {
        number: 4,
        title: "Production pool design",
        summary: "configuration, metrics, graceful degradation, leak reports",
    },
];

/// The static description of a check: everything the grader prints about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    /// Stable identifier, e.g. `sync-reuse`; used by `--check ID` and `hint ID`.
    pub id: &'static str,
    /// The task it grades (1 to 4).
    pub task: u8,
    /// What it proves, as a short sentence.
    pub title: &'static str,
    /// Why the property matters in a real program.
    pub why: &'static str,
    /// What to look at when it fails.
    pub hint: &'static str,
    /// The broken pool it exists to catch (the grader's own tests keep one as a fixture).
    pub catches: &'static str,
    /// How long the check may run before it counts as timed out.
    pub time_limit: Duration,
    /// Whether it needs the machine to itself (it measures time): the grader then runs it alone,
    /// after the others.
    pub exclusive: bool,
}

/// A check bound to one implementation `W` of the tasks (the student's, the reference, a fixture).
pub struct Check<W> {
    /// Its description.
    pub info: CheckInfo,
    /// Runs it. Called in a process of its own, with the counting allocator installed.
    pub run: fn(&W) -> Outcome,
}

// Manual impls: `W` is only a type parameter of the fn pointer, it need not be Clone itself.
impl<W> Clone for Check<W> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<W> Copy for Check<W> {}

/// What a check returns: on success, what it observed (a short line of measured evidence); on
/// failure, what it expected and what it saw.
pub type Outcome = Result<String, Failure>;

/// A failed expectation, in words a student can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What a correct pool does.
    pub expected: String,
    /// What this pool did.
    pub seen: String,
}

impl Failure {
    /// A failure with what was expected and what was seen.
    pub fn new(expected: impl Into<String>, seen: impl Into<String>) -> Self {
        Failure {
            expected: expected.into(),
            seen: seen.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}; seen {}", self.expected, self.seen)
    }
}

/// Fails with `expected`/`seen` unless `condition` holds. The messages are built only on failure.
pub fn ensure(
    condition: bool,
    expected: impl FnOnce() -> String,
    seen: impl FnOnce() -> String,
) -> Result<(), Failure> {
    if condition {
        Ok(())
    } else {
        Err(Failure::new(expected(), seen()))
    }
}
