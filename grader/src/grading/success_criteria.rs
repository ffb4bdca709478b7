//! The exercise's checklist of success criteria, from the check results: which strategies pass
//! all their checks, the criteria checks' figures (reported by the checks as data), monitoring,
//! and the trade-offs file.

use crate::grading::status::{CheckResult, Status};
use pool_checks::strategy::Strategy;
use pool_checks::{CriteriaFigures, Role};
use serde::Serialize;
use std::path::Path;

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
    let role = |wanted: Role| results.iter().filter(move |r| r.info.role == wanted);
    // A strategy is done when every check of its pool that proves it correct passes.
    let strategies_passing: Vec<&str> = Strategy::ALL
        .iter()
        .filter(|strategy| {
            let own: Vec<_> = role(Role::Correctness)
                .filter(|result| result.info.pool == strategy.pool())
                .collect();
            !own.is_empty() && own.iter().all(|result| result.status.passed())
        })
        .map(|strategy| strategy.name())
        .collect();
    // Tasks 1, 2 and 4 decide which strategies pass; a run of Task 3 alone cannot tell.
    let strategies_ran = role(Role::Correctness).any(|result| {
        Strategy::ALL
            .iter()
            .any(|strategy| strategy.pool() == result.info.pool)
    });
    let criteria: Vec<(&str, Option<&CheckResult>)> = Strategy::ALL
        .iter()
        .map(|strategy| {
            let check = role(Role::Criteria).find(|result| result.info.pool == strategy.pool());
            (strategy.name(), check)
        })
        .collect();
    let criteria_detail = |figure: fn(&CriteriaFigures) -> String| {
        criteria
            .iter()
            .map(|(name, result)| {
                let shown = match result.map(|result| &result.status) {
                    Some(Status::Passed(evidence)) => evidence
                        .figures
                        .as_ref()
                        .map_or_else(|| "passed".into(), figure),
                    Some(status) => status.word().to_string(),
                    None => "not run".into(),
                };
                format!("{name} {shown}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let all_criteria_passed = criteria
        .iter()
        .all(|(_, result)| result.is_some_and(|result| result.status.passed()));
    let answered = crate::grading::tradeoffs::answered(tradeoffs);
    let monitoring_checks: Vec<&CheckResult> = role(Role::Monitoring).collect();
    let monitoring = (!monitoring_checks.is_empty()).then(|| {
        let passing = monitoring_checks
            .iter()
            .filter(|result| result.status.passed())
            .count();
        let ids: Vec<&str> = monitoring_checks
            .iter()
            .map(|result| result.info.id)
            .collect();
        (
            passing == monitoring_checks.len(),
            format!(
                "{passing} of {} monitoring checks pass ({})",
                monitoring_checks.len(),
                ids.join(", ")
            ),
        )
    });
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
            detail: criteria_detail(|figures| format!("{:.1}%", figures.fewer_allocations * 100.0)),
        },
        Criterion {
            criterion: "2x+ throughput (packet server)",
            met: Some(all_criteria_passed),
            detail: criteria_detail(|figures| format!("{:.1}x", figures.throughput)),
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
                Some(tally) => format!(
                    "{}; an instructor reads the answers",
                    tally.summary(&shown_path(tradeoffs))
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
