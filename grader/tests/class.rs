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
