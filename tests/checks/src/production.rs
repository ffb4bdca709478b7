//! The graded checks of Task 4, written once for any [`Task4`] implementation, one module per
//! concern. Metrics are compared with what the check itself did (it knows every get and
//! return), and memory claims with the counting allocator.

mod config;
mod hygiene;
mod limits;
mod metrics;
mod prometheus;

pub use prometheus::parse_prometheus;

use crate::check::{Failure, Registration};
use crate::task4::{PoolConfig, Task4};

/// The checks of this module, by their ids in the catalogue.
pub fn registered<W: Task4>() -> Vec<Registration<W>> {
    vec![
        ("prod-config-errors", config::refuses_every_bad_config::<W>),
        (
            "prod-config-sources",
            config::toml_and_env_give_the_same_config::<W>,
        ),
        ("prod-metrics-exact", metrics::metrics_add_up_exactly::<W>),
        (
            "prod-metrics-threads",
            metrics::metrics_add_up_under_threads::<W>,
        ),
        ("prod-exports", prometheus::exports_parse_and_agree::<W>),
        (
            "prod-limit-allocate",
            limits::allocate_policy_serves_and_counts::<W>,
        ),
        ("prod-limit-fail", limits::fail_policy_fails_at_once::<W>),
        (
            "prod-limit-wait",
            limits::wait_policy_waits_then_fails_or_succeeds::<W>,
        ),
        ("prod-limit-stress", limits::no_deadlock_at_the_limit::<W>),
        (
            "prod-limit-threads",
            limits::limits_hold_exactly_under_threads::<W>,
        ),
        (
            "prod-limit-returned",
            limits::a_returned_buffer_never_counts_against_the_limit::<W>,
        ),
        ("prod-shrink", hygiene::shrink_frees_down_to_a_target::<W>),
        ("prod-zero", hygiene::zero_on_return_leaves_no_secret::<W>),
        ("prod-leaks", hygiene::leak_report_counts_exactly::<W>),
        ("prod-reset", hygiene::production_pool_resets::<W>),
        ("prod-stress", hygiene::production_pool_never_shares::<W>),
    ]
}

fn build<W: Task4>(workshop: &W, config: PoolConfig) -> Result<W::ProductionPool, Failure> {
    workshop.production_pool(config).map_err(|error| {
        Failure::new(
            "a production pool built from a valid configuration",
            format!("the constructor refused it: {error}"),
        )
    })
}
