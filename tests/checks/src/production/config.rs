//! Task 4's configuration checks: every bad value from every source is refused with the field,
//! the value and the rule, and TOML, environment variables and code describe the same pool.

use crate::check::{ensure, passed, Failure, Outcome};
use crate::config::ConfigError;
use crate::task4::{LimitPolicy, PoolConfig, Task4};

/// What a check expects of a bad input: refused, naming `field`.
fn expect_refused(
    what: &str,
    result: Result<PoolConfig, ConfigError>,
    field: &str,
) -> Result<(), Failure> {
    expect_refused_naming(what, result, &[field])
}

/// What a check expects of a bad input: refused, naming one of `names` (the first is the one
/// the expectation shows), with a rule.
fn expect_refused_naming(
    what: &str,
    result: Result<PoolConfig, ConfigError>,
    names: &[&str],
) -> Result<(), Failure> {
    let shown = names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>();
    let shown = shown.join(" or ");
    match result {
        Ok(config) => Err(Failure::new(
            format!("{what} to be refused, naming {shown}"),
            format!("it was accepted as {config:?}"),
        )),
        Err(error) => ensure(
            names.contains(&error.field.as_str()) && !error.rule.is_empty(),
            || format!("the error for {what} to name {shown} and its rule"),
            || format!("{error}"),
        ),
    }
}

/// Environment variables, as `Task4::config_from_env` takes them.
type Vars = Vec<(String, String)>;

fn env(vars: &[(&str, &str)]) -> Vars {
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
    // An unknown variable is named as it was given (`ConfigError::field`: "or the unknown name
    // that was given"), or as the field it would have set: either tells the operator which.
    let env_cases: [(Vars, &[&str]); 4] = [
        (env(&[("POOL_MAX_POOLED", "lots")]), &["max_pooled"]),
        (env(&[("POOL_BUFFER_SIZE", "0")]), &["buffer_size"]),
        (
            env(&[("POOL_MAX_POOLD", "3")]),
            &["POOL_MAX_POOLD", "max_poold"],
        ),
        (
            env(&[("POOL_ZERO_ON_RETURN", "maybe")]),
            &["zero_on_return"],
        ),
    ];
    for (vars, names) in &env_cases {
        expect_refused_naming(
            &format!("environment {vars:?}"),
            workshop.config_from_env(vars),
            names,
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
    passed(format!(
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
    passed("TOML, environment and code agree; an empty file gives the defaults")
}
