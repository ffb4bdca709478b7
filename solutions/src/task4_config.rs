//! Task 4: loading and validating a [`PoolConfig`], from TOML, from the environment, or from
//! code. Every source goes through [`validate`], so a rule is written once.

use pool_contract::task4::{LimitPolicy, PoolConfig};
use pool_contract::ConfigError;
use std::str::FromStr;

/// The prefix of the pool's environment variables: `POOL_MAX_POOLED=64`.
pub const ENV_PREFIX: &str = "POOL_";

/// Checks every rule of `config`; the first broken one is the error.
pub fn validate(config: &PoolConfig) -> Result<(), ConfigError> {
    let at_least = |field: &str, value: usize, minimum: usize, rule: String| {
        if value < minimum {
            Err(ConfigError::new(field, value, rule))
        } else {
            Ok(())
        }
    };
    at_least(
        "buffer_size",
        config.buffer_size,
        1,
        "must be at least 1".into(),
    )?;
    at_least(
        "max_buffer_size",
        config.max_buffer_size,
        config.buffer_size,
        format!("must be at least buffer_size ({})", config.buffer_size),
    )?;
    at_least(
        "max_pooled",
        config.max_pooled,
        1,
        "must be at least 1".into(),
    )?;
    at_least(
        "max_in_use",
        config.max_in_use,
        1,
        "must be at least 1".into(),
    )?;
    at_least(
        "max_bytes_in_use",
        config.max_bytes_in_use,
        config.buffer_size,
        format!("must be at least buffer_size ({})", config.buffer_size),
    )?;
    if config.trim_keep_percent > 100 {
        return Err(ConfigError::new(
            "trim_keep_percent",
            config.trim_keep_percent,
            "is a percentage: from 0 to 100",
        ));
    }
    if config.on_limit == LimitPolicy::Wait && config.wait_timeout_ms == 0 {
        return Err(ConfigError::new(
            "wait_timeout_ms",
            0,
            "must be at least 1 when on_limit is wait",
        ));
    }
    Ok(())
}

/// Parses and validates a TOML configuration; missing keys take their defaults, unknown keys
/// and values of the wrong type are errors naming the key.
pub fn from_toml(text: &str) -> Result<PoolConfig, ConfigError> {
    let config: PoolConfig = toml::from_str(text).map_err(|error| {
        // serde names unknown fields in its message; for the others, the key is on the line
        // the error points at.
        let line = error
            .span()
            .and_then(|span| {
                text[..span.start.min(text.len())]
                    .lines()
                    .count()
                    .checked_sub(1)
            })
            .and_then(|index| text.lines().nth(index))
            .unwrap_or("");
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        let field = unknown_field(error.message()).unwrap_or_else(|| key.trim().to_string());
        ConfigError::new(field, value.trim(), error.message().trim())
    })?;
    validate(&config)?;
    Ok(config)
}

/// The name in serde's "unknown field `name`, expected ..." message.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// Parses and validates a configuration from environment variables: `POOL_` and a field name in
/// capitals. Variables without the prefix are ignored; an unknown `POOL_` variable is an error.
pub fn from_env(vars: &[(String, String)]) -> Result<PoolConfig, ConfigError> {
    let mut config = PoolConfig::default();
    for (name, value) in vars {
        if let Some(field) = name.strip_prefix(ENV_PREFIX) {
            set(&mut config, &field.to_ascii_lowercase(), value)?;
        }
    }
    validate(&config)?;
    Ok(config)
}

/// Sets one field from its text.
fn set(config: &mut PoolConfig, field: &str, value: &str) -> Result<(), ConfigError> {
    match field {
        "buffer_size" => config.buffer_size = parse(field, value)?,
        "max_buffer_size" => config.max_buffer_size = parse(field, value)?,
        "max_pooled" => config.max_pooled = parse(field, value)?,
        "max_in_use" => config.max_in_use = parse(field, value)?,
        "max_bytes_in_use" => config.max_bytes_in_use = parse(field, value)?,
        "wait_timeout_ms" => config.wait_timeout_ms = parse(field, value)?,
        "trim_keep_percent" => config.trim_keep_percent = parse(field, value)?,
        "zero_on_return" => config.zero_on_return = parse(field, value)?,
        "track_leaks" => config.track_leaks = parse(field, value)?,
        "on_limit" => {
            config.on_limit = match value {
                "allocate" => LimitPolicy::Allocate,
                "wait" => LimitPolicy::Wait,
                "fail" => LimitPolicy::Fail,
                _ => {
                    return Err(ConfigError::new(
                        field,
                        value,
                        "must be allocate, wait or fail",
                    ))
                }
            }
        }
        _ => {
            return Err(ConfigError::new(
                field,
                value,
                "is not a setting of the pool (POOL_ and a field of PoolConfig, in capitals)",
            ))
        }
    }
    Ok(())
}

fn parse<T: FromStr>(field: &str, value: &str) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| {
        let kind = std::any::type_name::<T>();
        ConfigError::new(field, value, format!("must be a {kind}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_key_the_value_and_the_rule() {
        let error = from_toml("max_pooled = \"lots\"").unwrap_err();
        assert_eq!(error.field, "max_pooled");
        assert_eq!(error.value, "\"lots\"");
        assert!(error.rule.contains("invalid type"), "{error}");
        let error = from_toml("trim_keep_percent = 150").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid trim_keep_percent = 150: is a percentage: from 0 to 100"
        );
    }

    #[test]
    fn the_defaults_are_valid_and_bounded() {
        let defaults = PoolConfig::default();
        validate(&defaults).unwrap();
        assert!(defaults.max_pooled < usize::MAX && defaults.max_in_use < usize::MAX);
    }
}
