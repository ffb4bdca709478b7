//! The production pool's metrics as Prometheus text and as JSON: formats only, from a
//! [`Metrics`] snapshot.

use pool_contract::task4::Metrics;
use std::fmt::Write;

/// Prometheus' text exposition format: `# HELP`, `# TYPE` and one sample per metric, then the
/// hit ratio.
pub fn prometheus(metrics: &Metrics) -> String {
    let mut out = String::new();
    for (name, help, counter, value) in samples(metrics) {
        let kind = if counter { "counter" } else { "gauge" };
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP pool_hit_ratio Hits over gets.\n# TYPE pool_hit_ratio gauge\npool_hit_ratio {}",
        metrics.hit_rate()
    );
    out
}

/// One JSON object: every field of the snapshot, and the hit rate.
pub fn json(metrics: &Metrics) -> String {
    let mut json = serde_json::to_value(metrics).unwrap_or_default();
    if let Some(object) = json.as_object_mut() {
        object.insert("hit_rate".into(), metrics.hit_rate().into());
    }
    json.to_string()
}

/// The metrics, in the order Prometheus lists them: (name, help, is a counter, value).
pub fn samples(metrics: &Metrics) -> [(&'static str, &'static str, bool, u64); 14] {
    [
        (
            "pool_gets_total",
            "Gets served (hits + misses).",
            true,
            metrics.gets,
        ),
        (
            "pool_returns_total",
            "Buffers given back.",
            true,
            metrics.returns,
        ),
        (
            "pool_hits_total",
            "Gets served from an idle buffer.",
            true,
            metrics.hits,
        ),
        (
            "pool_misses_total",
            "Gets that needed a new buffer.",
            true,
            metrics.misses,
        ),
        (
            "pool_created_total",
            "Buffers allocated.",
            true,
            metrics.created,
        ),
        (
            "pool_dropped_oversized_total",
            "Returned buffers dropped as oversized.",
            true,
            metrics.dropped_oversized,
        ),
        (
            "pool_dropped_full_total",
            "Returned buffers dropped because the pool was full.",
            true,
            metrics.dropped_full,
        ),
        (
            "pool_dropped_trimmed_total",
            "Idle buffers freed by trim or shrink_to.",
            true,
            metrics.dropped_trimmed,
        ),
        (
            "pool_degraded_total",
            "Gets served outside the pool's limits.",
            true,
            metrics.degraded,
        ),
        (
            "pool_rejected_total",
            "Gets refused at a limit.",
            true,
            metrics.rejected,
        ),
        ("pool_in_use", "Buffers held now.", false, metrics.in_use),
        (
            "pool_high_water_in_use",
            "The most buffers held at once.",
            false,
            metrics.high_water_in_use,
        ),
        ("pool_pooled", "Idle buffers now.", false, metrics.pooled),
        (
            "pool_bytes_retained",
            "Capacity of the idle buffers, in bytes.",
            false,
            metrics.bytes_retained,
        ),
    ]
}
