//! What the watcher knows of each task: its latest grading, read from the grading child's JSON
//! report, and how the progress line shows it.

use crate::grading::report_schema::{CheckReport, Report};
use std::collections::BTreeMap;

/// One task's latest grading.
#[derive(Default, Clone)]
pub struct TaskState {
    /// Whether it has been graded yet.
    pub graded: bool,
    /// Checks passed.
    pub passed: usize,
    /// Checks graded.
    pub total: usize,
    /// Its checks that did not pass: (id, status, what was seen).
    pub failing: Vec<(String, String, String)>,
    /// Why there are no results (the code does not build, ...).
    pub trouble: Option<String>,
}

impl TaskState {
    /// A graded task of `total` checks, of which `failing` did not pass.
    fn graded(total: usize, failing: Vec<(String, String, String)>) -> Self {
        TaskState {
            graded: true,
            passed: total - failing.len(),
            total,
            failing,
            trouble: None,
        }
    }
}

/// A task's state from its grading child's JSON report.
pub fn state_of(task: u8, stdout: &str, stderr: &str) -> TaskState {
    let Ok(report) = serde_json::from_str::<Report>(stdout) else {
        let first_error = stderr
            .lines()
            .skip_while(|line| !line.starts_with("error"))
            .take(8)
            .collect::<Vec<_>>()
            .join("\n");
        let why = if first_error.is_empty() {
            stderr.trim().to_string()
        } else {
            first_error
        };
        return TaskState {
            graded: true,
            trouble: Some(format!("task {task} could not be graded:\n{why}")),
            ..TaskState::default()
        };
    };
    let checks: Vec<&CheckReport> = report.checks().collect();
    let failing = checks
        .iter()
        .filter(|check| check.status != "passed")
        .map(|check| {
            let seen = match &check.seen {
                Some(seen) => seen.clone(),
                None => format!(
                    "reaches a todo!() at {}",
                    check.location.as_deref().unwrap_or_default()
                ),
            };
            (check.id.clone(), check.status.clone(), seen)
        })
        .collect::<Vec<_>>();
    TaskState::graded(checks.len(), failing)
}

/// Task `task`'s state as the last runs left it (`last_run`'s statuses): where the student
/// stood, shown while the first grading runs. Ungraded if none of its checks was ever graded.
pub fn state_from_last(task: u8, statuses: &BTreeMap<String, String>) -> TaskState {
    let checks: Vec<&pool_checks::CheckInfo> = pool_checks::CATALOGUE
        .iter()
        .filter(|info| info.task == task)
        .collect();
    if !checks.iter().any(|info| statuses.contains_key(info.id)) {
        return TaskState::default();
    }
    let failing: Vec<(String, String, String)> = checks
        .iter()
        .filter_map(|info| {
            let status = statuses.get(info.id).map_or("not graded", String::as_str);
            (status != "passed").then(|| {
                (
                    info.id.to_string(),
                    status.to_string(),
                    "as of your last run".to_string(),
                )
            })
        })
        .collect();
    TaskState::graded(checks.len(), failing)
}
