//! The machine-readable report (`--json`): one JSON document per run, for instructors who
//! collect results from many students. Its types are [`crate::grading::report_schema`]'s, which the
//! readers share.

use crate::grading::analysis::Row;
pub use crate::grading::report_schema::REPORT_VERSION;
use crate::grading::report_schema::{
    AnalysisRow, CheckReport, CriterionReport, Report, TaskReport,
};
use crate::grading::run::GradingRun;
use crate::grading::status::{CheckResult, Status};
use crate::grading::subject::Subject;

/// The report of a grading run, as data.
pub fn report(run: &GradingRun) -> Report {
    Report {
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
                title: task.title.to_string(),
                checks: run
                    .results
                    .iter()
                    .filter(|r| r.info.task == task.number)
                    .map(|r| check_report(run.subject, r))
                    .collect(),
            })
            .collect(),
        analysis: run.analysis.as_deref().map(analysis_rows),
        reference_analysis: run.reference_analysis.as_deref().map(analysis_rows),
        reference_recorded: run.reference_recorded.clone(),
        success_criteria: run.success_criteria.as_ref().map(|criteria| {
            criteria
                .iter()
                .map(|criterion| CriterionReport {
                    criterion: criterion.criterion.to_string(),
                    met: criterion.met,
                    detail: criterion.detail.clone(),
                })
                .collect()
        }),
        recorded: None,
    }
}

/// Renders the JSON report of a grading run.
pub fn render(run: &GradingRun) -> String {
    serde_json::to_string_pretty(&report(run)).expect("the report is plain data") + "\n"
}

fn analysis_rows(rows: &[Row]) -> Vec<AnalysisRow> {
    rows.iter()
        .map(|row| AnalysisRow {
            strategy: row.strategy.to_string(),
            workload: row.workload.to_string(),
            figures: row.figures.clone(),
            missing: row.missing.clone(),
        })
        .collect()
}

fn check_report(subject: Subject, result: &CheckResult) -> CheckReport {
    let mut report = CheckReport {
        id: result.info.id.to_string(),
        title: result.info.title.to_string(),
        status: result.status.word().to_string(),
        seconds: (result.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        evidence: None,
        expected: None,
        seen: result.status.seen(),
        hint: None,
        location: None,
        file: subject.file_for(&result.info),
    };
    match &result.status {
        Status::Passed(evidence) => report.evidence = Some(evidence.text.clone()),
        Status::Failed(failure) => {
            report.expected = Some(failure.expected.clone());
            report.hint = failure.hint.clone();
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
