//! The workshop's grader: runs every check against a student's pools (or the reference, or a
//! broken fixture), each check in a child process of its own with a time limit, and reports.
//!
//! `cargo run -p grader` grades `exercises`; `--solutions` grades the reference; `--help` lists
//! the rest. The grader links no pool: it builds the subject's runner ([`build`]: for the
//! exercises, with the tasks that compile) and starts it for each request (run a check, or
//! measure a cell of Task 3's table); the runner answers with one message line
//! (`grader_runner`). So a student's file that does not compile breaks no command.
//!
//! - [`cli`]: the command line; [`run`]: one grading run as data, which [`report`] (text) and
//!   [`json`] render.
//! - [`build`] (the runners), [`isolation`] (one child process per check), [`idle`] (telling a
//!   deadlock from a slow pool), [`status`] (how a check ended), [`timing_lock`] (one timer on
//!   the machine at a time).
//! - [`table`] and [`checklist`]: Task 3's table and the exercise's checklist; [`tradeoffs`].
//! - [`subject`]: whose pools (the fixtures' table is `grader_runner::fixture_table`).
//! - [`watch`]: re-grading on every save; [`reset`]: putting a task's files back as shipped; [`class`] and [`class_html`]: many
//!   students' reports in one table.

pub mod build;
pub mod checklist;
pub mod class;
pub mod class_html;
pub mod cli;
pub mod idle;
pub mod isolation;
pub mod json;
pub mod report;
pub mod reset;
pub mod run;
pub mod status;
pub mod subject;
pub mod table;
pub mod timing_lock;
pub mod tradeoffs;
pub mod watch;

use anyhow::{bail, Result};
use cli::{Command, Selection};
use pool_checks::{CheckInfo, CATALOGUE};
use std::process::ExitCode;

/// Does what the command line `args` (without the program name) asks.
pub fn run(args: impl IntoIterator<Item = String>) -> Result<ExitCode> {
    match cli::parse(args)? {
        Command::Class { paths, csv, html } => {
            let class = class::read(&class::report_files(&paths)?);
            print!("{}", class::render_text(&class));
            if let Some(path) = csv {
                class::write_file(&path, &class::render_csv(&class))?;
            }
            if let Some(path) = html {
                class::write_file(&path, &class_html::render(&class))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Watch(options) => watch::watch(&options),
        Command::Reset(request) => {
            let stdin = std::io::stdin();
            reset::reset(&request, &mut stdin.lock(), &mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Help => {
            println!("{}", cli::USAGE);
            Ok(ExitCode::SUCCESS)
        }
        Command::ListFixtures => {
            print!("{}", grader_runner::fixture_table::render_list());
            Ok(ExitCode::SUCCESS)
        }
        Command::Hint(id) => {
            let info = find_check(&id)?;
            print!(
                "{}",
                report::render_hint(subject::Subject::Exercises, &info)
            );
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
    let run = run::GradingRun::grade(selection, tasks, &checks)?;
    if selection.json {
        print!("{}", json::render(&run));
    } else {
        print!("{}", report::render(&run, report::Style::detect()));
    }
    Ok(if run.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The tasks and checks a selection names.
fn select(selection: &Selection) -> Result<(Vec<u8>, Vec<CheckInfo>)> {
    if let Some(id) = &selection.check {
        let info = find_check(id)?;
        return Ok((vec![info.task], vec![info]));
    }
    let tasks: Vec<u8> = match selection.task {
        Some(task) => vec![task],
        None => pool_checks::TASKS.iter().map(|task| task.number).collect(),
    };
    let checks = CATALOGUE
        .iter()
        .filter(|info| tasks.contains(&info.task))
        .copied()
        .collect();
    Ok((tasks, checks))
}

fn find_check(id: &str) -> Result<CheckInfo> {
    match CATALOGUE.iter().find(|info| info.id == id) {
        Some(info) => Ok(*info),
        None => {
            bail!("there is no check called `{id}`; `cargo run -p grader -- --list` lists them")
        }
    }
}
