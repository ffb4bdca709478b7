//! The command line: what the grader was asked to do.

use crate::subject::Subject;
use anyhow::{bail, Context, Result};

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the selected checks and report.
    Grade(Selection),
    /// List the selected checks without running them.
    List(Selection),
    /// Explain one check.
    Hint(String),
    /// Read many students' JSON reports into one table.
    Class {
        /// Report files, or folders holding them.
        paths: Vec<std::path::PathBuf>,
        /// Also write the table as CSV here.
        csv: Option<std::path::PathBuf>,
        /// Also write a self-contained HTML page here.
        html: Option<std::path::PathBuf>,
    },
    /// Re-grade on every save.
    Watch(crate::watch::WatchOptions),
    /// Put a task's files back as shipped.
    Reset(crate::reset::ResetRequest),
    /// Write the student edition (no reference solutions) into a new folder.
    ExportStudent {
        /// The folder.
        dir: std::path::PathBuf,
        /// A report of `--solutions --json` to record instead of measuring the reference now.
        figures: Option<std::path::PathBuf>,
    },
    /// Print the usage.
    Help,
    /// Name the grader's broken test pools.
    ListFixtures,
}

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

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command> {
    let mut args = args.into_iter();
    let mut selection = Selection {
        subject: Subject::Exercises,
        task: None,
        check: None,
        json: false,
        compare: false,
    };
    let mut list = false;
    let mut hint = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" | "help" => return Ok(Command::Help),
            "reset" => return crate::reset::parse(&mut args).map(Command::Reset),
            "class" => return parse_class(&mut args),
            "watch" => return crate::watch::parse(&mut args).map(Command::Watch),
            "export-student" => return parse_export(&mut args),
            "--solutions" => selection.subject = Subject::Solutions,
            "--fixture" => {
                let name = value(&mut args, "--fixture")?;
                if name == "list" {
                    return Ok(Command::ListFixtures);
                }
                selection.subject = Subject::fixture(&name)?;
            }
            "--task" => {
                let task = value(&mut args, "--task")?;
                let last = pool_checks::TASKS.len();
                let number: u8 = task
                    .parse()
                    .ok()
                    .filter(|n| pool_checks::TASKS.iter().any(|t| t.number == *n))
                    .with_context(|| {
                        format!("--task takes a task number from 1 to {last}, not `{task}`")
                    })?;
                selection.task = Some(number);
            }
            "--check" => selection.check = Some(value(&mut args, "--check")?),
            "--json" => selection.json = true,
            "--compare" => selection.compare = true,
            "--list" => list = true,
            "hint" => hint = Some(value(&mut args, "hint")?),
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    Ok(match (hint, list) {
        (Some(id), _) => Command::Hint(id),
        (None, true) => Command::List(selection),
        (None, false) => Command::Grade(selection),
    })
}

/// `class PATH... [--csv FILE] [--html FILE]`.
fn parse_class(args: &mut impl Iterator<Item = String>) -> Result<Command> {
    let (mut paths, mut csv, mut html) = (Vec::new(), None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--csv" => csv = Some(value(args, "--csv")?.into()),
            "--html" => html = Some(value(args, "--html")?.into()),
            flag if flag.starts_with("--") => bail!("unknown argument `{flag}` for class"),
            path => paths.push(path.into()),
        }
    }
    if paths.is_empty() {
        bail!("class needs the students' JSON reports: files, or folders holding them");
    }
    Ok(Command::Class { paths, csv, html })
}

/// `export-student DIR [--figures FILE]`.
fn parse_export(args: &mut impl Iterator<Item = String>) -> Result<Command> {
    let (mut dir, mut figures) = (None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--figures" => figures = Some(value(args, "--figures")?.into()),
            flag if flag.starts_with("--") => {
                bail!("unknown argument `{flag}` for export-student")
            }
            folder if dir.is_none() => dir = Some(folder.into()),
            extra => bail!("export-student takes one folder, not also `{extra}`"),
        }
    }
    let Some(dir) = dir else {
        bail!("export-student needs the folder to write the student edition into");
    };
    Ok(Command::ExportStudent { dir, figures })
}

fn value(args: &mut impl Iterator<Item = String>, flag: &str) -> Result<String> {
    args.next()
        .with_context(|| format!("`{flag}` needs a value\n\n{USAGE}"))
}

/// The usage text.
pub const USAGE: &str = "\
Usage: cargo run -p grader -- [OPTIONS]
       cargo run -p grader -- hint CHECK-ID
       cargo run -p grader -- watch [--plain]
       cargo run -p grader -- reset TASK | --all
       cargo run -p grader -- class REPORTS... [--csv FILE] [--html FILE]
       cargo run -p grader -- export-student DIR [--figures FILE]

Grades the workshop's pools: every check runs in a process of its own, with a time limit.

Options:
  --solutions      grade the reference solutions instead of your exercises
  --task N         only the checks of task N (1 to 4)
  --check ID       only the check ID (e.g. sync-reuse)
  --list           list the checks without running them
  --json           print one machine-readable JSON report
  --compare        with Task 3: measure the reference too, and show its figures beside yours
  --fixture NAME   grade one of the grader's broken test pools (for the grader's own tests;
                   `--fixture list` names them)
  -h, --help       this text

  hint ID          explain one check: what it proves, why it matters, what to look at
  watch            re-grade on every save, the task you edit first; keys: h hint, n next
                   failing check, a all tasks, q quit (--plain: lines, for no terminal)
  class PATHS      read many students' --json reports (files or folders) into one table;
                   --csv FILE and --html FILE write it as CSV and as a self-contained page
  export-student DIR  write the student edition into DIR: the workshop without the reference
                   solutions (and what needs them), with the reference's Task 3 figures
                   measured now and recorded (--figures FILE: record a `--solutions --json`
                   report instead)
  reset N          put task N's files back as shipped (after asking; your versions are kept
                   in exercises/.backup/); `reset --all` for every task, `--yes` not to ask

The exit status is 0 only when every selected check passed.
Colour is used on a terminal, unless NO_COLOR is set.";
