//! Running the real grader binary, as a student or an instructor would.

#![allow(dead_code)] // Each test file uses a different part of this module.

use serde_json::Value;
use std::process::{Command, Output};

/// Runs the grader with `args`, without colour.
pub fn grader(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grader"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("Failed to run the grader binary")
}

/// Runs the grader with `args` plus `--json` and parses its report.
pub fn grade_json(args: &[&str]) -> (Value, Option<i32>) {
    let mut all = args.to_vec();
    all.push("--json");
    let output = grader(&all);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "the grader's --json output is not JSON ({error}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, output.status.code())
}

/// Every check in a JSON report, as (id, status).
pub fn statuses(report: &Value) -> Vec<(String, String)> {
    report["tasks"]
        .as_array()
        .expect("tasks is an array")
        .iter()
        .flat_map(|task| {
            task["checks"]
                .as_array()
                .expect("checks is an array")
                .iter()
        })
        .map(|check| {
            (
                check["id"].as_str().expect("id").to_string(),
                check["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

/// The ids of every check the workshop has.
pub fn every_check_id() -> Vec<&'static str> {
    pool_checks::checks::<solutions::Workshop>()
        .iter()
        .map(|check| check.info.id)
        .collect()
}
