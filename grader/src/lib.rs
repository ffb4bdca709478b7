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
pub mod export;
pub mod idle;
pub mod isolation;
pub mod json;
pub mod last_run;
pub mod reference;
pub mod report;
pub mod reset;
pub mod run;
pub mod status;
pub mod subject;
pub mod table;
pub mod timing_lock;
pub mod tradeoffs;
pub mod watch;

use anyhow::{bail, Context, Result};
use cli::{Command, Selection};
use pool_checks::{CheckInfo, CATALOGUE};
use std::process::ExitCode;

/// Does what the command line `args` (without the program name) asks.
pub fn run(args: impl IntoIterator<Item = String>) -> Result<ExitCode> {
    let command = match cli::parse(args) {
        Ok(command) => command?,
        // Help, the version, or a usage error, as clap words it (with a suggestion for a typo).
        Err(answer) => {
            let _ = answer.print();
            return Ok(ExitCode::from(if answer.use_stderr() { 2 } else { 0 }));
        }
    };
    match command {
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
        Command::ExportStudent { dir, figures } => {
            let figures = match figures {
                Some(path) => std::fs::read_to_string(&path)
                    .with_context(|| format!("Failed to read {}", path.display()))?,
                None => measure_reference()?,
            };
            let mut report: serde_json::Value = serde_json::from_str(&figures)
                .context("The reference's figures are not a JSON report")?;
            if report.get("recorded").is_none() {
                report["recorded"] = reference::recorded_note();
            }
            let figures = serde_json::to_string_pretty(&report)? + "\n";
            let written = export::export(&build::workspace(), &dir, &figures)?;
            println!(
                "Wrote the student edition, {} files, to {}.\nLeft out: {}.",
                written.len(),
                dir.display(),
                export::LEFT_OUT.join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::ListFixtures => {
            print!("{}", grader_runner::fixture_table::render_list());
            Ok(ExitCode::SUCCESS)
        }
        Command::Hint(Some(id)) => {
            let info = find_check(&id)?;
            print!(
                "{}",
                report::render_hint(subject::Subject::Exercises, &info)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Hint(None) => {
            let statuses = last_run::load();
            match last_run::next_to_explain(&statuses) {
                Some(info) => {
                    let why = match statuses.get(info.id) {
                        Some(status) => format!("the first check that did not pass ({status})"),
                        None => "the first check not graded yet".to_string(),
                    };
                    println!("Next, {why}; `hint ID` explains any other.\n");
                    print!(
                        "{}",
                        report::render_hint(subject::Subject::Exercises, &info)
                    );
                }
                None => println!("Every check passed in your last runs: nothing left to explain."),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::List(selection) => {
            let (tasks, checks) = select(&selection)?;
            print!(
                "{}",
                report::render_list(&tasks, &checks, &last_run::load())
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Grade(selection) => grade(&selection),
    }
}

/// The reference's whole JSON report, every task graded and Task 3 measured: what a student
/// edition records.
fn measure_reference() -> Result<String> {
    eprintln!("Grading the reference solutions, to record their figures (a minute or two)...");
    let selection = Selection {
        subject: subject::Subject::Solutions,
        task: None,
        check: None,
        json: true,
        compare: false,
    };
    let (tasks, checks) = select(&selection)?;
    let run = run::GradingRun::grade(&selection, tasks, &checks)?;
    if !run.all_passed() {
        bail!(
            "the reference passed {} of {} checks: fix it before recording its figures",
            run.passed(),
            run.results.len()
        );
    }
    Ok(json::render(&run))
}

/// Runs the selected checks and prints the report; success only if every one passed.
fn grade(selection: &Selection) -> Result<ExitCode> {
    let (tasks, checks) = select(selection)?;
    let run = run::GradingRun::grade(selection, tasks, &checks)?;
    last_run::save(&run);
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
