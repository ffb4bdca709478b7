//! The error every pool constructor returns for a configuration it cannot honour.

use std::fmt;

/// A configuration value that breaks a rule: which field, what value, which rule. Pools return it
/// from their constructors instead of panicking, so a bad configuration file is an error message,
/// not a crash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The field, as it is spelled in the config struct (e.g. `buffer_size`), or the unknown
    /// name that was given.
    pub field: String,
    /// The value it had.
    pub value: String,
    /// The rule it breaks, e.g. "must be at least 1".
    pub rule: String,
}

impl ConfigError {
    /// `field` had `value`, which breaks `rule`.
    pub fn new(
        field: impl Into<String>,
        value: impl fmt::Display,
        rule: impl Into<String>,
    ) -> Self {
        ConfigError {
            field: field.into(),
            value: value.to_string(),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} = {}: {}", self.field, self.value, self.rule)
    }
}

impl std::error::Error for ConfigError {}
