//! `class`, through the real binary, on reports kept in `grader/tests/class/` (a stub run, a
//! reference run and a fixture run, as `--json` wrote them) plus three made here: one whose
//! totals were edited, one from report version 1, one that is not a report.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

fn kept(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/class")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("a kept report")).expect("JSON")
}

/// A folder holding the kept reports and the made ones.
fn class_folder() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grader-class-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    for name in ["stubs.json", "reference.json", "never-resets.json"] {
        std::fs::write(dir.join(name), kept(name).to_string()).expect("write");
    }
    // A student who edited the totals to look done.
    let mut tampered = kept("never-resets.json");
    tampered["passed"] = 54.into();
    tampered["all_passed"] = true.into();
    tampered["subject"] = "exercises".into();
    std::fs::write(dir.join("tampered.json"), tampered.to_string()).expect("write");
    // A report from an older grader: version 1, ratios as [median, lowest, highest].
    let mut old = kept("reference.json");
    old["report_version"] = 1.into();
    old["subject"] = "exercises".into();
    for row in old["analysis"].as_array_mut().expect("analysis") {
        let one = row["figures"]["one_thread"].clone();
        row["figures"]["one_thread"] =
            serde_json::json!([one["median"], one["lowest"], one["highest"]]);
    }
    std::fs::write(dir.join("old-version.json"), old.to_string()).expect("write");
    std::fs::write(dir.join("not-a-report.json"), "{\"hello\": 1}").expect("write");
    dir
}

#[test]
fn the_class_report_reads_every_report_and_flags_the_odd_ones() {
    let dir = class_folder();
    let (csv, html) = (dir.join("out.csv"), dir.join("out.html"));
    let output = common::grader(&[
        "class",
        &dir.to_string_lossy(),
        "--csv",
        &csv.to_string_lossy(),
        "--html",
        &html.to_string_lossy(),
    ]);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("tampered totals: it says 54/54 passed, its checks say 25/54"),
        "{text}"
    );
    assert!(
        text.contains("report version 1, this grader writes 2"),
        "{text}"
    );
    assert!(text.contains("not a grader report"), "{text}");
    insta::assert_snapshot!("class_text", text);
    insta::assert_snapshot!("class_csv", std::fs::read_to_string(&csv).expect("the CSV"));
    let page = std::fs::read_to_string(&html).expect("the HTML page");
    // Self-contained: nothing to run, nothing to fetch.
    assert!(
        !page.contains("<script") && !page.contains(" src=") && !page.contains(" href="),
        "{page}"
    );
    insta::assert_snapshot!("class_html", page);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_class_report_needs_reports() {
    let output = common::grader(&["class"]);
    assert_eq!(output.status.code(), Some(2));
    let output = common::grader(&["class", "/no/such/folder"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"));
}

/// A class of `size` students made from the kept reference report: every student passes most
/// checks; `prod-limit-wait` fails for most of them, `sync-warm` for a few; two students' Task 1
/// does not compile; the last five have not started Task 4; the ratios spread around the
/// reference's.
fn made_class(size: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grader-class-30-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let template = kept("reference.json");
    for student in 0..size {
        let mut report = template.clone();
        report["subject"] = "exercises".into();
        let (mut passed, mut total) = (0, 0);
        for task in report["tasks"].as_array_mut().expect("tasks") {
            let number = task["task"].as_u64().expect("a task number");
            for check in task["checks"].as_array_mut().expect("checks") {
                let id = check["id"].as_str().expect("an id").to_string();
                let status = if number == 1 && student < 2 {
                    "does not compile"
                } else if number == 4 && student >= size - 5 {
                    "not started"
                } else if (id == "prod-limit-wait" && student % 5 != 0)
                    || (id == "sync-warm" && student % 7 == 3)
                {
                    "failed"
                } else {
                    "passed"
                };
                check["status"] = status.into();
                passed += usize::from(status == "passed");
                total += 1;
            }
        }
        report["passed"] = passed.into();
        report["total"] = total.into();
        report["all_passed"] = (passed == total).into();
        let scale = 0.4 + student as f64 / size as f64;
        for row in report["analysis"].as_array_mut().expect("analysis") {
            let median = row["figures"]["one_thread"]["median"]
                .as_f64()
                .expect("a median");
            row["figures"]["one_thread"]["median"] = (median * scale).into();
        }
        let name = format!(
            "student-{:02}-{}",
            student + 1,
            ["ana", "bo", "chen"][student % 3]
        );
        std::fs::write(dir.join(format!("{name}.json")), report.to_string()).expect("write");
    }
    std::fs::write(
        dir.join("reference.json"),
        kept("reference.json").to_string(),
    )
    .expect("write");
    dir
}

#[test]
fn the_class_page_shows_a_class_of_thirty_at_a_glance() {
    let size = 32;
    let dir = made_class(size);
    let html = dir.join("class.html");
    let output = common::grader(&[
        "class",
        &dir.to_string_lossy(),
        "--html",
        &html.to_string_lossy(),
    ]);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{text}");
    let page = std::fs::read_to_string(&html).expect("the page");
    // Every student is named.
    for student in 0..size {
        let prefix = format!("student-{:02}-", student + 1);
        assert!(page.contains(&prefix), "{prefix} is on the page");
    }
    // The grid fits one screen's width (1440 px), and its checks come most failed first.
    let grid = page
        .split("<svg")
        .find(|svg| svg.contains("(task 1)"))
        .expect("the grid");
    let width: f64 = grid
        .split("width=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|width| width.parse().ok())
        .expect("the grid's width");
    assert!(width <= 1440.0, "the grid is {width} px wide");
    let labels: Vec<&str> = grid
        .split("text-anchor=\"end\">")
        .skip(1)
        .filter_map(|rest| rest.split(" (task").next())
        .collect();
    assert_eq!(&labels[..2], ["prod-limit-wait", "sync-warm"], "{labels:?}");
    assert!(
        page.contains("Task 4: 5 not started: student-28-"),
        "who has not started Task 4"
    );
    // The text report says the same.
    assert!(
        text.contains("Checks the class fails most:\n  prod-limit-wait"),
        "{text}"
    );
    assert!(text.contains("Task 4 not started: student-28-"), "{text}");
    // For the README's picture: the page of this class, in the tests' scratch folder.
    let kept_page = Path::new(env!("CARGO_TARGET_TMPDIR")).join("class-of-32.html");
    std::fs::write(kept_page, &page).expect("write");
    let _ = std::fs::remove_dir_all(&dir);
}
