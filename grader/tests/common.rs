//! Running the real grader binary, as a student or an instructor would.

#![allow(dead_code)] // Each test file uses a different part of this module.

pub use grader::grading::report_schema::Report;
use std::process::{Command, Output};

/// Runs the grader with `args`, without colour.
pub fn grader(args: &[&str]) -> Output {
    grader_keeping(args, &fresh_last_run())
}

/// Runs the grader binary with `args`, keeping its statuses for `--list` and `hint` in
/// `last_run` (each plain [`grader`] call gets a fresh file, so that no test sees another's).
pub fn grader_keeping(args: &[&str], last_run: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("GRADER_LAST_RUN", last_run)
        .output()
        .expect("Failed to run the grader binary")
}

/// A file name no other call uses, for [`grader_keeping`].
pub fn fresh_last_run() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "grader-last-run-{}-{}.json",
        std::process::id(),
        CALLS.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Runs the grader with `args` plus `--json` and reads its report with the report's schema.
pub fn grade_json(args: &[&str]) -> (Report, Option<i32>) {
    let mut all = args.to_vec();
    all.push("--json");
    let output = grader(&all);
    let report: Report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "the grader's --json output is not JSON ({error}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, output.status.code())
}

/// Every check in a report, as (id, status).
pub fn statuses(report: &Report) -> Vec<(String, String)> {
    report
        .checks()
        .map(|check| (check.id.clone(), check.status.clone()))
        .collect()
}

/// The ids of every check the workshop has.
pub fn every_check_id() -> Vec<&'static str> {
    pool_checks::CATALOGUE.iter().map(|info| info.id).collect()
}

/// A digest of the files a student edits (`exercises/task*/src` and `exercises/TRADEOFFS.md`) as the
/// workshop ships them: the stubs. Update it (the failing test prints the new value) whenever a
/// stub is deliberately changed, after reviewing the change.
const STUB_DIGEST: u64 = 0x5db0_1aa4_ca98_d9b5;

/// Whether the files a student edits still hold the stubs as shipped. The tests that grade the
/// untouched stubs run only then: a student's `cargo test --workspace` keeps passing as their
/// pools take shape and their answers are written. For the workshop's maintainers
/// (`WORKSHOP_MAINTAINER` set, as `.ci/run` does) the stubs must be untouched, so a mismatch fails
/// instead of skipping. Not `CI`: GitHub Actions sets it in every student's clone too, where the
/// files hold the student's work.
pub fn stubs_untouched() -> bool {
    let digest = exercises_digest();
    if digest == STUB_DIGEST {
        return true;
    }
    assert!(
        !maintainer(),
        "exercises/task*/src or exercises/TRADEOFFS.md differs from the shipped stubs (digest \
         {digest:#x}); if the stubs were changed on purpose, set STUB_DIGEST in \
         grader/tests/common.rs to {digest:#x}"
    );
    eprintln!("note: exercises/ holds your work, so the tests of the untouched stubs are skipped");
    false
}

/// The `.rs` files of the tasks' crates, `exercises/task*/src/`.
pub fn exercise_sources() -> Vec<std::path::PathBuf> {
    let exercises = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../exercises");
    (1..=pool_checks::TASKS.len())
        .flat_map(|task| {
            let folder = exercises.join(format!("task{task}/src"));
            std::fs::read_dir(&folder)
                .unwrap_or_else(|error| panic!("Failed to read {}: {error}", folder.display()))
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        })
        .collect()
}

/// Whether the workshop's maintainers run these tests (`WORKSHOP_MAINTAINER` set to anything but
/// empty or `0`): then the shipped files must be as shipped.
pub fn maintainer() -> bool {
    std::env::var("WORKSHOP_MAINTAINER").is_ok_and(|value| !value.is_empty() && value != "0")
}

/// FNV-1a over the paths (under `exercises/`) and contents of `exercises/task*/src/*.rs` (in path order), then
/// `exercises/TRADEOFFS.md`.
fn exercises_digest() -> u64 {
    let exercises = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../exercises");
    let mut files = exercise_sources();
    files.sort();
    files.push(exercises.join("TRADEOFFS.md"));
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for path in files {
        // The path under `exercises/`, with `/` on every system: `task1/src/lib.rs`.
        let name = path
            .strip_prefix(&exercises)
            .map(|relative| {
                let parts: Vec<_> = relative.iter().map(|part| part.to_string_lossy()).collect();
                parts.join("/")
            })
            .unwrap_or_default();
        // A missing file digests as empty: the digest then differs, and the tests skip.
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        // Line endings normalized, so that a checkout with CRLF gives the same digest.
        for byte in name.bytes().chain(text.replace("\r\n", "\n").bytes()) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
