//! The HTML report: one self-contained page (inline CSS, a small inline
//! script, inline SVG from `plots.rs`; nothing fetched from anywhere) with
//! the run's summary, the failures first with links to their rows, then a
//! table per suite with each check's plot, failing sample and details. The
//! script only adds status filters: the page reads and prints the same
//! without it. Every text that comes from a spec or from data goes through
//! [`escape`], and the output depends only on the [`RunOutcome`] (ids are
//! positions, not random), so it can be snapshot-tested.

mod plots;
mod svg;

use std::fmt::Write;

use serde_json::{Map, Value as Json};

use super::Report;
use crate::outcome::{CheckOutcome, RunOutcome, Status, SuiteOutcome};
use plots::{Plot, compared_rates, rate_name};
use svg::num;

pub struct Html;

/// Escapes text for HTML element content and double- or single-quoted
/// attribute values.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped text with `code spans` (as the check messages write SQL and
/// names) shown as code. Runs on escaped text, so it adds no markup of the
/// input's own.
fn message_html(s: &str) -> String {
    let escaped = escape(s);
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len() < 3 || parts.len().is_multiple_of(2) {
        return escaped;
    }
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Statuses in the order the page lists them: worst first.
const STATUSES: [Status; 5] = [Status::Error, Status::Fail, Status::Warn, Status::Pass, Status::Skipped];

fn badge(status: Status) -> String {
    let icon = match status {
        Status::Pass => "✓",
        Status::Skipped => "–",
        Status::Warn => "!",
        Status::Fail => "✗",
        Status::Error => "⚠",
    };
    let s = status.as_str();
    format!(r#"<span class="badge st-{s}"><span aria-hidden="true">{icon}</span> {s}</span>"#)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("{n} {word}") } else { format!("{n} {word}s") }
}

fn duration(ms: u64) -> String {
    match ms {
        0..1000 => format!("{ms} ms"),
        1000..60_000 => format!("{} s", num(ms as f64 / 1000.0, 4)),
        _ => format!("{} min {} s", ms / 60_000, num((ms % 60_000) as f64 / 1000.0, 3)),
    }
}

/// Every check with its page-wide position (its anchor is `check-{n}`).
fn numbered(run: &RunOutcome) -> Vec<(usize, &SuiteOutcome, &CheckOutcome)> {
    run.suites
        .iter()
        .flat_map(|s| s.checks.iter().map(move |c| (s, c)))
        .enumerate()
        .map(|(i, (s, c))| (i + 1, s, c))
        .collect()
}

impl Report for Html {
    fn render(&self, run: &RunOutcome) -> String {
        let checks = numbered(run);
        let mut out = String::new();
        let datasets: std::collections::BTreeSet<&str> = run.suites.iter().map(|s| s.dataset.as_str()).collect();
        let _ = write!(
            out,
            r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="probity {version}">
<title>probity: {status} · {checks} on {datasets}</title>
<style>
{STYLE}</style>
</head>
<body class="run-{status}">
<pre id="script-errors" hidden></pre>
"#,
            version = escape(run.probity_version),
            status = run.status.as_str(),
            checks = plural(checks.len(), "check"),
            datasets = plural(datasets.len(), "dataset"),
        );
        summary(&mut out, run, checks.len());
        failures(&mut out, &checks);
        filters(&mut out, run);
        out.push_str("<main>\n");
        let mut first = 1;
        for (i, suite) in run.suites.iter().enumerate() {
            suite_section(&mut out, i + 1, suite, first);
            first += suite.checks.len();
        }
        out.push_str("</main>\n");
        provenance_section(&mut out, run);
        let _ = write!(
            out,
            "<footer>Written by probity {}; the same results as <code>--format json</code> (results format {}).</footer>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
            escape(run.probity_version),
            run.format_version
        );
        out
    }
}

/// What the run read: each dataset's source and version or files, each
/// reference's, each suite file's SHA-256.
fn provenance_section(out: &mut String, run: &RunOutcome) {
    let rows = super::summary::provenance(run);
    if rows.is_empty() {
        return;
    }
    out.push_str("<section id=\"provenance\">\n<h2>Data read</h2>\n<table>\n<tr><th>what</th><th>source</th><th>read</th></tr>\n");
    for [what, source, read] in &rows {
        let _ = writeln!(out, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", escape(what), escape(source), escape(read));
    }
    out.push_str("</table>\n</section>\n");
}

fn summary(out: &mut String, run: &RunOutcome, n: usize) {
    let meaning = match run.status {
        Status::Pass | Status::Skipped => "Every check passed.",
        Status::Warn => "Only checks of severity warn failed (exit code 0, or 1 with --fail-on warn).",
        Status::Fail => "A check of severity error failed (exit code 1).",
        Status::Error => "At least one check could not be judged (exit code 2).",
    };
    let _ =
        writeln!(out, "<header>\n<h1>probity report {}</h1>\n<p class=\"meaning\">{meaning}</p>", badge(run.status));
    let started = run.started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut suites: Vec<String> = Vec::new();
    for s in &run.suites {
        let text = format!("{} ({} rows)", escape(&s.dataset), num(s.rows as f64, 15));
        if !suites.contains(&text) {
            suites.push(text);
        }
    }
    let _ = writeln!(
        out,
        "<dl class=\"facts\">\n<dt>started</dt><dd>{started}</dd>\n<dt>duration</dt><dd>{}</dd>\n<dt>datasets</dt><dd>{}</dd>\n<dt>probity</dt><dd>{} (results format {})</dd>\n</dl>",
        duration(run.duration_ms),
        suites.join(", "),
        escape(run.probity_version),
        run.format_version
    );
    let _ = writeln!(out, "<ul class=\"counts\" aria-label=\"checks per status\">");
    let _ = writeln!(out, "<li><strong>{}</strong></li>", plural(n, "check"));
    for status in STATUSES {
        let k = run.count(status);
        if k > 0 {
            let _ = writeln!(out, "<li>{} {k}</li>", badge(status));
        }
    }
    let _ = writeln!(out, "</ul>\n</header>");
}

/// The failed and unjudged checks (errors first), then the warnings, each a
/// link to its row.
fn failures(out: &mut String, checks: &[(usize, &SuiteOutcome, &CheckOutcome)]) {
    let mut failed: Vec<_> =
        checks.iter().filter(|(_, _, c)| matches!(c.status, Status::Fail | Status::Error)).collect();
    failed.sort_by_key(|(n, _, c)| (std::cmp::Reverse(c.status), *n));
    let warned: Vec<_> = checks.iter().filter(|(_, _, c)| c.status == Status::Warn).collect();
    let class = if failed.is_empty() { "none" } else { "some" };
    let _ = writeln!(out, "<section id=\"failures\" class=\"{class}\">\n<h2>Failures ({})</h2>", failed.len());
    let item = |out: &mut String, (n, suite, c): &(usize, &SuiteOutcome, &CheckOutcome)| {
        let _ = writeln!(
            out,
            "<li>{} <a href=\"#check-{n}\">{}</a> <span class=\"muted\">{} · {}</span><br>{}</li>",
            badge(c.status),
            escape(&c.id),
            escape(&suite.dataset),
            escape(&c.kind),
            message_html(&c.message)
        );
    };
    if failed.is_empty() {
        let _ = writeln!(out, "<p>No check failed and every check could be judged.</p>");
    } else {
        let _ = writeln!(out, "<ol id=\"failure-list\">");
        for f in &failed {
            item(out, f);
        }
        let _ = writeln!(out, "</ol>");
    }
    if !warned.is_empty() {
        let _ = writeln!(out, "<h3>Warnings ({})</h3>\n<ol id=\"warning-list\">", warned.len());
        for w in &warned {
            item(out, w);
        }
        let _ = writeln!(out, "</ol>");
    }
    let _ = writeln!(out, "</section>");
}

/// Status filters; hidden until the script shows them (they do nothing
/// without it).
fn filters(out: &mut String, run: &RunOutcome) {
    let _ = writeln!(out, "<nav id=\"filters\" aria-label=\"Filter checks by status\" hidden>\n<span>Show:</span>");
    for status in STATUSES {
        let k = run.count(status);
        if k > 0 {
            let s = status.as_str();
            let _ = writeln!(out, "<label><input type=\"checkbox\" value=\"{s}\" checked> {s} ({k})</label>");
        }
    }
    let _ = writeln!(
        out,
        "<span class=\"only\">Only: <button type=\"button\" data-only=\"fail\">failed</button> <button type=\"button\" data-only=\"warn\">warnings</button> <button type=\"button\" data-only=\"error\">errors</button> <button type=\"button\" data-only=\"fail,warn,error\">all problems</button> <button type=\"button\" data-only=\"all\">everything</button></span>\n</nav>"
    );
}

fn suite_section(out: &mut String, index: usize, suite: &SuiteOutcome, first: usize) {
    let _ = writeln!(
        out,
        "<section class=\"suite\" id=\"suite-{index}\">\n<h2>{} <small>{} · {} rows · {}</small></h2>\n<p class=\"filtered\" hidden></p>",
        escape(&suite.dataset),
        escape(&suite.file),
        num(suite.rows as f64, 15),
        plural(suite.checks.len(), "check")
    );
    let _ = writeln!(
        out,
        "<div class=\"table-wrap\">\n<table class=\"checks\">\n<thead><tr><th>check</th><th>kind</th><th>column(s)</th><th>severity</th><th>status</th><th>observed</th><th>threshold</th><th>message</th></tr></thead>"
    );
    for (i, c) in suite.checks.iter().enumerate() {
        check_rows(out, first + i, c);
    }
    let _ = writeln!(out, "</table>\n</div>\n</section>");
}

fn check_rows(out: &mut String, n: usize, c: &CheckOutcome) {
    let s = c.status.as_str();
    let columns = match (&c.column, &c.columns) {
        (_, Some(cols)) => escape(&cols.join(", ")),
        (Some(col), None) => escape(col),
        (None, None) => "<span class=\"muted\">rows</span>".to_string(),
    };
    let _ = writeln!(
        out,
        "<tbody class=\"check st-{s}\" id=\"check-{n}\" data-status=\"{s}\">\n<tr class=\"row\"><td class=\"id\">{}</td><td>{}</td><td>{columns}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        breakable(&c.id),
        escape(&c.kind),
        escape(c.severity),
        badge(c.status),
        kv_list(&observed_items(c)),
        kv_list(&threshold_items(&c.threshold)),
        message_html(&c.message)
    );
    let detail = detail(n, c);
    if !detail.is_empty() {
        let _ = writeln!(
            out,
            "<tr class=\"detail\"><td colspan=\"8\"><div class=\"detail-body\">\n{detail}</div></td></tr>"
        );
    }
    let _ = writeln!(out, "</tbody>");
}

/// An escaped identifier that may wrap after its dots and underscores.
fn breakable(id: &str) -> String {
    escape(id).replace('.', ".<wbr>").replace('_', "_<wbr>")
}

fn kv_list(items: &[(String, String)]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut out = String::from("<ul class=\"kv\">");
    for (k, v) in items {
        let _ = write!(out, "<li><span class=\"k\">{}</span> {}</li>", escape(k), escape(v));
    }
    out.push_str("</ul>");
    out
}

/// A JSON value in a few words: numbers rounded for reading, long lists and
/// nested objects counted rather than spelled out.
fn short(v: &Json, sig: usize) -> String {
    match v {
        Json::Null => "undefined".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |f| num(f, sig)),
        Json::String(s) => s.clone(),
        Json::Array(a) if a.is_empty() => "none".into(),
        Json::Array(a) if a.len() <= 6 && a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            a.iter().map(|x| short(x, sig)).collect::<Vec<_>>().join(", ")
        }
        Json::Array(a) => plural(a.len(), "item"),
        Json::Object(o) => match (o.get("lower").and_then(Json::as_f64), o.get("upper").and_then(Json::as_f64)) {
            (Some(l), Some(u)) => format!("{} to {}", num(l, sig), num(u, sig)),
            _ if o.len() <= 6 && o.values().all(|x| !x.is_object() && !x.is_array()) => {
                o.iter().map(|(k, x)| format!("{k} {}", short(x, sig))).collect::<Vec<_>>().join(", ")
            }
            _ => plural(o.len(), "entry").replace("entrys", "entries"),
        },
    }
}

/// What the observed column shows: per kind the numbers that were judged;
/// the details (histograms, groups) are in the plot and tables below.
fn observed_items(c: &CheckOutcome) -> Vec<(String, String)> {
    let o = &c.observed;
    let get = |k: &str| o.get(k).map(|v| short(v, 4));
    let mut items = Vec::new();
    let mut push = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            items.push((k.to_string(), v));
        }
    };
    match c.kind.as_str() {
        "drift" if o.contains_key("columns") => {
            push("columns tested", get("columns_tested"));
            push("columns drifted", get("columns_drifted"));
        }
        "drift" => {
            push("test", get("test"));
            push("statistic", get("statistic"));
            push("p-value", o.get("p_value").map(|p| if p.is_null() { "none".into() } else { short(p, 4) }));
            let name = o.get("effect_size_name").and_then(Json::as_str);
            if name.is_some() && name != o.get("test").and_then(Json::as_str) {
                push(&format!("effect size ({})", name.unwrap_or_default()), get("effect_size"));
            }
            if let (Some(cur), Some(refr)) = (o.get("n_current"), o.get("n_reference")) {
                push("n", Some(format!("{} vs {} reference", short(cur, 15), short(refr, 15))));
            }
            push("drifted", get("drifted"));
            if o.get("approximate").and_then(Json::as_bool) == Some(true) {
                push("approximate", Some("yes".into()));
            }
        }
        "fairness" => {
            let metric = o.get("metric").and_then(Json::as_str).unwrap_or("value");
            push(metric, get("value"));
            push("interval", get("interval"));
            push("method", get("method"));
            if let Some(g) = o.get("groups").and_then(Json::as_array) {
                let small = g.iter().filter(|g| g.get("insufficient").and_then(Json::as_bool) == Some(true)).count();
                let text = if small > 0 { format!("{} ({small} too small)", g.len()) } else { g.len().to_string() };
                push("groups", Some(text));
            }
            if let Some(i) = o.get("independence") {
                let test = i.get("test").and_then(Json::as_str).unwrap_or("test");
                push(&format!("independence p ({test})"), i.get("p_value").map(|p| short(p, 4)));
            }
        }
        _ => {
            for (k, v) in o {
                items.push((k.clone(), short(v, 6)));
            }
        }
    }
    items
}

/// Threshold settings that every check of a kind carries at their default.
fn is_default(key: &str, value: &Json) -> bool {
    match key {
        "mostly" => value == "100%",
        "bound" => value == "estimate",
        "min_group_size" => value.as_f64() == Some(30.0),
        "confidence" => value.as_f64() == Some(0.95),
        "n_boot" => value.as_f64() == Some(1000.0),
        "seed" => value.as_f64() == Some(0.0),
        _ => false,
    }
}

fn threshold_items(t: &Map<String, Json>) -> Vec<(String, String)> {
    t.iter().filter(|(k, v)| !is_default(k, v)).map(|(k, v)| (k.clone(), short(v, 12))).collect()
}

/// The row under a check: description, `where`, plot, tables, sample.
fn detail(n: usize, c: &CheckOutcome) -> String {
    let mut out = String::new();
    let mut notes = String::new();
    if let Some(d) = &c.description {
        let _ = writeln!(notes, "<p class=\"description\">{}</p>", escape(d));
    }
    if let Some(w) = &c.filter {
        let _ = writeln!(notes, "<p class=\"where\">only rows where <code>{}</code></p>", escape(w));
    }
    if !notes.is_empty() {
        let _ = write!(out, "<div class=\"notes\">\n{notes}</div>\n");
    }
    match plots::plot(c, &format!("plot-{n}")) {
        Plot::None => {}
        Plot::Missing(why) => {
            let _ = writeln!(out, "<p class=\"noplot\">No plot: {why}.</p>");
        }
        Plot::Figure { panels, caption } => {
            let _ = write!(out, "<figure class=\"plot\" id=\"plot-{n}\">\n<div class=\"panels\">\n");
            for p in panels {
                out.push_str(&p);
            }
            let _ = write!(out, "</div>\n<figcaption>{caption}</figcaption>\n</figure>\n");
        }
    }
    if c.kind == "fairness" {
        out.push_str(&group_table(&c.observed));
    }
    for (key, value) in &c.observed {
        if matches!(key.as_str(), "groups" | "columns") {
            continue;
        }
        if let Some(rows) = value.as_array().filter(|a| !a.is_empty() && a.iter().all(Json::is_object)) {
            out.push_str(&rows_table(&format!("observed {key}"), rows, ""));
        }
    }
    if let Some(sample) = c.failing_sample.as_ref().filter(|s| !s.is_empty()) {
        let title = format!("Failing sample ({})", plural(sample.len(), "row"));
        out.push_str(&rows_table(&title, sample, " sample"));
    }
    out
}

/// A list of JSON objects as a table, columns in order of first appearance.
fn rows_table(title: &str, rows: &[Json], class: &str) -> String {
    let mut columns: Vec<&str> = Vec::new();
    for row in rows {
        if let Some(o) = row.as_object() {
            for k in o.keys() {
                if !columns.contains(&k.as_str()) {
                    columns.push(k);
                }
            }
        }
    }
    let single = columns.is_empty();
    let mut out =
        format!("<div class=\"rows{class}\">\n<h4>{}</h4>\n<table class=\"small\">\n<thead><tr>", escape(title));
    if single {
        out.push_str("<th>value</th>");
    }
    for col in &columns {
        let _ = write!(out, "<th>{}</th>", escape(col));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        if single {
            out.push_str(&cell(row));
        }
        for col in &columns {
            out.push_str(&row.get(*col).map_or_else(|| "<td></td>".to_string(), cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
    out
}

/// A sample value exactly as the data has it (numbers unrounded).
fn cell(v: &Json) -> String {
    match v {
        Json::Null => "<td><span class=\"null\">null</span></td>".into(),
        Json::String(s) if s.is_empty() => "<td><span class=\"null\">\"\" (empty)</span></td>".into(),
        Json::String(s) => format!("<td>{}</td>", escape(s)),
        Json::Number(n) => format!("<td class=\"num\">{n}</td>"),
        other => format!("<td><code>{}</code></td>", escape(&other.to_string())),
    }
}

/// The per-group numbers behind a fairness plot.
fn group_table(o: &Map<String, Json>) -> String {
    let Some(groups) = o.get("groups").and_then(Json::as_array).filter(|g| !g.is_empty()) else {
        return String::new();
    };
    let rates = compared_rates(o);
    let mut out = String::from(
        "<div class=\"rows groups\">\n<h4>Groups</h4>\n<table class=\"small\">\n<thead><tr><th>group</th><th>size</th>",
    );
    for r in &rates {
        let _ = write!(out, "<th>{}</th><th>interval</th>", escape(rate_name(r)));
    }
    out.push_str("<th>note</th></tr></thead>\n<tbody>\n");
    for g in groups {
        let label = g.get("label").and_then(Json::as_str).unwrap_or("?");
        let size = g.get("size").map_or(String::new(), |s| short(s, 8));
        let _ = write!(out, "<tr><td>{}</td><td class=\"num\">{}</td>", escape(label), escape(&size));
        for r in &rates {
            let rate = g.get("rates").and_then(|x| x.get(r)).map_or("undefined".into(), |v| short(v, 4));
            let interval = g.get("intervals").and_then(|x| x.get(r)).map_or(String::new(), |v| short(v, 4));
            let _ = write!(out, "<td class=\"num\">{}</td><td class=\"num\">{}</td>", escape(&rate), escape(&interval));
        }
        let mut note = Vec::new();
        if g.get("insufficient").and_then(Json::as_bool) == Some(true) {
            note.push("too small: not compared");
        }
        if g.get("is_reference").and_then(Json::as_bool) == Some(true) {
            note.push("reference");
        }
        let _ = writeln!(out, "<td>{}</td></tr>", note.join(", "));
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
    out
}

const STYLE: &str = r#":root {
  color-scheme: light;
  --pass: #1a7f37; --warn: #9a6700; --fail: #cf222e; --error: #8250df; --skipped: #6e7781;
  --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --band: #dafbe1;
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1400px; padding: 12px 24px 48px; background: #fff; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 22px; margin: 8px 0 2px; }
h2 { font-size: 18px; margin: 28px 0 8px; }
h2 small, .muted { color: var(--muted); font-weight: normal; font-size: 13px; }
h3 { font-size: 15px; margin: 12px 0 4px; }
h4 { font-size: 13px; margin: 0 0 4px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px;
  background: #f6f8fa; padding: 0 3px; border-radius: 3px; }
a { color: #0969da; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 12px;
  font-weight: 600; line-height: 20px; white-space: nowrap; vertical-align: 1px; }
.badge.st-pass { background: var(--pass); } .badge.st-warn { background: var(--warn); }
.badge.st-fail { background: var(--fail); } .badge.st-error { background: var(--error); }
.badge.st-skipped { background: var(--skipped); }
.meaning { margin: 0 0 8px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 1px 14px; margin: 8px 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; }
.counts { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: center; }
#failures { border: 2px solid var(--fail); border-radius: 6px; padding: 2px 16px 10px; margin: 16px 0; background: #fff8f8; }
#failures.none { border-color: var(--pass); background: #f4fbf6; }
#failures h2 { margin-top: 10px; }
#failures ol { margin: 0; padding-left: 24px; }
#failures li { margin: 6px 0; }
#filters { position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center;
  padding: 8px 0; background: #fff; border-bottom: 1px solid var(--line); }
#filters[hidden], [hidden] { display: none !important; }
#filters .only { margin-left: auto; }
#filters button { font: inherit; font-size: 13px; padding: 1px 8px; cursor: pointer; }
#script-errors { color: var(--fail); border: 2px solid var(--fail); padding: 8px; white-space: pre-wrap; }
.filtered { color: var(--muted); font-style: italic; }
.table-wrap { overflow-x: auto; }
table.checks { width: 100%; border-collapse: collapse; }
table.checks th { text-align: left; font-size: 12px; color: var(--muted); padding: 6px 8px; border-bottom: 2px solid var(--line); }
table.checks td { padding: 6px 8px; border-top: 1px solid var(--line); vertical-align: top; }
table.checks td.id { font-weight: 600; overflow-wrap: break-word; min-width: 10em; }
tbody.check > tr > td:first-child { border-left: 5px solid transparent; }
tbody.st-fail > tr > td:first-child { border-left-color: var(--fail); }
tbody.st-error > tr > td:first-child { border-left-color: var(--error); }
tbody.st-warn > tr > td:first-child { border-left-color: var(--warn); }
tbody.st-fail > tr { background: #fff5f5; }
tbody.st-error > tr { background: #faf6ff; }
tbody.st-warn > tr { background: #fffbeb; }
tbody.st-skipped > tr { color: var(--muted); }
tbody.check:target > tr > td { background: #ddf4ff; }
tbody.check { scroll-margin-top: 56px; }
tr.detail > td { border-top: none; padding-top: 0; }
ul.kv { list-style: none; margin: 0; padding: 0; font-size: 13px; }
ul.kv .k { color: var(--muted); }
.detail-body { display: flex; flex-wrap: wrap; gap: 12px 32px; align-items: flex-start; padding: 2px 0 10px; }
.notes { flex-basis: 100%; }
.notes p { margin: 0 0 2px; }
.noplot { color: var(--muted); font-style: italic; margin: 0; }
figure { margin: 0; }
figure.plot { max-width: 100%; }
figure.plot > figcaption { font-size: 12.5px; color: var(--muted); max-width: 760px; margin-top: 4px; }
.panels { display: flex; flex-wrap: wrap; gap: 8px 20px; align-items: flex-start; }
.panel figcaption { font-size: 12px; max-width: 360px; }
.panel-error { color: var(--error); max-width: 360px; }
.flag { font-size: 11px; font-weight: 600; }
.flag.st-fail { color: var(--fail); } .flag.st-pass { color: var(--pass); }
svg.chart { display: block; max-width: 100%; height: auto; }
svg.chart text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: var(--ink); }
svg.chart .tick-label, svg.chart .note, svg.chart .bar-label { fill: var(--muted); }
svg.chart .bar-label { font-size: 10px; }
svg.chart .axis-label, svg.chart .panel-title { font-size: 12px; }
svg.chart .panel-title, svg.chart .value-label { font-weight: 600; }
svg.chart .axis-line, svg.chart .tick { stroke: #818b98; }
svg.chart .grid { stroke: #e6eaef; }
svg.chart .band { fill: var(--band); }
svg.chart .band-edge { stroke: var(--pass); stroke-width: 1.5; stroke-dasharray: 5 3; }
svg.chart .bound-label { fill: var(--pass); font-weight: 600; }
svg.chart .ref { fill: #c5ced8; }
svg.chart .cur { fill: none; stroke: #0969da; stroke-width: 2; }
svg.chart .cur-bar { fill: #0969da; }
svg.chart .hover { fill: transparent; }
svg.chart .hover:hover { fill: rgba(9, 105, 218, 0.08); }
svg.chart .bar { fill: #54aeff; }
svg.chart .bar.outside { fill: var(--fail); }
svg.chart .bar.small { fill: #f6f8fa; stroke: #818b98; stroke-dasharray: 3 2; }
svg.chart .errbar { stroke: var(--ink); stroke-width: 1.4; }
svg.chart .baseline { stroke: var(--muted); stroke-dasharray: 7 3; }
svg.chart .marker { stroke: #fff; stroke-width: 1.5; }
svg.chart .value-line { stroke-width: 2; }
svg.chart .st-pass { fill: var(--pass); stroke: var(--pass); } svg.chart .st-warn { fill: var(--warn); stroke: var(--warn); }
svg.chart .st-fail { fill: var(--fail); stroke: var(--fail); } svg.chart .st-error { fill: var(--error); stroke: var(--error); }
svg.chart .marker.st-pass, svg.chart .marker.st-warn, svg.chart .marker.st-fail { stroke: #fff; }
.rows { max-width: 100%; overflow-x: auto; }
table.small { border-collapse: collapse; font-size: 12.5px; background: #fff; }
table.small th, table.small td { border: 1px solid var(--line); padding: 2px 8px; text-align: left; }
table.small th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.null { color: var(--muted); font-style: italic; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print {
  #filters, .filtered { display: none !important; }
  body { max-width: none; padding: 0; font-size: 11px; }
  a { color: inherit; text-decoration: none; }
  .table-wrap, .rows { overflow: visible; }
  tr.row, figure, .rows { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

/// Filters by status; `#only=fail,error` in the address preselects. Any
/// error lands in `#script-errors`, where a headless browser's DOM dump shows
/// it; `data-ready` says the script ran to the end.
const SCRIPT: &str = r#"(function () {
  "use strict";
  var errors = document.getElementById("script-errors");
  window.onerror = function (message, source, line, column) {
    errors.hidden = false;
    errors.textContent += "script error: " + message + " (line " + line + ", column " + column + ")\n";
  };
  var filters = document.getElementById("filters");
  var boxes = [].slice.call(filters.querySelectorAll("input[type=checkbox]"));
  var checks = [].slice.call(document.querySelectorAll("tbody.check"));
  var suites = [].slice.call(document.querySelectorAll("section.suite"));
  function apply() {
    var shown = {};
    boxes.forEach(function (b) { shown[b.value] = b.checked; });
    checks.forEach(function (c) { c.hidden = !shown[c.getAttribute("data-status")]; });
    suites.forEach(function (s) {
      var all = s.querySelectorAll("tbody.check").length;
      var hidden = s.querySelectorAll("tbody.check[hidden]").length;
      var note = s.querySelector(".filtered");
      note.hidden = hidden === 0;
      note.textContent = hidden + " of " + all + " checks hidden by the filter";
    });
  }
  function only(statuses) {
    boxes.forEach(function (b) { b.checked = statuses === "all" || statuses.indexOf(b.value) >= 0; });
    apply();
  }
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  [].forEach.call(filters.querySelectorAll("button[data-only]"), function (button) {
    button.addEventListener("click", function () {
      var v = button.getAttribute("data-only");
      only(v === "all" ? "all" : v.split(","));
    });
  });
  // Following a link to a check the filter hides shows every check again.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#check-']") : null;
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (target && target.hidden) { only("all"); }
  });
  var preset = /^#only=([a-z,]+)$/.exec(window.location.hash);
  if (preset) { only(preset[1].split(",")); }
  filters.hidden = false;
  document.body.dataset.ready = "1";
})();
"#;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::report::tests::fixture;
    use crate::util::files::write_atomic;

    /// The text between `start` and the next `end` after it.
    fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
        let from = page.find(start).unwrap_or_else(|| panic!("{start} not on the page")) + start.len();
        let to = page[from..].find(end).unwrap_or_else(|| panic!("no {end} after {start}")) + from;
        &page[from..to]
    }

    /// The rows of check `n` (its `<tbody>`).
    fn check_body(page: &str, n: usize) -> &str {
        between(page, &format!("id=\"check-{n}\""), "</tbody>")
    }

    /// The rows of the check named `id`.
    fn rows_of<'a>(page: &'a str, run: &RunOutcome, id: &str) -> &'a str {
        let n = numbered(run).iter().find(|(_, _, c)| c.id == id).map(|(n, _, _)| *n);
        check_body(page, n.unwrap_or_else(|| panic!("no check {id}")))
    }

    fn find_check<'a>(run: &'a RunOutcome, id: &str) -> &'a CheckOutcome {
        run.checks().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id} in the fixture"))
    }

    /// Checks made from the fixture's to reach what it lacks: a drift check
    /// over several columns (one of which could not be tested), equalized
    /// odds against the overall rates with a group too small to compare,
    /// disparate impact against a reference group, and a description.
    fn variants(run: &RunOutcome) -> SuiteOutcome {
        let mut drift = find_check(run, "loans.drift.amount").clone();
        drift.id = "loans.drift.several".into();
        drift.column = None;
        drift.columns = Some(vec!["amount".into(), "purpose".into(), "income".into()]);
        drift.description = Some("Reference quarter against this month".into());
        let mut columns = Vec::new();
        for (name, from) in [("amount", "loans.drift.amount"), ("purpose", "loans.drift.purpose")] {
            let mut o = find_check(run, from).observed.clone();
            o.insert("column".into(), name.into());
            columns.push(Json::Object(o));
        }
        columns.push(json!({"column": "income", "error": "reference sample is empty"}));
        drift.observed =
            json!({"columns_tested": 3, "columns_drifted": 1, "columns": columns}).as_object().cloned().unwrap();
        drift.message = "drift in 1 of 3 columns: amount".into();

        let mut odds = find_check(run, "approval_parity").clone();
        odds.id = "equalized_odds_to_overall".into();
        odds.status = Status::Fail;
        odds.threshold.insert("max".into(), json!(0.02));
        odds.threshold.remove("min");
        let o = &mut odds.observed;
        o.insert("metric".into(), "equalized_odds_difference".into());
        o.insert("method".into(), "to_overall".into());
        o.insert("value".into(), json!(0.0225));
        o["groups"][2]["insufficient"] = json!(true);
        o["groups"][2]["size"] = json!(24);
        o["disparity"]["components"] = json!([
            {"rate": "true_positive_rate", "value": 0.0109, "compared": ["female", "male"],
             "lowest": {"group": "male", "value": 0.7309}, "highest": {"group": "female", "value": 0.7524},
             "baseline": 0.741_454_864_154_3},
            {"rate": "false_positive_rate", "value": 0.0225, "compared": ["female", "male"],
             "lowest": {"group": "male", "value": 0.4638}, "highest": {"group": "female", "value": 0.5058},
             "baseline": 0.486_274_509_803_9}
        ]);
        odds.message = "equalized_odds_difference = 0.0225 over 2 groups; expected at most 0.02".into();

        let mut impact = find_check(run, "approval_parity").clone();
        impact.id = "disparate_impact_to_male".into();
        let o = &mut impact.observed;
        o.insert("metric".into(), "disparate_impact".into());
        o.insert("method".into(), "to_reference".into());
        o["groups"][1]["is_reference"] = json!(true);
        o["disparity"]["components"][0]["compared"] = json!(["female", "nonbinary"]);
        o["disparity"]["components"][0]["baseline"] = json!(0.654_938_754_235_1);
        impact.message = "disparate_impact = 1.03 over 3 groups; expected at least 0.8".into();

        SuiteOutcome {
            file: "checks/variants.yaml".into(),
            file_sha256: String::new(),
            dataset: "loans".into(),
            reference: None,
            rows: 8000,
            checks: vec![drift, odds, impact],
            duration: std::time::Duration::ZERO,
        }
    }

    /// The fixture with the variants: what the browser test renders.
    fn showcase() -> RunOutcome {
        let mut run = fixture();
        let extra = variants(&run);
        run.suites.push(extra);
        run
    }

    fn plotted(c: &CheckOutcome) -> bool {
        matches!(c.kind.as_str(), "stat" | "drift" | "fairness") && !c.observed.is_empty()
    }

    #[test]
    fn every_check_is_on_the_page_with_its_anchor() {
        for run in [fixture(), showcase()] {
            let page = Html.render(&run);
            for (n, _, c) in numbered(&run) {
                assert!(
                    check_body(&page, n).contains(&format!("<td class=\"id\">{}</td>", breakable(&c.id))),
                    "{}",
                    c.id
                );
            }
        }
    }

    #[test]
    fn failures_list_exactly_the_failed_and_unjudged_checks() {
        for run in [fixture(), showcase()] {
            let page = Html.render(&run);
            let list = between(&page, "<ol id=\"failure-list\">", "</ol>");
            let mut listed: Vec<String> =
                list.split("<a href=\"#check-").skip(1).map(|s| between(s, "\">", "</a>").to_string()).collect();
            let expected: Vec<_> = numbered(&run)
                .into_iter()
                .filter(|(_, _, c)| matches!(c.status, Status::Fail | Status::Error))
                .map(|(n, _, c)| (n, c))
                .collect();
            // Each link leads to the row of the check it names.
            for (n, c) in &expected {
                assert!(list.contains(&format!("<a href=\"#check-{n}\">{}</a>", escape(&c.id))), "{}", c.id);
            }
            assert_eq!(listed.first().map(String::as_str), Some("loans.drift.income#2"), "errors come first");
            listed.sort();
            let mut ids: Vec<String> = expected.iter().map(|(_, c)| escape(&c.id)).collect();
            ids.sort();
            assert_eq!(listed, ids);
            let warnings = between(&page, "<ol id=\"warning-list\">", "</ol>");
            assert!(warnings.contains("loans.freshness.applied_at") && warnings.matches("<li>").count() == 1);
        }
    }

    #[test]
    fn failing_checks_are_marked_and_show_their_sample() {
        let run = fixture();
        let page = Html.render(&run);
        for (n, _, c) in numbered(&run) {
            let body = check_body(&page, n);
            let marked = page.contains(&format!(
                "<tbody class=\"check st-{0}\" id=\"check-{n}\" data-status=\"{0}\">",
                c.status.as_str()
            ));
            assert!(marked, "{}", c.id);
            assert_eq!(
                body.contains("Failing sample"),
                c.failing_sample.as_ref().is_some_and(|s| !s.is_empty()),
                "{}",
                c.id
            );
        }
        let amount = rows_of(&page, &run, "loans.between.amount");
        assert!(amount.contains("<td class=\"num\">-4705.75</td>"), "sample values are shown exactly");
        assert!(page.contains("only rows where <code>approved = 1</code>"));
    }

    #[test]
    fn one_plot_per_stat_drift_and_fairness_check() {
        let run = showcase();
        let page = Html.render(&run);
        let mut plots = 0;
        for (n, _, c) in numbered(&run) {
            let body = check_body(&page, n);
            let figures = body.matches("<figure class=\"plot\"").count();
            assert_eq!(figures, usize::from(plotted(c)), "{}", c.id);
            if figures == 1 {
                plots += 1;
                assert!(body.contains(&format!("aria-labelledby=\"plot-{n}")), "{}: an accessible svg", c.id);
                assert!(body.contains("<title id=") && body.contains("<figcaption>"), "{}", c.id);
            }
            let svgs = body.matches("<svg ").count();
            let panels = match c.id.as_str() {
                // The third column could not be tested; two rates.
                "loans.drift.several" | "equalized_odds_to_overall" => 2,
                _ => usize::from(plotted(c)),
            };
            assert_eq!(svgs, panels, "{}", c.id);
        }
        assert_eq!(plots, 13, "3 stat, 4 drift, 3 fairness checks and 3 variants");
        assert!(
            rows_of(&page, &run, "loans.drift.income#2").contains("No plot: nothing was measured."),
            "the drift check in error"
        );
        assert_eq!(page.matches("<svg ").count(), 15);
    }

    #[test]
    fn fairness_plots_draw_the_threshold_band() {
        let run = showcase();
        let page = Html.render(&run);
        let strict = rows_of(&page, &run, "approval_parity_strict");
        // 0.97 × the highest rate (female, 0.6808) = 0.6604: male (0.6549) is below.
        assert!(strict.contains("0.97 × the highest compared rate (female, 0.6808) = 0.6604"), "{strict}");
        assert!(strict.contains("Red: outside the band: male (selection rate)."));
        assert_eq!(strict.matches("class=\"bar outside\"").count(), 1);
        let parity = rows_of(&page, &run, "approval_parity");
        assert!(!parity.contains("bar outside"), "0.8 × 0.6808 = 0.5447: every group is inside");
        let odds = rows_of(&page, &run, "equalized_odds_to_overall");
        assert!(odds.contains("within 0.02 of the overall rate (0.4863)"));
        assert!(odds.contains("Red: outside the band: male (false positive rate (FPR))."), "{odds}");
        assert!(odds.contains("class=\"bar small\"") && odds.contains("Outlined: groups below min_group_size"));
        let impact = rows_of(&page, &run, "disparate_impact_to_male");
        assert!(impact.contains("at least 0.8 × the reference group&#39;s rate (0.6549) = 0.524"), "{impact}");
        let equal_opportunity = rows_of(&page, &run, "equal_opportunity");
        assert!(equal_opportunity.contains("The check judges the upper bound of the bootstrap interval"));
    }

    #[test]
    fn nothing_is_fetched() {
        let page = Html.render(&showcase());
        for remote in ["http://", "https://", "src=", "@import", "url(", "<link", "<img", "<iframe"] {
            assert!(!page.contains(remote), "the page must not reference {remote}");
        }
        assert_eq!(page.matches("<script").count(), 1, "only the inline script");
        assert_eq!(page.matches("<style>").count(), 1);
    }

    #[test]
    fn escaping_handles_hostile_text() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(message_html("a `<b>` c"), "a <code>&lt;b&gt;</code> c");
        assert_eq!(message_html("odd ` count"), "odd ` count");

        let hostile = r#"<script>alert("pwned")</script>' onmouseover="x" &amp; <img src=x>"#;
        let mut run = showcase();
        run.suites[0].dataset = hostile.into();
        run.suites[0].file = hostile.into();
        for c in run.suites.iter_mut().flat_map(|s| s.checks.iter_mut()) {
            c.id = format!("{}{hostile}", c.id);
            c.message = format!("`{hostile}` {hostile}");
            c.description = Some(hostile.into());
            c.filter = Some(hostile.into());
            c.column = Some(hostile.into());
            c.observed.insert(hostile.into(), hostile.into());
            c.threshold.insert(hostile.into(), json!([hostile]));
            if let Some(sample) = &mut c.failing_sample {
                sample.push(json!({ hostile: hostile, "n": null }));
            }
            if let Some(groups) = c.observed.get_mut("groups").and_then(Json::as_array_mut) {
                groups[0]["label"] = hostile.into();
            }
            if let Some(h) = c.observed.get_mut("histogram").and_then(|h| h.get_mut("categories")) {
                h[0] = hostile.into();
            }
        }
        let page = Html.render(&run);
        assert_eq!(page.matches("<script").count(), 1, "only the page's own script");
        for bad in ["<script>alert", "<img", "onmouseover=\"", "\"pwned\""] {
            assert!(!page.contains(bad), "{bad} reached the page");
        }
        assert!(page.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&#39; onmouseover=&quot;x&quot; &amp;amp; &lt;img src=x&gt;"));
    }

    #[test]
    fn the_same_run_gives_the_same_page() {
        let page = Html.render(&showcase());
        let mut run = showcase();
        for s in &mut run.suites {
            s.duration = std::time::Duration::from_secs(9);
        }
        assert_eq!(page, Html.render(&run), "only the outcome's JSON content matters");
    }

    #[test]
    fn a_clean_run_says_so() {
        let mut run = fixture();
        run.suites.truncate(1);
        run.status = Status::Pass;
        let page = Html.render(&run);
        assert!(page.contains("<section id=\"failures\" class=\"none\">") && page.contains("No check failed"));
        assert!(!page.contains("failure-list"));
    }

    /// A short page for review: one check of each kind of drawing, a failing
    /// sample, a `where`, an error and a skipped check.
    #[test]
    fn page_snapshot() {
        let mut run = fixture();
        let keep = [
            "loans.between.amount",
            "loans.stat.amount",
            "loans.drift.purpose",
            "approved_loans_are_scored_high",
            "approval_parity_strict",
            "loans.drift.income#2",
            "loans.trend.row_count",
        ];
        run.suites.retain(|s| s.dataset == "loans");
        run.suites[0].checks.retain(|c| keep.contains(&c.id.as_str()));
        run.suites[0].checks[0].description = Some("Amounts are positive and below ten million".into());
        insta::assert_snapshot!(Html.render(&run));
    }

    /// Writes the showcase page to `PROBITY_HTML_OUT` (and the ids it must
    /// list as failures to the same path with `.failing` appended) for
    /// `tests/browser/html_report.sh`; does nothing else without it.
    #[test]
    fn write_fixture_page() {
        let run = showcase();
        let page = Html.render(&run);
        assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
        if let Some(path) = std::env::var_os("PROBITY_HTML_OUT") {
            let path = std::path::PathBuf::from(path);
            write_atomic(&path, page.as_bytes()).expect("the page is written");
            let failing: Vec<&str> = run
                .checks()
                .filter(|c| matches!(c.status, Status::Fail | Status::Error))
                .map(|c| c.id.as_str())
                .collect();
            let failing = failing.join("\n") + "\n";
            let mut list = path.into_os_string();
            list.push(".failing");
            write_atomic(std::path::Path::new(&list), failing.as_bytes()).expect("the list is written");
        }
    }
}
