//! Every check must fail for the broken pool it exists to catch: the grader's fixtures, graded by
//! the real binary, and caught by the right check with the right status.

mod common;

use common::{every_check_id, grade_json, statuses};

/// (fixture, the check that must catch it, the status that check must report).
const CAUGHT_BY: [(&str, &str, &str); 16] = [
    ("ignores-factory", "sync-factory", "failed"),
    ("never-reuses", "sync-reuse", "failed"),
    ("never-resets", "sync-reset", "failed"),
    ("zeroes-read-buffers", "sync-read-reuse", "failed"),
    ("keeps-oversized", "sync-oversized", "failed"),
    ("warm-does-nothing", "sync-warm", "failed"),
    ("collect-frees-at-once", "sync-collect-one", "failed"),
    ("collect-never-frees", "sync-collect-two", "failed"),
    ("strands-other-threads", "sync-cross-thread", "failed"),
    ("leaks-on-drop", "sync-stress", "failed"),
    ("aliases-buffers", "sync-stress", "failed"),
    ("deadlocks", "sync-warm", "timed out"),
    ("loops-forever", "sync-reset", "timed out"),
    ("panics", "sync-collect-one", "crashed"),
    ("aborts", "sync-read-reuse", "crashed"),
    ("overflows-stack", "sync-oversized", "crashed"),
];

fn assert_caught(fixture: &str) {
    let (_, check, status) = CAUGHT_BY
        .iter()
        .find(|(name, ..)| *name == fixture)
        .expect("the fixture is in the table");
    let (report, code) = grade_json(&["--fixture", fixture, "--check", check]);
    assert_eq!(
        statuses(&report),
        vec![(check.to_string(), status.to_string())],
        "fixture {fixture} must be caught by {check}:\n{report:#}"
    );
    assert_eq!(
        code,
        Some(1),
        "a caught fixture makes the grader exit with status 1"
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
            "the sound fixture fails {id}:\n{report:#}"
        );
    }
    assert_eq!(code, Some(0));
}

#[test]
fn every_check_has_a_fixture_that_fails_it() {
    for id in every_check_id() {
        assert!(
            CAUGHT_BY
                .iter()
                .any(|(_, check, status)| *check == id && *status == "failed"),
            "no fixture proves that check {id} can fail"
        );
    }
}

#[test]
fn ignores_factory() {
    assert_caught("ignores-factory");
}

#[test]
fn never_reuses() {
    assert_caught("never-reuses");
}

#[test]
fn never_resets() {
    assert_caught("never-resets");
}

#[test]
fn zeroes_read_buffers() {
    assert_caught("zeroes-read-buffers");
}

#[test]
fn keeps_oversized() {
    assert_caught("keeps-oversized");
}

#[test]
fn warm_does_nothing() {
    assert_caught("warm-does-nothing");
}

#[test]
fn collect_frees_at_once() {
    assert_caught("collect-frees-at-once");
}

#[test]
fn collect_never_frees() {
    assert_caught("collect-never-frees");
}

#[test]
fn strands_other_threads() {
    assert_caught("strands-other-threads");
}

#[test]
fn leaks_on_drop() {
    assert_caught("leaks-on-drop");
}

#[test]
fn aliases_buffers() {
    assert_caught("aliases-buffers");
}

#[test]
fn a_deadlock_times_out_and_the_other_checks_still_run() {
    assert_caught("deadlocks");
    let (report, _) = grade_json(&["--fixture", "deadlocks"]);
    let passed = statuses(&report)
        .iter()
        .filter(|(_, s)| s == "passed")
        .count();
    assert_eq!(
        passed,
        every_check_id().len() - 1,
        "only sync-warm deadlocks:\n{report:#}"
    );
}

#[test]
fn an_endless_loop_times_out() {
    assert_caught("loops-forever");
}

#[test]
fn a_panic_crashes_one_check() {
    assert_caught("panics");
}

#[test]
fn an_abort_crashes_one_check() {
    assert_caught("aborts");
}

#[test]
fn a_stack_overflow_crashes_one_check() {
    assert_caught("overflows-stack");
}
