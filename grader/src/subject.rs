//! Whose pools are graded: the student's exercises, the reference solutions, or one of the
//! grader's broken fixtures. Everything implementation-specific the grader knows is here.

use crate::fixtures::{self, Flaw};
use anyhow::{bail, Result};
use pool_checks::task1::Task1;
use pool_checks::{CheckInfo, Outcome};

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
        match Flaw::ALL.iter().find(|flaw| flaw.name() == name) {
            Some(flaw) => Ok(Subject::Fixture(*flaw)),
            None => {
                let names: Vec<&str> = Flaw::ALL.iter().map(|flaw| flaw.name()).collect();
                bail!(
                    "no fixture called `{name}`; the fixtures are: {}",
                    names.join(", ")
                )
            }
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

    /// The file that holds its pool for `task`: where a student looks when a check fails.
    pub fn file_for_task(&self, task: u8) -> &'static str {
        match (self, task) {
            (Subject::Exercises, 1) => "exercises/src/task1_sync_pool.rs",
            (Subject::Solutions, 1) => "solutions/src/task1_sync_pool.rs",
            (Subject::Fixture(_), _) => "grader/src/fixtures.rs",
            (Subject::Exercises, _) => "exercises/src",
            (Subject::Solutions, _) => "solutions/src",
        }
    }

    /// Its checks, in syllabus order.
    pub fn checks(&self) -> Vec<CheckInfo> {
        match self {
            Subject::Exercises => infos::<exercises::Workshop>(),
            Subject::Solutions => infos::<solutions::Workshop>(),
            Subject::Fixture(_) => infos::<fixtures::Workshop>(),
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

fn infos<W: Task1>() -> Vec<CheckInfo> {
    pool_checks::checks::<W>()
        .iter()
        .map(|check| check.info)
        .collect()
}

fn run<W: Task1>(workshop: &W, id: &str) -> Option<Outcome> {
    let check = pool_checks::checks::<W>()
        .into_iter()
        .find(|check| check.info.id == id)?;
    Some((check.run)(workshop))
}
