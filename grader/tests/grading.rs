//! The grader against the untouched stubs, and what needs no reference: the list, hints,
//! arguments, and `--compare` (live in the maintainers' repository, recorded in the student
//! edition). The grader against the reference itself is in `reference.rs`.

mod common;

use common::{every_check_id, grade_json, grader, statuses, stubs_untouched};

#[test]
fn every_check_is_not_started_on_the_stubs() {
    if !stubs_untouched() {
        return;
    }
    let (report, code) = grade_json(&[]);
    let statuses = statuses(&report);
    assert_eq!(statuses.len(), every_check_id().len(), "every check ran");
    for (id, status) in &statuses {
        assert_eq!(
            status, "not started",
            "check {id} on the stubs:\n{report:#?}"
        );
    }
    assert_eq!(code, Some(1), "exit status 1 when a check did not pass");
}

#[test]
fn the_shipped_tradeoffs_template_answers_nothing() {
    if !stubs_untouched() {
        return;
    }
    let exercises = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../exercises");
    let template = std::fs::read_to_string(exercises.join("TRADEOFFS.md")).unwrap();
    let questions = template
        .lines()
        .filter(|line| line.starts_with("## "))
        .count();
    assert!(questions >= 7, "{questions} questions");
    let (report, _) = grade_json(&["--task", "3"]);
    let documented = report
        .success_criteria
        .as_ref()
        .and_then(|criteria| criteria.last())
        .expect("the checklist ends with the trade-offs");
    assert!(
        documented
            .detail
            .starts_with(&format!("0 of {questions} questions")),
        "{documented:#?}"
    );
}

#[test]
fn the_stubs_point_to_no_answers() {
    if !stubs_untouched() {
        return;
    }
    // A stub teaches what to build; the reference's code is for after the student has tried.
    for path in common::exercise_sources() {
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            let points = line.contains("solutions/src") || line.contains("the reference's ");
            assert!(
                !points,
                "{}:{}: a stub points at the reference's code: {line}",
                path.display(),
                number + 1
            );
        }
    }
}

#[test]
fn the_stubs_report_reads_as_a_student_sees_it() {
    if !stubs_untouched() {
        return;
    }
    let output = grader(&[]);
    let text = String::from_utf8(output.stdout).expect("the report is UTF-8");
    assert!(
        !text.contains('\x1b'),
        "no colour codes when NO_COLOR is set or not on a terminal"
    );
    insta::assert_snapshot!("stubs_report", text);
}

#[test]
fn the_json_report_of_the_stubs_has_a_stable_shape() {
    if stubs_untouched() {
        let (report, _) = grade_json(&["--check", "sync-reuse"]);
        insta::assert_json_snapshot!("stub_json_report", report, {
            ".tasks[].checks[].seconds" => "[seconds]",
        });
    }
}

#[test]
fn list_and_hint_explain_the_checks() {
    let list = grader(&["--list"]);
    assert!(list.status.success());
    insta::assert_snapshot!("list", String::from_utf8_lossy(&list.stdout));
    let hint = grader(&["hint", "sync-oversized"]);
    assert!(hint.status.success());
    insta::assert_snapshot!("hint", String::from_utf8_lossy(&hint.stdout));
}

#[test]
fn bad_arguments_get_a_clear_error() {
    for (args, message) in [
        (&["--frobnicate"][..], "unexpected argument '--frobnicate'"),
        (
            &["--check", "no-such-check"][..],
            "there is no check called `no-such-check`",
        ),
        (
            &["--task", "9"][..],
            "invalid value '9' for '--task <N>': a task number from 1 to 4, not `9`",
        ),
        (&["--task"][..], "a value is required for '--task <N>'"),
        (
            &["--chek", "sync-reuse"][..],
            "a similar argument exists: '--check'",
        ),
        (&["wacth"][..], "unrecognized subcommand 'wacth'"),
        (&["--fixture", "nope"][..], "no fixture called `nope`"),
        (&["hint", "nope"][..], "there is no check called `nope`"),
    ] {
        let output = grader(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?} exits with status 2"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(message),
            "{args:?}: expected {message:?} in {stderr:?}"
        );
    }
}

#[test]
fn every_command_answers_help_and_the_grader_its_version() {
    for (args, words) in [
        (&["--help"][..], "Usage: grader [OPTIONS] [COMMAND]"),
        (&["watch", "--help"], "Re-grade on every save"),
        (
            &["class", "--help"],
            "Usage: grader class [OPTIONS] <PATHS>...",
        ),
        (&["reset", "--help"], "Usage: grader reset [OPTIONS] [TASK]"),
        (
            &["hint", "--help"],
            "With no ID, the first check that did not pass",
        ),
        (
            &["--version"],
            concat!("grader ", env!("CARGO_PKG_VERSION")),
        ),
    ] {
        let output = grader(args);
        let said = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{args:?}: {said}");
        assert!(
            said.contains(words),
            "{args:?}: expected {words:?} in {said}"
        );
    }
}

#[test]
fn hint_with_no_id_explains_the_next_check_and_list_shows_the_last_statuses() {
    let last_run = common::fresh_last_run();
    // Nothing graded yet: the first check of the workshop.
    let said = common::grader_keeping(&["hint"], &last_run);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains("the first check not graded yet") && said.contains("sync-factory (task 1)"),
        "{said}"
    );
    // After a run of one check on the reference (statuses of the exercises only are kept) and
    // one on the exercises, the next is the first that did not pass there.
    std::fs::write(
        &last_run,
        r#"{"sync-factory": "passed", "sync-reuse": "failed"}"#,
    )
    .expect("write");
    let said = common::grader_keeping(&["hint"], &last_run);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains("the first check that did not pass (failed)")
            && said.contains("sync-reuse (task 1)"),
        "{said}"
    );
    let list = common::grader_keeping(&["--list", "--task", "1"], &last_run);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.lines()
            .any(|line| line.contains("passed") && line.contains("sync-factory")),
        "{list}"
    );
    let _ = std::fs::remove_file(&last_run);
}

#[test]
fn the_fixtures_can_be_listed() {
    let output = grader(&["--fixture", "list"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for name in ["sound", "never-reuses", "aliases-buffers", "deadlocks"] {
        assert!(text.contains(name), "{name} listed in {text}");
    }
}

#[test]
fn compare_puts_the_reference_figures_beside_the_students() {
    if !stubs_untouched() {
        return;
    }
    let (report, _) = grade_json(&["--task", "3", "--compare"]);
    let rows = report.analysis.expect("a Task 3 run has an analysis");
    let reference = report
        .reference_analysis
        .expect("--compare adds the reference's");
    assert_eq!(rows.len(), 25, "5 strategies x 5 workloads");
    assert_eq!(reference.len(), 25);
    assert!(rows
        .iter()
        .all(|row| row.missing.as_deref() == Some("not started")));
    for row in &reference {
        let figures = row.figures.as_ref().expect("the reference is measured");
        assert!(figures.one_thread.median > 0.0, "{row:#?}");
        assert!(figures.pooled_allocations >= 0.0, "{row:#?}");
        // The pipeline is two threads already: it has no two-thread figure, every other row has.
        let is_pipeline = row.workload == "pipeline";
        assert_eq!(figures.two_threads.is_some(), !is_pipeline, "{row:#?}");
    }
    let criteria = report.success_criteria.expect("the checklist");
    assert_eq!(criteria.len(), 6);
}
