//! What the last runs on the student's exercises found, kept under `target/grader/` so that
//! `--list` shows each check's last status and `hint` with no id knows the next check to explain.
//! A run of one task or one check updates its own checks and keeps the others'.

use crate::grading::run::GradingRun;
use crate::grading::subject::Subject;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Each check's status word in the last run that graded it.
pub type Statuses = BTreeMap<String, String>;

/// Where the statuses are kept: `target/grader/last-statuses.json`, or the file
/// `GRADER_LAST_RUN` names (the grader's tests give each run a file of its own).
pub fn path() -> PathBuf {
    match std::env::var_os("GRADER_LAST_RUN") {
        Some(file) => PathBuf::from(file),
        None => crate::grading::build::workspace().join("target/grader/last-statuses.json"),
    }
}

/// The statuses kept so far (none if no run was kept, or the file is unreadable).
pub fn load() -> Statuses {
    std::fs::read_to_string(path())
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Keeps the statuses of `run` (the student's exercises only), over the ones kept before. A
/// failure to write is reported on standard error and changes nothing else.
pub fn save(run: &GradingRun) {
    if run.subject != Subject::Exercises {
        return;
    }
    let mut statuses = load();
    for result in &run.results {
        statuses.insert(result.info.id.to_string(), result.status.word().to_string());
    }
    let written = serde_json::to_string_pretty(&statuses)
        .map_err(std::io::Error::other)
        .and_then(|text| {
            let path = path();
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder)?;
            }
            std::fs::write(path, text)
        });
    if let Err(error) = written {
        eprintln!("note: could not keep this run's statuses for `--list` and `hint`: {error}");
    }
}

/// The first check, in the workshop's order, that did not pass in the last run that graded it
/// (or was never graded); `None` if every check passed.
pub fn next_to_explain(statuses: &Statuses) -> Option<pool_checks::CheckInfo> {
    pool_checks::CATALOGUE
        .iter()
        .find(|info| statuses.get(info.id).map(String::as_str) != Some("passed"))
        .copied()
}
