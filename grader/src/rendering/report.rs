//! The text report a student reads: every task in order with each check's status, a progress
//! line, and for the first failures what was expected, what was seen, why it matters, a hint and
//! the file to edit; then Task 3's table and the exercise's checklist, when the run has them.

use crate::grading::analysis::Row;
use crate::grading::run::GradingRun;
use crate::grading::status::{CheckResult, Status};
use crate::grading::subject::Subject;
use crate::grading::success_criteria::Criterion;
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
            Status::Passed(_) => "32",
            Status::NotStarted { .. } => "33",
            Status::Failed(_)
            | Status::TimedOut { .. }
            | Status::OutOfMemory { .. }
            | Status::Crashed { .. }
            | Status::DoesNotCompile(_) => "1;31",
        };
        self.paint(code, &word)
    }

    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }

    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    /// `location` (`path` or `path:line:column`, relative to the workshop's folder) as a link a
    /// terminal opens with a click (OSC 8: VS Code's terminal, iTerm2, GNOME Terminal, Windows
    /// Terminal, ...; others show the text alone), on a terminal; the text alone otherwise.
    pub fn link(&self, location: &str) -> String {
        if !self.colour {
            return location.to_string();
        }
        let file = location.split(':').next().unwrap_or(location);
        let target = crate::grading::build::workspace().join(file);
        format!(
            "\x1b]8;;file://{}\x1b\\{location}\x1b]8;;\x1b\\",
            target.display()
        )
    }
}

/// Renders the report of a grading run: its checks, then its table and checklist if it has them.
pub fn render(run: &GradingRun, style: Style) -> String {
    let mut out = render_checks(run.subject, &run.tasks, &run.results, style);
    if let Some(rows) = &run.analysis {
        let _ = writeln!(out);
        out.push_str(&render_table(rows, run.reference_analysis.as_deref()));
        if let Some(recorded) = &run.reference_recorded {
            let _ = writeln!(out, "  (the reference's figures: {recorded})");
        }
    }
    if let Some(criteria) = &run.success_criteria {
        let _ = writeln!(out);
        out.push_str(&render_criteria(criteria));
    }
    let _ = writeln!(out);
    out.push_str(&render_progress_bars(&run.tasks, &run.results));
    out
}

/// How many cells the report's progress bars have.
const BAR_WIDTH: usize = 20;

/// One bar per selected task: the share of its checks that pass, and the counts.
pub fn render_progress_bars(tasks: &[u8], results: &[CheckResult]) -> String {
    let mut out = String::from("Progress\n");
    for task in TASKS.iter().filter(|task| tasks.contains(&task.number)) {
        let own: Vec<&CheckResult> = results
            .iter()
            .filter(|result| result.info.task == task.number)
            .collect();
        let passed = own.iter().filter(|result| result.status.passed()).count();
        let _ = writeln!(
            out,
            "  Task {} [{}] {passed:>2}/{:<2} {}",
            task.number,
            bar(passed, own.len(), BAR_WIDTH),
            own.len(),
            task.title
        );
    }
    out
}

/// `passed` of `total` as `width` cells of `#` and `-`; a started task shows at least one `#`,
/// and only a finished one is full.
pub fn bar(passed: usize, total: usize, width: usize) -> String {
    let filled = match (passed, total) {
        (_, 0) | (0, _) => 0,
        (p, t) if p >= t => width,
        (p, t) => (p * width / t).clamp(1, width - 1),
    };
    format!("{}{}", "#".repeat(filled), "-".repeat(width - filled))
}

/// The checks' part of the report. `tasks` are the task numbers that were selected.
fn render_checks(subject: Subject, tasks: &[u8], results: &[CheckResult], style: Style) -> String {
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
                Status::Passed(evidence) => evidence.text.clone(),
                Status::NotStarted { location, .. } => match location {
                    Some(at) => format!("reaches a todo!() at {at}"),
                    None => "reaches a todo!()".into(),
                },
                Status::Failed(_)
                | Status::TimedOut { .. }
                | Status::OutOfMemory { .. }
                | Status::Crashed { .. }
                | Status::DoesNotCompile(_) => continue,
            };
            let _ = writeln!(out, "  {:<11} {:<20} {}", "", "", style.dim(&detail));
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", style.bold(&progress(results)));
    explain_compile_errors(&mut out, results, style);
    let broken: Vec<&CheckResult> = results
        .iter()
        .filter(|result| {
            !result.status.passed()
                && !matches!(
                    result.status,
                    Status::NotStarted { .. } | Status::DoesNotCompile(_)
                )
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

/// Each task that does not compile, once: where, the compiler's own words, and what it stops.
fn explain_compile_errors(out: &mut String, results: &[CheckResult], style: Style) {
    let mut shown: Vec<u8> = Vec::new();
    for result in results {
        let Status::DoesNotCompile(error) = &result.status else {
            continue;
        };
        if shown.contains(&error.task) {
            continue;
        }
        shown.push(error.task);
        let stopped = results
            .iter()
            .filter(
                |other| matches!(&other.status, Status::DoesNotCompile(e) if e.task == error.task),
            )
            .count();
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} {}",
            style.status(&result.status).trim_end(),
            style.bold(&format!("Task {}: ", error.task)) + &style.link(&error.location())
        );
        let _ = writeln!(out, "  {}", error.message);
        for line in error.rendered.trim_end().lines() {
            let _ = writeln!(out, "  {}", style.dim(line));
        }
        let _ = writeln!(
            out,
            "  {stopped} check(s) could not run until it compiles; the checks of tasks that compile ran \
             as usual. `cargo build -p exercises-task{}` shows every error.",
            error.task
        );
    }
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
    let hint = match &result.status {
        Status::Failed(failure) => failure.hint.as_deref(),
        _ => None,
    };
    explain_common(out, subject, info, hint, style);
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
        let at = location
            .as_deref()
            .map_or_else(|| "your code".to_string(), |at| style.link(at));
        let _ = writeln!(out, "  it stops at the todo!() at {at}: {todo}");
    }
    explain_common(out, subject, info, None, style);
}

/// Why the check matters, what to look at (`hint`, the failure's own, or the catalogue's) and
/// where.
fn explain_common(
    out: &mut String,
    subject: Subject,
    info: &CheckInfo,
    hint: Option<&str>,
    style: Style,
) {
    let _ = writeln!(out, "  why:      {}", info.why);
    let _ = writeln!(out, "  hint:     {}", hint.unwrap_or(info.hint));
    let _ = writeln!(out, "  edit:     {}", style.link(&subject.file_for(info)));
}

/// The text of `hint ID`.
pub fn render_hint(subject: Subject, info: &CheckInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} (task {}): {}", info.id, info.task, info.title);
    let _ = writeln!(out, "  why:      {}", info.why);
    let _ = writeln!(out, "  hint:     {}", info.hint);
    let _ = writeln!(
        out,
        "  catches:  {} (`--fixture {}`)",
        grader_runner::fixture_table::description_of(info.fixture),
        info.fixture
    );
    let _ = writeln!(out, "  edit:     {}", subject.file_for(info));
    let _ = writeln!(
        out,
        "  run it:   cargo run -p grader -- --check {}",
        info.id
    );
    out
}

/// The text of `--list`, with each check's status in the last run that graded it, if any.
pub fn render_list(
    tasks: &[u8],
    checks: &[CheckInfo],
    last: &crate::grading::last_run::Statuses,
) -> String {
    let mut out = String::new();
    for task in TASKS.iter().filter(|task| tasks.contains(&task.number)) {
        let _ = writeln!(
            out,
            "Task {}: {} ({})",
            task.number, task.title, task.summary
        );
        for check in checks.iter().filter(|c| c.task == task.number) {
            if last.is_empty() {
                let _ = writeln!(out, "  {:<20} {}", check.id, check.title);
            } else {
                let status = last.get(check.id).map_or("-", String::as_str);
                let _ = writeln!(out, "  {status:<16} {:<20} {}", check.id, check.title);
            }
        }
    }
    out
}

/// Task 3's table as text; with `reference`, the reference's figures beside each row.
pub fn render_table(rows: &[Row], reference: Option<&[Row]>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Performance analysis: pooled against unpooled, per message (informational; the criteria \
         checks grade the packet server)"
    );
    let _ = writeln!(
        out,
        "  {:<9} {:<14} {:>22} {:>7} {:>9} {:>10} {:>21}",
        "strategy",
        "workload",
        "allocator calls",
        "fewer",
        "1 thread",
        "2 threads",
        "peak live (KiB)"
    );
    for row in rows {
        let _ = writeln!(out, "  {}", render_row(row));
        if let Some(reference) = reference {
            let same = reference
                .iter()
                .find(|r| r.strategy == row.strategy && r.workload == row.workload);
            if let Some(same) = same {
                let _ = writeln!(out, "  {} (reference)", render_row(same));
            }
        }
    }
    out.push_str(TABLE_NOTES);
    out
}

/// What the rows beyond the packet server show, under the table.
const TABLE_NOTES: &str =
    "  Shown, not graded: bursts (a request holds 8 packet buffers of 512 B-4 KiB at once, then
  returns them all) and pipeline (packet buffers got on one thread, returned on another through a
  channel; both threads' CPU time, so no 2-thread column) show what holding several buffers at
  once and returns from another thread cost your design (exercises/TRADEOFFS.md, question 7).
";

fn render_row(row: &Row) -> String {
    let Some(figures) = &row.figures else {
        return format!(
            "{:<9} {:<14} {}",
            row.strategy,
            row.workload,
            row.missing.as_deref().unwrap_or("not measured")
        );
    };
    format!(
        "{:<9} {:<14} {:>22} {:>6.1}% {:>8.1}x {:>10} {:>21}",
        row.strategy,
        row.workload,
        format!(
            "{:.3} vs {:.3}",
            figures.pooled_allocations, figures.unpooled_allocations
        ),
        figures.reduction * 100.0,
        figures.one_thread.median,
        match &figures.two_threads {
            Some(ratio) => format!("{:.1}x", ratio.median),
            None => "-".to_string(),
        },
        format!(
            "{} vs {}{}",
            figures.peak_live.second_half.max(0) / 1024,
            figures.unpooled_peak.max(0) / 1024,
            if figures.stable { "" } else { " (grows)" }
        ),
    )
}

/// The checklist as text.
pub fn render_criteria(criteria: &[Criterion]) -> String {
    let mut out = String::from("Success criteria (the exercise's checklist, measured)\n");
    for criterion in criteria {
        let mark = match criterion.met {
            Some(true) => "[x]",
            Some(false) => "[ ]",
            None => "[?]",
        };
        let _ = writeln!(
            out,
            "  {mark} {}: {}",
            criterion.criterion, criterion.detail
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::bar;
    use super::Style;

    #[test]
    fn a_location_is_a_link_on_a_terminal_and_text_elsewhere() {
        let at = "exercises/task1/src/task1_sync_pool.rs:80:9";
        assert_eq!(Style { colour: false }.link(at), at);
        let linked = Style { colour: true }.link(at);
        assert!(linked.starts_with("\x1b]8;;file://"), "{linked:?}");
        assert!(
            linked.contains("exercises/task1/src/task1_sync_pool.rs\x1b\\"),
            "the link opens the file, not the line: {linked:?}"
        );
        assert!(
            linked.ends_with(&format!("{at}\x1b]8;;\x1b\\")),
            "{linked:?}"
        );
    }

    #[test]
    fn a_bar_is_full_only_when_done_and_shows_any_start() {
        assert_eq!(bar(0, 10, 20), "-".repeat(20));
        assert_eq!(bar(1, 54, 20), format!("#{}", "-".repeat(19)));
        assert_eq!(
            bar(5, 10, 20),
            format!("{}{}", "#".repeat(10), "-".repeat(10))
        );
        assert_eq!(bar(53, 54, 20), format!("{}-", "#".repeat(19)));
        assert_eq!(bar(7, 7, 20), "#".repeat(20));
        assert_eq!(bar(0, 0, 20), "-".repeat(20));
        assert_eq!(bar(1, 15, 10), format!("#{}", "-".repeat(9)));
    }
}
