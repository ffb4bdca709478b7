//! How checks build pools from configurations: a valid one must build, and each bad one must be
//! refused with an error that names its field (Tasks 2 and 4).

use crate::check::{ensure, passed, Failure, Outcome};
use crate::config::ConfigError;

/// Unwraps a constructor's result for a configuration that is valid.
pub fn built<P>(result: Result<P, ConfigError>, what: &str) -> Result<P, Failure> {
    result.map_err(|error| {
        Failure::new(
            format!("a {what} built from a valid configuration"),
            format!("the constructor refused it: {error}"),
        )
    })
}

/// Each bad configuration must be refused with an error that names the field.
pub fn refuses_each<P, C: std::fmt::Debug>(
    build: impl Fn(C) -> Result<P, ConfigError>,
    cases: Vec<(C, &'static str)>,
) -> Outcome {
    let count = cases.len();
    for (config, field) in cases {
        let described = format!("{config:?}");
        match build(config) {
            Ok(_) => {
                return Err(Failure::new(
                    format!("{described} to be refused: `{field}` breaks its rule"),
                    "the pool was built",
                ))
            }
            Err(error) => ensure(
                error.field == field,
                || format!("the error for {described} to name the field `{field}`"),
                || format!("it names `{}` ({error})", error.field),
            )?,
        }
    }
    passed(format!(
        "{count} bad configurations refused, each naming its field"
    ))
}
