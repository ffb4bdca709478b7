//! `watch`, through the real binary, in plain mode (no terminal), on a copy of `exercises/`: a
//! change is noticed and its task graded first, the keys answer, and quitting, by `q` or by
//! Ctrl-C, leaves no child process behind. Grading uses the grader binary already built (no
//! `cargo run`), so these tests take seconds; what it should show is what that binary says when
//! run by hand, so the tests hold at every stage of a student's work.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

/// A folder holding a copy of the shipped stubs under `exercises/`.
fn workshop_copy(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("grader-watch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for stub in &grader::grading::task_files::STUBS {
        let path = root.join(stub.path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create");
        std::fs::write(path, stub.contents).expect("write");
    }
    root
}

struct Watching {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    seen: Vec<String>,
}

/// Starts `grader watch --plain` on `root`, grading with `grader`, marked with `marker` in its
/// environment (which every process it starts inherits).
fn start(root: &Path, grader: &Path, marker: &str) -> Watching {
    let mut child = Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(["watch", "--plain", "--root"])
        .arg(root)
        .arg("--grader")
        .arg(grader)
        .env("GRADER_WATCH_TEST", marker)
        .env("GRADER_LAST_RUN", root.join("last-statuses.json"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("Failed to start the watcher");
    let stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (send, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    Watching {
        child,
        stdin,
        lines,
        seen: Vec::new(),
    }
}

impl Watching {
    /// Waits up to 60 s for a line that holds `words`; returns it.
    fn wait_for(&mut self, words: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(words) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {words:?}; seen:\n{}", self.seen.join("\n"));
    }

    fn key(&mut self, key: &str) {
        writeln!(self.stdin, "{key}").expect("a key");
    }

    /// Waits up to 10 s for the watcher to exit; its exit code.
    fn exited(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("the watcher did not stop; seen:\n{}", self.seen.join("\n"));
    }
}

/// The processes whose environment holds `marker`.
fn marked_processes(marker: &str) -> Vec<String> {
    let needle = format!("GRADER_WATCH_TEST={marker}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter(|entry| {
            std::fs::read(entry.path().join("environ"))
                .map(|env| env.split(|b| *b == 0).any(|var| var == needle.as_bytes()))
                .unwrap_or(false)
        })
        .map(|entry| {
            let command = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&command).replace('\0', " ")
        })
        .collect()
}

/// What the grader, run once by hand, says of each task: (passed, checks) and the first check
/// that did not pass. The watcher must show the same, whatever the student has done so far.
fn graded_by_hand() -> (Vec<(usize, usize)>, Option<String>) {
    let mut tasks = Vec::new();
    let mut first_failing = None;
    for task in pool_checks::TASKS {
        let output = Command::new(env!("CARGO_BIN_EXE_grader"))
            .args(["--task", &task.number.to_string(), "--json"])
            .output()
            .expect("Failed to run the grader");
        let report: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("a JSON report");
        let checks: Vec<&serde_json::Value> = report["tasks"][0]["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .collect();
        let passed = checks.iter().filter(|c| c["status"] == "passed").count();
        if first_failing.is_none() {
            first_failing = checks
                .iter()
                .find(|c| c["status"] != "passed")
                .map(|c| c["id"].as_str().unwrap_or_default().to_string());
        }
        tasks.push((passed, checks.len()));
    }
    (tasks, first_failing)
}

/// The progress cell the watcher shows for `task` with `passed` of `total` checks.
fn cell(task: u8, (passed, total): (usize, usize)) -> String {
    format!(
        "Task {task} [{}] {passed}/{total}",
        grader::rendering::report::bar(passed, total, 10)
    )
}

#[test]
fn a_save_regrades_its_task_first_and_the_keys_answer() {
    let (by_hand, first_failing) = graded_by_hand();
    let root = workshop_copy("save");
    let grader = PathBuf::from(env!("CARGO_BIN_EXE_grader"));
    let mut watching = start(&root, &grader, "save");
    watching.wait_for("Watching exercises for changes");
    // The first grading covers every task.
    watching.wait_for(&cell(4, by_hand[3]));
    let file = root.join("exercises/task2/src/task2_fixed_pool.rs");
    let mut text = std::fs::read_to_string(&file).expect("read");
    text.push_str("\n// a save\n");
    std::fs::write(&file, text).expect("write");
    watching.wait_for("changed: exercises/task2/src/task2_fixed_pool.rs; grading task 2 first");
    let progress = watching.wait_for("progress:");
    assert!(progress.contains(&cell(2, by_hand[1])), "{progress}");
    watching.key("n");
    watching.key("h");
    match first_failing {
        Some(id) => {
            watching.wait_for(&format!("next: {id} ("));
            let info = pool_checks::CATALOGUE.iter().find(|info| info.id == id);
            let hint = info.expect("a catalogued check").hint;
            watching.wait_for(&format!("hint:     {}", &hint[..hint.len().min(30)]));
        }
        None => {
            watching.wait_for("every graded check passes");
            watching.wait_for("no hint needed");
        }
    }
    watching.key("q");
    watching.wait_for("stopped watching");
    assert_eq!(watching.exited(), Some(0));
    let _ = std::fs::remove_dir_all(&root);
}

/// A grader that takes 30 s and starts a process of its own: what quitting must kill.
fn slow_grader(root: &Path) -> PathBuf {
    let script = root.join("slow-grader.sh");
    std::fs::write(&script, "#!/bin/sh\nsleep 30 &\nsleep 30\n").expect("write");
    let mut permissions = std::fs::metadata(&script).expect("metadata").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&script, permissions).expect("chmod");
    script
}

#[test]
fn quitting_leaves_no_child_behind() {
    for (how, marker) in [("q", "quit-by-key"), ("ctrl-c", "quit-by-signal")] {
        let root = workshop_copy(marker);
        let mut watching = start(&root, &slow_grader(&root), marker);
        watching.wait_for("Watching exercises for changes");
        // The first task's grading is under way: two sleeping processes of its own.
        let deadline = Instant::now() + Duration::from_secs(10);
        while marked_processes(marker).len() < 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            marked_processes(marker).len() >= 3,
            "{:?}",
            marked_processes(marker)
        );
        match how {
            "q" => watching.key("q"),
            _ => {
                // Ctrl-C: SIGINT to the watcher alone (which this test started and has not
                // reaped), as kill(1) sends it.
                let sent = Command::new("kill")
                    .args(["-INT", &watching.child.id().to_string()])
                    .status()
                    .expect("Failed to run kill");
                assert!(sent.success(), "kill -INT: {sent}");
            }
        }
        assert_eq!(watching.exited(), Some(0), "{how}");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !marked_processes(marker).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(
            marked_processes(marker),
            Vec::<String>::new(),
            "{how}: left behind"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}

#[test]
fn the_watcher_shows_the_last_run_before_it_grades() {
    let root = workshop_copy("last-run");
    // The last runs passed two of Task 1's checks and never graded the other tasks.
    std::fs::write(
        root.join("last-statuses.json"),
        r#"{"sync-factory": "passed", "sync-reuse": "passed", "sync-reset": "failed"}"#,
    )
    .expect("write");
    let mut watching = start(&root, &slow_grader(&root), "last-run");
    watching.wait_for("As of your last run:");
    let progress = watching.wait_for("progress:");
    let total = pool_checks::CATALOGUE
        .iter()
        .filter(|info| info.task == 1)
        .count();
    assert!(progress.contains(&cell(1, (2, total))), "{progress}");
    assert!(progress.contains("Task 2 [          ] -/-"), "{progress}");
    watching.key("q");
    watching.wait_for("stopped watching");
    let _ = std::fs::remove_dir_all(&root);
}
