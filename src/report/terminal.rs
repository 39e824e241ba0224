//! The terminal report: one table row per check (check, status, what was
//! observed, the threshold), then the failing samples, then a summary line.
//! Colour only when asked (the CLI decides: a TTY and no `NO_COLOR`).

use std::fmt::Write;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use serde_json::Value as Json;

use super::Report;
use super::summary::{compact, totals};
use crate::outcome::{RunOutcome, Status};

pub struct Terminal {
    pub color: bool,
    /// Table width when not on a terminal.
    pub width: u16,
}

fn status_color(s: Status) -> Color {
    match s {
        Status::Pass => Color::Green,
        Status::Skipped => Color::Grey,
        Status::Warn => Color::Yellow,
        Status::Fail => Color::Red,
        Status::Error => Color::Magenta,
    }
}

/// The per-group table of a fairness check, shown under a failed one.
fn group_table(observed: &serde_json::Map<String, Json>, color: bool, width: u16) -> Option<Table> {
    let groups = observed.get("groups")?.as_array()?;
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    if color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table.set_width(width.saturating_sub(4));
    table.set_header(vec!["group", "rows", "selection rate", "TPR", "FPR", "precision", "note"]);
    let rate = |g: &Json, name: &str| match g.get("rates").and_then(|r| r.get(name)).and_then(Json::as_f64) {
        Some(v) => format!("{v:.3}"),
        None => "-".to_string(),
    };
    for g in groups {
        let mut note = Vec::new();
        if g.get("insufficient").and_then(Json::as_bool) == Some(true) {
            note.push("too small: not compared");
        }
        if g.get("is_reference").and_then(Json::as_bool) == Some(true) {
            note.push("reference");
        }
        table.add_row(vec![
            g.get("label").and_then(Json::as_str).unwrap_or("?").to_string(),
            g.get("rows").map(ToString::to_string).unwrap_or_default(),
            rate(g, "selection_rate"),
            rate(g, "true_positive_rate"),
            rate(g, "false_positive_rate"),
            rate(g, "precision"),
            note.join(", "),
        ]);
    }
    Some(table)
}

impl Report for Terminal {
    fn render(&self, run: &RunOutcome) -> String {
        let mut out = String::new();
        for suite in &run.suites {
            let mut table = Table::new();
            table.load_preset(presets::UTF8_FULL_CONDENSED);
            table.set_content_arrangement(ContentArrangement::Dynamic);
            if self.color {
                table.enforce_styling();
            } else {
                table.force_no_tty();
            }
            table.set_width(self.width);
            table.set_header(vec!["check", "status", "observed", "threshold"]);
            for c in &suite.checks {
                let mut status = Cell::new(c.status.as_str());
                if self.color {
                    status = status.fg(status_color(c.status));
                }
                table.add_row(vec![Cell::new(&c.id), status, Cell::new(&c.message), Cell::new(compact(&c.threshold))]);
            }
            let _ = writeln!(out, "{} · dataset {} · {} rows", suite.file, suite.dataset, suite.rows);
            let _ = writeln!(out, "{table}");
            for c in
                suite.checks.iter().filter(|c| c.kind == "fairness" && matches!(c.status, Status::Fail | Status::Warn))
            {
                if let Some(groups) = group_table(&c.observed, self.color, self.width) {
                    let _ = writeln!(out, "  {} ({}): groups", c.id, c.status.as_str());
                    for line in groups.to_string().lines() {
                        let _ = writeln!(out, "    {line}");
                    }
                }
            }
            for c in suite.checks.iter().filter(|c| c.failing_sample.as_ref().is_some_and(|s| !s.is_empty())) {
                let _ = writeln!(out, "  {} ({}): failing sample", c.id, c.status.as_str());
                for row in c.failing_sample.iter().flatten() {
                    let _ = writeln!(out, "    {row}");
                }
            }
            out.push('\n');
        }
        let _ = writeln!(out, "{}: {}", run.status.as_str().to_uppercase(), totals(run));
        out
    }
}
