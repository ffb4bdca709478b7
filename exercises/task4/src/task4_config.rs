//! # Task 4a: configuration
//!
//! TODO: load and validate the production pool's `PoolConfig` (defined in the contract,
//! `pool_contract::task4`): from TOML, from environment variables, and from code. A pool
//! misconfigured in production must fail at start-up with a message an operator can act on:
//! the field, the value and the rule, never a panic.
//!
//! 1. `validate(config)`: one function with every rule, used by all three sources (and by
//!    `ProductionPool::new`): `buffer_size` at least 1; `max_buffer_size` and
//!    `max_bytes_in_use` at least `buffer_size`; `max_pooled` and `max_in_use` at least 1;
//!    `trim_keep_percent` at most 100; `wait_timeout_ms` at least 1 when `on_limit` is `wait`.
//!    Return `ConfigError::new(field, value, rule)`.
//! 2. `from_toml(text)`: `toml::from_str::<PoolConfig>(text)` does the parsing (the struct
//!    already refuses unknown keys and fills missing ones with defaults); turn its error into a
//!    `ConfigError` naming the key (serde's message names unknown fields; for the others,
//!    `error.span()` points into the text, at the line of the key), then validate.
//! 3. `from_env(vars)`: every `POOL_` variable sets the field of that name, in capitals
//!    (`POOL_MAX_POOLED=64`); parse each value with the field's type; an unknown `POOL_` name
//!    or an unparsable value is an error naming it; other variables are ignored. Then validate.
//!
//! Graded by `prod-config-errors` (a table of bad inputs from every source) and
//! `prod-config-sources` (TOML, environment and code must agree).

use pool_contract::task4::PoolConfig;
use pool_contract::ConfigError;

/// Checks every rule of `config`; the first broken one is the error.
pub fn validate(config: &PoolConfig) -> Result<(), ConfigError> {
    todo!("validate {config:?}")
}

/// Parses and validates a TOML configuration.
pub fn from_toml(text: &str) -> Result<PoolConfig, ConfigError> {
    todo!("parse the TOML configuration {text:?}")
}

/// Parses and validates a configuration from `POOL_…` environment variables.
pub fn from_env(vars: &[(String, String)]) -> Result<PoolConfig, ConfigError> {
    todo!("parse the {} environment variables", vars.len())
}
