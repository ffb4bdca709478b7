//! The workshop's grader: runs every check against a student's pools (or the reference, or a
//! broken fixture), each check in a child process of its own with a time limit, and reports.
//!
//! `cargo run -p grader` grades `exercises`; `--solutions` grades the reference; `--help` lists
//! the rest. The parent process only spawns and reports; each child (`__run-check ID`) runs one
//! check with the counting allocator installed and prints one tagged JSON line.

mod analysis;
mod child;
mod cli;
mod fixtures;
mod isolation;
mod json;
mod report;
mod subject;
mod timing_lock;
mod tradeoffs;

use anyhow::{bail, Result};
use cli::{Command, Selection};
use pool_checks::CheckInfo;
use std::process::ExitCode;

/// Every check process counts allocator calls: the checks trust the allocator, not the pool.
#[global_allocator]
static GLOBAL: pool_checks::counting::SwitchableCounting =
    pool_checks::counting::SwitchableCounting;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    match cli::parse(std::env::args().skip(1))? {
        Command::RunCheck { subject, id } => Ok(child::run_check(subject, &id)),
        Command::Measure {
            subject,
            strategy,
            workload,
        } => Ok(child::run_measure(subject, strategy, workload)),
        Command::Help => {
            println!("{}", cli::USAGE);
            Ok(ExitCode::SUCCESS)
        }
        Command::ListFixtures => {
            for flaw in fixtures::Flaw::all() {
                println!("{:<22} {}", flaw.name(), flaw.description());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Hint(id) => {
            let subject = subject::Subject::Exercises;
            let info = find_check(&subject.checks(), &id)?;
            print!("{}", report::render_hint(subject, &info));
            Ok(ExitCode::SUCCESS)
        }
        Command::List(selection) => {
            let (tasks, checks) = select(&selection)?;
            print!("{}", report::render_list(&tasks, &checks));
            Ok(ExitCode::SUCCESS)
        }
        Command::Grade(selection) => grade(&selection),
    }
}

/// Runs the selected checks and prints the report; success only if every one passed.
fn grade(selection: &Selection) -> Result<ExitCode> {
    let (tasks, checks) = select(selection)?;
    let subject = selection.subject;
    // Checks are separate processes: run twice as many at once as there are cores, so that a
    // check blocked in a deadlock (until the grader notices) does not hold a core's turn. The
    // exclusive ones, which measure time, run alone afterwards.
    let jobs = 2 * std::thread::available_parallelism().map_or(2, |cores| cores.get());
    let results = isolation::run_all(subject, &checks, jobs)?;
    // Task 3's table and checklist come with a run of whole tasks, not of a single check.
    let whole_task_3 = tasks.contains(&3) && selection.check.is_none();
    let extras = json::Extras {
        analysis: if whole_task_3 {
            Some(analysis::measure(subject, &results)?)
        } else {
            None
        },
        reference_analysis: if whole_task_3 && selection.compare {
            Some(analysis::measure(subject::Subject::Solutions, &[])?)
        } else {
            None
        },
        success_criteria: whole_task_3.then(|| {
            analysis::success_criteria(&results, &tradeoffs::file_of(subject.crate_dir()))
        }),
    };
    if selection.json {
        print!("{}", json::render(subject, &tasks, &results, &extras));
    } else {
        print!(
            "{}",
            report::render(subject, &tasks, &results, report::Style::detect())
        );
        if let Some(rows) = &extras.analysis {
            println!();
            print!(
                "{}",
                analysis::render_table(rows, extras.reference_analysis.as_deref())
            );
        }
        if let Some(criteria) = &extras.success_criteria {
            println!();
            print!("{}", analysis::render_criteria(criteria));
        }
    }
    let all_passed = results.iter().all(|result| result.status.passed());
    Ok(if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The tasks and checks a selection names.
fn select(selection: &Selection) -> Result<(Vec<u8>, Vec<CheckInfo>)> {
    let all = selection.subject.checks();
    if let Some(id) = &selection.check {
        let info = find_check(&all, id)?;
        return Ok((vec![info.task], vec![info]));
    }
    let tasks: Vec<u8> = match selection.task {
        Some(task) => vec![task],
        None => pool_checks::TASKS.iter().map(|task| task.number).collect(),
    };
    let checks = all
        .into_iter()
        .filter(|info| tasks.contains(&info.task))
        .collect();
    Ok((tasks, checks))
}

fn find_check(checks: &[CheckInfo], id: &str) -> Result<CheckInfo> {
    match checks.iter().find(|info| info.id == id) {
        Some(info) => Ok(*info),
        None => {
            bail!("there is no check called `{id}`; `cargo run -p grader -- --list` lists them")
        }
    }
}
