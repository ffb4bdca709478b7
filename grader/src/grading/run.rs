//! One grading run, as data: the checks' results and, for a run of whole tasks that includes
//! Task 3, the performance table and the exercise's checklist. Both renderers (the text report
//! and `--json`) draw from it and from nothing else.

use crate::grading::analysis::{self, Row};
use crate::grading::status::CheckResult;
use crate::grading::subject::Subject;
use crate::grading::success_criteria::{success_criteria, Criterion};
use anyhow::Result;
use pool_checks::CheckInfo;

/// Which implementation and which checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Whose pools are graded.
    pub subject: Subject,
    /// Only this task's checks.
    pub task: Option<u8>,
    /// Only this check.
    pub check: Option<String>,
    /// Print one JSON report instead of text.
    pub json: bool,
    /// Also measure the reference and show its figures beside the subject's.
    pub compare: bool,
}

/// Everything one run of the grader found.
pub struct GradingRun {
    /// Whose pools were graded.
    pub subject: Subject,
    /// The task numbers selected, in order.
    pub tasks: Vec<u8>,
    /// Every selected check's result, in catalogue order.
    pub results: Vec<CheckResult>,
    /// Task 3's table: every strategy on every workload.
    pub analysis: Option<Vec<Row>>,
    /// The same table for the reference solutions (`--compare`).
    pub reference_analysis: Option<Vec<Row>>,
    /// When and on what the reference's figures were recorded, if they were not measured now
    /// (a student edition has no solutions to measure).
    pub reference_recorded: Option<String>,
    /// The exercise's success criteria, with figures.
    pub success_criteria: Option<Vec<Criterion>>,
}

impl GradingRun {
    /// Runs `checks` (of `tasks`) as `selection` asks, then the table and the checklist when a
    /// whole Task 3 was selected.
    pub fn grade(selection: &Selection, tasks: Vec<u8>, checks: &[CheckInfo]) -> Result<Self> {
        let subject = selection.subject;
        // Checks are separate processes: run twice as many at once as there are cores, so that
        // a check blocked in a deadlock (until the grader notices) does not hold a core's turn.
        // The timed ones run alone afterwards.
        let jobs = 2 * std::thread::available_parallelism().map_or(2, |cores| cores.get());
        let runner = crate::grading::build::runner(subject)?;
        let results = crate::grading::isolation::run_all(&runner, checks, jobs)?;
        // Task 3's table and checklist come with a run of whole tasks, not of a single check.
        let whole_task_3 = tasks.contains(&3) && selection.check.is_none();
        let analysis = match whole_task_3 {
            true => Some(analysis::measure(&runner, &results)?),
            false => None,
        };
        let reference = match whole_task_3 && selection.compare {
            true => Some(crate::grading::reference::figures()?),
            false => None,
        };
        let reference_recorded = reference.as_ref().and_then(|r| r.recorded.clone());
        let reference_analysis = reference.map(|reference| reference.rows);
        let success_criteria = whole_task_3.then(|| {
            success_criteria(
                &results,
                &crate::grading::tradeoffs::file_of(subject.crate_dir()),
            )
        });
        Ok(GradingRun {
            subject,
            tasks,
            results,
            analysis,
            reference_analysis,
            reference_recorded,
            success_criteria,
        })
    }

    /// How many checks passed.
    pub fn passed(&self) -> usize {
        self.results
            .iter()
            .filter(|result| result.status.passed())
            .count()
    }

    /// Whether every selected check passed.
    pub fn all_passed(&self) -> bool {
        self.passed() == self.results.len()
    }
}
