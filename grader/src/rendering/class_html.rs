//! The class report as one self-contained HTML page (no scripts, no fetched files), at the scale
//! of a class: who has not started which task; a students x checks grid, the checks the class
//! fails most first; per strategy, the spread of the class's packet-server ratios beside the
//! reference's; and the table with its flags.

use crate::rendering::class::{ratio_cell, ClassReport, ClassRow};
use pool_checks::strategy::Strategy;
use std::fmt::Write;

const REFERENCE_COLOUR: &str = "#555555";
const STUDENT_COLOUR: &str = "#76b7b2";

/// The page.
pub fn render(class: &ClassReport) -> String {
    let mut page = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Buffer pooling workshop: class report</title>\n<style>\n\
         body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }\n\
         table { border-collapse: collapse; margin-top: 1em; }\n\
         th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; white-space: nowrap; }\n\
         th { text-align: center; }\n\
         td:last-child { white-space: normal; text-align: left; max-width: 28em; }\n\
         th:first-child, td:first-child, td.subject { text-align: left; }\n\
         tr.flagged td { background: #fde2e1; }\n\
         .legend span { display: inline-block; margin-right: 1.5em; }\n\
         .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 4px; }\n\
         svg text { font-size: 11px; }\n</style>\n</head>\n<body>\n",
    );
    let _ = writeln!(
        page,
        "<h1>Buffer pooling workshop: class report</h1>\n<p>{} report(s).</p>",
        class.rows.len()
    );
    page.push_str("<h2>Who has not started which task</h2>\n");
    page.push_str(&not_started(class));
    page.push_str("<h2>Every check, the ones the class fails most first</h2>\n");
    page.push_str(&legend(
        &GRID_LEGEND
            .iter()
            .map(|(label, colour)| (label.to_string(), *colour))
            .collect::<Vec<_>>(),
    ));
    page.push_str(&grid(class));
    page.push_str(
        "<h2>Packet server: throughput over the unpooled baseline (one thread), per strategy</h2>\n",
    );
    page.push_str(&legend(&[
        ("a student".to_string(), STUDENT_COLOUR),
        ("the reference".to_string(), REFERENCE_COLOUR),
    ]));
    page.push_str(&strips(class));
    page.push_str("<h2>Table</h2>\n");
    page.push_str(&table(class));
    page.push_str("</body>\n</html>\n");
    page
}

fn legend(items: &[(String, &str)]) -> String {
    let mut out = String::from("<p class=\"legend\">");
    for (label, colour) in items {
        let _ = write!(
            out,
            "<span><span class=\"swatch\" style=\"background:{colour}\"></span>{}</span>",
            escape(label)
        );
    }
    out + "</p>\n"
}

/// The colour of a cell of the grid for a status word.
fn status_colour(status: Option<&str>) -> &'static str {
    match status {
        Some("passed") => "#59a14f",
        Some("not started") | None => "#e8e8e8",
        Some("does not compile") => "#b07aa1",
        Some("failed") => "#e15759",
        Some(_) => "#8c1c13",
    }
}

/// What the grid's colours mean.
const GRID_LEGEND: [(&str, &str); 5] = [
    ("passed", "#59a14f"),
    ("failed", "#e15759"),
    ("crashed, timed out, out of memory", "#8c1c13"),
    ("does not compile", "#b07aa1"),
    ("not started", "#e8e8e8"),
];

/// Students across (one column each, named at the top), checks down, the ones the class fails
/// most first; each cell coloured by the student's status, with the counts at the right.
fn grid(class: &ClassReport) -> String {
    let students: Vec<&ClassRow> = class.students().collect();
    let checks = class.checks_by_failures();
    let (cell, left, top, right) = (16.0, 190.0, 130.0, 250.0);
    let width = left + cell * students.len().max(1) as f64 + right;
    let height = top + cell * checks.len() as f64 + 10.0;
    let mut svg = svg_open(width, height);
    for (column, row) in students.iter().enumerate() {
        let x = left + column as f64 * cell + cell / 2.0 + 4.0;
        let fill = if row.flags.is_empty() { "#222" } else { "#c00" };
        let _ = writeln!(
            svg,
            "<text x=\"{x:.1}\" y=\"{:.1}\" fill=\"{fill}\" transform=\"rotate(-60 {x:.1} {:.1})\">\
             {}{}</text>",
            top - 6.0,
            top - 6.0,
            escape(&row.name),
            if row.flags.is_empty() { "" } else { " (flagged)" }
        );
    }
    for (line, tally) in checks.iter().enumerate() {
        let y = top + line as f64 * cell;
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{} (task {})</text>",
            left - 6.0,
            y + cell - 4.0,
            tally.id,
            tally.task
        );
        for (column, row) in students.iter().enumerate() {
            let status = row.status_of(tally.id);
            let _ = writeln!(
                svg,
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\">\
                 <title>{}: {} {}</title></rect>",
                left + column as f64 * cell,
                cell - 2.0,
                cell - 2.0,
                status_colour(status),
                escape(&row.name),
                tally.id,
                status.unwrap_or("not in the report")
            );
        }
        let mut counts = format!("{} failed", tally.failed);
        if tally.not_compiling > 0 {
            let _ = write!(counts, ", {} do not compile", tally.not_compiling);
        }
        let _ = write!(counts, ", {} passed", tally.passed);
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\">{counts}</text>",
            left + cell * students.len() as f64 + 6.0,
            y + cell - 4.0
        );
    }
    svg + "</svg>\n"
}

/// One strip per strategy: a dot per student at their packet-server ratio, the reference's as a
/// dark bar, the criterion (2x) as a dashed line.
fn strips(class: &ClassReport) -> String {
    let (left, strip, top, width) = (90.0, 44.0, 24.0, 820.0);
    let values = class
        .students()
        .flat_map(|row| row.ratios.iter().filter_map(|(_, v)| *v))
        .chain(class.reference.iter().flatten().filter_map(|(_, v)| *v));
    let most = values.fold(2.0_f64, f64::max) * 1.1;
    let span = width - left - 20.0;
    let x = |value: f64| left + value / most * span;
    let height = top + strip * Strategy::ALL.len() as f64 + 20.0;
    let mut svg = svg_open(width, height);
    let bottom = top + strip * Strategy::ALL.len() as f64;
    for (tick, text) in [
        (0.0, "0x".to_string()),
        (most / 1.1, format!("{:.0}x", most / 1.1)),
    ] {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{text}</text>",
            x(tick),
            bottom + 14.0
        );
    }
    let _ = writeln!(
        svg,
        "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{top}\" y2=\"{bottom}\" stroke=\"#c00\" \
         stroke-dasharray=\"4 3\"/><text x=\"{1:.1}\" y=\"{2:.1}\" fill=\"#c00\">2x</text>",
        x(2.0),
        x(2.0) + 3.0,
        top - 8.0
    );
    for (index, strategy) in Strategy::ALL.iter().enumerate() {
        let middle = top + index as f64 * strip + strip / 2.0;
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <line x1=\"{left}\" x2=\"{:.1}\" y1=\"{middle:.1}\" y2=\"{middle:.1}\" stroke=\"#ddd\"/>",
            left - 8.0,
            middle + 4.0,
            strategy.name(),
            width - 20.0
        );
        let value_of = |ratios: &[(&'static str, Option<f64>)]| {
            ratios
                .iter()
                .find(|(s, _)| *s == strategy.name())
                .and_then(|(_, v)| *v)
        };
        for (dot, row) in class.students().enumerate() {
            let Some(value) = value_of(&row.ratios) else {
                continue;
            };
            // Spread over five lanes, so that equal ratios stay visible.
            let lane = (dot % 5) as f64 - 2.0;
            let _ = writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{STUDENT_COLOUR}\" \
                 fill-opacity=\"0.75\"><title>{}: {value:.1}x</title></circle>",
                x(value),
                middle + lane * 5.0,
                escape(&row.name)
            );
        }
        if let Some(value) = class.reference.as_deref().and_then(value_of) {
            let _ = writeln!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"3\" height=\"{:.1}\" fill=\"{REFERENCE_COLOUR}\">\
                 <title>the reference: {value:.1}x</title></rect>",
                x(value) - 1.5,
                middle - strip / 2.0 + 6.0,
                strip - 12.0
            );
        }
    }
    svg + "</svg>\n"
}

/// Who has not started which task.
fn not_started(class: &ClassReport) -> String {
    let mut out = String::from("<ul>\n");
    for (task, names) in class.not_started() {
        let who = if names.is_empty() {
            "everyone has started it".to_string()
        } else {
            escape(&names.join(", "))
        };
        let _ = writeln!(
            out,
            "<li>Task {task}: {} not started: {who}</li>",
            names.len()
        );
    }
    out + "</ul>\n"
}

fn svg_open(width: f64, height: f64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\">\n"
    )
}

fn table(class: &ClassReport) -> String {
    let mut out = String::from("<table>\n<tr><th>report</th><th>subject</th><th>passed</th>");
    for task in pool_checks::TASKS {
        let _ = write!(out, "<th>task {}</th>", task.number);
    }
    for strategy in Strategy::ALL {
        let _ = write!(out, "<th>{}</th>", strategy.name());
    }
    out.push_str("<th>flags</th></tr>\n");
    for row in &class.rows {
        let class_attr = if row.flags.is_empty() {
            ""
        } else {
            " class=\"flagged\""
        };
        let _ = write!(
            out,
            "<tr{class_attr}><td>{}</td><td class=\"subject\">{}</td><td>{}/{}</td>",
            escape(&row.name),
            escape(&row.subject),
            row.passed,
            row.total
        );
        for task in pool_checks::TASKS {
            let _ = write!(out, "<td>{}</td>", row.task_cell(task.number));
        }
        for (_, value) in &row.ratios {
            let _ = write!(out, "<td>{}</td>", ratio_cell(*value));
        }
        let _ = writeln!(out, "<td>{}</td></tr>", escape(&row.flags.join("; ")));
    }
    if let Some(reference) = &class.reference {
        out.push_str("<tr><td>(reference)</td><td class=\"subject\">solutions</td><td></td>");
        for _ in pool_checks::TASKS {
            out.push_str("<td></td>");
        }
        for (_, value) in reference {
            let _ = write!(out, "<td>{}</td>", ratio_cell(*value));
        }
        out.push_str("<td></td></tr>\n");
    }
    out + "</table>\n"
}

/// `text` with HTML's special characters escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
