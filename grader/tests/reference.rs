//! The grader against the reference solutions: every check passes, and the reports read as
//! they should. The maintainers' tests: the student edition (`export-student`) leaves this file
//! out with the solutions.

mod common;

use common::{every_check_id, grade_json, grader, statuses};

#[test]
fn every_check_passes_on_the_solutions() {
    let (report, code) = grade_json(&["--solutions"]);
    let statuses = statuses(&report);
    assert_eq!(statuses.len(), every_check_id().len(), "every check ran");
    for (id, status) in &statuses {
        assert_eq!(
            status, "passed",
            "check {id} on the solutions:\n{report:#?}"
        );
    }
    assert!(report.all_passed);
    assert_eq!(code, Some(0), "exit status 0 when every check passed");
}

#[test]
fn the_solutions_report_lists_measured_evidence() {
    let output = grader(&["--solutions", "--task", "1"]);
    let text = String::from_utf8(output.stdout).expect("the report is UTF-8");
    // Only the figures that vary from run to run are masked; the rest must stay as they are.
    let volatile = vec![
        (
            r"\d+ buffer allocation\(s\) \(blocks of (\d+) bytes or more\) and \d+ bookkeeping",
            "[N] buffer allocation(s) (blocks of $1 bytes or more) and [N] bookkeeping",
        ),
        (r"\d+ bytes freed", "[N] bytes freed"),
        (r"every byte freed|\d+ bytes left", "[what is left]"),
    ];
    insta::with_settings!({filters => volatile}, {
        insta::assert_snapshot!("solutions_report", text);
    });
}

#[test]
fn a_task_or_a_check_can_be_selected() {
    let (report, code) = grade_json(&["--solutions", "--task", "4"]);
    let ids = statuses(&report);
    assert!(ids.iter().all(|(id, _)| id.starts_with("prod-")), "{ids:?}");
    assert_eq!(report.total, ids.len());
    assert_eq!(code, Some(0), "every Task 4 check passes:\n{report:#?}");
    let (report, _) = grade_json(&["--solutions", "--check", "sync-warm"]);
    assert_eq!(
        statuses(&report),
        vec![("sync-warm".to_string(), "passed".to_string())]
    );
}

#[test]
fn the_json_report_of_the_solutions_has_a_stable_shape() {
    let (report, _) = grade_json(&["--solutions", "--check", "sync-reuse"]);
    insta::assert_json_snapshot!("solutions_json_report", report, {
        ".tasks[].checks[].seconds" => "[seconds]",
    });
}

#[test]
fn the_reference_answers_every_tradeoffs_question() {
    let reference =
        std::fs::read_to_string(grader::grading::tradeoffs::file_of("solutions")).unwrap();
    let tally = grader::grading::tradeoffs::count(&reference);
    assert!(tally.questions >= 7, "{tally:?}");
    assert_eq!(tally.answered, tally.questions, "the reference answers all");
}
