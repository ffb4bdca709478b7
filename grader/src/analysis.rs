//! Task 3's performance table: every strategy on every standard workload, measured in a child
//! process of its own (alone on the machine), and the exercise's checklist of success criteria
//! with the measured figures.

use crate::child::{MeasuredFigures, FIGURES_TAG};
use crate::cli::MEASURE;
use crate::isolation::{run_child, CheckResult, Status};
use crate::subject::Subject;
use anyhow::Result;
use pool_checks::task3::Strategy;
use pool_checks::workloads::Workload;
use serde::Serialize;
use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

/// How long one measurement may take.
const MEASURE_LIMIT: Duration = Duration::from_secs(60);

/// One cell of the table: a strategy on a workload, for one subject.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The strategy (`sync`, `fixed`, `class`, `adaptive`).
    pub strategy: &'static str,
    /// The workload (`packet-server`, `framing`, `small-buffers`).
    pub workload: &'static str,
    /// The figures, when the measurement ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<MeasuredFigures>,
    /// Why there are no figures (`not started`, `crashed: ...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

/// Measures every strategy on every workload for `subject`, one child process at a time. A
/// strategy whose criteria check, among `results`, never finished (it timed out, ran out of
/// memory or crashed) is not measured again: its rows say why, and a deadlocked pool does not
/// cost three more time limits.
pub fn measure(subject: Subject, results: &[CheckResult]) -> Result<Vec<Row>> {
    // Every row times things: no other grader on the machine times meanwhile.
    let _timing = crate::timing_lock::acquire();
    let mut rows = Vec::new();
    for strategy in Strategy::ALL {
        let criteria = format!("criteria-{}", strategy.name());
        let unfinished = results.iter().find(|result| {
            result.info.id == criteria
                && matches!(
                    result.status,
                    Status::TimedOut { .. } | Status::OutOfMemory { .. } | Status::Crashed { .. }
                )
        });
        if let Some(result) = unfinished {
            for workload in Workload::ALL {
                rows.push(Row {
                    strategy: strategy.name(),
                    workload: workload.name(),
                    figures: None,
                    missing: Some(format!("skipped: {} {}", criteria, result.status.word())),
                });
            }
            continue;
        }
        for workload in Workload::ALL {
            let mut args = vec![
                MEASURE.to_string(),
                strategy.name().to_string(),
                workload.name().to_string(),
            ];
            args.extend(subject.args());
            let what = format!("measuring {} on {}", strategy.name(), workload.name());
            let run = run_child(&args, MEASURE_LIMIT, &what)?;
            let figures = run.tagged::<MeasuredFigures>(FIGURES_TAG);
            let missing = match (&figures, run.status()) {
                (Some(_), _) => None,
                (None, Status::Failed(failure)) => Some(format!("failed: {}", failure.seen)),
                (None, Status::Crashed { detail }) => Some(format!("crashed: {detail}")),
                (None, status) => Some(status.word().to_string()),
            };
            rows.push(Row {
                strategy: strategy.name(),
                workload: workload.name(),
                figures,
                missing,
            });
        }
    }
    Ok(rows)
}

/// The table as text; with `reference`, the reference's figures beside each row.
pub fn render_table(rows: &[Row], reference: Option<&[Row]>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Performance analysis: pooled against unpooled, per message (informational; the criteria \
         checks grade the packet server)"
    );
    let _ = writeln!(
        out,
        "  {:<9} {:<14} {:>22} {:>7} {:>9} {:>10} {:>21}",
        "strategy",
        "workload",
        "allocator calls",
        "fewer",
        "1 thread",
        "2 threads",
        "peak live (KiB)"
    );
    for row in rows {
        let _ = writeln!(out, "  {}", render_row(row));
        if let Some(reference) = reference {
            let same = reference
                .iter()
                .find(|r| r.strategy == row.strategy && r.workload == row.workload);
            if let Some(same) = same {
                let _ = writeln!(out, "  {} (reference)", render_row(same));
            }
        }
    }
    out
}

fn render_row(row: &Row) -> String {
    let Some(figures) = &row.figures else {
        return format!(
            "{:<9} {:<14} {}",
            row.strategy,
            row.workload,
            row.missing.as_deref().unwrap_or("not measured")
        );
    };
    format!(
        "{:<9} {:<14} {:>22} {:>6.1}% {:>8.1}x {:>9.1}x {:>21}",
        row.strategy,
        row.workload,
        format!(
            "{:.3} vs {:.3}",
            figures.pooled_allocations, figures.unpooled_allocations
        ),
        figures.reduction * 100.0,
        figures.one_thread[0],
        figures.two_threads[0],
        format!(
            "{} vs {}{}",
            figures.peak_live[1].max(0) / 1024,
            figures.unpooled_peak.max(0) / 1024,
            if figures.stable { "" } else { " (grows)" }
        ),
    )
}

/// One line of the exercise's checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Criterion {
    /// What the exercise asks.
    pub criterion: &'static str,
    /// Whether it is met (`None`: not gradable in this version, or graded by a person).
    pub met: Option<bool>,
    /// The measured figures behind it.
    pub detail: String,
}

/// The exercise's success criteria, from the check results (and the trade-offs file).
pub fn success_criteria(results: &[CheckResult], tradeoffs: &Path) -> Vec<Criterion> {
    let passed = |id: &str| {
        results
            .iter()
            .any(|result| result.info.id == id && result.status.passed())
    };
    let strategies_passing: Vec<&str> = Strategy::ALL
        .iter()
        .map(|strategy| strategy.name())
        .filter(|name| {
            let prefix = format!("{name}-");
            let own: Vec<_> = results
                .iter()
                .filter(|result| result.info.id.starts_with(&prefix))
                .collect();
            !own.is_empty() && own.iter().all(|result| result.status.passed())
        })
        .collect();
    let criteria: Vec<(&str, Option<&CheckResult>)> = Strategy::ALL
        .iter()
        .map(|strategy| {
            let id = format!("criteria-{}", strategy.name());
            (
                strategy.name(),
                results.iter().find(|result| result.info.id == id),
            )
        })
        .collect();
    let criteria_detail = |extract: &dyn Fn(&str) -> Option<String>| {
        criteria
            .iter()
            .map(|(name, result)| {
                let figure = match result.map(|result| &result.status) {
                    Some(Status::Passed { evidence }) => {
                        extract(evidence).unwrap_or_else(|| "passed".into())
                    }
                    Some(status) => status.word().to_string(),
                    None => "not run".into(),
                };
                format!("{name} {figure}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all_criteria_passed = criteria
        .iter()
        .all(|(name, _)| passed(&format!("criteria-{name}")));
    let answered = crate::tradeoffs::answered(tradeoffs);
    // Monitoring is Task 4's metrics and exports.
    let monitoring_checks = ["prod-metrics-exact", "prod-metrics-threads", "prod-exports"];
    let monitoring = results.iter().any(|result| result.info.task == 4).then(|| {
        let passing = monitoring_checks.iter().filter(|id| passed(id)).count();
        (
            passing == monitoring_checks.len(),
            format!(
                "{passing} of {} monitoring checks pass ({})",
                monitoring_checks.len(),
                monitoring_checks.join(", ")
            ),
        )
    });
    // Task 1 and 2's checks decide which strategies pass; a run of Task 3 alone cannot tell.
    let strategies_ran = results
        .iter()
        .any(|result| matches!(result.info.task, 1 | 2 | 4));
    vec![
        Criterion {
            criterion: "at least 3 pooling strategies, each passing all its checks",
            met: strategies_ran.then_some(strategies_passing.len() >= 3),
            detail: if !strategies_ran {
                "run every task to count them".to_string()
            } else if strategies_passing.is_empty() {
                format!("0 of {} so far", Strategy::ALL.len())
            } else {
                format!(
                    "{} of {}: {}",
                    strategies_passing.len(),
                    Strategy::ALL.len(),
                    strategies_passing.join(", ")
                )
            },
        },
        Criterion {
            criterion: ">80% fewer allocations (packet server)",
            met: Some(all_criteria_passed),
            detail: criteria_detail(&|evidence| {
                evidence.split(" fewer").next().map(str::to_string)
            }),
        },
        Criterion {
            criterion: "2x+ throughput (packet server)",
            met: Some(all_criteria_passed),
            detail: criteria_detail(&|evidence| {
                let before = evidence.split(" throughput").next()?;
                before.rsplit(' ').next().map(str::to_string)
            }),
        },
        Criterion {
            criterion: "stable memory under load",
            met: Some(all_criteria_passed),
            detail: "live memory stops growing over a long run (criteria-* checks)".into(),
        },
        Criterion {
            criterion: "monitoring for pool effectiveness",
            met: monitoring.as_ref().map(|(passed, _)| *passed),
            detail: match monitoring {
                Some((_, detail)) => detail,
                None => "run Task 4 to check it".into(),
            },
        },
        Criterion {
            criterion: "trade-offs documented",
            met: None,
            detail: match answered {
                Some((done, total)) => format!(
                    "{done} of {total} questions answered in {}; an instructor reads the answers",
                    shown_path(tradeoffs)
                ),
                None => format!("{} not found", shown_path(tradeoffs)),
            },
        },
    ]
}

/// `crate/TRADEOFFS.md`, the way a student would write it.
fn shown_path(path: &Path) -> String {
    let crate_dir = path
        .parent()
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{crate_dir}/TRADEOFFS.md")
}

/// The checklist as text.
pub fn render_criteria(criteria: &[Criterion]) -> String {
    let mut out = String::from("Success criteria (the exercise's checklist, measured)\n");
    for criterion in criteria {
        let mark = match criterion.met {
            Some(true) => "[x]",
            Some(false) => "[ ]",
            None => "[?]",
        };
        let _ = writeln!(
            out,
            "  {mark} {}: {}",
            criterion.criterion, criterion.detail
        );
    }
    out
}
