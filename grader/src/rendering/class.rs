//! `class`: many students' JSON reports (`--json`) read into one table, for an instructor:
//! checks passed per task, the packet-server ratios beside the reference's, and a flag on any
//! report from another report version or whose totals disagree with its own checks. Rendered
//! for the terminal and as CSV here, as a self-contained HTML page in `class_html`.

use crate::grading::report_schema::{AnalysisRow, Report};
use anyhow::{bail, Context, Result};
use pool_checks::strategy::Strategy;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The report version this grader writes (and reads without a flag).
pub const REPORT_VERSION: u64 = crate::rendering::json::REPORT_VERSION as u64;

/// One student's report, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassRow {
    /// The report's file name, without `.json`.
    pub name: String,
    /// Whose pools it graded (`exercises`, `solutions`, `fixture NAME`).
    pub subject: String,
    /// Checks passed and checks run, counted from the report's own checks.
    pub passed: usize,
    /// Checks run.
    pub total: usize,
    /// Per task in the report: (task, passed, checks).
    pub tasks: Vec<(u8, usize, usize)>,
    /// The packet server's one-thread ratio per strategy (`None`: not measured).
    pub ratios: Vec<(&'static str, Option<f64>)>,
    /// Each check in the report, with its status word: (id, status).
    pub checks: Vec<(String, String)>,
    /// What is wrong with the report itself.
    pub flags: Vec<String>,
}

impl ClassRow {
    /// `passed/checks` for task `number`, or `-` if the report has no such task.
    pub fn task_cell(&self, number: u8) -> String {
        self.tasks
            .iter()
            .find(|(task, ..)| *task == number)
            .map_or_else(
                || "-".to_string(),
                |(_, passed, total)| format!("{passed}/{total}"),
            )
    }
}

/// A ratio as a table shows it: `18.3x`, or `-` when not measured.
pub fn ratio_cell(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.1}x"))
}

/// Every report read, and the reference's ratios to compare with.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassReport {
    /// One row per report, in the order of the paths given (a folder's files by name).
    pub rows: Vec<ClassRow>,
    /// The reference's packet-server ratios: from a report of the solutions among the inputs,
    /// else from a report made with `--compare`.
    pub reference: Option<Vec<(&'static str, Option<f64>)>>,
}

/// How the class stands on one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckTally {
    /// The check's id.
    pub id: &'static str,
    /// Its task.
    pub task: u8,
    /// Students whose check ran and did not pass (failed, crashed, timed out, out of memory).
    pub failed: usize,
    /// Students whose code for it does not compile.
    pub not_compiling: usize,
    /// Students who have not started it.
    pub not_started: usize,
    /// Students who passed it.
    pub passed: usize,
}

impl ClassReport {
    /// The students' reports: readable, and not the reference's.
    pub fn students(&self) -> impl Iterator<Item = &ClassRow> {
        self.rows
            .iter()
            .filter(|row| row.total > 0 && row.subject != "solutions")
    }

    /// Every check of the catalogue, the ones the class fails most first (then the ones that
    /// do not compile most, then the ones passed least); catalogue order breaks ties.
    pub fn checks_by_failures(&self) -> Vec<CheckTally> {
        let mut tallies: Vec<CheckTally> = pool_checks::CATALOGUE
            .iter()
            .map(|info| {
                let mut tally = CheckTally {
                    id: info.id,
                    task: info.task,
                    failed: 0,
                    not_compiling: 0,
                    not_started: 0,
                    passed: 0,
                };
                for row in self.students() {
                    match row.status_of(info.id) {
                        Some("passed") => tally.passed += 1,
                        Some("not started") | None => tally.not_started += 1,
                        Some("does not compile") => tally.not_compiling += 1,
                        Some(_) => tally.failed += 1,
                    }
                }
                tally
            })
            .collect();
        tallies.sort_by_key(|tally| {
            (
                std::cmp::Reverse(tally.failed),
                std::cmp::Reverse(tally.not_compiling),
                tally.passed,
            )
        });
        tallies
    }

    /// For each task, the students who have not started it: every one of its checks not
    /// started (or not in their report).
    pub fn not_started(&self) -> Vec<(u8, Vec<&str>)> {
        pool_checks::TASKS
            .iter()
            .map(|task| {
                let names = self
                    .students()
                    .filter(|row| {
                        pool_checks::CATALOGUE
                            .iter()
                            .filter(|info| info.task == task.number)
                            .all(|info| {
                                matches!(row.status_of(info.id), Some("not started") | None)
                            })
                    })
                    .map(|row| row.name.as_str())
                    .collect();
                (task.number, names)
            })
            .collect()
    }
}

impl ClassRow {
    /// The status word of check `id` in this report, if the report has it.
    pub fn status_of(&self, id: &str) -> Option<&str> {
        self.checks
            .iter()
            .find(|(check, _)| check == id)
            .map(|(_, status)| status.as_str())
    }
}

/// The JSON files at `paths`: files as given, folders' `*.json` files in name order.
pub fn report_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("Failed to read the folder {}", path.display()))?
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|file| file.extension().is_some_and(|ext| ext == "json"))
                .collect();
            found.sort();
            files.extend(found);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            bail!("{} does not exist", path.display());
        }
    }
    if files.is_empty() {
        bail!("no JSON reports found: give files, or folders holding them");
    }
    Ok(files)
}

/// Reads every report in `files`.
pub fn read(files: &[PathBuf]) -> ClassReport {
    let mut rows = Vec::new();
    let mut reference = None;
    let mut compared = None;
    for file in files {
        let name = file
            .file_stem()
            .map_or_else(String::new, |stem| stem.to_string_lossy().into_owned());
        let parsed = std::fs::read_to_string(file)
            .map_err(|error| error.to_string())
            .and_then(|text| serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()));
        let report = match parsed {
            Ok(value) if value.get("tasks").is_some() => match read_report(value) {
                Ok(report) => report,
                Err(error) => {
                    rows.push(unreadable(
                        name,
                        format!("a report this grader cannot read: {error}"),
                    ));
                    continue;
                }
            },
            Ok(_) => {
                rows.push(unreadable(name, "not a grader report (no tasks)".into()));
                continue;
            }
            Err(error) => {
                rows.push(unreadable(name, format!("not a grader report: {error}")));
                continue;
            }
        };
        let row = row_of(name, &report);
        if row.subject == "solutions" && reference.is_none() {
            reference = Some(row.ratios.clone());
        }
        if compared.is_none() {
            compared = report.reference_analysis.as_deref().map(ratios_of);
        }
        rows.push(row);
    }
    ClassReport {
        rows,
        reference: reference.or(compared).or_else(recorded_reference),
    }
}

/// The reference's ratios as a student edition recorded them, if this is one.
fn recorded_reference() -> Option<Vec<(&'static str, Option<f64>)>> {
    let text = std::fs::read_to_string(crate::grading::reference::recorded_path()).ok()?;
    let report: Report = serde_json::from_str(&text).ok()?;
    report.analysis.as_deref().map(ratios_of)
}

/// A report as the schema reads it; one of version 1 is upgraded first (its ratios were
/// `[median, lowest, highest]` and its peaks `[first half, second half]`).
fn read_report(mut value: Value) -> Result<Report, serde_json::Error> {
    if value["report_version"].as_u64() == Some(1) {
        for key in ["analysis", "reference_analysis"] {
            for row in value[key].as_array_mut().into_iter().flatten() {
                let figures = &mut row["figures"];
                for ratio in ["one_thread", "two_threads"] {
                    if let Some([median, lowest, highest]) = figures[ratio]
                        .as_array()
                        .map(|a| [0, 1, 2].map(|i| a.get(i).and_then(Value::as_f64).unwrap_or(0.0)))
                    {
                        figures[ratio] = serde_json::json!({
                            "median": median, "lowest": lowest, "highest": highest, "rounds": 0
                        });
                    }
                }
                if let Some(peaks) = figures["peak_live"].as_array().cloned() {
                    figures["peak_live"] = serde_json::json!({
                        "first_half": peaks.first(), "second_half": peaks.get(1)
                    });
                }
            }
        }
    }
    serde_json::from_value(value)
}

fn unreadable(name: String, why: String) -> ClassRow {
    ClassRow {
        name,
        subject: String::new(),
        passed: 0,
        total: 0,
        tasks: Vec::new(),
        ratios: Strategy::ALL.iter().map(|s| (s.name(), None)).collect(),
        checks: Vec::new(),
        flags: vec![why],
    }
}

fn row_of(name: String, report: &Report) -> ClassRow {
    let mut flags = Vec::new();
    if u64::from(report.report_version) != REPORT_VERSION {
        flags.push(format!(
            "report version {}, this grader writes {REPORT_VERSION}: figures may not compare",
            report.report_version
        ));
    }
    let tasks: Vec<(u8, usize, usize)> = report
        .tasks
        .iter()
        .map(|task| {
            let passed = task.checks.iter().filter(|c| c.status == "passed").count();
            (task.task, passed, task.checks.len())
        })
        .collect();
    let passed: usize = tasks.iter().map(|(_, passed, _)| passed).sum();
    let total: usize = tasks.iter().map(|(_, _, total)| total).sum();
    let claimed = (report.passed, report.total, report.all_passed);
    if claimed != (passed, total, passed == total) {
        flags.push(format!(
            "tampered totals: it says {}/{} passed, its checks say {passed}/{total}",
            report.passed, report.total
        ));
    }
    ClassRow {
        name,
        subject: report.subject.clone(),
        passed,
        total,
        tasks,
        ratios: ratios_of(report.analysis.as_deref().unwrap_or_default()),
        checks: report
            .checks()
            .map(|check| (check.id.clone(), check.status.clone()))
            .collect(),
        flags,
    }
}

/// The packet server's one-thread median ratio per strategy, from an `analysis` table.
fn ratios_of(analysis: &[AnalysisRow]) -> Vec<(&'static str, Option<f64>)> {
    Strategy::ALL
        .iter()
        .map(|strategy| {
            let median = analysis
                .iter()
                .find(|row| row.strategy == strategy.name() && row.workload == "packet-server")
                .and_then(|row| row.figures.as_ref())
                .map(|figures| figures.one_thread.median);
            (strategy.name(), median)
        })
        .collect()
}

/// The table for the terminal.
pub fn render_text(class: &ClassReport) -> String {
    use std::fmt::Write;
    let mut out = format!("Class report: {} report(s)\n", class.rows.len());
    let mut header = format!("  {:<16} {:<22} {:>7}", "report", "subject", "passed");
    for task in pool_checks::TASKS {
        let _ = write!(header, " {:>7}", format!("task {}", task.number));
    }
    for strategy in Strategy::ALL {
        let _ = write!(header, " {:>8}", strategy.name());
    }
    let _ = writeln!(out, "{header}  flags");
    for row in &class.rows {
        let mut line = format!(
            "  {:<16} {:<22} {:>7}",
            row.name,
            row.subject,
            format!("{}/{}", row.passed, row.total)
        );
        for task in pool_checks::TASKS {
            let _ = write!(line, " {:>7}", row.task_cell(task.number));
        }
        for (_, value) in &row.ratios {
            let _ = write!(line, " {:>8}", ratio_cell(*value));
        }
        let flags = if row.flags.is_empty() {
            String::new()
        } else {
            format!("  FLAGGED: {}", row.flags.join("; "))
        };
        let _ = writeln!(out, "{line}{flags}");
    }
    if let Some(reference) = &class.reference {
        let mut line = format!("  {:<16} {:<22} {:>7}", "(reference)", "solutions", "");
        for _ in pool_checks::TASKS {
            let _ = write!(line, " {:>7}", "");
        }
        for (_, value) in reference {
            let _ = write!(line, " {:>8}", ratio_cell(*value));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let _ = writeln!(
        out,
        "Ratios: the packet server's throughput over the unpooled baseline, one thread (median)."
    );
    let failing: Vec<CheckTally> = class
        .checks_by_failures()
        .into_iter()
        .filter(|tally| tally.failed + tally.not_compiling > 0)
        .take(10)
        .collect();
    if !failing.is_empty() {
        let _ = writeln!(out, "\nChecks the class fails most:");
        for tally in failing {
            let _ = writeln!(
                out,
                "  {:<22} task {}  {} failed, {} do not compile, {} passed",
                tally.id, tally.task, tally.failed, tally.not_compiling, tally.passed
            );
        }
    }
    for (task, names) in class.not_started() {
        if !names.is_empty() {
            let _ = writeln!(out, "Task {task} not started: {}", names.join(", "));
        }
    }
    out
}

/// The table as CSV: one line per report, figures as plain numbers.
pub fn render_csv(class: &ClassReport) -> String {
    let mut header = vec![
        "report".to_string(),
        "subject".into(),
        "passed".into(),
        "total".into(),
    ];
    header.extend(
        pool_checks::TASKS
            .iter()
            .map(|t| format!("task{}_passed", t.number)),
    );
    header.extend(
        pool_checks::TASKS
            .iter()
            .map(|t| format!("task{}_total", t.number)),
    );
    header.extend(Strategy::ALL.iter().map(|s| format!("{}_ratio", s.name())));
    header.push("flags".into());
    let mut out = header.join(",") + "\n";
    for row in &class.rows {
        let task = |number: u8| row.tasks.iter().find(|(n, ..)| *n == number);
        let mut cells = vec![
            csv_field(&row.name),
            csv_field(&row.subject),
            row.passed.to_string(),
            row.total.to_string(),
        ];
        cells.extend(
            pool_checks::TASKS
                .iter()
                .map(|t| task(t.number).map_or(String::new(), |(_, p, _)| p.to_string())),
        );
        cells.extend(
            pool_checks::TASKS
                .iter()
                .map(|t| task(t.number).map_or(String::new(), |(_, _, n)| n.to_string())),
        );
        cells.extend(
            row.ratios
                .iter()
                .map(|(_, v)| v.map_or(String::new(), |v| format!("{v:.2}"))),
        );
        cells.push(csv_field(&row.flags.join("; ")));
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Writes `text` to `path`, saying so on standard error.
pub fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("Failed to write {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
