//! A student's file that does not compile, on a copy of the workshop: the grader grades the
//! other tasks, reports the broken one as not compiling with its file and line, and every
//! command that needs no build keeps working. The copy builds the grader and its runner from
//! scratch (minutes), so the test is ignored by default; `.ci/run` runs it
//! (`cargo test -p grader --test compile_error -- --ignored`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A copy of the workshop's files (those git tracks or would track) in a fresh folder.
fn workshop_copy() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let copy = std::env::temp_dir().join(format!("grader-compile-error-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(&root)
        .output()
        .expect("git lists the workshop's files");
    for file in listed
        .stdout
        .split(|byte| *byte == 0)
        .filter(|f| !f.is_empty())
    {
        let file = String::from_utf8_lossy(file).into_owned();
        let (from, to) = (root.join(&file), copy.join(&file));
        if !from.is_file() {
            continue;
        }
        std::fs::create_dir_all(to.parent().expect("a folder")).expect("create");
        std::fs::copy(from, to).expect("copy");
    }
    copy
}

/// Runs `cargo run -q -p grader -- ARGS` in the copy, with a target folder of its own beside the
/// workshop's (so that it never replaces the workshop's own runner).
fn grader(copy: &Path, args: &[&str]) -> Output {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/copies");
    Command::new(env!("CARGO"))
        .args(["run", "-q", "-p", "grader", "--"])
        .args(args)
        .current_dir(copy)
        .env("CARGO_TARGET_DIR", target)
        .env("NO_COLOR", "1")
        .output()
        .expect("cargo runs")
}

#[test]
#[ignore = "builds a copy of the workshop (minutes); .ci/run runs it"]
fn a_task_that_does_not_compile_stops_only_its_own_checks() {
    let copy = workshop_copy();
    let file = "exercises/task1/src/task1_sync_pool.rs";
    let shipped = std::fs::read_to_string(copy.join(file)).expect("read");
    // A syntax error in `SyncPool::new`, in place of its `todo!()`: a student's typo.
    let broken_line = shipped
        .lines()
        .position(|line| line.contains("todo!(\"build a SyncPool"))
        .expect("the stub's SyncPool::new has a todo!()")
        + 1;
    let broken: Vec<&str> = shipped
        .lines()
        .enumerate()
        .map(|(index, line)| {
            if index + 1 == broken_line {
                "let x = ;"
            } else {
                line
            }
        })
        .collect();
    std::fs::write(copy.join(file), broken.join("\n") + "\n").expect("write");

    let graded = grader(&copy, &["--json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&graded.stdout).unwrap_or_else(|error| {
            panic!(
                "a JSON report ({error}): {}",
                String::from_utf8_lossy(&graded.stderr)
            )
        });
    assert_eq!(graded.status.code(), Some(1), "not every check passed");
    for task in report["tasks"].as_array().expect("tasks") {
        let number = task["task"].as_u64().expect("a task number");
        for check in task["checks"].as_array().expect("checks") {
            let status = check["status"].as_str().expect("a status");
            let needs_task_1 = number == 1 || check["id"] == "criteria-sync";
            if needs_task_1 {
                assert_eq!(status, "does not compile", "{check}");
                let location = check["location"].as_str().expect("a location");
                assert!(
                    location.starts_with(&format!("{file}:{broken_line}:")),
                    "{location}"
                );
            } else {
                assert_eq!(status, "not started", "{check}");
            }
        }
    }
    let text = grader(&copy, &["--task", "1"]);
    let said = String::from_utf8_lossy(&text.stdout);
    assert!(
        said.contains(&format!("Task 1: {file}:{broken_line}:")) && said.contains("expected"),
        "{said}"
    );

    // The commands that need no build work on the broken tree.
    for args in [
        &["hint", "sync-reuse"][..],
        &["--list"],
        &["class", "grader/tests/class"],
    ] {
        let output = grader(&copy, args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let reset = grader(&copy, &["reset", "1", "--yes"]);
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(copy.join(file)).expect("read"),
        shipped,
        "reset 1 restores the shipped file"
    );
    let backups = std::fs::read_dir(copy.join("exercises/.backup")).expect("a backup folder");
    assert_eq!(backups.count(), 1, "reset kept the broken file in a backup");
    let _ = std::fs::remove_dir_all(&copy);
}
