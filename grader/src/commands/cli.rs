//! The command line, parsed by `clap`: what the grader was asked to do.

use crate::commands::reset::ResetRequest;
use crate::commands::watch::WatchOptions;
use crate::grading::run::Selection;
use crate::grading::subject::Subject;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the selected checks and report.
    Grade(Selection),
    /// List the selected checks without running them.
    List(Selection),
    /// Explain one check, or (`None`) the next one that does not pass.
    Hint(Option<String>),
    /// Read many students' JSON reports into one table.
    Class {
        /// Report files, or folders holding them.
        paths: Vec<PathBuf>,
        /// Also write the table as CSV here.
        csv: Option<PathBuf>,
        /// Also write a self-contained HTML page here.
        html: Option<PathBuf>,
    },
    /// Re-grade on every save.
    Watch(WatchOptions),
    /// Put a task's files back as shipped.
    Reset(ResetRequest),
    /// Write the student edition (no reference solutions) into a new folder.
    ExportStudent {
        /// The folder.
        dir: PathBuf,
        /// A report of `--solutions --json` to record instead of measuring the reference now.
        figures: Option<PathBuf>,
    },
    /// Name the grader's broken test pools.
    ListFixtures,
}

/// Grades the workshop's pools: every check runs in a process of its own, with a time limit.
/// With no command, grades your exercises.
#[derive(Debug, Parser)]
#[command(
    name = "grader",
    version,
    after_help = "Run it as `cargo run -p grader -- ARGS`. The exit status is 0 only when every \
                  selected check passed. Colour is used on a terminal, unless NO_COLOR is set."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Sub>,
    #[command(flatten)]
    grade: GradeArgs,
}

/// The options of a grading run (the command-less form).
#[derive(Debug, Args)]
struct GradeArgs {
    /// Grade the reference solutions instead of your exercises.
    #[arg(long, conflicts_with = "fixture")]
    solutions: bool,
    /// Grade one of the grader's broken test pools (`--fixture list` names them).
    #[arg(long, value_name = "NAME")]
    fixture: Option<String>,
    /// Only the checks of task N.
    #[arg(long, value_name = "N", value_parser = task_number)]
    task: Option<u8>,
    /// Only the check ID (e.g. sync-reuse).
    #[arg(long, value_name = "ID", conflicts_with = "task")]
    check: Option<String>,
    /// List the checks, with each one's status in the last run, without running them.
    #[arg(long)]
    list: bool,
    /// Print one machine-readable JSON report.
    #[arg(long)]
    json: bool,
    /// With Task 3: show the reference's figures beside yours.
    #[arg(long)]
    compare: bool,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Explain a check: what it proves, why it matters, what to look at. With no ID, the first
    /// check that did not pass in the last run.
    Hint {
        /// The check's id (`--list` lists them).
        id: Option<String>,
    },
    /// Re-grade on every save, the task you edit first. Keys: h hint, n next failing check,
    /// a all tasks, q quit.
    Watch {
        /// Print lines instead of redrawing one, and read keys as lines (for no terminal).
        #[arg(long)]
        plain: bool,
        /// The workshop's folder (for the grader's tests).
        #[arg(long, hide = true)]
        root: Option<PathBuf>,
        /// Grade with this grader binary instead of `cargo run -p grader` (for the grader's
        /// tests).
        #[arg(long, hide = true)]
        grader: Option<PathBuf>,
    },
    /// Put a task's files back as shipped, after asking; your versions are kept in
    /// exercises/.backup/.
    Reset {
        /// The task (1 to 4).
        #[arg(value_parser = reset_task_number, required_unless_present = "all")]
        task: Option<u8>,
        /// Every task.
        #[arg(long, conflicts_with = "task")]
        all: bool,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        /// The workshop's folder (for the grader's tests).
        #[arg(long, hide = true)]
        root: Option<PathBuf>,
    },
    /// Read many students' --json reports (files or folders) into one table.
    Class {
        /// Report files, or folders holding them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Also write the table as CSV here.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// Also write a self-contained HTML page here.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Write the student edition into DIR: the workshop without the reference solutions (and
    /// what needs them), with the reference's Task 3 figures measured now and recorded.
    ExportStudent {
        /// A new, empty folder.
        dir: PathBuf,
        /// Record this `--solutions --json` report instead of measuring the reference now.
        #[arg(long, value_name = "FILE")]
        figures: Option<PathBuf>,
    },
}

/// A task number the workshop has.
fn task_number(text: &str) -> Result<u8, String> {
    let last = pool_checks::TASKS.len();
    text.parse()
        .ok()
        .filter(|n| pool_checks::TASKS.iter().any(|t| t.number == *n))
        .ok_or_else(|| format!("a task number from 1 to {last}, not `{text}`"))
}

/// A task number for `reset`, whose other choice is `--all`.
fn reset_task_number(text: &str) -> Result<u8, String> {
    task_number(text).map_err(|why| format!("reset takes {why} (or --all for every task)"))
}

/// What the command line asks, or clap's answer (help, version, or a usage error) to print.
pub fn parse(
    args: impl IntoIterator<Item = String>,
) -> Result<anyhow::Result<Command>, clap::Error> {
    let cli = Cli::try_parse_from(std::iter::once("grader".to_string()).chain(args))?;
    Ok(command_of(cli))
}

fn command_of(cli: Cli) -> anyhow::Result<Command> {
    Ok(match cli.command {
        Some(Sub::Hint { id }) => Command::Hint(id),
        Some(Sub::Watch {
            plain,
            root,
            grader,
        }) => Command::Watch(WatchOptions {
            root: root.unwrap_or_else(crate::commands::reset::default_root),
            plain: plain || !crate::commands::watch::on_a_terminal(),
            grader,
        }),
        Some(Sub::Reset {
            task,
            all,
            yes,
            root,
        }) => Command::Reset(ResetRequest {
            tasks: match (all, task) {
                (true, _) | (false, None) => pool_checks::TASKS.iter().map(|t| t.number).collect(),
                (false, Some(task)) => vec![task],
            },
            confirmed: yes,
            root: root.unwrap_or_else(crate::commands::reset::default_root),
        }),
        Some(Sub::Class { paths, csv, html }) => Command::Class { paths, csv, html },
        Some(Sub::ExportStudent { dir, figures }) => Command::ExportStudent { dir, figures },
        None => {
            let grade = cli.grade;
            let subject = match (&grade.fixture, grade.solutions) {
                (Some(name), _) if name == "list" => return Ok(Command::ListFixtures),
                (Some(name), _) => Subject::fixture(name)?,
                (None, true) => Subject::Solutions,
                (None, false) => Subject::Exercises,
            };
            let selection = Selection {
                subject,
                task: grade.task,
                check: grade.check,
                json: grade.json,
                compare: grade.compare,
            };
            if grade.list {
                Command::List(selection)
            } else {
                Command::Grade(selection)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> Command {
        parse(args.iter().map(|a| a.to_string()))
            .expect("clap accepts it")
            .expect("it names real things")
    }

    #[test]
    fn the_command_line_says_what_to_do() {
        assert!(matches!(parsed(&[]), Command::Grade(s) if s.subject == Subject::Exercises));
        assert!(matches!(parsed(&["--solutions", "--task", "3"]),
            Command::Grade(s) if s.subject == Subject::Solutions && s.task == Some(3)));
        assert_eq!(parsed(&["hint"]), Command::Hint(None));
        assert_eq!(
            parsed(&["hint", "sync-reuse"]),
            Command::Hint(Some("sync-reuse".into()))
        );
        assert!(matches!(parsed(&["reset", "2", "--yes"]),
            Command::Reset(r) if r.tasks == [2] && r.confirmed));
        assert!(matches!(parsed(&["reset", "--all"]), Command::Reset(r) if r.tasks.len() == 4));
        assert_eq!(parsed(&["--fixture", "list"]), Command::ListFixtures);
    }

    #[test]
    fn mistakes_get_clap_s_answer() {
        let error = |args: &[&str]| parse(args.iter().map(|a| a.to_string())).unwrap_err();
        assert!(error(&["--task", "9"])
            .to_string()
            .contains("a task number from 1 to 4"));
        assert!(error(&["reset"]).to_string().contains("required"));
        assert!(
            error(&["--chek", "x"]).to_string().contains("--check"),
            "a suggestion"
        );
        assert!(
            error(&["wacth"]).to_string().contains("watch"),
            "a suggestion"
        );
        assert_eq!(
            error(&["--version"]).kind(),
            clap::error::ErrorKind::DisplayVersion
        );
    }
}
