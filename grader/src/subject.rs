//! Whose pools are graded: the student's exercises, the reference solutions, or one of the
//! grader's broken fixtures. Everything implementation-specific the grader knows is here.

use crate::fixtures::{self, Flaw};
use anyhow::{bail, Result};
use pool_checks::task1::Task1;
use pool_checks::task2::Task2;
use pool_checks::task3::{analyse, Figures, Strategy, Task3};
use pool_checks::task4::Task4;
use pool_checks::workloads::Workload;
use pool_checks::Failure;
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

    /// The file that holds the pool a check grades: where a student looks when it fails.
    pub fn file_for(&self, check: &CheckInfo) -> String {
        if let Subject::Fixture(_) = self {
            return "grader/src/fixtures.rs".into();
        }
        let crate_dir = self.crate_dir();
        // A check's id starts with the pool it grades (criteria checks: after `criteria-`).
        let pool = check.id.strip_prefix("criteria-").unwrap_or(check.id);
        let module = match pool.split('-').next() {
            Some("measure") => "task3_measure.rs",
            Some("sync") => "task1_sync_pool.rs",
            Some("fixed") => "task2_fixed_pool.rs",
            Some("class") => "task2_size_class_pool.rs",
            Some("adaptive") => "task2_adaptive_pool.rs",
            Some("prod") if pool.starts_with("prod-config") => "task4_config.rs",
            Some("prod") => "task4_production_pool.rs",
            _ => "lib.rs",
        };
        format!("{crate_dir}/src/{module}")
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

fn infos<W: Task1 + Task2 + Task3 + Task4>() -> Vec<CheckInfo> {
    pool_checks::checks::<W>()
        .iter()
        .map(|check| check.info)
        .collect()
}

fn run<W: Task1 + Task2 + Task3 + Task4>(workshop: &W, id: &str) -> Option<Outcome> {
    let check = pool_checks::checks::<W>()
        .into_iter()
        .find(|check| check.info.id == id)?;
    Some((check.run)(workshop))
}
