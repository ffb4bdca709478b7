//! Task 4's export check, and the strict Prometheus text parser it uses: the exports parse as
//! a scraper would parse them, and say what `metrics()` says.

use super::build;
use crate::check::{ensure, passed, Failure, Outcome};
use crate::pool::BufferPool;
use crate::task4::{PoolConfig, ProductionPoolApi, Task4};

/// The Prometheus text and the JSON parse, and say what `metrics()` says.
pub fn exports_parse_and_agree<W: Task4>(workshop: &W) -> Outcome {
    let pool = build(workshop, PoolConfig::default())?;
    let held: Vec<_> = (0..3).map(|_| pool.get(100)).collect();
    drop(held);
    drop(pool.get(100));
    let metrics = pool.metrics();
    let samples = parse_prometheus(&pool.prometheus())?;
    let expected = [
        ("gets_total", metrics.gets),
        ("hits_total", metrics.hits),
        ("misses_total", metrics.misses),
        ("in_use", metrics.in_use),
        ("pooled", metrics.pooled),
    ];
    let prefix = metric_prefix(&samples, expected.map(|(name, _)| name));
    for (name, value) in expected {
        let full = format!("{prefix}{name}");
        let found = samples
            .iter()
            .find(|(sample, _)| *sample == full)
            .map(|(_, value)| *value);
        ensure(
            found == Some(value as f64),
            || format!("a Prometheus sample named {full} with the value {value}"),
            || match found {
                Some(other) => format!("{full} {other}"),
                None => format!("no sample named {full}"),
            },
        )?;
    }
    let json: serde_json::Value = serde_json::from_str(&pool.metrics_json())
        .map_err(|error| Failure::new("metrics_json() to be JSON", error.to_string()))?;
    for (key, value) in [
        ("gets", metrics.gets),
        ("hits", metrics.hits),
        ("pooled", metrics.pooled),
    ] {
        ensure(
            json[key].as_u64() == Some(value),
            || format!("metrics_json() to have \"{key}\": {value}"),
            || format!("{}", json[key]),
        )?;
    }
    ensure(
        json["hit_rate"]
            .as_f64()
            .is_some_and(|rate| (rate - metrics.hit_rate()).abs() < 1e-9),
        || {
            format!(
                "metrics_json() to have \"hit_rate\": {}",
                metrics.hit_rate()
            )
        },
        || format!("{}", json["hit_rate"]),
    )?;
    passed(format!(
        "{} Prometheus samples with HELP and TYPE; JSON agrees",
        samples.len()
    ))
}

/// The prefix the pool puts before its metrics' names (`pool_` in `pool_gets_total`, or none):
/// the one under which the most of `names` are samples, so that a name that merely ends like
/// another (`pool_high_water_in_use` beside `pool_in_use`) is never taken for it.
fn metric_prefix<const N: usize>(samples: &[(String, f64)], names: [&str; N]) -> String {
    let candidates = samples.iter().flat_map(|(sample, _)| {
        names
            .iter()
            .filter_map(move |name| sample.strip_suffix(name))
            .map(str::to_string)
    });
    let present = |prefix: &String| {
        names
            .iter()
            .filter(|name| samples.iter().any(|(s, _)| *s == format!("{prefix}{name}")))
            .count()
    };
    // Most names present first; among equals the shortest prefix, so the choice is stable.
    candidates
        .max_by(|a, b| present(a).cmp(&present(b)).then(b.len().cmp(&a.len())))
        .unwrap_or_default()
}

/// Parses Prometheus' text exposition format strictly enough to catch what scrapers reject:
/// every sample's metric has `# HELP` and `# TYPE` lines before it, names are valid, counters end
/// in `_total`, values are numbers. Returns (name, value) per sample.
pub fn parse_prometheus(text: &str) -> Result<Vec<(String, f64)>, Failure> {
    let valid_name = |name: &str| {
        !name.is_empty()
            && name.chars().enumerate().all(|(index, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (index > 0 && c.is_ascii_digit())
            })
    };
    let mut helped = Vec::new();
    let mut typed: Vec<(String, String)> = Vec::new();
    let mut samples = Vec::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let bad = |why: &str| {
            Failure::new(
                "valid Prometheus text exposition",
                format!("{why}: {line:?}"),
            )
        };
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split_whitespace().next().unwrap_or("");
            if !valid_name(name) || rest.len() <= name.len() + 1 {
                return Err(bad("a HELP line without a valid name and text"));
            }
            helped.push(name.to_string());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut words = rest.split_whitespace();
            let (name, kind) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            if !valid_name(name) || !["counter", "gauge"].contains(&kind) {
                return Err(bad("a TYPE line without a valid name and counter or gauge"));
            }
            if kind == "counter" && !name.ends_with("_total") {
                return Err(bad("a counter whose name does not end in _total"));
            }
            typed.push((name.to_string(), kind.to_string()));
        } else if line.starts_with('#') {
            continue;
        } else {
            let mut words = line.split_whitespace();
            let (name, value) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            let value: f64 = value
                .parse()
                .map_err(|_| bad("a sample whose value is not a number"))?;
            if !helped.iter().any(|h| h == name) || !typed.iter().any(|(t, _)| t == name) {
                return Err(bad("a sample without HELP and TYPE lines before it"));
            }
            samples.push((name.to_string(), value));
        }
    }
    if samples.is_empty() {
        return Err(Failure::new("Prometheus samples", "none"));
    }
    Ok(samples)
}
