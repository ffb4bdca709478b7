//! Turns `catalogue.toml` (the checks' prose and scheduling, as data an instructor can edit)
//! into the `TASKS` and `CATALOGUE` constants of `src/catalogue.rs`, at build time.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    task: Vec<Task>,
    #[serde(default)]
    texts: BTreeMap<String, String>,
    check: Vec<Check>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Task {
    number: u8,
    title: String,
    summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    id: String,
    task: u8,
    pool: String,
    file: String,
    role: String,
    title: String,
    why: String,
    hint: String,
    fixture: String,
    time_limit_seconds: u64,
    timed: bool,
}

fn main() {
    println!("cargo::rerun-if-changed=catalogue.toml");
    let text = std::fs::read_to_string("catalogue.toml").expect("tests/checks/catalogue.toml");
    let catalogue: Catalogue = toml::from_str(&text)
        .unwrap_or_else(|error| panic!("tests/checks/catalogue.toml: {error}"));
    let text_of = |value: &str| -> String {
        match value.strip_prefix('@') {
            Some(name) => catalogue
                .texts
                .get(name)
                .unwrap_or_else(|| panic!("catalogue.toml: no [texts] {name}"))
                .clone(),
            None => value.to_string(),
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "/// The workshop's tasks, in order (from `catalogue.toml`).\npub const TASKS: [TaskInfo; {}] = [",
        catalogue.task.len()
    );
    for task in &catalogue.task {
        let _ = writeln!(
            out,
            "    TaskInfo {{ number: {}, title: {:?}, summary: {:?} }},",
            task.number, task.title, task.summary
        );
    }
    out.push_str(
        "];\n\n/// Every check, in the order a student meets them (from `catalogue.toml`).\n",
    );
    out.push_str("pub const CATALOGUE: &[CheckInfo] = &[\n");
    for check in &catalogue.check {
        let pool = match check.pool.as_str() {
            "sync" => "Sync",
            "fixed" => "Fixed",
            "size-class" => "SizeClass",
            "adaptive" => "Adaptive",
            "toolkit" => "Toolkit",
            "production" => "Production",
            other => panic!("catalogue.toml, {}: no pool {other}", check.id),
        };
        let role = match check.role.as_str() {
            "correctness" => "Correctness",
            "criteria" => "Criteria",
            "monitoring" => "Monitoring",
            other => panic!("catalogue.toml, {}: no role {other}", check.id),
        };
        assert!(
            catalogue.task.iter().any(|task| task.number == check.task),
            "catalogue.toml, {}: no task {}",
            check.id,
            check.task
        );
        let _ = writeln!(
            out,
            "    CheckInfo {{ id: {:?}, task: {}, pool: Pool::{pool}, file: {:?}, role: Role::{role}, \
             title: {:?}, why: {:?}, hint: {:?}, fixture: {:?}, \
             time_limit: Duration::from_secs({}), timed: {} }},",
            check.id,
            check.task,
            check.file,
            check.title,
            text_of(&check.why),
            text_of(&check.hint),
            check.fixture,
            check.time_limit_seconds,
            check.timed
        );
    }
    out.push_str("];\n");
    let path =
        std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("catalogue.rs");
    std::fs::write(path, out).expect("write the catalogue");
}
