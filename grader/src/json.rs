//! The machine-readable report (`--json`): one JSON document per run, for instructors who
//! collect results from many students.

use crate::analysis::{Criterion, Row};
use crate::isolation::{CheckResult, Status};
use crate::subject::Subject;
use serde::Serialize;

/// Bumped whenever a field changes meaning or disappears.
const REPORT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    report_version: u32,
    subject: String,
    passed: usize,
    total: usize,
    all_passed: bool,
    tasks: Vec<TaskReport<'a>>,
    #[serde(flatten)]
    extras: &'a Extras,
}

/// What a run of whole tasks adds to the checks: Task 3's table (the subject's, and the
/// reference's with `--compare`) and the exercise's checklist.
#[derive(Serialize, Default)]
pub struct Extras {
    /// Every strategy on every workload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analysis: Option<Vec<Row>>,
    /// The same, for the reference solutions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_analysis: Option<Vec<Row>>,
    /// The exercise's success criteria, with figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_criteria: Option<Vec<Criterion>>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a str>,
    file: String,
}

/// Renders the JSON report of a grading run over `tasks`.
pub fn render(subject: Subject, tasks: &[u8], results: &[CheckResult], extras: &Extras) -> String {
    let passed = results.iter().filter(|r| r.status.passed()).count();
    let report = Report {
        report_version: REPORT_VERSION,
        subject: subject.name(),
        passed,
        total: results.len(),
        all_passed: passed == results.len(),
        tasks: pool_checks::TASKS
            .iter()
            .filter(|task| tasks.contains(&task.number))
            .map(|task| TaskReport {
                task: task.number,
                title: task.title,
                checks: results
                    .iter()
                    .filter(|r| r.info.task == task.number)
                    .map(|r| check_report(subject, r))
                    .collect(),
            })
            .collect(),
        extras,
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
        location: None,
        file: subject.file_for(&result.info),
    };
    report.seen = result.status.seen();
    match &result.status {
        Status::Passed { evidence } => report.evidence = Some(evidence),
        Status::Failed(failure) => report.expected = Some(&failure.expected),
        Status::NotStarted { todo, location } => {
            report.seen = Some(todo.clone());
            report.location = location.as_deref();
        }
        Status::TimedOut { .. } | Status::OutOfMemory { .. } | Status::Crashed { .. } => {}
    }
    report
}
