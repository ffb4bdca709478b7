//! Task 3's performance table: every strategy on every standard workload, each cell measured in
//! a child process of its own, alone on the machine.

use crate::isolation::run_child;
use crate::protocol::{Message, Request};
use crate::status::{CheckResult, Status};
use crate::subject::Subject;
use anyhow::Result;
use pool_checks::measure::Ratio;
use pool_checks::strategy::Strategy;
use pool_checks::workloads::Workload;
use pool_checks::Role;
use serde::{Deserialize, Serialize};
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

/// Measures every strategy on every workload for `subject`, one child process at a time. A
/// strategy whose criteria check, among `results`, never finished (it timed out, ran out of
/// memory or crashed) is not measured again: its rows say why, and a deadlocked pool does not
/// cost three more time limits.
pub fn measure(subject: Subject, results: &[CheckResult]) -> Result<Vec<Row>> {
    // Every row times things: no other grader on the machine times meanwhile.
    let _timing = crate::timing_lock::acquire();
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
            let run = run_child(&request.args(subject), MEASURE_LIMIT, &what)?;
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

/// What a measurement reports: one strategy on one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredFigures {
    /// Allocator calls per message with the pool.
    pub pooled_allocations: f64,
    /// Allocator calls per message without.
    pub unpooled_allocations: f64,
    /// 1 - pooled / unpooled.
    pub reduction: f64,
    /// Throughput ratio over the unpooled baseline, one thread.
    pub one_thread: Ratio,
    /// Throughput ratio over the unpooled baseline, two threads on one pool. Left out for the
    /// pipeline, which is two threads already: its `one_thread` is one reader and one consumer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub two_threads: Option<Ratio>,
    /// Peak live bytes while a buffer was held, in the first and second half of a long run.
    pub peak_live: PeakLive,
    /// Live bytes after the run: what the pool retains.
    pub retained: i64,
    /// The unpooled baseline's peak live bytes.
    pub unpooled_peak: i64,
    /// Whether live memory stopped growing.
    pub stable: bool,
}

/// Peak live bytes over the two halves of a long run: memory that stops growing has a second
/// half no higher than the first.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PeakLive {
    /// The first half's peak.
    pub first_half: i64,
    /// The second half's peak.
    pub second_half: i64,
}

impl From<pool_checks::strategy::Figures> for MeasuredFigures {
    fn from(figures: pool_checks::strategy::Figures) -> Self {
        MeasuredFigures {
            pooled_allocations: figures.allocations.pooled,
            unpooled_allocations: figures.allocations.unpooled,
            reduction: figures.allocations.reduction(),
            one_thread: figures.one_thread,
            two_threads: figures.two_threads,
            peak_live: PeakLive {
                first_half: figures.memory.first_half_peak,
                second_half: figures.memory.second_half_peak,
            },
            retained: figures.memory.retained,
            unpooled_peak: figures.unpooled_peak,
            stable: figures.memory.is_stable(),
        }
    }
}
