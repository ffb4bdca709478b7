//! Building a subject's runner: the grader links no pool itself. For the student's exercises it
//! builds each task's crate on its own (`cargo build --keep-going`), so that a compile error in
//! one task leaves the others gradable: the runner is built with the tasks that compile, and the
//! others are reported as not compiling, with their first error's file, line and message.

use crate::grading::subject::Subject;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The first compile error of a task's crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// The task.
    pub task: u8,
    /// The file, relative to the workshop's folder.
    pub file: String,
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1.
    pub column: u32,
    /// The compiler's message (`expected one of ...`).
    pub message: String,
    /// The whole diagnostic as the compiler prints it.
    pub rendered: String,
}

impl CompileError {
    /// `file:line:column`, which editors and terminals turn into a link.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A subject's runner, built.
#[derive(Debug, Clone)]
pub struct Runner {
    /// Its executable.
    pub program: PathBuf,
    /// The arguments after each request (`--fixture NAME`).
    pub suffix: Vec<String>,
    /// The tasks it was built without, each with its first compile error.
    pub not_built: Vec<CompileError>,
}

impl Runner {
    /// The compile error of `task`, if the runner was built without it.
    pub fn compile_error(&self, task: u8) -> Option<&CompileError> {
        self.not_built.iter().find(|error| error.task == task)
    }
}

/// The workshop's folder: the one this grader was built in.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Builds `subject`'s runner, in the profile this grader was built in.
pub fn runner(subject: Subject) -> Result<Runner> {
    let (package, suffix) = match subject {
        Subject::Exercises => return exercises_runner(),
        Subject::Solutions => ("runner-solutions", Vec::new()),
        Subject::Fixture(flaw) => (
            "runner-fixtures",
            vec!["--fixture".to_string(), flaw.name().to_string()],
        ),
    };
    let folder = package.trim_start_matches("runner-");
    if !workspace()
        .join(format!("grader/runners/{folder}/Cargo.toml"))
        .is_file()
    {
        bail!(
            "this copy of the workshop has no {} (a student edition leaves out the reference \
             solutions and the fixtures, whose pools wrap them); grade your own pools with \
             `cargo run -p grader`",
            if folder == "solutions" {
                "reference solutions"
            } else {
                "fixtures"
            }
        );
    }
    let build = cargo_build(&["-p", package])?;
    let program = build.executable(package).with_context(|| {
        format!(
            "Failed to build the runner `{package}`:\n{}",
            build.rendered_errors()
        )
    })?;
    Ok(Runner {
        program,
        suffix,
        not_built: Vec::new(),
    })
}

/// The tasks' crates, in task order.
const TASK_CRATES: [&str; 4] = [
    "exercises-task1",
    "exercises-task2",
    "exercises-task3",
    "exercises-task4",
];

/// Builds every task's crate, keeping going past one that fails, then the runner with the tasks
/// that compiled.
fn exercises_runner() -> Result<Runner> {
    let mut args = vec!["--keep-going", "-p", "runner-exercises"];
    for task in TASK_CRATES {
        args.extend(["-p", task]);
    }
    let build = cargo_build(&args)?;
    let not_built: Vec<CompileError> = (1..=TASK_CRATES.len() as u8)
        .filter_map(|task| build.first_error_of(task))
        .collect();
    if not_built.is_empty() {
        if let Some(program) = build.executable("runner-exercises") {
            return Ok(Runner {
                program,
                suffix: Vec::new(),
                not_built,
            });
        }
        bail!(
            "Failed to build the grader's runner:\n{}",
            build.rendered_errors()
        );
    }
    let features: Vec<String> = (1..=TASK_CRATES.len() as u8)
        .filter(|task| not_built.iter().all(|error| error.task != *task))
        .map(|task| format!("task{task}"))
        .collect();
    let features = features.join(",");
    let mut args = vec!["-p", "runner-exercises", "--no-default-features"];
    if !features.is_empty() {
        args.extend(["--features", &features]);
    }
    let build = cargo_build(&args)?;
    let program = build.executable("runner-exercises").with_context(|| {
        format!(
            "Failed to build the grader's runner:\n{}",
            build.rendered_errors()
        )
    })?;
    Ok(Runner {
        program,
        suffix: Vec::new(),
        not_built,
    })
}

/// What one `cargo build --message-format=json` said: one JSON object a line.
struct Build {
    messages: Vec<serde_json::Value>,
}

/// Runs `cargo build ARGS --message-format=json` in the workshop's folder. Cargo's progress
/// goes to this process's standard error, as it would for `cargo build`.
fn cargo_build(args: &[&str]) -> Result<Build> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .args(args)
        .arg("--message-format=json")
        .current_dir(workspace())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if release() {
        command.arg("--release");
    }
    let output = command
        .output()
        .context("Failed to run cargo to build the grader's runner")?;
    let messages = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    Ok(Build { messages })
}

/// Whether this grader runs from a release build (`cargo run --release -p grader`): its runners
/// are built so too.
fn release() -> bool {
    std::env::current_exe().is_ok_and(|exe| {
        exe.parent()
            .and_then(Path::file_name)
            .is_some_and(|folder| folder == "release")
    })
}

impl Build {
    /// The executable cargo built for `package`'s binary, if it did.
    fn executable(&self, package: &str) -> Option<PathBuf> {
        self.messages
            .iter()
            .filter(|message| message["reason"] == "compiler-artifact")
            .filter(|message| message["target"]["name"] == package)
            .find_map(|message| message["executable"].as_str().map(PathBuf::from))
    }

    /// The first error the compiler reported in task `task`'s crate.
    fn first_error_of(&self, task: u8) -> Option<CompileError> {
        let target = format!("exercises_task{task}");
        let message = self
            .messages
            .iter()
            .filter(|message| message["reason"] == "compiler-message")
            .filter(|message| message["target"]["name"] == target.as_str())
            .map(|message| &message["message"])
            .find(|diagnostic| diagnostic["level"] == "error")?;
        let spans = message["spans"].as_array();
        let span = spans.and_then(|spans| {
            spans
                .iter()
                .find(|span| span["is_primary"] == true)
                .or_else(|| spans.first())
        });
        let number = |key: &str| {
            span.and_then(|span| span[key].as_u64())
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0)
        };
        let file = span
            .and_then(|span| span["file_name"].as_str())
            .map(relative_to_workspace)
            .unwrap_or_else(|| format!("exercises/task{task}"));
        Some(CompileError {
            task,
            file,
            line: number("line_start"),
            column: number("column_start"),
            message: message["message"].as_str().unwrap_or_default().to_string(),
            rendered: message["rendered"].as_str().unwrap_or_default().to_string(),
        })
    }

    /// Every error the compiler reported, as it prints them.
    fn rendered_errors(&self) -> String {
        let errors: Vec<&str> = self
            .messages
            .iter()
            .filter(|message| message["reason"] == "compiler-message")
            .filter(|message| message["message"]["level"] == "error")
            .filter_map(|message| message["message"]["rendered"].as_str())
            .collect();
        if errors.is_empty() {
            return "(cargo reported no compiler error; its own message is above)".into();
        }
        errors.concat()
    }
}

/// A path as the compiler gave it (cargo runs it in the workshop's folder, so relative to that,
/// or absolute), relative to the workshop's folder.
fn relative_to_workspace(file: &str) -> String {
    let path = Path::new(file);
    match path.strip_prefix(workspace()) {
        Ok(relative) => slashed(relative),
        Err(_) => slashed(path),
    }
}

fn slashed(path: &Path) -> String {
    let parts: Vec<_> = path.iter().map(|part| part.to_string_lossy()).collect();
    parts.join("/")
}
