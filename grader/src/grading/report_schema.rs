//! The JSON report's schema: one set of types that `json` writes and that `class`, `watch`, the
//! recorded reference figures and the grader's tests read back. A field that changes meaning or
//! disappears bumps [`REPORT_VERSION`].

use grader_runner::protocol::MeasuredFigures;
use serde::{Deserialize, Serialize};

/// Bumped whenever a field changes meaning or disappears. 2: the ratios and peaks of
/// `analysis` are objects with named fields (and the rounds measured), not arrays.
pub const REPORT_VERSION: u32 = 2;

/// One run's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_VERSION`] when written.
    pub report_version: u32,
    /// Whose pools: `exercises`, `solutions` or `fixture NAME`.
    pub subject: String,
    /// Checks passed.
    pub passed: usize,
    /// Checks run.
    pub total: usize,
    /// Whether every check run passed.
    pub all_passed: bool,
    /// The tasks run, in order, with their checks.
    pub tasks: Vec<TaskReport>,
    /// Task 3's table: every strategy on every workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Vec<AnalysisRow>>,
    /// The same table for the reference (`--compare`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_analysis: Option<Vec<AnalysisRow>>,
    /// When and on what the reference's figures were recorded (a student edition's `--compare`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_recorded: Option<String>,
    /// The exercise's success criteria, with figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_criteria: Option<Vec<CriterionReport>>,
    /// In a student edition's recorded reference figures: when and on what they were measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded: Option<Recorded>,
}

/// One task of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskReport {
    /// Its number.
    pub task: u8,
    /// Its title.
    pub title: String,
    /// Its checks, in catalogue order.
    pub checks: Vec<CheckReport>,
}

/// One check of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    /// Its id.
    pub id: String,
    /// What it proves.
    pub title: String,
    /// Its status word (`passed`, `failed`, `not started`, `does not compile`, ...).
    pub status: String,
    /// Wall-clock seconds of the check's process.
    pub seconds: f64,
    /// What a passed check measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// What a failed check expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What it saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<String>,
    /// A failure's own hint, where it differs from the catalogue's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// `file:line:column`: the `todo!()` reached, or the compile error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The file to edit.
    pub file: String,
}

/// One cell of Task 3's table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisRow {
    /// The strategy (`sync`, `fixed`, `class`, `adaptive`, `prod`).
    pub strategy: String,
    /// The workload (`packet-server`, `framing`, `small-buffers`, `bursts`, `pipeline`).
    pub workload: String,
    /// The figures, when the measurement ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<MeasuredFigures>,
    /// Why there are no figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

/// One of the exercise's success criteria.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionReport {
    /// What it asks.
    pub criterion: String,
    /// Whether it is met; `None` where a person grades it (the trade-offs).
    pub met: Option<bool>,
    /// The figures behind it.
    pub detail: String,
}

/// When and on what recorded figures were measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    /// The date, `YYYY-MM-DD` (UTC).
    pub at: String,
    /// The machine: system, architecture, processors.
    pub machine: String,
}

impl Report {
    /// Every check of the report, task by task.
    pub fn checks(&self) -> impl Iterator<Item = &CheckReport> {
        self.tasks.iter().flat_map(|task| task.checks.iter())
    }
}
