//! Turns `fixtures.toml` (the fixtures' table, as data) into `fixture_table::FIXTURES`, at build
//! time.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    #[serde(default)]
    sets: BTreeMap<String, Vec<(String, String)>>,
    fixture: Vec<Row>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    flaw: String,
    name: String,
    kind: String,
    description: String,
    expected: Expected,
}

/// A row's checks: its own list, or `"@NAME"` for a shared one.
#[derive(Deserialize)]
#[serde(untagged)]
enum Expected {
    Shared(String),
    Own(Vec<(String, String)>),
}

fn pairs(list: &[(String, String)]) -> String {
    let items: Vec<String> = list
        .iter()
        .map(|(check, status)| format!("({check:?}, {status:?})"))
        .collect();
    format!("&[{}]", items.join(", "))
}

fn main() {
    println!("cargo::rerun-if-changed=fixtures.toml");
    let text = std::fs::read_to_string("fixtures.toml").expect("grader/runner/fixtures.toml");
    let table: Table = toml::from_str(&text)
        .unwrap_or_else(|error| panic!("grader/runner/fixtures.toml: {error}"));
    let mut out = String::new();
    for (name, list) in &table.sets {
        let _ = writeln!(
            out,
            "/// The shared list `{name}` of fixtures.toml.\nconst SET_{}: &[(&str, &str)] = {};",
            name.to_uppercase(),
            pairs(list)
        );
    }
    out.push_str("\n/// Every fixture, the control first (from `fixtures.toml`).\n");
    out.push_str("pub const FIXTURES: &[Fixture] = &[\n");
    for row in &table.fixture {
        let kind = match row.kind.as_str() {
            "control" => "Control",
            "broken" => "Broken",
            "correct" => "Correct",
            other => panic!("fixtures.toml, {}: no kind {other}", row.name),
        };
        let expected = match &row.expected {
            Expected::Shared(set) => {
                let name = set
                    .strip_prefix('@')
                    .unwrap_or_else(|| panic!("fixtures.toml, {}: `{set}` is not @NAME", row.name));
                assert!(
                    table.sets.contains_key(name),
                    "fixtures.toml, {}: no [sets] {name}",
                    row.name
                );
                format!("SET_{}", name.to_uppercase())
            }
            Expected::Own(list) => pairs(list),
        };
        let _ = writeln!(
            out,
            "    Fixture {{ flaw: Flaw::{}, name: {:?}, kind: Kind::{kind}, description: {:?}, \
             expected: {expected} }},",
            row.flaw, row.name, row.description
        );
    }
    out.push_str("];\n");
    let path =
        std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("fixtures.rs");
    std::fs::write(path, out).expect("write the fixtures' table");
}
