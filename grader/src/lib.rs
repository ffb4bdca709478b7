//! The workshop's grader: runs every check against a student's pools (or the reference, or a
//! broken fixture), each check in a child process of its own with a time limit, and reports.
//!
//! `cargo run -p grader` grades `exercises`; `--solutions` grades the reference; `--help` lists
//! the rest. The grader links no pool: it builds the subject's runner ([`build`]: for the
//! exercises, with the tasks that compile) and starts it for each request (run a check, or
//! measure a cell of Task 3's table); the runner answers with one message line
//! (`grader_runner`). So a student's file that does not compile breaks no command.
//!
//! The modules come in three layers, each importing only from the ones below it:
//!
//! - [`commands`]: the command line ([`cli`]), [`watch`], [`reset`], [`export`].
//! - [`rendering`]: the text [`report`], the [`json`] report, the [`class`] report and its page.
//! - [`grading`]: whose pools, building their runner, running each check in a process of its
//!   own, Task 3's analysis, one grading run as data ([`run`]).

pub mod commands;
pub mod grading;
pub mod rendering;

use anyhow::{bail, Context, Result};
use commands::cli::{self, Command};
use commands::{export, reset, watch};
use grading::last_run;
use grading::{build, reference, run, subject};
use pool_checks::{CheckInfo, CATALOGUE};
use rendering::{class, class_html, json, report};
use run::Selection;
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
            let mut report: grading::report_schema::Report = serde_json::from_str(&figures)
                .context("The reference's figures are not a grader report")?;
            if report.recorded.is_none() {
                report.recorded = Some(reference::recorded_now());
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

#[cfg(test)]
mod layering {
    /// Every `.rs` file under `folder`, with its text.
    fn sources(folder: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(folder)
            .expect("a source folder")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                found.extend(sources(&path));
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                found.push((path, text));
            }
        }
        found
    }

    #[test]
    fn the_layers_import_downwards_only() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        // Each layer, and the layers above it, which it must not name.
        for (layer, above) in [
            ("grading", &["crate::rendering", "crate::commands"][..]),
            ("rendering", &["crate::commands"][..]),
        ] {
            for (path, text) in sources(&src.join(layer)) {
                for name in above {
                    assert!(
                        !text.contains(name),
                        "{} names {name}: {layer} must not import from a layer above it",
                        path.display()
                    );
                }
            }
        }
        // A module names its siblings and children, never its parent's own items (outside its
        // tests, which live inside the module they test).
        for (path, text) in sources(&src) {
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for line in code.lines().map(str::trim) {
                let Some(path_after) = line.strip_prefix("use super::") else {
                    continue;
                };
                assert!(
                    path_after.contains("::"),
                    "{}: `{line}` imports from its parent",
                    path.display()
                );
            }
        }
    }
}
