//! `export-student DIR`: writes the student edition, a copy of the workshop without the answers,
//! for the repository students receive (the GitHub Classroom template). Left out: the reference
//! solutions and every crate, test, snapshot and script that needs them (the fixtures' pools wrap
//! the reference's), and the maintainers' CI (`.ci/`, the cross-platform workflow). The
//! reference's Task 3 figures are measured once and recorded (`grader/reference-figures.json`),
//! for `--compare` and the class report.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Folders and files (relative to the workshop's folder) the edition leaves out.
pub const LEFT_OUT: [&str; 13] = [
    ".git",
    "target",
    "exercises/.backup",
    "solutions",
    "grader/runners/solutions",
    "grader/runners/fixtures",
    "grader/tests/reference.rs",
    "grader/tests/fixtures.rs",
    "grader/tests/snapshots/reference__solutions_report.snap",
    "grader/tests/snapshots/reference__solutions_json_report.snap",
    "scripts/load-test",
    ".ci",
    ".github/workflows/platforms.yml",
];

/// The packages the edition leaves out, as the workspace's manifest names them.
const LEFT_OUT_PACKAGES: [&str; 3] = ["solutions", "runner-solutions", "runner-fixtures"];

/// What the README of the edition says first.
const EDITION_NOTE: &str = "\
> **Student edition.** This copy of the workshop has no reference solutions: `--solutions` and
> `--fixture` are for the maintainers' repository. `--compare` and the class report use the
> reference's figures recorded when this edition was made (`grader/reference-figures.json`).
";

/// Writes the edition into `dir`, which must not exist yet or be empty; `figures` is the
/// reference's JSON report to record. Returns the files written.
pub fn export(root: &Path, dir: &Path, figures: &str) -> Result<Vec<PathBuf>> {
    if dir.exists()
        && dir
            .read_dir()
            .map_or(true, |mut entries| entries.next().is_some())
    {
        bail!(
            "{} exists and is not empty: the edition goes into a new folder",
            dir.display()
        );
    }
    let mut written = Vec::new();
    for file in files(root)? {
        let text = std::fs::read(root.join(&file))
            .with_context(|| format!("Failed to read {}", file.display()))?;
        let contents = match file.to_str() {
            Some("Cargo.toml") => student_manifest(&String::from_utf8_lossy(&text)).into_bytes(),
            Some("README.md") => with_note(&String::from_utf8_lossy(&text)).into_bytes(),
            _ => text,
        };
        write(dir, &file, &contents)?;
        written.push(file);
    }
    let recorded = PathBuf::from(crate::grading::reference::RECORDED);
    write(dir, &recorded, figures.as_bytes())?;
    written.push(recorded);
    Ok(written)
}

fn write(dir: &Path, file: &Path, contents: &[u8]) -> Result<()> {
    let to = dir.join(file);
    if let Some(folder) = to.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("Failed to create {}", folder.display()))?;
    }
    std::fs::write(&to, contents).with_context(|| format!("Failed to write {}", to.display()))
}

/// The workshop's files that go into the edition: what git tracks or would track (so no build
/// output, no editor's files), or every file when this is not a git checkout; less [`LEFT_OUT`].
fn files(root: &Path) -> Result<Vec<PathBuf>> {
    let listed = std::process::Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output();
    let mut files: Vec<PathBuf> = match listed {
        Ok(output) if output.status.success() => output
            .stdout
            .split(|byte| *byte == 0)
            .filter(|name| !name.is_empty())
            .map(|name| PathBuf::from(String::from_utf8_lossy(name).into_owned()))
            .collect(),
        _ => walk(root, Path::new(""))?,
    };
    files.retain(|file| root.join(file).is_file() && !left_out(file));
    files.sort();
    files.dedup();
    Ok(files)
}

/// Whether `file` is, or is inside, something the edition leaves out.
pub fn left_out(file: &Path) -> bool {
    LEFT_OUT.iter().any(|out| file.starts_with(out))
}

fn walk(root: &Path, under: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root.join(under))
        .with_context(|| format!("Failed to read {}", root.join(under).display()))?
    {
        let relative = under.join(entry?.file_name());
        if left_out(&relative) {
            continue;
        }
        if root.join(&relative).is_dir() {
            found.extend(walk(root, &relative)?);
        } else {
            found.push(relative);
        }
    }
    Ok(found)
}

/// The workspace's manifest without the packages the edition leaves out: their member lines,
/// their `[workspace.dependencies]` lines and their profile sections.
pub fn student_manifest(manifest: &str) -> String {
    let mut kept = Vec::new();
    let mut skipping_section = false;
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            skipping_section = LEFT_OUT_PACKAGES
                .iter()
                .any(|package| trimmed == format!("[profile.dev.package.{package}]"));
        }
        let member = LEFT_OUT.iter().any(|out| trimmed == format!("\"{out}\","));
        let dependency = LEFT_OUT_PACKAGES
            .iter()
            .any(|package| trimmed.starts_with(&format!("{package} = {{")));
        if !(skipping_section || member || dependency) {
            kept.push(line);
        }
    }
    // A left-out section's blank line went with it; no double blank lines remain.
    let mut text = kept.join("\n");
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text.trim_end().to_string() + "\n"
}

/// The README with the edition's note after its title.
fn with_note(readme: &str) -> String {
    match readme.split_once('\n') {
        Some((title, rest)) => format!("{title}\n\n{EDITION_NOTE}{rest}"),
        None => format!("{readme}\n\n{EDITION_NOTE}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_loses_the_reference_and_keeps_the_rest() {
        let manifest = "[workspace]\nmembers = [\n    \"exercises\",\n    \"solutions\",\n    \
                        \"grader/runners/fixtures\",\n    \"grader\",\n]\n\n[workspace.dependencies]\n\
                        solutions = { path = \"solutions\" }\nrunner-fixtures = { path = \"x\" }\n\
                        anyhow = \"1\"\n\n[profile.dev.package.solutions]\nopt-level = 3\n\n\
                        [profile.dev.package.grader]\nopt-level = 3\n";
        let student = student_manifest(manifest);
        assert_eq!(
            student,
            "[workspace]\nmembers = [\n    \"exercises\",\n    \"grader\",\n]\n\n\
             [workspace.dependencies]\nanyhow = \"1\"\n\n[profile.dev.package.grader]\n\
             opt-level = 3\n"
        );
    }

    #[test]
    fn the_reference_and_what_needs_it_are_left_out() {
        for path in [
            "solutions/src/lib.rs",
            "solutions/TRADEOFFS.md",
            "grader/runners/fixtures/src/lib.rs",
            "grader/tests/reference.rs",
            "target/debug/grader",
        ] {
            assert!(left_out(Path::new(path)), "{path}");
        }
        for path in [
            "exercises/task1/src/task1_sync_pool.rs",
            "grader/runners/exercises/src/main.rs",
            "grader/tests/grading.rs",
            "solutions-notes.md",
        ] {
            assert!(!left_out(Path::new(path)), "{path}");
        }
    }
}
