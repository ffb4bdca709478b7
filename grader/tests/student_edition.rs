//! The student edition, exported, built and graded as a student would: no file of the
//! reference, no line of its code, its stubs graded as not started, its own `cargo test
//! --workspace` green (with `CI` set, as GitHub Actions sets it), and no reference pool in its
//! build. The edition builds from scratch (minutes), so the test is ignored by default;
//! `.ci/run` runs it (`cargo test -p grader --test student_edition -- --ignored`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `cargo ARGS` in `dir`, with the target folder the copies share (never the workshop's
/// own: the edition's runner must not replace the workshop's).
fn cargo(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", root().join("target/copies"))
        .env("NO_COLOR", "1")
        .env_remove("WORKSHOP_MAINTAINER")
        .env("CI", "true")
        .output()
        .expect("cargo runs")
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
    found
}

/// The lines of the reference's code that say something of their own: long enough, not a
/// comment, and not a line the stubs or the checks also have (a `use` of the contract, a
/// signature the contract dictates).
fn reference_lines() -> Vec<String> {
    let mut shared = std::collections::HashSet::new();
    for dir in ["exercises", "tests", "grader/runner", "grader/src"] {
        for file in rust_files(&root().join(dir)) {
            let text = std::fs::read_to_string(file).expect("read");
            shared.extend(text.lines().map(|line| line.trim().to_string()));
        }
    }
    let mut lines = Vec::new();
    for file in rust_files(&root().join("solutions/src")) {
        let text = std::fs::read_to_string(file).expect("read");
        for line in text.lines().map(str::trim) {
            let code = line.len() >= 40 && !line.starts_with("//") && !line.starts_with("///");
            if code && !shared.contains(line) {
                lines.push(line.to_string());
            }
        }
    }
    lines
}

#[test]
#[ignore = "builds the student edition from scratch (minutes); .ci/run runs it"]
fn the_student_edition_has_no_answers_and_works_on_its_own() {
    let edition = std::env::temp_dir().join(format!("student-edition-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&edition);
    // As an instructor exports it: the reference graded and measured now, its figures recorded.
    let exported = Command::new(env!("CARGO_BIN_EXE_grader"))
        .arg("export-student")
        .arg(&edition)
        .output()
        .expect("the grader runs");
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );

    assert!(!edition.join("solutions").exists(), "no solutions/ folder");
    let reference = reference_lines();
    assert!(reference.len() > 500, "the reference has code of its own");
    for file in rust_files(&edition) {
        let text = std::fs::read_to_string(&file).expect("read");
        for line in text.lines().map(str::trim) {
            assert!(
                !reference.iter().any(|code| code == line),
                "{} holds a line of the reference: {line}",
                file.display()
            );
        }
    }
    let metadata = cargo(
        &edition,
        &["metadata", "--format-version", "1", "--no-deps"],
    );
    let metadata = String::from_utf8_lossy(&metadata.stdout);
    for package in ["\"name\":\"solutions\"", "\"name\":\"runner-fixtures\""] {
        assert!(!metadata.contains(package), "{package} is in the edition");
    }

    let graded = cargo(&edition, &["run", "-q", "-p", "grader", "--", "--json"]);
    let report: serde_json::Value =
        serde_json::from_slice(&graded.stdout).unwrap_or_else(|error| {
            panic!(
                "a JSON report ({error}): {}",
                String::from_utf8_lossy(&graded.stderr)
            )
        });
    assert_eq!(graded.status.code(), Some(1));
    for task in report["tasks"].as_array().expect("tasks") {
        for check in task["checks"].as_array().expect("checks") {
            assert_eq!(check["status"], "not started", "{check}");
        }
    }
    let compared = cargo(
        &edition,
        &[
            "run",
            "-q",
            "-p",
            "grader",
            "--",
            "--task",
            "3",
            "--compare",
        ],
    );
    let said = String::from_utf8_lossy(&compared.stdout);
    assert!(
        said.contains("(reference)") && said.contains("the reference's figures: recorded"),
        "--compare uses the recorded figures: {said}"
    );

    let reference = cargo(
        &edition,
        &["run", "-q", "-p", "grader", "--", "--solutions"],
    );
    let said = String::from_utf8_lossy(&reference.stderr);
    assert_eq!(reference.status.code(), Some(2), "{said}");
    assert!(said.contains("has no reference solutions"), "{said}");

    let tested = cargo(&edition, &["test", "--workspace"]);
    assert!(
        tested.status.success(),
        "the edition's own tests, with CI set:\n{}",
        String::from_utf8_lossy(&tested.stderr)
    );
    let _ = std::fs::remove_dir_all(&edition);
}
