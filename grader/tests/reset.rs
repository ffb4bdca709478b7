//! `reset`, through the real binary, on a folder of its own: it restores the exact bytes the
//! workshop shipped, keeps what it overwrote, and asks first.

mod common;

use grader::grading::task_files::STUBS;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grader-reset-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for task in 1..=4 {
        std::fs::create_dir_all(dir.join(format!("exercises/task{task}/src")))
            .expect("Failed to create a scratch folder");
    }
    dir
}

/// Runs `grader reset ARGS --root ROOT` with `answer` on its standard input.
fn reset(root: &Path, args: &[&str], answer: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_grader"))
        .arg("reset")
        .args(args)
        .arg("--root")
        .arg(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Failed to run the grader");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(answer.as_bytes());
    }
    child
        .wait_with_output()
        .expect("Failed to wait for the grader")
}

fn backups(root: &Path, path: &str) -> Vec<Vec<u8>> {
    let Ok(runs) = std::fs::read_dir(root.join("exercises/.backup")) else {
        return Vec::new();
    };
    runs.filter_map(Result::ok)
        .filter_map(|run| std::fs::read(run.path().join(path)).ok())
        .collect()
}

#[test]
fn reset_restores_the_exact_stub_bytes_and_keeps_a_backup() {
    let root = scratch("restore");
    let file = "exercises/task1/src/task1_sync_pool.rs";
    std::fs::write(root.join(file), "// my pool, half done\n").expect("write");
    let output = reset(&root, &["1"], "y\n");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{said}");
    let stub = STUBS
        .iter()
        .find(|stub| stub.path == file)
        .expect("carried");
    assert_eq!(std::fs::read(root.join(file)).expect("read"), stub.contents);
    assert_eq!(
        backups(&root, file),
        vec![b"// my pool, half done\n".to_vec()],
        "{said}"
    );
    assert!(
        said.contains("Reset them? [y/N]") && said.contains("exercises/.backup/"),
        "{said}"
    );
    // Task 2's files were not touched.
    assert!(!root
        .join("exercises/task2/src/task2_fixed_pool.rs")
        .exists());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn reset_asks_first_and_changes_nothing_when_declined() {
    let root = scratch("decline");
    let file = "exercises/task4/src/task4_config.rs";
    std::fs::write(root.join(file), "keep me").expect("write");
    for answer in ["n\n", "", "whatever\n"] {
        let output = reset(&root, &["4"], answer);
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && said.contains("Nothing changed."),
            "{said}"
        );
        assert_eq!(std::fs::read(root.join(file)).expect("read"), b"keep me");
    }
    assert!(!root.join("exercises/.backup").exists());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn reset_all_with_yes_restores_every_file_and_then_has_nothing_to_do() {
    let root = scratch("all");
    let output = reset(&root, &["--all", "--yes"], "");
    assert!(output.status.success());
    for stub in &STUBS {
        assert_eq!(
            std::fs::read(root.join(stub.path)).expect(stub.path),
            stub.contents,
            "{}",
            stub.path
        );
    }
    let again = reset(&root, &["--all", "--yes"], "");
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(said.contains("nothing to reset"), "{said}");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn reset_refuses_what_it_cannot_do() {
    for args in [&["9"][..], &[][..], &["one"][..]] {
        let output = common::grader(&[&["reset"][..], args].concat());
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {said}");
        assert!(said.contains("reset"), "{said}");
    }
}

#[test]
fn the_carried_stubs_are_the_shipped_files() {
    // In a student's clone the files hold their work; what the grader carries is checked where
    // the stubs are known to be untouched: the maintainers' runs (`WORKSHOP_MAINTAINER`).
    if !common::maintainer() {
        eprintln!("note: WORKSHOP_MAINTAINER not set, so the carried stubs are not compared with exercises/");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for stub in &STUBS {
        let shipped = std::fs::read_to_string(root.join(stub.path)).expect(stub.path);
        let carried = String::from_utf8_lossy(stub.contents);
        assert!(
            shipped.replace("\r\n", "\n") == carried.replace("\r\n", "\n"),
            "grader/stubs/ differs from {}: copy the stub there (`cp {} grader/stubs/...`)",
            stub.path,
            stub.path
        );
    }
}
