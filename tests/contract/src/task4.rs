//! Task 4, production pool design: the pool an engineer would run in a network server, and what
//! it must offer.
//!
//! - **Configuration** ([`PoolConfig`]): built in code, or loaded from TOML or environment
//!   variables (`POOL_MAX_POOLED=64`), with defaults that are bounded (no "0 means unlimited"),
//!   and validation that answers every bad value with a [`ConfigError`] naming the field, the
//!   value and the rule.
//! - **Metrics** ([`Metrics`]): counters and gauges in one snapshot, cheap enough to leave on,
//!   exported as Prometheus text and JSON.
//! - **Graceful degradation** ([`LimitPolicy`]): at its limits (buffers or bytes in use) the pool
//!   allocates outside itself and counts it, waits up to a timeout, or fails at once with a
//!   [`PoolError`]; never a panic, a deadlock or a lost buffer. [`ProductionPoolApi::shrink_to`]
//!   frees pooled memory down to a target under memory pressure.
//! - **Hygiene**: opt-in zero-on-return for sensitive data, and a [`LeakReport`] of buffers still
//!   out (with where each was taken, when `track_leaks` is on).

use crate::config::ConfigError;
use crate::pool::{BufferPool, Pooled};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What the pool does when a get would exceed `max_in_use` or `max_bytes_in_use`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitPolicy {
    /// Serve it with a buffer allocated outside the pool, and count a degraded event.
    Allocate,
    /// Wait up to `wait_timeout_ms` for a buffer to come back, then fail with
    /// [`PoolError::Timeout`].
    Wait,
    /// Fail at once with [`PoolError::LimitReached`].
    Fail,
}

/// The production pool's configuration. Every field has a bounded default; see
/// [`PoolConfig::default`]. In TOML and in the environment the fields keep their names
/// (`max_pooled = 64`, `POOL_MAX_POOLED=64`; `on_limit` is `allocate`, `wait` or `fail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoolConfig {
    /// Capacity of new buffers, in bytes. At least 1, at most `max_buffer_size`.
    pub buffer_size: usize,
    /// Buffers that grew past this capacity are dropped when they come back.
    pub max_buffer_size: usize,
    /// Idle buffers kept at most. At least 1.
    pub max_pooled: usize,
    /// Buffers held at once before the limit policy applies. At least 1.
    pub max_in_use: usize,
    /// Bytes (capacity) held at once before the limit policy applies. At least `buffer_size`.
    pub max_bytes_in_use: usize,
    /// What to do at a limit.
    pub on_limit: LimitPolicy,
    /// How long `Wait` waits, in milliseconds. At least 1 when `on_limit` is `wait`.
    pub wait_timeout_ms: u64,
    /// The share of idle buffers `trim()` keeps, in percent: 0 to 100. The count kept is rounded
    /// down (`idle * trim_keep_percent / 100` in integers): 45% of 8 idle keeps 3.
    pub trim_keep_percent: u8,
    /// Zero every returned buffer's bytes, for pools that hold secrets.
    pub zero_on_return: bool,
    /// Record where each buffer still out was taken (a backtrace per get: for debugging).
    pub track_leaks: bool,
}

impl Default for PoolConfig {
    /// 4 KiB buffers, up to 1 MiB kept, 64 idle, 1024 in use, 64 MiB in use, allocate at the
    /// limit, 100 ms waits, trim keeps half, no zeroing, no leak tracking.
    fn default() -> Self {
        PoolConfig {
            buffer_size: 4096,
            max_buffer_size: 1024 * 1024,
            max_pooled: 64,
            max_in_use: 1024,
            max_bytes_in_use: 64 * 1024 * 1024,
            on_limit: LimitPolicy::Allocate,
            wait_timeout_ms: 100,
            trim_keep_percent: 50,
            zero_on_return: false,
            track_leaks: false,
        }
    }
}

/// The builder: start from the defaults and chain what differs, as in
/// `PoolConfig::builder().max_pooled(8).on_limit(LimitPolicy::Fail)`. The pool validates the
/// result when it is built (`Task4::production_pool`), as it does a configuration from TOML or
/// the environment.
impl PoolConfig {
    /// The defaults, to chain setters on.
    pub fn builder() -> Self {
        PoolConfig::default()
    }

    /// Sets `buffer_size`: Capacity of new buffers.
    pub fn buffer_size(mut self, buffer_size: usize) -> Self {
        self.buffer_size = buffer_size;
        self
    }

    /// Sets `max_buffer_size`: Largest capacity kept.
    pub fn max_buffer_size(mut self, max_buffer_size: usize) -> Self {
        self.max_buffer_size = max_buffer_size;
        self
    }

    /// Sets `max_pooled`: Idle buffers kept at most.
    pub fn max_pooled(mut self, max_pooled: usize) -> Self {
        self.max_pooled = max_pooled;
        self
    }

    /// Sets `max_in_use`: Buffers held at once before the limit policy applies.
    pub fn max_in_use(mut self, max_in_use: usize) -> Self {
        self.max_in_use = max_in_use;
        self
    }

    /// Sets `max_bytes_in_use`: Bytes held at once before the limit policy applies.
    pub fn max_bytes_in_use(mut self, max_bytes_in_use: usize) -> Self {
        self.max_bytes_in_use = max_bytes_in_use;
        self
    }

    /// Sets `on_limit`: What to do at a limit.
    pub fn on_limit(mut self, on_limit: LimitPolicy) -> Self {
        self.on_limit = on_limit;
        self
    }

    /// Sets `wait_timeout_ms`: How long `Wait` waits, in milliseconds.
    pub fn wait_timeout_ms(mut self, wait_timeout_ms: u64) -> Self {
        self.wait_timeout_ms = wait_timeout_ms;
        self
    }

    /// Sets `trim_keep_percent`: The share of idle buffers `trim()` keeps.
    pub fn trim_keep_percent(mut self, trim_keep_percent: u8) -> Self {
        self.trim_keep_percent = trim_keep_percent;
        self
    }

    /// Sets `zero_on_return`: Zero returned buffers.
    pub fn zero_on_return(mut self, zero_on_return: bool) -> Self {
        self.zero_on_return = zero_on_return;
        self
    }

    /// Sets `track_leaks`: Record where each buffer out was taken.
    pub fn track_leaks(mut self, track_leaks: bool) -> Self {
        self.track_leaks = track_leaks;
        self
    }
}

/// Why a get failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolError {
    /// A limit was reached and the policy is `Fail`.
    LimitReached {
        /// Which limit (`max_in_use` or `max_bytes_in_use`).
        limit: &'static str,
        /// Its value.
        value: usize,
    },
    /// A limit was reached and no buffer came back within `wait_timeout_ms`.
    Timeout {
        /// How long the get waited, in milliseconds.
        waited_ms: u64,
    },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::LimitReached { limit, value } => {
                write!(f, "pool limit reached: {limit} = {value}")
            }
            PoolError::Timeout { waited_ms } => {
                write!(f, "no buffer came back within {waited_ms} ms")
            }
        }
    }
}

impl std::error::Error for PoolError {}

/// One consistent snapshot of a production pool's counters (since creation) and gauges (now).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    /// Gets served (hits + misses; degraded gets are misses).
    pub gets: u64,
    /// Buffers given back.
    pub returns: u64,
    /// Gets served from an idle buffer.
    pub hits: u64,
    /// Gets that needed a new buffer.
    pub misses: u64,
    /// Buffers allocated (misses).
    pub created: u64,
    /// Buffers held now (gauge): every buffer handed out and not yet returned, those served past
    /// a limit (degraded) included, since they hold memory as much as the others (`gets -
    /// returns`).
    pub in_use: u64,
    /// The most buffers held at once (gauge), degraded ones included as in `in_use`.
    pub high_water_in_use: u64,
    /// Idle buffers now (gauge).
    pub pooled: u64,
    /// Capacity of the idle buffers now, in bytes (gauge).
    pub bytes_retained: u64,
    /// Returned buffers dropped because they grew past `max_buffer_size`.
    pub dropped_oversized: u64,
    /// Returned buffers dropped because `max_pooled` were idle.
    pub dropped_full: u64,
    /// Idle buffers freed by `trim` or `shrink_to`.
    pub dropped_trimmed: u64,
    /// Gets served outside the pool's limits: any get at a limit under policy `allocate`, and
    /// a `BufferPool::get` at a limit under any policy (it never fails).
    pub degraded: u64,
    /// Gets refused at a limit: a `try_get` under policy `fail`, or under `wait` after its
    /// timeout. A get that was served is never counted here.
    pub rejected: u64,
}

impl Metrics {
    /// Hits over gets, from 0 to 1 (0 before the first get).
    pub fn hit_rate(&self) -> f64 {
        if self.gets == 0 {
            0.0
        } else {
            self.hits as f64 / self.gets as f64
        }
    }
}

/// Buffers still out, and where they were taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeakReport {
    /// Buffers taken and not given back (held guards, and detached or forgotten ones).
    pub outstanding: usize,
    /// Where each was taken (a backtrace each), when `track_leaks` is on; empty otherwise.
    pub sites: Vec<String>,
}

/// A production pool.
pub trait ProductionPoolApi: BufferPool {
    /// A buffer of at least `capacity` bytes, or the limit policy's error. (`BufferPool::get`
    /// never fails: at a limit it allocates outside the pool, whatever the policy.)
    fn try_get(&self, capacity: usize) -> Result<Pooled<'_, Self>, PoolError>;

    /// The metrics, one consistent snapshot.
    fn metrics(&self) -> Metrics;

    /// The metrics in Prometheus' text exposition format: a `# HELP` and a `# TYPE` line per
    /// metric, counters named `…_total`.
    fn prometheus(&self) -> String;

    /// The metrics as one JSON object, with the field names of [`Metrics`] and `hit_rate`.
    fn metrics_json(&self) -> String;

    /// Frees idle buffers until the idle capacity is at most `bytes`; returns the bytes freed.
    fn shrink_to(&self, bytes: usize) -> usize;

    /// Frees idle buffers beyond `trim_keep_percent` of those idle now, the count kept rounded
    /// down (45% of 8 idle keeps 3, 50% of 1 keeps none).
    fn trim(&self);

    /// The buffers still out.
    fn leak_report(&self) -> LeakReport;
}

/// What an implementation of the workshop provides for Task 4.
pub trait Task4 {
    /// Its production pool.
    type ProductionPool: ProductionPoolApi;

    /// Builds a production pool, refusing a configuration that breaks a rule.
    fn production_pool(&self, config: PoolConfig) -> Result<Self::ProductionPool, ConfigError>;

    /// Parses and validates a TOML configuration; missing keys take their defaults.
    fn config_from_toml(&self, text: &str) -> Result<PoolConfig, ConfigError>;

    /// Parses and validates a configuration from environment variables (`POOL_MAX_POOLED=64`);
    /// `vars` are all the variables, the ones without the `POOL_` prefix are ignored.
    fn config_from_env(&self, vars: &[(String, String)]) -> Result<PoolConfig, ConfigError>;
}
