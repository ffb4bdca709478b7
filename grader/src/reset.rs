//! `reset`: puts a task's files back as the workshop shipped them, from copies the grader
//! carries (`grader/stubs/`, built into the binary: no git needed), after asking, and keeps what
//! it overwrote in a backup folder.

use anyhow::{Context, Result};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// One file a student edits, as shipped.
pub struct Stub {
    /// The task it belongs to.
    pub task: u8,
    /// Its path under the workshop's folder.
    pub path: &'static str,
    /// Its shipped contents.
    pub contents: &'static [u8],
}

/// Every file of the tasks' crates as shipped: the files a student edits, and each crate's
/// `lib.rs` that wires them up.
pub const STUBS: [Stub; 13] = [
    stub(
        1,
        "exercises/task1/src/lib.rs",
        include_bytes!("../stubs/task1/src/lib.rs"),
    ),
    stub(
        1,
        "exercises/task1/src/task1_sync_pool.rs",
        include_bytes!("../stubs/task1/src/task1_sync_pool.rs"),
    ),
    stub(
        2,
        "exercises/task2/src/lib.rs",
        include_bytes!("../stubs/task2/src/lib.rs"),
    ),
    stub(
        2,
        "exercises/task2/src/task2_fixed_pool.rs",
        include_bytes!("../stubs/task2/src/task2_fixed_pool.rs"),
    ),
    stub(
        2,
        "exercises/task2/src/task2_size_class_pool.rs",
        include_bytes!("../stubs/task2/src/task2_size_class_pool.rs"),
    ),
    stub(
        2,
        "exercises/task2/src/task2_adaptive_pool.rs",
        include_bytes!("../stubs/task2/src/task2_adaptive_pool.rs"),
    ),
    stub(
        3,
        "exercises/task3/src/lib.rs",
        include_bytes!("../stubs/task3/src/lib.rs"),
    ),
    stub(
        3,
        "exercises/task3/src/task3_measure.rs",
        include_bytes!("../stubs/task3/src/task3_measure.rs"),
    ),
    stub(
        3,
        "exercises/benches/pools.rs",
        include_bytes!("../stubs/benches/pools.rs"),
    ),
    stub(
        3,
        "exercises/TRADEOFFS.md",
        include_bytes!("../stubs/TRADEOFFS.md"),
    ),
    stub(
        4,
        "exercises/task4/src/lib.rs",
        include_bytes!("../stubs/task4/src/lib.rs"),
    ),
    stub(
        4,
        "exercises/task4/src/task4_config.rs",
        include_bytes!("../stubs/task4/src/task4_config.rs"),
    ),
    stub(
        4,
        "exercises/task4/src/task4_production_pool.rs",
        include_bytes!("../stubs/task4/src/task4_production_pool.rs"),
    ),
];

/// The path under the workshop's folder of the exercise file called `file` (a catalogue entry's
/// `file`, such as `task1_sync_pool.rs`), if a task owns one by that name.
pub fn exercise_path(file: &str) -> Option<&'static str> {
    STUBS
        .iter()
        .map(|stub| stub.path)
        .find(|path| path.rsplit('/').next() == Some(file))
}

const fn stub(task: u8, path: &'static str, contents: &'static [u8]) -> Stub {
    Stub {
        task,
        path,
        contents,
    }
}

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
    let backup = request.root.join("exercises/.backup").join(timestamp());
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

/// The time now, UTC, as a folder name: `2026-12-01T23-40-05Z`.
fn timestamp() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}-{:02}-{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The calendar date of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_out_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_423), (2025, 12, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn every_task_has_its_files_and_every_stub_is_a_task_file() {
        for task in pool_checks::TASKS {
            assert!(
                STUBS.iter().any(|stub| stub.task == task.number),
                "task {}",
                task.number
            );
        }
        // Every file a check points at is one reset restores (a criteria check of Task 3
        // points at another task's pool, which resetting Task 3 leaves alone).
        for info in pool_checks::CATALOGUE {
            assert!(
                exercise_path(info.file).is_some(),
                "{}: {} is not carried",
                info.id,
                info.file
            );
        }
    }
}
