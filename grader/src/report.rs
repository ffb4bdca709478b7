//! The text report a student reads: every task in order with each check's status, a progress
//! line, and for the first failures what was expected, what was seen, why it matters, a hint and
//! the file to edit.

use crate::isolation::{CheckResult, Status};
use crate::subject::Subject;
use pool_checks::{CheckInfo, TASKS};
use std::fmt::Write;

/// How many failures are explained in full; the rest are listed by status only.
const EXPLAINED_FAILURES: usize = 3;

/// Colour or plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Whether to use ANSI colours.
    pub colour: bool,
}

impl Style {
    /// Colour on a terminal unless `NO_COLOR` is set (to anything but the empty string).
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        Style {
            colour: std::io::stdout().is_terminal() && !no_colour,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn status(&self, status: &Status) -> String {
        let word = format!("{:<11}", status.word());
        let code = match status {
            Status::Passed { .. } => "32",
            Status::NotStarted { .. } => "33",
            Status::Failed(_)
            | Status::TimedOut { .. }
            | Status::OutOfMemory { .. }
            | Status::Crashed { .. } => "1;31",
        };
        self.paint(code, &word)
    }

    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// Renders the report of a grading run. `tasks` are the task numbers that were selected.
pub fn render(subject: Subject, tasks: &[u8], results: &[CheckResult], style: Style) -> String {
    let mut out = String::new();
    let whose = match subject {
        Subject::Exercises => "your exercises".to_string(),
        other => other.name(),
    };
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!("Buffer pooling workshop: grading {whose}"))
    );
    let _ = writeln!(
        out,
        "{}",
        style.dim(
            "Each check runs in a process of its own. Explain one: cargo run -p grader -- hint ID"
        )
    );
    for task in TASKS.iter().filter(|task| tasks.contains(&task.number)) {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}",
            style.bold(&format!("Task {}: {}", task.number, task.title))
        );
        for result in results
            .iter()
            .filter(|result| result.info.task == task.number)
        {
            let _ = writeln!(
                out,
                "  {} {:<20} {}",
                style.status(&result.status),
                result.info.id,
                result.info.title
            );
            let detail = match &result.status {
                Status::Passed { evidence } => evidence.clone(),
                Status::NotStarted { location, .. } => match location {
                    Some(at) => format!("reaches a todo!() at {at}"),
                    None => "reaches a todo!()".into(),
                },
                Status::Failed(_)
                | Status::TimedOut { .. }
                | Status::OutOfMemory { .. }
                | Status::Crashed { .. } => continue,
            };
            let _ = writeln!(out, "  {:<11} {:<20} {}", "", "", style.dim(&detail));
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", style.bold(&progress(results)));
    let broken: Vec<&CheckResult> = results
        .iter()
        .filter(|result| {
            !result.status.passed() && !matches!(result.status, Status::NotStarted { .. })
        })
        .collect();
    for result in broken.iter().take(EXPLAINED_FAILURES) {
        let _ = writeln!(out);
        explain_failure(&mut out, subject, result, style);
    }
    if broken.len() > EXPLAINED_FAILURES {
        let _ = writeln!(
            out,
            "\n{} more check(s) did not pass; fix the ones above first, or run one with --check ID.",
            broken.len() - EXPLAINED_FAILURES
        );
    }
    let next_todo = results
        .iter()
        .find(|result| matches!(result.status, Status::NotStarted { .. }));
    if let (true, Some(result)) = (broken.is_empty(), next_todo) {
        let _ = writeln!(out);
        explain_next(&mut out, subject, result, style);
    }
    out
}

/// "7/10 checks passed" with the other statuses counted.
pub fn progress(results: &[CheckResult]) -> String {
    let passed = results
        .iter()
        .filter(|result| result.status.passed())
        .count();
    let mut line = format!("{passed}/{} checks passed", results.len());
    let others: Vec<String> = Status::WORDS
        .iter()
        .filter(|word| **word != "passed")
        .filter_map(|word| {
            let count = results
                .iter()
                .filter(|result| result.status.word() == *word)
                .count();
            (count > 0).then(|| format!("{count} {word}"))
        })
        .collect();
    if !others.is_empty() {
        line.push_str(&format!(" ({})", others.join(", ")));
    }
    line
}

fn explain_failure(out: &mut String, subject: Subject, result: &CheckResult, style: Style) {
    let info = &result.info;
    let _ = writeln!(
        out,
        "{} {}: {}",
        style.status(&result.status).trim_end(),
        style.bold(info.id),
        info.title
    );
    if let Status::Failed(failure) = &result.status {
        let _ = writeln!(out, "  expected: {}", failure.expected);
    }
    if let Some(seen) = result.status.seen() {
        let _ = writeln!(out, "  seen:     {seen}");
    }
    explain_common(out, subject, info);
}

fn explain_next(out: &mut String, subject: Subject, result: &CheckResult, style: Style) {
    let info = &result.info;
    let _ = writeln!(
        out,
        "{} {}: {}",
        style.bold("Next:"),
        style.bold(info.id),
        info.title
    );
    if let Status::NotStarted { todo, location } = &result.status {
        let at = location.as_deref().unwrap_or("your code");
        let _ = writeln!(out, "  it stops at the todo!() at {at}: {todo}");
    }
    explain_common(out, subject, info);
}

fn explain_common(out: &mut String, subject: Subject, info: &CheckInfo) {
    let _ = writeln!(out, "  why:      {}", info.why);
    let _ = writeln!(out, "  hint:     {}", info.hint);
    let _ = writeln!(out, "  edit:     {}", subject.file_for(info));
}

/// The text of `hint ID`.
pub fn render_hint(subject: Subject, info: &CheckInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} (task {}): {}", info.id, info.task, info.title);
    let _ = writeln!(out, "  why:      {}", info.why);
    let _ = writeln!(out, "  hint:     {}", info.hint);
    let _ = writeln!(out, "  catches:  {}", info.catches);
    let _ = writeln!(out, "  edit:     {}", subject.file_for(info));
    let _ = writeln!(
        out,
        "  run it:   cargo run -p grader -- --check {}",
        info.id
    );
    out
}

/// The text of `--list`.
pub fn render_list(tasks: &[u8], checks: &[CheckInfo]) -> String {
    let mut out = String::new();
    for task in TASKS.iter().filter(|task| tasks.contains(&task.number)) {
        let _ = writeln!(
            out,
            "Task {}: {} ({})",
            task.number, task.title, task.summary
        );
        for check in checks.iter().filter(|c| c.task == task.number) {
            let _ = writeln!(out, "  {:<20} {}", check.id, check.title);
        }
    }
    out
}
