//! The graded checks of Task 4, written once for any [`Task4`] implementation. Metrics are
//! compared with what the check itself did (it knows every get and return), and memory claims
//! with the counting allocator.

use super::{LimitPolicy, PoolConfig, PoolError, ProductionPoolApi, Task4};
use crate::check::{ensure, Check, CheckInfo, Failure, Outcome};
use crate::config::ConfigError;
use crate::counting::{count_allocations, count_buffer_allocations, ensure_counting};
use crate::every_pool::{self, address};
use crate::pool::BufferPool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Task 4's checks, in the order a student meets them.
pub fn checks<W: Task4>() -> Vec<Check<W>> {
    vec![
        Check {
            info: CONFIG_ERRORS,
            run: refuses_every_bad_config::<W>,
        },
        Check {
            info: CONFIG_SOURCES,
            run: toml_and_env_give_the_same_config::<W>,
        },
        Check {
            info: METRICS_EXACT,
            run: metrics_add_up_exactly::<W>,
        },
        Check {
            info: METRICS_THREADS,
            run: metrics_add_up_under_threads::<W>,
        },
        Check {
            info: EXPORTS,
            run: exports_parse_and_agree::<W>,
        },
        Check {
            info: LIMIT_ALLOCATE,
            run: allocate_policy_serves_and_counts::<W>,
        },
        Check {
            info: LIMIT_FAIL,
            run: fail_policy_fails_at_once::<W>,
        },
        Check {
            info: LIMIT_WAIT,
            run: wait_policy_waits_then_fails_or_succeeds::<W>,
        },
        Check {
            info: LIMIT_STRESS,
            run: no_deadlock_at_the_limit::<W>,
        },
        Check {
            info: SHRINK,
            run: shrink_frees_down_to_a_target::<W>,
        },
        Check {
            info: ZERO,
            run: zero_on_return_leaves_no_secret::<W>,
        },
        Check {
            info: LEAKS,
            run: leak_report_counts_exactly::<W>,
        },
        Check {
            info: PROD_RESET,
            run: production_pool_resets::<W>,
        },
        Check {
            info: PROD_STRESS,
            run: production_pool_never_shares::<W>,
        },
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

/// What a check expects of a bad input: refused, naming `field`.
fn expect_refused(
    what: &str,
    result: Result<PoolConfig, ConfigError>,
    field: &str,
) -> Result<(), Failure> {
    match result {
        Ok(config) => Err(Failure::new(
            format!("{what} to be refused, naming `{field}`"),
            format!("it was accepted as {config:?}"),
        )),
        Err(error) => ensure(
            error.field == field && !error.rule.is_empty(),
            || format!("the error for {what} to name the field `{field}` and its rule"),
            || format!("{error}"),
        ),
    }
}

fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
    vars.iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// Every bad value, from every source, gets an error naming the field and the rule.
pub fn refuses_every_bad_config<W: Task4>(workshop: &W) -> Outcome {
    let toml_cases = [
        ("buffer_size = 0", "buffer_size"),
        (
            "buffer_size = 8192\nmax_buffer_size = 4096",
            "max_buffer_size",
        ),
        ("max_pooled = 0", "max_pooled"),
        ("max_in_use = 0", "max_in_use"),
        ("max_bytes_in_use = 100", "max_bytes_in_use"),
        ("trim_keep_percent = 150", "trim_keep_percent"),
        (
            "on_limit = \"wait\"\nwait_timeout_ms = 0",
            "wait_timeout_ms",
        ),
        ("on_limit = \"explode\"", "on_limit"),
        ("max_poold = 3", "max_poold"),
        ("max_pooled = \"lots\"", "max_pooled"),
        ("max_pooled = -1", "max_pooled"),
    ];
    for (text, field) in toml_cases {
        expect_refused(
            &format!("TOML {text:?}"),
            workshop.config_from_toml(text),
            field,
        )?;
    }
    let env_cases = [
        (env(&[("POOL_MAX_POOLED", "lots")]), "max_pooled"),
        (env(&[("POOL_BUFFER_SIZE", "0")]), "buffer_size"),
        (env(&[("POOL_MAX_POOLD", "3")]), "max_poold"),
        (env(&[("POOL_ZERO_ON_RETURN", "maybe")]), "zero_on_return"),
    ];
    for (vars, field) in env_cases {
        expect_refused(
            &format!("environment {vars:?}"),
            workshop.config_from_env(&vars),
            field,
        )?;
    }
    let code = PoolConfig {
        max_pooled: 0,
        ..PoolConfig::default()
    };
    match workshop.production_pool(code) {
        Ok(_) => {
            return Err(Failure::new(
                "production_pool to refuse a config built in code with max_pooled = 0",
                "the pool was built",
            ))
        }
        Err(error) => ensure(
            error.field == "max_pooled",
            || "the error to name `max_pooled`".into(),
            || format!("{error}"),
        )?,
    }
    Ok(format!(
        "{} bad inputs refused (TOML, environment, code), each naming its field",
        toml_cases.len() + 4 + 1
    ))
}

/// The same configuration written as TOML, as environment variables and in code is the same.
pub fn toml_and_env_give_the_same_config<W: Task4>(workshop: &W) -> Outcome {
    let in_code = PoolConfig::builder()
        .buffer_size(8192)
        .max_pooled(12)
        .on_limit(LimitPolicy::Wait)
        .wait_timeout_ms(250)
        .zero_on_return(true);
    let text = "buffer_size = 8192\nmax_pooled = 12\non_limit = \"wait\"\nwait_timeout_ms = 250\n\
                zero_on_return = true\n";
    let vars = env(&[
        ("POOL_BUFFER_SIZE", "8192"),
        ("POOL_MAX_POOLED", "12"),
        ("POOL_ON_LIMIT", "wait"),
        ("POOL_WAIT_TIMEOUT_MS", "250"),
        ("POOL_ZERO_ON_RETURN", "true"),
        ("HOME", "/root"),
    ]);
    let from_toml = workshop
        .config_from_toml(text)
        .map_err(|error| Failure::new("a valid TOML configuration accepted", error.to_string()))?;
    let from_env = workshop
        .config_from_env(&vars)
        .map_err(|error| Failure::new("valid environment variables accepted", error.to_string()))?;
    ensure(
        from_toml == in_code && from_env == in_code,
        || format!("TOML and environment to give {in_code:?}"),
        || format!("TOML gave {from_toml:?}; environment gave {from_env:?}"),
    )?;
    let defaults = workshop
        .config_from_toml("")
        .map_err(|error| Failure::new("an empty TOML file accepted", error.to_string()))?;
    ensure(
        defaults == PoolConfig::default(),
        || "an empty TOML file to give the defaults".into(),
        || format!("{defaults:?}"),
    )?;
    Ok("TOML, environment and code agree; an empty file gives the defaults".into())
}

/// After a scripted sequence, every counter and gauge is exactly what the script did.
pub fn metrics_add_up_exactly<W: Task4>(workshop: &W) -> Outcome {
    let pool = build(
        workshop,
        PoolConfig {
            buffer_size: 1024,
            max_buffer_size: 64 * 1024,
            max_pooled: 3,
            ..PoolConfig::default()
        },
    )?;
    // 5 gets held at once: 5 misses. Returned: 3 kept, 2 dropped (pool full).
    let held: Vec<_> = (0..5).map(|_| pool.get(100)).collect();
    let during = pool.metrics();
    drop(held);
    // 3 hits, then one buffer grown past max_buffer_size: dropped as oversized.
    let reused: Vec<_> = (0..3).map(|_| pool.get(100)).collect();
    drop(reused);
    let mut big = pool.get(100);
    big.reserve(128 * 1024);
    drop(big);
    let metrics = pool.metrics();
    let expected = (9, 9, 4, 5, 5, 0, 5, 2, 2, 1);
    let seen = (
        metrics.gets,
        metrics.returns,
        metrics.hits,
        metrics.misses,
        metrics.created,
        metrics.in_use,
        metrics.high_water_in_use,
        metrics.pooled,
        metrics.dropped_full,
        metrics.dropped_oversized,
    );
    ensure(
        seen == expected && during.in_use == 5,
        || {
            "after 5 gets held and returned, 3 reused, 1 grown past the limit: gets 9, returns 9, \
             hits 4, misses 5, created 5, in use 0 (5 while held), high water 5, pooled 2, \
             dropped full 2, dropped oversized 1"
                .into()
        },
        || {
            format!(
                "gets {}, returns {}, hits {}, misses {}, created {}, in use {} ({} while held), \
                 high water {}, pooled {}, dropped full {}, dropped oversized {}",
                seen.0,
                seen.1,
                seen.2,
                seen.3,
                seen.4,
                seen.5,
                during.in_use,
                seen.6,
                seen.7,
                seen.8,
                seen.9
            )
        },
    )?;
    ensure(
        metrics.bytes_retained == 2 * 1024 && (metrics.hit_rate() - 4.0 / 9.0).abs() < 1e-9,
        || "bytes retained 2048 (two 1 KiB buffers idle) and hit rate 4/9".into(),
        || {
            format!(
                "bytes retained {}, hit rate {}",
                metrics.bytes_retained,
                metrics.hit_rate()
            )
        },
    )?;
    Ok("every counter and gauge matched the script; hit rate 0.444".into())
}

/// Under 8 threads, the counters still add up.
pub fn metrics_add_up_under_threads<W: Task4>(workshop: &W) -> Outcome {
    const THREADS: u64 = 8;
    const ROUNDS: u64 = 2_000;
    let pool = build(workshop, PoolConfig::default())?;
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for round in 0..ROUNDS {
                    let first = pool.get(512);
                    if round % 3 == 0 {
                        let second = pool.get(512);
                        drop(second);
                    }
                    drop(first);
                }
            });
        }
    });
    let metrics = pool.metrics();
    let gets = THREADS * (ROUNDS + ROUNDS.div_ceil(3));
    ensure(
        metrics.gets == gets
            && metrics.returns == gets
            && metrics.hits + metrics.misses == gets
            && metrics.in_use == 0
            && metrics.created == metrics.misses,
        || {
            format!(
                "{gets} gets and returns by {THREADS} threads: gets = returns = hits + misses = \
                 {gets}, created = misses, in use 0"
            )
        },
        || {
            format!(
                "gets {}, returns {}, hits {} + misses {}, created {}, in use {}",
                metrics.gets,
                metrics.returns,
                metrics.hits,
                metrics.misses,
                metrics.created,
                metrics.in_use
            )
        },
    )?;
    Ok(format!(
        "{gets} gets by {THREADS} threads counted exactly; hit rate {:.3}",
        metrics.hit_rate()
    ))
}

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
    Ok(format!(
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

fn limited(policy: LimitPolicy) -> PoolConfig {
    PoolConfig {
        max_in_use: 2,
        on_limit: policy,
        wait_timeout_ms: 200,
        ..PoolConfig::default()
    }
}

/// `allocate`: past the limit, gets are served and counted as degraded.
pub fn allocate_policy_serves_and_counts<W: Task4>(workshop: &W) -> Outcome {
    let pool = build(workshop, limited(LimitPolicy::Allocate))?;
    let (first, second) = (pool.get(100), pool.get(100));
    let third = pool.try_get(100);
    let metrics = pool.metrics();
    ensure(
        third.as_ref().is_ok_and(|buffer| buffer.capacity() >= 100) && metrics.degraded == 1,
        || {
            "with max_in_use = 2 and policy allocate, a third get served and 1 degraded event"
                .into()
        },
        || {
            format!(
                "{:?}, degraded {}",
                third.as_ref().map(|b| b.capacity()),
                metrics.degraded
            )
        },
    )?;
    drop((first, second, third));
    ensure(
        pool.metrics().in_use == 0,
        || "in use back to 0 once all three came back".into(),
        || format!("in use {}", pool.metrics().in_use),
    )?;
    Ok("served past the limit and counted as degraded".into())
}

/// `fail`: past the limit, gets fail at once with an error, and succeed again after a return.
pub fn fail_policy_fails_at_once<W: Task4>(workshop: &W) -> Outcome {
    // With a 2 s wait configured (which `fail` must ignore), a pool that waits instead of failing
    // takes 2 s; "at once" is judged as well under a second, which a busy machine's preemptions
    // cannot reach.
    let pool = build(
        workshop,
        PoolConfig {
            wait_timeout_ms: 2_000,
            ..limited(LimitPolicy::Fail)
        },
    )?;
    let first = pool.get(100);
    let _second = pool.get(100);
    let started = Instant::now();
    let third = pool.try_get(100);
    let took = started.elapsed();
    ensure(
        matches!(third, Err(PoolError::LimitReached { .. })) && took < Duration::from_millis(500),
        || {
            "with max_in_use = 2 and policy fail, a third try_get to fail at once with LimitReached"
                .into()
        },
        || format!("{:?} after {took:?}", third.as_ref().map(|b| b.capacity())),
    )?;
    drop(third);
    drop(first);
    ensure(
        pool.try_get(100).is_ok() && pool.metrics().rejected == 1,
        || "after a return, try_get to succeed, and 1 rejected get counted".into(),
        || format!("rejected {}", pool.metrics().rejected),
    )?;
    // The byte limit on its own: room for two 4 KiB buffers, however many may be in use.
    let pool = build(
        workshop,
        PoolConfig {
            max_bytes_in_use: 2 * 4096,
            on_limit: LimitPolicy::Fail,
            ..PoolConfig::default()
        },
    )?;
    let (_first, _second) = (pool.get(4096), pool.get(4096));
    let third = pool.try_get(4096);
    ensure(
        matches!(third, Err(PoolError::LimitReached { .. })),
        || {
            "with max_bytes_in_use = 8192 and policy fail, a third 4 KiB try_get to fail with \
             LimitReached"
                .into()
        },
        || format!("{:?}", third.as_ref().map(|b| b.capacity())),
    )?;
    Ok(format!(
        "refused in {took:?} at max_in_use and at max_bytes_in_use; served again after a return"
    ))
}

/// `wait`: past the limit, a get waits for a return, or fails after the timeout.
pub fn wait_policy_waits_then_fails_or_succeeds<W: Task4>(workshop: &W) -> Outcome {
    let pool = build(workshop, limited(LimitPolicy::Wait))?;
    let first = pool.get(100);
    let second = pool.get(100);
    let started = Instant::now();
    let timed_out = pool.try_get(100);
    let waited = started.elapsed();
    ensure(
        matches!(timed_out, Err(PoolError::Timeout { .. }))
            && waited >= Duration::from_millis(150)
            && waited < Duration::from_secs(2),
        || "with nothing returned, try_get to fail with Timeout after about 200 ms".into(),
        || {
            format!(
                "{:?} after {waited:?}",
                timed_out.as_ref().map(|b| b.capacity())
            )
        },
    )?;
    drop((timed_out, first, second));
    // A pool that waits 2 s: woken by a return after 30 ms, it serves well before then (a pool
    // that only re-checks at its timeout would take the full 2 s).
    let patient = build(
        workshop,
        PoolConfig {
            wait_timeout_ms: 2_000,
            ..limited(LimitPolicy::Wait)
        },
    )?;
    let first = patient.get(100);
    let second = patient.get(100);
    let (served, waited) = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(30));
            drop(first);
        });
        let started = Instant::now();
        let served = patient.try_get(100).map(|buffer| buffer.capacity());
        (served, started.elapsed())
    });
    drop(second);
    ensure(
        served.is_ok() && waited < Duration::from_millis(1_500),
        || {
            "when another thread returns a buffer after 30 ms, a try_get waiting up to 2 s to be \
            served then (well before its 2 s are up)"
                .into()
        },
        || format!("{served:?} after {waited:?}"),
    )?;
    Ok(format!(
        "timed out after the limit; served {waited:?} after a return"
    ))
}

/// Many threads at a small limit with the `wait` policy: no deadlock, nothing lost.
pub fn no_deadlock_at_the_limit<W: Task4>(workshop: &W) -> Outcome {
    let config = PoolConfig {
        max_in_use: 4,
        on_limit: LimitPolicy::Wait,
        wait_timeout_ms: 2_000,
        ..PoolConfig::default()
    };
    let pool = build(workshop, config)?;
    let served = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..500 {
                    match pool.try_get(256) {
                        Ok(buffer) => {
                            served.fetch_add(1, Ordering::Relaxed);
                            std::thread::yield_now();
                            drop(buffer);
                        }
                        Err(_) => {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    let metrics = pool.metrics();
    let served = served.into_inner();
    ensure(
        served == 4000 && metrics.in_use == 0 && metrics.high_water_in_use <= 4,
        || {
            "8 threads x 500 gets at max_in_use = 4 (wait 2 s): all 4000 served, in use 0 after, \
            never more than 4 at once"
                .into()
        },
        || {
            format!(
                "{served} served, {} refused, in use {}, high water {}",
                refused.into_inner(),
                metrics.in_use,
                metrics.high_water_in_use
            )
        },
    )?;
    Ok(format!(
        "4000 gets through a limit of 4, high water {}",
        metrics.high_water_in_use
    ))
}

/// `shrink_to(bytes)` frees idle buffers down to the target, by the allocator's count.
pub fn shrink_frees_down_to_a_target<W: Task4>(workshop: &W) -> Outcome {
    ensure_counting()?;
    let pool = build(workshop, PoolConfig::default())?;
    let held: Vec<_> = (0..8).map(|_| pool.get(4096)).collect();
    drop(held);
    let (freed, calls) = count_allocations(|| pool.shrink_to(2 * 4096));
    let metrics = pool.metrics();
    ensure(
        calls.bytes_freed >= 6 * 4096
            && metrics.bytes_retained <= 2 * 4096
            && freed >= 6 * 4096
            && metrics.dropped_trimmed == 6,
        || {
            "shrink_to(8192) with 8 idle 4 KiB buffers: 6 freed (the allocator saw 24 KiB freed), \
            8 KiB retained, 6 counted as trimmed, and the freed bytes returned"
                .into()
        },
        || {
            format!(
                "{} bytes freed by the allocator, {freed} reported, {} retained, {} trimmed",
                calls.bytes_freed, metrics.bytes_retained, metrics.dropped_trimmed
            )
        },
    )?;
    // trim() keeps trim_keep_percent of the idle buffers: with 25%, 2 of 8.
    let pool = build(
        workshop,
        PoolConfig {
            trim_keep_percent: 25,
            ..PoolConfig::default()
        },
    )?;
    let held: Vec<_> = (0..8).map(|_| pool.get(4096)).collect();
    drop(held);
    let (_, trimming) = count_allocations(|| pool.trim());
    let trimmed = pool.metrics();
    ensure(
        trimming.bytes_freed >= 6 * 4096 && trimmed.pooled == 2 && trimmed.dropped_trimmed == 6,
        || {
            "trim() with 8 idle 4 KiB buffers and trim_keep_percent = 25: 6 freed (the allocator \
             saw 24 KiB freed), 2 still pooled, 6 counted as trimmed"
                .into()
        },
        || {
            format!(
                "{} bytes freed by the allocator, {} pooled, {} trimmed",
                trimming.bytes_freed, trimmed.pooled, trimmed.dropped_trimmed
            )
        },
    )?;
    Ok(format!(
        "shrink_to: {} bytes freed down to 8 KiB; trim: {} bytes freed, 2 of 8 kept",
        calls.bytes_freed, trimming.bytes_freed
    ))
}

/// With `zero_on_return`, a buffer taken after one that held a secret holds none of it.
pub fn zero_on_return_leaves_no_secret<W: Task4>(workshop: &W) -> Outcome {
    ensure_counting()?;
    const SECRET: &[u8] = b"correct horse battery staple";
    let config = PoolConfig {
        zero_on_return: true,
        ..PoolConfig::default()
    };
    let pool = build(workshop, config)?;
    let mut holder = pool.get_read(1024);
    for chunk in holder.chunks_mut(SECRET.len()) {
        chunk.copy_from_slice(&SECRET[..chunk.len()]);
    }
    let first = address(&holder);
    drop(holder);
    // Read as initialised bytes through the safe API: sound whatever the pool did.
    let next = pool.get_read(1024);
    ensure(
        address(&next) == first,
        || "the next get_read to reuse the buffer (the check needs it)".into(),
        || "a different allocation".into(),
    )?;
    let leaked = next.iter().filter(|&&byte| byte != 0).count();
    ensure(
        leaked == 0,
        || "with zero_on_return, the next holder sees no byte of the secret (all zero)".into(),
        || format!("{leaked} of 1024 bytes still non-zero"),
    )?;
    drop(next);
    // A holder that shrinks the buffer before returning it (`clear`, `truncate`) leaves the
    // secret past the length: zeroing the length alone would keep it in memory.
    let mut holder = pool.get(1024);
    let capacity = holder.capacity();
    holder.extend(SECRET.iter().cycle().take(capacity));
    holder.truncate(16);
    let first = address(&holder);
    drop(holder);
    let (next, calls) = count_buffer_allocations(capacity, || pool.get(1024));
    ensure(
        address(&next) == first && calls.buffers == 0 && next.capacity() == capacity,
        || "the next get to reuse the buffer, unchanged in capacity (the check needs it)".into(),
        || format!("another buffer, or {}", calls.describe()),
    )?;
    // SAFETY: `next` is the very allocation the holder filled to its full capacity: the same
    // address and capacity, and no block of that size obtained from the allocator since, so it
    // was neither freed and allocated again nor reallocated. All `capacity` bytes are therefore
    // initialised, by the holder or by the pool since.
    // The guard is only read through this shared slice while the slice lives.
    let whole = unsafe { std::slice::from_raw_parts(next.as_ptr(), capacity) };
    let lingering = whole.iter().filter(|&&byte| byte != 0).count();
    ensure(
        lingering == 0,
        || {
            format!(
                "with zero_on_return, a buffer filled to its {capacity} bytes and truncated to 16 \
                 before its return to be zeroed over its whole capacity"
            )
        },
        || {
            format!(
                "{lingering} of {capacity} bytes still hold the secret: the pool zeroed only the \
                 buffer's length, and the rest stays in memory until someone writes over it"
            )
        },
    )?;
    Ok(
        "the reused buffer held no byte of the previous holder's secret, even past a truncated \
         length"
            .into(),
    )
}

/// The leak report counts the buffers still out, exactly, and says where each was taken.
pub fn leak_report_counts_exactly<W: Task4>(workshop: &W) -> Outcome {
    let config = PoolConfig {
        track_leaks: true,
        ..PoolConfig::default()
    };
    let pool = build(workshop, config)?;
    let held = pool.get(100);
    std::mem::forget(pool.get(100)); // a leak: never given back
    drop(pool.get(100));
    let report = pool.leak_report();
    ensure(
        report.outstanding == 2
            && report.sites.len() == 2
            && report.sites.iter().all(|s| !s.is_empty()),
        || "one guard held, one forgotten, one returned: 2 outstanding, with 2 sites".into(),
        || {
            format!(
                "{} outstanding, {} sites",
                report.outstanding,
                report.sites.len()
            )
        },
    )?;
    drop(held);
    let report = pool.leak_report();
    ensure(
        report.outstanding == 1 && report.sites.len() == 1,
        || "after the held guard came back: 1 outstanding (the forgotten one)".into(),
        || {
            format!(
                "{} outstanding, {} sites",
                report.outstanding,
                report.sites.len()
            )
        },
    )?;
    Ok("2 outstanding with their sites, then 1".into())
}

/// The production pool resets before reuse.
pub fn production_pool_resets<W: Task4>(workshop: &W) -> Outcome {
    every_pool::resets_buffers_before_reuse(&build(workshop, PoolConfig::default())?)
}

/// The production pool under many threads.
pub fn production_pool_never_shares<W: Task4>(workshop: &W) -> Outcome {
    let pool = build(
        workshop,
        PoolConfig {
            buffer_size: 8192,
            ..PoolConfig::default()
        },
    )?;
    every_pool::never_shares_a_buffer(move || pool, 8192)
}

// The descriptions.

const LIMIT: Duration = Duration::from_secs(10);

const fn info(
    id: &'static str,
    title: &'static str,
    why: &'static str,
    hint: &'static str,
    catches: &'static str,
) -> CheckInfo {
    CheckInfo {
        id,
        task: 4,
        title,
        why,
        hint,
        catches,
        time_limit: LIMIT,
        exclusive: false,
    }
}

/// `prod-config-errors`.
pub const CONFIG_ERRORS: CheckInfo = info(
    "prod-config-errors",
    "prod: every bad configuration value is refused with the field, the value and the rule",
    "a pool misconfigured in production fails at start-up with a message an operator can act \
     on, not with a panic at the first burst",
    "deserialize with serde (deny_unknown_fields), map toml's errors to ConfigError, then \
     validate every rule in one function used by TOML, environment and code alike",
    "a loader that accepts a percentage over 100",
);
/// `prod-config-sources`.
pub const CONFIG_SOURCES: CheckInfo = info(
    "prod-config-sources",
    "prod: TOML, environment variables and code give the same configuration",
    "operators configure by file in one place and by environment in another; both must mean \
     the same pool",
    "POOL_ + the field name in capitals; parse each value with the field's type; ignore other \
     variables",
    "an environment loader that ignores POOL_ZERO_ON_RETURN",
);
/// `prod-metrics-exact`.
pub const METRICS_EXACT: CheckInfo = info(
    "prod-metrics-exact",
    "prod: after a scripted sequence, every counter and gauge is exact",
    "metrics that drift are worse than none: an operator tunes the pool by them",
    "count at the one place each event happens (get: hit or miss; put: kept, full or \
     oversized); gauges from the state itself",
    "a pool that counts a dropped buffer as pooled",
);
/// `prod-metrics-threads`.
pub const METRICS_THREADS: CheckInfo = info(
    "prod-metrics-threads",
    "prod: under 8 threads the counters still add up",
    "a counter updated with a plain load-then-store loses increments under load",
    "atomic counters (one set per thread, so that they do not serialize the threads)",
    "a pool whose counters lose increments between threads",
);
/// `prod-exports`.
pub const EXPORTS: CheckInfo = info(
    "prod-exports",
    "prod: Prometheus text and JSON parse and agree with metrics()",
    "a scraper rejects a whole page for one malformed line; dashboards need the same numbers",
    "one HELP and one TYPE line per metric; counters named pool_…_total; JSON from the same \
     snapshot, with hit_rate",
    "a Prometheus export whose counters lack the _total suffix",
);
/// `prod-limit-allocate`.
pub const LIMIT_ALLOCATE: CheckInfo = info(
    "prod-limit-allocate",
    "prod: policy allocate serves past the limit and counts it as degraded",
    "degrading gracefully means serving the request and telling the operator it happened",
    "at the limit, allocate a buffer outside the pool's accounting and count degraded",
    "a pool that fails instead of allocating",
);
/// `prod-limit-fail`.
pub const LIMIT_FAIL: CheckInfo = info(
    "prod-limit-fail",
    "prod: policy fail refuses at once with LimitReached, and recovers after a return",
    "load shedding: refusing fast keeps a server responsive when memory is the bottleneck",
    "check in_use + 1 against max_in_use, and the bytes in use plus the buffer's capacity against \
     max_bytes_in_use, before taking a buffer; count rejected",
    "a pool that ignores its limits, and one that ignores max_bytes_in_use alone",
);
/// `prod-limit-wait`.
pub const LIMIT_WAIT: CheckInfo = info(
    "prod-limit-wait",
    "prod: policy wait waits for a return, or fails with Timeout",
    "back-pressure: a get that waits briefly for a buffer smooths bursts without unbounded \
     memory",
    "a Mutex and a Condvar: wait_timeout until in_use drops below the limit; put notifies",
    "a pool whose wait never wakes up when a buffer comes back",
);
/// `prod-limit-stress`.
pub const LIMIT_STRESS: CheckInfo = info(
    "prod-limit-stress",
    "prod: 8 threads at a limit of 4 (wait): no deadlock, none lost, never more than 4",
    "limits and waits are where deadlocks and lost wake-ups hide",
    "release the in-use slot and notify in put, even for buffers the pool drops",
    "a pool that forgets to release its in-use count for dropped buffers",
);
/// `prod-shrink`.
pub const SHRINK: CheckInfo = info(
    "prod-shrink",
    "prod: shrink_to(bytes) frees idle buffers down to the target; trim() keeps its share",
    "under memory pressure the process must be able to ask its pools for memory back",
    "shrink_to: pop idle buffers while the idle capacity exceeds the target; trim: pop all but \
     trim_keep_percent of the idle buffers (rounded down); count both as trimmed",
    "a shrink_to that does nothing, and a trim that does nothing",
);
/// `prod-zero`.
pub const ZERO: CheckInfo = info(
    "prod-zero",
    "prod: with zero_on_return, no byte of a previous holder's secret is visible",
    "a pool that serves passwords or keys must not hand them to the next request",
    "in put, when zero_on_return is set, zero the buffer's whole capacity, past its length too \
     (a holder may have truncated it): clear it, then resize it to its capacity with zeros",
    "a pool that ignores zero_on_return, and one that zeroes only the buffer's length",
);
/// `prod-leaks`.
pub const LEAKS: CheckInfo = info(
    "prod-leaks",
    "prod: the leak report counts outstanding buffers exactly, with where each was taken",
    "a buffer never returned is a slow leak; knowing where it was taken finds the bug",
    "outstanding = gets - returns; with track_leaks, keep a Backtrace per buffer out (by the \
     address of its box) and remove it on return",
    "a leak report that counts returns twice",
);
/// `prod-reset`.
pub const PROD_RESET: CheckInfo = info(
    "prod-reset",
    "prod: buffers are reset before reuse",
    "a buffer that still holds the previous request's bytes corrupts the next message",
    "Pooled::growable and Pooled::readable",
    "a pool that hands buffers out as the previous holder left them",
);
/// `prod-stress`.
pub const PROD_STRESS: CheckInfo = CheckInfo {
    time_limit: Duration::from_secs(30),
    ..info(
        "prod-stress",
        "prod: 8 threads x 2000 rounds, no buffer shared, none lost or leaked",
        "a buffer handed to two holders at once corrupts both messages, silently, under load",
        "the idle buffers behind one lock-free queue or mutex; counters atomic",
        "a pool that leaks its buffers when dropped",
    )
};
