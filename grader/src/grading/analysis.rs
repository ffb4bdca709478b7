//! Task 3's performance table: every strategy on every standard workload, each cell measured in
//! a child process of its own, alone on the machine.

use crate::grading::build::Runner;
use crate::grading::isolation::run_child;
use crate::grading::status::{CheckResult, Status};
use anyhow::Result;
pub use grader_runner::protocol::{MeasuredFigures, PeakLive};
use grader_runner::protocol::{Message, Request};
use pool_checks::strategy::Strategy;
use pool_checks::workloads::Workload;
use pool_checks::Role;
use serde::Serialize;
use std::time::Duration;

/// How long one measurement may take.
const MEASURE_LIMIT: Duration = Duration::from_secs(60);

/// One cell of the table: a strategy on a workload, for one subject.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The strategy (`sync`, `fixed`, `class`, `adaptive`).
    pub strategy: &'static str,
    /// The workload (`packet-server`, `framing`, `small-buffers`, `bursts`, `pipeline`).
    pub workload: &'static str,
    /// The figures, when the measurement ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<MeasuredFigures>,
    /// Why there are no figures (`not started`, `crashed: ...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

/// Measures every strategy on every workload with `runner`, one child process at a time. A
/// strategy whose criteria check, among `results`, never finished (it timed out, ran out of
/// memory or crashed) is not measured again: its rows say why, and a deadlocked pool does not
/// cost three more time limits.
pub fn measure(runner: &Runner, results: &[CheckResult]) -> Result<Vec<Row>> {
    // Every row times things: no other grader on the machine times meanwhile.
    let _timing = crate::grading::timing_lock::acquire();
    let mut rows = Vec::new();
    for strategy in Strategy::ALL {
        let unfinished = results.iter().find(|result| {
            result.info.role == Role::Criteria
                && result.info.pool == strategy.pool()
                && result.status.unfinished()
        });
        if let Some(result) = unfinished {
            for workload in Workload::ALL {
                rows.push(Row {
                    strategy: strategy.name(),
                    workload: workload.name(),
                    figures: None,
                    missing: Some(format!(
                        "skipped: {} {}",
                        result.info.id,
                        result.status.word()
                    )),
                });
            }
            continue;
        }
        for workload in Workload::ALL {
            let request = Request::Measure { strategy, workload };
            let what = format!("measuring {} on {}", strategy.name(), workload.name());
            let run = run_child(runner, &request, MEASURE_LIMIT, &what)?;
            let messages = run.messages();
            let figures = messages.iter().find_map(|message| match message {
                Message::Measured(figures) => Some(figures.clone()),
                _ => None,
            });
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
