//! Whose pools are graded: the student's exercises, the reference solutions, or one of the
//! grader's broken fixtures. Everything implementation-specific the grader knows is here.

use crate::fixtures::{self, Flaw};
use anyhow::{bail, Result};
use pool_checks::strategy::{analyse, Figures, Strategy};
use pool_checks::workloads::Workload;
use pool_checks::Failure;
use pool_checks::{CheckInfo, Outcome, Workshop};

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
            Subject::Fixture(_) => "grader/src/fixtures.rs".into(),
            _ => format!("{}/src/{}", self.crate_dir(), check.file),
        }
    }

    /// Runs the check `id` in this process; `None` if there is no such check.
    pub fn run(&self, id: &str) -> Option<Outcome> {
        match self {
            Subject::Exercises => run::<exercises::Workshop>(&exercises::Workshop, id),
            Subject::Solutions => run::<solutions::Workshop>(&solutions::Workshop, id),
            Subject::Fixture(flaw) => run(&fixtures::Workshop::new(*flaw), id),
        }
    }
}

impl Subject {
    /// Measures `strategy` on `workload` in this process (Task 3's table).
    pub fn analyse(&self, strategy: Strategy, workload: Workload) -> Result<Figures, Failure> {
        match self {
            Subject::Exercises => analyse(&exercises::Workshop, strategy, workload),
            Subject::Solutions => analyse(&solutions::Workshop, strategy, workload),
            Subject::Fixture(flaw) => analyse(&fixtures::Workshop::new(*flaw), strategy, workload),
        }
    }
}

fn run<W: Workshop>(workshop: &W, id: &str) -> Option<Outcome> {
    let check = pool_checks::checks::<W>()
        .into_iter()
        .find(|check| check.info.id == id)?;
    Some((check.run)(workshop))
}

#[cfg(test)]
mod tests {
    use pool_checks::CATALOGUE;

    #[test]
    fn the_catalogue_and_the_check_functions_match_one_to_one() {
        let registered = pool_checks::registered::<solutions::Workshop>();
        for info in CATALOGUE {
            let functions = registered.iter().filter(|(id, _)| *id == info.id).count();
            assert_eq!(functions, 1, "{} has {functions} check functions", info.id);
        }
        for (id, _) in &registered {
            let entries = CATALOGUE.iter().filter(|info| info.id == *id).count();
            assert_eq!(
                entries, 1,
                "the function registered as {id} has {entries} entries"
            );
        }
    }

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
