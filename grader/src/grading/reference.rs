//! The reference's figures for `--compare` and the class report: measured live where the
//! reference solutions are at hand (the maintainers' repository), read from the figures recorded
//! when the student edition was exported where they are not.

use crate::grading::analysis::{self, Row};
use crate::grading::build::workspace;
use crate::grading::report_schema::{AnalysisRow, Recorded, Report};
use crate::grading::subject::Subject;
use anyhow::{bail, Context, Result};
use pool_checks::strategy::Strategy;
use pool_checks::workloads::Workload;
use std::path::PathBuf;

/// Where the student edition keeps the reference's figures: the JSON report of a whole run of
/// the solutions, with a `recorded` object saying when and on what.
pub const RECORDED: &str = "grader/reference-figures.json";

/// The reference's figures, and where they come from.
pub struct ReferenceFigures {
    /// Task 3's table for the reference.
    pub rows: Vec<Row>,
    /// `None` when measured just now; otherwise when and on what they were recorded.
    pub recorded: Option<String>,
}

/// Whether the reference solutions are part of this workshop (they are not in a student
/// edition).
pub fn solutions_at_hand() -> bool {
    workspace()
        .join("grader/runners/solutions/Cargo.toml")
        .is_file()
}

/// The reference's Task 3 table: measured now if the solutions are here, else as recorded.
pub fn figures() -> Result<ReferenceFigures> {
    if solutions_at_hand() {
        let runner = crate::grading::build::runner(Subject::Solutions)?;
        return Ok(ReferenceFigures {
            rows: analysis::measure(&runner, &[])?,
            recorded: None,
        });
    }
    let path = recorded_path();
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "This edition has no reference solutions to measure, and no recorded figures at {}",
            path.display()
        )
    })?;
    read_recorded(&text)
}

/// The recorded file's path.
pub fn recorded_path() -> PathBuf {
    workspace().join(RECORDED)
}

/// The table and the note of a recorded report.
pub fn read_recorded(text: &str) -> Result<ReferenceFigures> {
    let report: Report =
        serde_json::from_str(text).context("The recorded figures are not a grader report")?;
    let Some(analysis) = report.analysis else {
        bail!("The recorded figures hold no Task 3 table (`analysis`)");
    };
    let note = match report.recorded {
        Some(recorded) => format!("recorded {} on {}", recorded.at, recorded.machine),
        None => "recorded at an unknown date on an unknown machine".to_string(),
    };
    Ok(ReferenceFigures {
        rows: analysis.iter().filter_map(row_of).collect(),
        recorded: Some(note),
    })
}

/// A row of a report's `analysis`, if it names a known strategy and workload.
fn row_of(row: &AnalysisRow) -> Option<Row> {
    Some(Row {
        strategy: Strategy::named(&row.strategy)?.name(),
        workload: Workload::named(&row.workload)?.name(),
        figures: row.figures.clone(),
        missing: match &row.figures {
            Some(_) => None,
            None => Some(row.missing.clone().unwrap_or_else(|| "missing".into())),
        },
    })
}

/// When and on what this machine measures now: the date (UTC), the system, the processors.
pub fn recorded_now() -> Recorded {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    Recorded {
        at: today(),
        machine: format!(
            "{} {}, {cores} cores",
            std::env::consts::OS,
            std::env::consts::ARCH
        ),
    }
}

/// Today's date, `YYYY-MM-DD` in UTC.
fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let (year, month, day) = crate::grading::dates::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_date() {
        let today = today();
        assert_eq!(today.len(), 10, "{today}");
        assert!(today.starts_with("20"), "{today}");
    }

    #[test]
    fn a_recorded_report_gives_its_rows_and_says_when() {
        let text = r#"{
            "report_version": 2, "subject": "solutions", "passed": 0, "total": 0,
            "all_passed": true, "tasks": [],
            "analysis": [
                {"strategy": "sync", "workload": "packet-server", "missing": "not started"},
                {"strategy": "nope", "workload": "packet-server", "missing": "x"}
            ],
            "recorded": {"at": "2026-12-04", "machine": "linux x86_64, 2 cores"}
        }"#;
        let figures = read_recorded(text).expect("it reads");
        assert_eq!(figures.rows.len(), 1, "an unknown strategy is left out");
        assert_eq!(figures.rows[0].strategy, "sync");
        assert_eq!(
            figures.recorded.as_deref(),
            Some("recorded 2026-12-04 on linux x86_64, 2 cores")
        );
        assert!(read_recorded("{}").is_err(), "not a report");
        let no_table = r#"{"report_version": 2, "subject": "solutions", "passed": 0,
            "total": 0, "all_passed": true, "tasks": []}"#;
        assert!(read_recorded(no_table).is_err(), "no table, no figures");
    }
}
