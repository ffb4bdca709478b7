//! What a graded check is: a function that proves one property of a pool, registered under its
//! id in the [`catalogue`](crate::catalogue), with the words a student reads when it fails.

use crate::catalogue::CheckInfo;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A check bound to one implementation `W` of the tasks (the student's, the reference, a fixture).
pub struct Check<W> {
    /// Its description, from the catalogue.
    pub info: CheckInfo,
    /// Runs it. Called in a process of its own, with the counting allocator installed.
    pub run: CheckFn<W>,
}

// Manual impls: `W` is only a type parameter of the fn pointer, it need not be Clone itself.
impl<W> Clone for Check<W> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<W> Copy for Check<W> {}

/// The function that runs a check on an implementation `W`.
pub type CheckFn<W> = fn(&W) -> Outcome;

/// A check function under the id of its catalogue entry: what each pool's module registers.
pub type Registration<W> = (&'static str, CheckFn<W>);

/// What a check returns: on success, what it observed; on failure, what it expected and what it
/// saw.
pub type Outcome = Result<Evidence, Failure>;

/// What a passing check observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// A short line of measured evidence, for the report.
    pub text: String,
    /// The figures behind the exercise's success criteria, for a criteria check.
    pub figures: Option<CriteriaFigures>,
}

/// What a criteria check measured on the packet server, as data (the checklist shows it; no
/// report parses a figure out of prose).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CriteriaFigures {
    /// 1 - pooled / unpooled allocator calls per message (0.8 is "80% fewer").
    pub fewer_allocations: f64,
    /// The median throughput ratio over the unpooled baseline (2.0 is "2x").
    pub throughput: f64,
}

/// A check passed with `text` as its evidence and no figures.
pub fn passed(text: impl Into<String>) -> Outcome {
    Ok(Evidence {
        text: text.into(),
        figures: None,
    })
}

/// A failed expectation, in words a student can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// What a correct pool does.
    pub expected: String,
    /// What this pool did.
    pub seen: String,
    /// What to look at for what was seen, where a check catches more than one mistake and the
    /// catalogue's hint speaks of another one; `None` keeps the catalogue's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Failure {
    /// A failure with what was expected and what was seen.
    pub fn new(expected: impl Into<String>, seen: impl Into<String>) -> Self {
        Failure {
            expected: expected.into(),
            seen: seen.into(),
            hint: None,
        }
    }

    /// The same failure, with a hint for what was seen in place of the catalogue's.
    pub fn with_hint(self, hint: impl Into<String>) -> Self {
        Failure {
            hint: Some(hint.into()),
            ..self
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

/// What runs for a catalogue entry that no module registered a function for: it fails, and says
/// so, rather than panic. The checks crate's own test proves it never runs.
pub fn unregistered<W>(_: &W) -> Outcome {
    Err(Failure::new(
        "a check function registered under this check's id",
        "none: the catalogue and the checks' modules disagree (a bug in the grader, not in your \
         pool)",
    ))
}
