//! What `probity history` prints: past records as a table, and a small
//! self-contained HTML page with each check's values over time.

use std::collections::BTreeMap;
use std::fmt::Write;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::html::escape;
use crate::history::Record;
use crate::util::numbers::show;

/// One row per record: time, run, dataset, check, status, value, and the
/// data the run read (the Delta version, or the files' sizes and times).
pub fn history_table(records: &[&Record]) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(["time", "run", "dataset", "check", "status", "value", "data read"]);
    for r in records {
        table.add_row([
            r.time.format("%Y-%m-%d %H:%M:%S").to_string(),
            short_run(&r.run_id).to_string(),
            r.dataset.clone(),
            r.check.clone(),
            r.status.clone(),
            r.value.map_or_else(|| "-".to_string(), show),
            if r.data.is_empty() { "-".to_string() } else { r.data.clone() },
        ]);
    }
    format!("{table}\n{} records\n", records.len())
}

/// The run id's time part (ids are `time-random`).
fn short_run(id: &str) -> &str {
    id.split('-').next().unwrap_or(id)
}

/// A page with one line plot per check (values over runs, points coloured by
/// status) above the records' table.
pub fn history_html(records: &[&Record]) -> String {
    let mut by_check: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for r in records {
        by_check.entry(r.check.as_str()).or_default().push(r);
    }
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>probity history</title>\n<style>\
         body{font:14px system-ui,sans-serif;margin:2em;color:#222}h2{font-size:1.1em;margin-top:2em}\
         table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}\
         .pass{fill:#2e7d32}.warn{fill:#ef6c00}.fail{fill:#c62828}.error,.skipped{fill:#6a1b9a}\
         </style></head><body>\n<h1>probity history</h1>\n",
    );
    for (check, rows) in &by_check {
        let _ = writeln!(out, "<h2>{}</h2>", escape(check));
        out.push_str(&line_plot(rows));
        out.push_str("<table><tr><th>time</th><th>status</th><th>value</th><th>message</th><th>data read</th></tr>\n");
        for r in rows {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                r.time.format("%Y-%m-%d %H:%M:%S"),
                escape(&r.status),
                r.value.map_or_else(|| "-".to_string(), show),
                escape(&r.message),
                escape(&r.data)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}

fn line_plot(rows: &[&Record]) -> String {
    const W: f64 = 640.0;
    const H: f64 = 160.0;
    const PAD: f64 = 40.0;
    let points: Vec<(usize, f64, &str)> =
        rows.iter().enumerate().filter_map(|(i, r)| r.value.map(|v| (i, v, r.status.as_str()))).collect();
    if points.is_empty() {
        return "<p>No values to plot.</p>\n".into();
    }
    let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let n = rows.len().max(2) - 1;
    let x = |i: usize| PAD + (W - 2.0 * PAD) * i as f64 / n as f64;
    let y = |v: f64| H - PAD / 2.0 - (H - PAD) * (v - lo) / span;
    let path: Vec<String> = points.iter().map(|&(i, v, _)| format!("{:.1},{:.1}", x(i), y(v))).collect();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" role=\"img\" \
         aria-label=\"values over {} runs, from {} to {}\">\n<title>values over {} runs</title>\n\
         <polyline fill=\"none\" stroke=\"#555\" points=\"{}\"/>\n",
        rows.len(),
        show(lo),
        show(hi),
        rows.len(),
        path.join(" ")
    );
    for &(i, v, status) in &points {
        let _ = writeln!(
            svg,
            "<circle class=\"{}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\"><title>{}: {}</title></circle>",
            escape(status),
            x(i),
            y(v),
            escape(status),
            show(v)
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"2\" y=\"{:.1}\" font-size=\"11\">{}</text><text x=\"2\" y=\"{:.1}\" font-size=\"11\">{}</text></svg>",
        y(hi) + 4.0,
        escape(&show(hi)),
        y(lo) + 4.0,
        escape(&show(lo))
    );
    svg
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    fn record(day: i64, check: &str, status: &str, value: Option<f64>) -> Record {
        Record {
            run_id: format!("2026110{day}T000000.000Z-ab"),
            time: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + Duration::days(day),
            suite: "checks/loans.yaml".into(),
            dataset: "loans".into(),
            check: check.into(),
            kind: "row_count".into(),
            severity: "error".into(),
            status: status.into(),
            value,
            observed: "{}".into(),
            message: format!("<{check}> & co"),
            data: format!("delta v{day}"),
        }
    }

    #[test]
    fn table_and_page_show_every_record() {
        let rows = [
            record(0, "loans.row_count", "pass", Some(8000.0)),
            record(1, "loans.row_count", "fail", Some(12.0)),
            record(1, "loans.trend.row_count", "skipped", None),
        ];
        let refs: Vec<&Record> = rows.iter().collect();
        let table = history_table(&refs);
        insta::assert_snapshot!(table);
        let page = history_html(&refs);
        assert_eq!(page.matches("<svg").count(), 1, "one plot: the skipped check has no values");
        assert_eq!(page.matches("<circle").count(), 2);
        assert!(page.contains("&lt;loans.row_count&gt; &amp; co"), "messages are escaped");
        assert!(!page.contains("<loans.row_count>"));
    }
}
