//! The class report as one self-contained HTML page (no scripts, no fetched files): a bar chart
//! of checks passed per task for every report, a bar chart of the packet-server ratios beside
//! the reference's, and the table with its flags.

use crate::class::{ratio_cell, ClassReport, ClassRow};
use pool_checks::strategy::Strategy;
use std::fmt::Write;

const TASK_COLOURS: [&str; 4] = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1"];
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
    page.push_str("<h2>Checks passed per task</h2>\n");
    page.push_str(&legend(
        &pool_checks::TASKS
            .iter()
            .zip(TASK_COLOURS)
            .map(|(task, colour)| (format!("Task {}: {}", task.number, task.title), colour))
            .collect::<Vec<_>>(),
    ));
    page.push_str(&tasks_chart(&class.rows));
    page.push_str("<h2>Packet server: throughput over the unpooled baseline (one thread)</h2>\n");
    page.push_str(&legend(&[
        ("each report".to_string(), STUDENT_COLOUR),
        ("the reference".to_string(), REFERENCE_COLOUR),
    ]));
    page.push_str(&ratios_chart(class));
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

/// One group of bars per report, one bar per task, each as tall as its share of checks passed.
fn tasks_chart(rows: &[ClassRow]) -> String {
    let (bar, gap, height, top, bottom) = (14.0, 28.0, 160.0, 20.0, 110.0);
    let tasks = pool_checks::TASKS.len() as f64;
    let group = tasks * bar + gap;
    let width = 40.0 + group * rows.len().max(1) as f64;
    let mut svg = svg_open(width, top + height + bottom);
    axis(&mut svg, 40.0, top, height, "100%", "0%");
    for (index, row) in rows.iter().enumerate() {
        let left = 40.0 + gap / 2.0 + index as f64 * group;
        for (slot, (task, colour)) in pool_checks::TASKS.iter().zip(TASK_COLOURS).enumerate() {
            let Some(&(_, passed, total)) = row.tasks.iter().find(|(n, ..)| *n == task.number)
            else {
                continue;
            };
            let share = if total == 0 {
                0.0
            } else {
                passed as f64 / total as f64
            };
            let h = (share * height).max(1.0);
            let x = left + slot as f64 * bar;
            let _ = writeln!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{colour}\">\
                 <title>{}: task {}, {passed}/{total}</title></rect>",
                top + height - h,
                bar - 2.0,
                escape(&row.name),
                task.number
            );
        }
        label(
            &mut svg,
            left + tasks * bar / 2.0,
            top + height + 14.0,
            &row.name,
            !row.flags.is_empty(),
        );
    }
    svg + "</svg>\n"
}

/// One group per strategy: a bar per report, then the reference's, and a dashed line at 2x.
fn ratios_chart(class: &ClassReport) -> String {
    let (bar, gap, height, top, bottom) = (12.0, 30.0, 180.0, 20.0, 40.0);
    let values = class
        .rows
        .iter()
        .flat_map(|row| row.ratios.iter().filter_map(|(_, v)| *v))
        .chain(class.reference.iter().flatten().filter_map(|(_, v)| *v));
    let most = values.fold(2.0_f64, f64::max) * 1.1;
    // Reports with no figures (not yet at Task 3) take no room.
    let measured: Vec<&ClassRow> = class
        .rows
        .iter()
        .filter(|row| row.ratios.iter().any(|(_, value)| value.is_some()))
        .collect();
    let bars = measured.len() + usize::from(class.reference.is_some());
    let group = bars as f64 * bar + gap;
    let width = 40.0 + group * Strategy::ALL.len() as f64;
    let mut svg = svg_open(width, top + height + bottom);
    axis(&mut svg, 40.0, top, height, &format!("{most:.0}x"), "0x");
    let y = |value: f64| top + height - value / most * height;
    let _ = writeln!(
        svg,
        "<line x1=\"40\" x2=\"{width:.1}\" y1=\"{0:.1}\" y2=\"{0:.1}\" stroke=\"#c00\" \
         stroke-dasharray=\"4 3\"/><text x=\"{1:.1}\" y=\"{2:.1}\" fill=\"#c00\">2x</text>",
        y(2.0),
        44.0,
        y(2.0) - 3.0
    );
    for (slot, strategy) in Strategy::ALL.iter().enumerate() {
        let left = 40.0 + gap / 2.0 + slot as f64 * group;
        let reference = class
            .reference
            .as_ref()
            .map(|r| ("reference", r, REFERENCE_COLOUR));
        let series = measured
            .iter()
            .map(|row| (row.name.as_str(), &row.ratios, STUDENT_COLOUR))
            .chain(reference);
        for (index, (name, ratios, colour)) in series.enumerate() {
            let value = ratios
                .iter()
                .find(|(s, _)| *s == strategy.name())
                .and_then(|(_, v)| *v);
            let Some(value) = value else { continue };
            let _ = writeln!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\">\
                 <title>{}: {} {value:.1}x</title></rect>",
                left + index as f64 * bar,
                y(value),
                bar - 2.0,
                (top + height - y(value)).max(1.0),
                escape(name),
                strategy.name()
            );
        }
        label(
            &mut svg,
            left + bars as f64 * bar / 2.0,
            top + height + 14.0,
            strategy.name(),
            false,
        );
    }
    svg + "</svg>\n"
}

fn svg_open(width: f64, height: f64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\">\n"
    )
}

fn axis(svg: &mut String, x: f64, top: f64, height: f64, high: &str, low: &str) {
    let _ = writeln!(
        svg,
        "<line x1=\"{x}\" x2=\"{x}\" y1=\"{top}\" y2=\"{0}\" stroke=\"#888\"/>\
         <text x=\"{1}\" y=\"{2}\" text-anchor=\"end\">{high}</text>\
         <text x=\"{1}\" y=\"{0}\" text-anchor=\"end\">{low}</text>",
        top + height,
        x - 4.0,
        top + 8.0
    );
}

fn label(svg: &mut String, x: f64, y: f64, text: &str, flagged: bool) {
    let fill = if flagged { "#c00" } else { "#222" };
    let _ = writeln!(
        svg,
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"end\" fill=\"{fill}\" \
         transform=\"rotate(-35 {x:.1} {y:.1})\">{}{}</text>",
        escape(text),
        if flagged { " (flagged)" } else { "" }
    );
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
