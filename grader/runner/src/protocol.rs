//! What the grader and its runners say to each other, as types: the grader starts a runner (a
//! binary built for one subject's pools) with a [`Request`] on its command line and a secret on
//! its standard input; the runner answers with [`Message`]s, each one line on its standard output
//! that starts with [`TAG`] and the secret, so that a line the pool under test prints cannot pass
//! for one.

use anyhow::{bail, Context, Result};
use pool_checks::measure::Ratio;
use pool_checks::strategy::Strategy;
use pool_checks::workloads::Workload;
use pool_checks::{Evidence, Failure};
use serde::{Deserialize, Serialize};

/// What a child process is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Run one check and report its outcome.
    RunCheck {
        /// The check's catalogue id.
        id: String,
    },
    /// Measure one strategy on one workload (a cell of Task 3's table).
    Measure {
        /// The strategy.
        strategy: Strategy,
        /// The workload.
        workload: Workload,
    },
}

/// The first argument of a child that runs a check.
const RUN_CHECK: &str = "__run-check";
/// The first argument of a child that measures.
const MEASURE: &str = "__measure";

impl Request {
    /// The command line that asks a runner for this (a fixture's runner takes `--fixture NAME`
    /// after it).
    pub fn args(&self) -> Vec<String> {
        match self {
            Request::RunCheck { id } => vec![RUN_CHECK.to_string(), id.clone()],
            Request::Measure { strategy, workload } => vec![
                MEASURE.to_string(),
                strategy.name().to_string(),
                workload.name().to_string(),
            ],
        }
    }

    /// The request `flag` starts, taking its values from `args`; `None` if `flag` starts none.
    pub fn parse(flag: &str, args: &mut impl Iterator<Item = String>) -> Option<Result<Request>> {
        let mut value = |what: &str| {
            args.next()
                .with_context(|| format!("`{flag}` needs {what}"))
        };
        Some(match flag {
            RUN_CHECK => value("a check id").map(|id| Request::RunCheck { id }),
            MEASURE => value("a strategy").and_then(|strategy| {
                let workload = value("a workload")?;
                measure(&strategy, &workload)
            }),
            _ => return None,
        })
    }
}

/// The measurement of the strategy and workload called `strategy` and `workload`.
fn measure(strategy: &str, workload: &str) -> Result<Request> {
    let Some(strategy) = Strategy::named(strategy) else {
        bail!("no strategy called `{strategy}`")
    };
    let Some(workload) = Workload::named(workload) else {
        bail!("no workload called `{workload}`")
    };
    Ok(Request::Measure { strategy, workload })
}

/// What a child reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    /// The check ran to the end and passed.
    Passed(Evidence),
    /// The check (or a measurement) ran and found the pool wrong.
    Failed(Failure),
    /// A thread panicked (the first panic only); `todo!()` is one.
    Panicked {
        /// The panic message.
        message: String,
        /// `file:line:column` of the panic, when known.
        location: Option<String>,
    },
    /// A measurement's figures.
    Measured(MeasuredFigures),
}

/// The tag every message line starts with, before the secret.
pub const TAG: &str = "@@grader ";

impl Message {
    /// The line that carries this message with `secret`.
    pub fn line(&self, secret: &str) -> String {
        let json = serde_json::to_string(self).unwrap_or_else(|error| {
            format!("{{\"kind\":\"failed\",\"expected\":\"a report\",\"seen\":\"{error}\"}}")
        });
        format!("{TAG}{secret} {json}")
    }

    /// Every message in `output` that carries `secret`, in order.
    pub fn all_in(output: &str, secret: &str) -> Vec<Message> {
        let prefix = format!("{TAG}{secret} ");
        output
            .lines()
            .filter_map(|line| line.strip_prefix(&prefix))
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_survives_its_command_line() {
        let requests = [
            Request::RunCheck {
                id: "sync-reuse".into(),
            },
            Request::Measure {
                strategy: Strategy::SizeClass,
                workload: Workload::Framing,
            },
        ];
        for request in requests {
            let mut args = request.args().into_iter();
            let flag = args.next().expect("a flag");
            let parsed = Request::parse(&flag, &mut args).expect("a request flag");
            assert_eq!(parsed.expect("parses"), request);
            assert_eq!(args.next(), None);
        }
    }

    #[test]
    fn only_lines_with_the_secret_are_messages() {
        let message = Message::Failed(Failure::new("reuse", "none"));
        let output = format!(
            "noise\n{}\n{}\n",
            message.line("other"),
            message.line("secret")
        );
        assert_eq!(Message::all_in(&output, "secret"), vec![message]);
    }
}
