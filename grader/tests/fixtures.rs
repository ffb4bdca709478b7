//! Every check must fail for the broken pool it exists to catch: the grader's fixtures, graded by
//! the real binary, and caught by the right check with the right status, as the one fixture
//! table (grader/runner/src/fixture_table.rs) says. The table's consistency with the catalogue
//! is proven at the end.

mod common;

use common::{every_check_id, grade_json, statuses};
use grader::grading::status::Status;
use grader_runner::fixture_table::{Kind, FIXTURES};
use pool_checks::CATALOGUE;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// (fixture, check, words its message must hold): a failure names its real cause.
const MESSAGES: [(&str, &str, &str); 7] = [
    // A pool that forgets to clear is told so, not accused of aliasing.
    ("never-resets", "sync-stress", "does not clear buffers"),
    // A buffer freed and allocated again at the same address is not "zeroed by the pool".
    (
        "never-reuses",
        "sync-read-reuse",
        "(see the check sync-reuse)",
    ),
    ("deadlocks-on-return", "sync-reuse", "no progress for"),
    // A spin that never ends is told from a deadlock.
    ("loops-forever", "sync-reset", "still running after"),
    ("hoards-memory", "sync-stress", "GiB a check may use"),
    // A put that drops buffers is told so, not collect().
    (
        "drops-when-slot-is-taken",
        "sync-collect-two",
        "put dropped buffers",
    ),
    // One lock for every thread is named as such.
    ("one-shared-lock", "sync-per-thread", "every thread shares"),
];

/// Grades every row of the fixture table: each fixture on each check its row names must report
/// the row's status, and the grader's exit status must agree. The rows run a few at a time
/// (the timed ones wait for the machine's timing lock, as a grader does); every mismatch is
/// listed, not only the first.
#[test]
fn every_fixture_is_graded_as_its_row_says() {
    let rows: Vec<(&str, &str, &str)> = FIXTURES
        .iter()
        .flat_map(|fixture| {
            fixture
                .expected
                .iter()
                .map(|(check, status)| (fixture.name, *check, *status))
        })
        .collect();
    let next = AtomicUsize::new(0);
    let mismatches = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |cores| cores.get());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(&(fixture, check, status)) =
                    rows.get(next.fetch_add(1, Ordering::SeqCst))
                {
                    if let Err(mismatch) = graded_as(fixture, check, status) {
                        mismatches
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(mismatch);
                    }
                }
            });
        }
    });
    let mismatches = mismatches.into_inner().unwrap_or_else(|e| e.into_inner());
    assert!(
        mismatches.is_empty(),
        "{} of {} rows were not graded as the table says:\n\n{}",
        mismatches.len(),
        rows.len(),
        mismatches.join("\n\n")
    );
}

/// Grades `fixture` on `check` and compares with `status`.
fn graded_as(fixture: &str, check: &str, status: &str) -> Result<(), String> {
    let (report, code) = grade_json(&["--fixture", fixture, "--check", check]);
    let seen = statuses(&report);
    let expected_code = if status == "passed" { 0 } else { 1 };
    if seen != vec![(check.to_string(), status.to_string())] || code != Some(expected_code) {
        return Err(format!(
            "fixture {fixture} on {check}: expected {status} (exit {expected_code}), seen \
             {seen:?} (exit {code:?}):\n{report:#?}"
        ));
    }
    Ok(())
}

#[test]
fn failures_name_their_real_cause() {
    for (fixture, check, words) in MESSAGES {
        let (report, _) = grade_json(&["--fixture", fixture, "--check", check]);
        let seen = report
            .checks()
            .next()
            .and_then(|check| check.seen.clone())
            .unwrap_or_default();
        assert!(
            seen.contains(words),
            "{fixture} on {check}: expected {words:?} in what was seen:\n{report:#?}"
        );
    }
}

#[test]
fn no_evidence_shows_negative_bytes() {
    let (report, _) = grade_json(&["--fixture", "sound", "--check", "fixed-stress"]);
    let text = serde_json::to_string(&report).expect("a report");
    assert!(
        !negative_bytes(&text),
        "negative byte counts in the evidence:\n{report:#?}"
    );
}

/// Whether `text` holds "-N bytes" anywhere.
fn negative_bytes(text: &str) -> bool {
    text.match_indices(" -").any(|(at, _)| {
        let rest = &text[at + 2..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && rest[digits..].starts_with(" bytes")
    })
}

#[test]
fn a_deadlocked_pool_costs_seconds_not_minutes() {
    // Every return deadlocks, in every pool: without the grader noticing that the processes use
    // no CPU time, each check would run to its limit (minutes in all). Each is stopped within a
    // few seconds instead. (The whole run's wall time depends on the other tests running beside
    // this one; alone it is well under a minute, as the closing note of the change says.)
    let (report, code) = grade_json(&["--fixture", "deadlocks-on-return"]);
    assert_eq!(code, Some(1));
    let mut timed_out = 0;
    for check in report.checks().filter(|check| check.status == "timed out") {
        timed_out += 1;
        let seen = check.seen.as_deref().unwrap_or_default();
        assert!(
            check.seconds < 6.0 && seen.contains("no progress for"),
            "stopped as deadlocked within seconds: {check:#?}"
        );
    }
    assert!(
        timed_out >= 30,
        "{timed_out} checks timed out:\n{report:#?}"
    );
}

#[test]
fn the_sound_fixture_passes_every_check() {
    // The control: the fixtures' pool without a flaw. If it failed a check, the flawed variants
    // would prove nothing about that check.
    let (report, code) = grade_json(&["--fixture", "sound"]);
    for (id, status) in statuses(&report) {
        assert_eq!(
            status, "passed",
            "the sound fixture fails {id}:\n{report:#?}"
        );
    }
    assert_eq!(code, Some(0));
}

#[test]
fn a_deadlock_times_out_and_the_other_checks_still_run() {
    let (report, _) = grade_json(&["--fixture", "deadlocks", "--task", "1"]);
    let passed = statuses(&report)
        .iter()
        .filter(|(_, s)| s == "passed")
        .count();
    let task1 = every_check_id()
        .iter()
        .filter(|id| id.starts_with("sync-"))
        .count();
    assert_eq!(passed, task1 - 1, "only sync-warm deadlocks:\n{report:#?}");
}

// The table itself: one row per flaw, rows that name real checks and statuses of their kind,
// and a fixture for every check.

#[test]
fn every_flaw_has_one_row_and_the_control_comes_first() {
    assert_eq!(FIXTURES[0].kind, Kind::Control);
    for (index, fixture) in FIXTURES.iter().enumerate() {
        let same_flaw = FIXTURES.iter().filter(|f| f.flaw == fixture.flaw).count();
        let same_name = FIXTURES.iter().filter(|f| f.name == fixture.name).count();
        assert_eq!((same_flaw, same_name), (1, 1), "row {index}: {fixture:?}");
        assert_eq!(fixture.flaw.fixture(), fixture);
    }
}

#[test]
fn every_row_expects_real_checks_and_statuses_of_its_kind() {
    for fixture in FIXTURES {
        assert_eq!(
            fixture.expected.is_empty(),
            fixture.kind == Kind::Control,
            "{}: only the control (graded on every check) has no row of checks",
            fixture.name
        );
        for (check, status) in fixture.expected {
            assert!(
                CATALOGUE.iter().any(|info| info.id == *check),
                "{}: no check {check}",
                fixture.name
            );
            assert!(Status::WORDS.contains(status), "{}: {status}", fixture.name);
            let passes = *status == "passed";
            assert_eq!(
                passes,
                fixture.kind == Kind::Correct,
                "{} on {check}: a broken fixture must not pass, a correct one must",
                fixture.name
            );
        }
    }
}

#[test]
fn every_check_names_a_fixture_whose_row_says_it_fails() {
    for info in CATALOGUE {
        let fixture = FIXTURES.iter().find(|fixture| fixture.name == info.fixture);
        let fixture = fixture.unwrap_or_else(|| panic!("{}: no fixture {}", info.id, info.fixture));
        assert!(
            fixture
                .expected
                .iter()
                .any(|(check, status)| *check == info.id && *status != "passed"),
            "{}: the row of {} does not say it fails this check",
            info.id,
            fixture.name
        );
    }
}
