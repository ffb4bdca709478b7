//! The machine-readable report (`--json`): one JSON document per run, for instructors who
//! collect results from many students.

use crate::grading::analysis::Row;
use crate::grading::run::GradingRun;
use crate::grading::status::{CheckResult, Status};
use crate::grading::subject::Subject;
use crate::grading::success_criteria::Criterion;
use serde::Serialize;

/// Bumped whenever a field changes meaning or disappears. 2: the ratios and peaks of
/// `analysis` are objects with named fields (and the rounds measured), not arrays.
pub const REPORT_VERSION: u32 = 2;

#[derive(Serialize)]
struct Report<'a> {
    report_version: u32,
    subject: String,
    passed: usize,
    total: usize,
    all_passed: bool,
    tasks: Vec<TaskReport<'a>>,
    /// Every strategy on every workload.
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis: Option<&'a [Row]>,
    /// The same, for the reference solutions.
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_analysis: Option<&'a [Row]>,
    /// When and on what the reference's figures were recorded (a student edition's `--compare`).
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_recorded: Option<&'a str>,
    /// The exercise's success criteria, with figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    success_criteria: Option<&'a [Criterion]>,
}

#[derive(Serialize)]
struct TaskReport<'a> {
    task: u8,
    title: &'static str,
    checks: Vec<CheckReport<'a>>,
}

#[derive(Serialize)]
struct CheckReport<'a> {
    id: &'static str,
    title: &'static str,
    status: &'static str,
    /// Wall-clock seconds of the check's process.
    seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seen: Option<String>,
    /// A failure's own hint, where it differs from the catalogue's.
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    file: String,
}

/// Renders the JSON report of a grading run.
pub fn render(run: &GradingRun) -> String {
    let report = Report {
        report_version: REPORT_VERSION,
        subject: run.subject.name(),
        passed: run.passed(),
        total: run.results.len(),
        all_passed: run.all_passed(),
        tasks: pool_checks::TASKS
            .iter()
            .filter(|task| run.tasks.contains(&task.number))
            .map(|task| TaskReport {
                task: task.number,
                title: task.title,
                checks: run
                    .results
                    .iter()
                    .filter(|r| r.info.task == task.number)
                    .map(|r| check_report(run.subject, r))
                    .collect(),
            })
            .collect(),
        analysis: run.analysis.as_deref(),
        reference_analysis: run.reference_analysis.as_deref(),
        reference_recorded: run.reference_recorded.as_deref(),
        success_criteria: run.success_criteria.as_deref(),
    };
    serde_json::to_string_pretty(&report).expect("the report is plain data") + "\n"
}

fn check_report(subject: Subject, result: &CheckResult) -> CheckReport<'_> {
    let mut report = CheckReport {
        id: result.info.id,
        title: result.info.title,
        status: result.status.word(),
        seconds: (result.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        evidence: None,
        expected: None,
        seen: None,
        hint: None,
        location: None,
        file: subject.file_for(&result.info),
    };
    report.seen = result.status.seen();
    match &result.status {
        Status::Passed(evidence) => report.evidence = Some(&evidence.text),
        Status::Failed(failure) => {
            report.expected = Some(&failure.expected);
            report.hint = failure.hint.as_deref();
        }
        Status::NotStarted { todo, location } => {
            report.seen = Some(todo.clone());
            report.location = location.clone();
        }
        Status::DoesNotCompile(error) => {
            report.location = Some(error.location());
            report.file = error.file.clone();
        }
        Status::TimedOut { .. } | Status::OutOfMemory { .. } | Status::Crashed { .. } => {}
    }
    report
}
