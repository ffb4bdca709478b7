//! Whose pools are graded: the student's exercises, the reference solutions, or one of the
//! grader's broken fixtures. The grader links none of them: it builds the subject's runner
//! (`build`) and starts it for each check.

use anyhow::{bail, Result};
use grader_runner::fixture_table::Flaw;
use pool_checks::CheckInfo;

/// An implementation of the workshop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The student's `exercises` crate.
    Exercises,
    /// The reference `solutions` crate.
    Solutions,
    /// A broken pool from the grader's own tests.
    Fixture(Flaw),
}

impl Subject {
    /// The fixture called `name`.
    pub fn fixture(name: &str) -> Result<Subject> {
        match Flaw::named(name) {
            Some(flaw) => Ok(Subject::Fixture(flaw)),
            None => bail!("no fixture called `{name}`; `--fixture list` names them"),
        }
    }

    /// How reports name it.
    pub fn name(&self) -> String {
        match self {
            Subject::Exercises => "exercises".into(),
            Subject::Solutions => "solutions".into(),
            Subject::Fixture(flaw) => format!("fixture {}", flaw.name()),
        }
    }

    /// The arguments that select it on the command line (passed on to child processes).
    pub fn args(&self) -> Vec<String> {
        match self {
            Subject::Exercises => vec![],
            Subject::Solutions => vec!["--solutions".into()],
            Subject::Fixture(flaw) => vec!["--fixture".into(), flaw.name().into()],
        }
    }

    /// The crate whose files a report points at (fixtures: the student's, for `TRADEOFFS.md`).
    pub fn crate_dir(&self) -> &'static str {
        match self {
            Subject::Solutions => "solutions",
            Subject::Exercises | Subject::Fixture(_) => "exercises",
        }
    }

    /// The file that holds the code a check grades: where a student looks when it fails.
    pub fn file_for(&self, check: &CheckInfo) -> String {
        match self {
            Subject::Fixture(_) => "grader/runners/fixtures/src/lib.rs".into(),
            Subject::Solutions => format!("solutions/src/{}", check.file),
            Subject::Exercises => crate::grading::task_files::exercise_path(check.file)
                .map_or_else(|| format!("exercises/{}", check.file), str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use pool_checks::CATALOGUE;

    #[test]
    fn ids_are_unique_and_tasks_in_syllabus_order() {
        let mut last_task = 0;
        for (index, info) in CATALOGUE.iter().enumerate() {
            assert!(
                info.task >= last_task,
                "{} comes after task {last_task}",
                info.id
            );
            last_task = info.task;
            assert!(
                CATALOGUE[..index].iter().all(|other| other.id != info.id),
                "{} twice",
                info.id
            );
        }
    }
}
