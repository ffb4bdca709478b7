//! `reset`: puts a task's files back as the workshop shipped them, from copies the grader
//! carries (`grader/stubs/`, built into the binary: no git needed), after asking, and keeps what
//! it overwrote in a backup folder.

use crate::grading::task_files::{Stub, STUBS};
use anyhow::{Context, Result};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// Which tasks to reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRequest {
    /// The tasks (every task for `--all`).
    pub tasks: Vec<u8>,
    /// Do not ask (`--yes`).
    pub confirmed: bool,
    /// The workshop's folder.
    pub root: PathBuf,
}

/// The workshop's folder the grader was built from.
pub fn default_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Resets the files of `request`'s tasks, asking on `input` first unless confirmed; says what it
/// does on `output`.
pub fn reset(
    request: &ResetRequest,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> Result<()> {
    let changed: Vec<&Stub> = STUBS
        .iter()
        .filter(|stub| request.tasks.contains(&stub.task))
        .filter(|stub| {
            std::fs::read(request.root.join(stub.path)).ok().as_deref() != Some(stub.contents)
        })
        .collect();
    let tasks = describe_tasks(&request.tasks);
    if changed.is_empty() {
        writeln!(
            output,
            "{tasks}: every file is already as shipped; nothing to reset."
        )?;
        return Ok(());
    }
    let backup = request
        .root
        .join("exercises/.backup")
        .join(crate::grading::dates::timestamp());
    writeln!(
        output,
        "Resetting {tasks} puts these files back as shipped:"
    )?;
    for stub in &changed {
        writeln!(output, "  {}", stub.path)?;
    }
    writeln!(
        output,
        "Your versions are kept in {}.",
        shown(&backup, &request.root)
    )?;
    if !request.confirmed {
        write!(output, "Reset them? [y/N] ")?;
        output.flush()?;
        let mut answer = String::new();
        input.read_line(&mut answer)?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            writeln!(output, "\nNothing changed.")?;
            return Ok(());
        }
    }
    for stub in &changed {
        let target = request.root.join(stub.path);
        if let Ok(current) = std::fs::read(&target) {
            let saved = backup.join(stub.path);
            if let Some(folder) = saved.parent() {
                std::fs::create_dir_all(folder)
                    .with_context(|| format!("Failed to create {}", folder.display()))?;
            }
            std::fs::write(&saved, current)
                .with_context(|| format!("Failed to back up {}", target.display()))?;
        }
        if let Some(folder) = target.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("Failed to create {}", folder.display()))?;
        }
        std::fs::write(&target, stub.contents)
            .with_context(|| format!("Failed to write {}", target.display()))?;
    }
    writeln!(
        output,
        "Reset {} file(s); your versions are in {}.",
        changed.len(),
        shown(&backup, &request.root)
    )?;
    Ok(())
}

fn describe_tasks(tasks: &[u8]) -> String {
    match tasks {
        [one] => format!("task {one}"),
        many => format!(
            "tasks {}",
            many.iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `path` relative to `root`, as a student would type it.
fn shown(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
