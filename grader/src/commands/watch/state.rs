//! What the watcher knows of each task: its latest grading, read from the grading child's JSON
//! report, and how the progress line shows it.

use serde_json::Value;

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

/// A task's state from its grading child's JSON report.
pub fn state_of(task: u8, stdout: &str, stderr: &str) -> TaskState {
    let Ok(report) = serde_json::from_str::<Value>(stdout) else {
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
    let checks: Vec<&Value> = report["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|task| task["checks"].as_array().into_iter().flatten())
        .collect();
    let failing = checks
        .iter()
        .filter(|check| check["status"] != "passed")
        .map(|check| {
            let text = |key: &str| check[key].as_str().unwrap_or_default().to_string();
            let seen = match check["seen"].as_str() {
                Some(seen) => seen.to_string(),
                None => format!("reaches a todo!() at {}", text("location")),
            };
            (text("id"), text("status"), seen)
        })
        .collect::<Vec<_>>();
    TaskState {
        graded: true,
        passed: checks.len() - failing.len(),
        total: checks.len(),
        failing,
        trouble: None,
    }
}
