//! The Markdown summary (GitHub-flavoured), for CI job summary pages: a
//! headline with the run's status and totals, a table of what needs attention
//! (failures, then checks that could not be judged, then warnings), and every
//! check per suite in a collapsed `<details>`. Documented in docs/reports.md.

use std::fmt::Write;

use chrono::SecondsFormat;

use super::Report;
use super::summary::{compact, observed, plural, provenance, tally, totals};
use crate::outcome::{CheckOutcome, RunOutcome, Status, SuiteOutcome};

pub struct Markdown;

fn icon(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅",
        Status::Skipped => "⏭️",
        Status::Warn => "⚠️",
        Status::Fail => "❌",
        Status::Error => "⛔",
    }
}

impl Report for Markdown {
    fn render(&self, run: &RunOutcome) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## {} probity: {}\n", icon(run.status), run.status.as_str());
        let _ = writeln!(
            out,
            "{}.\n\nStarted {}, took {:.1} s.\n",
            totals(run),
            run.started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            run.duration_ms as f64 / 1000.0
        );

        let attention: Vec<(&SuiteOutcome, &CheckOutcome)> = [Status::Fail, Status::Error, Status::Warn]
            .into_iter()
            .flat_map(|status| {
                run.suites
                    .iter()
                    .flat_map(move |s| s.checks.iter().filter(move |c| c.status == status).map(move |c| (s, c)))
            })
            .collect();
        if attention.is_empty() {
            out.push_str("No failures, errors or warnings.\n\n");
        } else {
            let _ = writeln!(out, "### Needs attention\n");
            out.push_str("| check | dataset | status | observed | threshold | message |\n");
            out.push_str("| --- | --- | --- | --- | --- | --- |\n");
            for (s, c) in attention {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} {} | {} | {} | {} |",
                    cell(&c.id),
                    cell(&s.dataset),
                    icon(c.status),
                    c.status.as_str(),
                    cell(&observed(&c.observed)),
                    cell(&compact(&c.threshold)),
                    cell(&c.message)
                );
            }
            out.push('\n');
        }

        for s in &run.suites {
            let _ = writeln!(
                out,
                "<details>\n<summary>{} ({}): {} on {}: {}</summary>\n",
                html(&s.dataset),
                html(&s.file),
                plural(s.checks.len() as u64, "check"),
                plural(s.rows, "row"),
                tally(s.checks.iter().map(|c| c.status))
            );
            out.push_str("| check | status | observed | threshold | message |\n");
            out.push_str("| --- | --- | --- | --- | --- |\n");
            for c in &s.checks {
                let _ = writeln!(
                    out,
                    "| {} | {} {} | {} | {} | {} |",
                    cell(&c.id),
                    icon(c.status),
                    c.status.as_str(),
                    cell(&observed(&c.observed)),
                    cell(&compact(&c.threshold)),
                    cell(&c.message)
                );
            }
            out.push_str("\n</details>\n\n");
        }
        let read = provenance(run);
        if !read.is_empty() {
            out.push_str("<details>\n<summary>Data read</summary>\n\n| what | source | read |\n| --- | --- | --- |\n");
            for [what, source, summary] in &read {
                let _ = writeln!(out, "| {} | {} | {} |", cell(what), cell(source), cell(summary));
            }
            let _ = writeln!(out, "\nprobity {}.\n\n</details>\n", cell(run.probity_version));
        }
        out.pop();
        out
    }
}

/// Text for a table cell: characters that would end the cell, start code,
/// emphasis, strikethrough, maths or HTML are escaped, line breaks become
/// `<br>`.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '`' | '*' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

/// Text inside an HTML element (`<summary>`), where Markdown is not read.
fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::fixture;

    #[test]
    fn headline_then_attention_then_details() {
        let md = Markdown.render(&fixture());
        assert!(md.starts_with(
            "## ⛔ probity: error\n\n34 checks on 2 datasets: 17 passed, 14 failed, 1 warned, 1 could not be judged, \
             1 skipped.\n\nStarted 2026-11-01T12:00:00.000Z, took 1.2 s.\n\n### Needs attention\n"
        ));
        let rows: Vec<&str> = md
            .split("### Needs attention")
            .nth(1)
            .unwrap()
            .split("<details>")
            .next()
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| check") && !l.starts_with("| ---"))
            .collect();
        assert_eq!(rows.len(), 16, "14 failures, 1 error, 1 warning");
        let status_of = |row: &str| row.split(" | ").nth(2).unwrap().to_string();
        assert!(rows[..14].iter().all(|r| status_of(r) == "❌ fail"));
        assert_eq!(status_of(rows[14]), "⛔ error");
        assert_eq!(status_of(rows[15]), "⚠️ warn");
        assert_eq!(
            rows[0],
            "| loans.not_null.loan_id | loans | ❌ fail | rows 8000, null_count 10, null_fraction 0.00125 \
             | max_null_count 0 | 10 nulls in 8000 rows (0.125%) |"
        );
        assert_eq!(md.matches("<details>").count(), 3, "two suites, then the data read");
        assert!(md.contains(
            "<summary>loans (checks/loans.yaml): 29 checks on 8000 rows: 12 passed, 14 failed, 1 warned, \
             1 could not be judged, 1 skipped</summary>"
        ));
        assert!(md.ends_with("</details>\n"));
        assert_eq!(md, Markdown.render(&fixture()), "deterministic");
    }

    #[test]
    fn passing_run_says_so() {
        let mut run = fixture();
        run.suites.truncate(1);
        run.status = Status::Pass;
        let md = Markdown.render(&run);
        assert!(md.starts_with("## ✅ probity: pass\n\n5 checks on 1 dataset: 5 passed.\n\n"), "{md}");
        assert!(md.contains("No failures, errors or warnings.\n\n<details>"), "{md}");
    }

    #[test]
    fn cells_cannot_break_the_table() {
        let mut run = fixture();
        let c = &mut run.suites[0].checks[0];
        c.id = "a|b`c\\|d".into();
        c.status = Status::Fail;
        c.message = "x <b>bold</b> & *y* ~z~ $m$\r\nnext | line".into();
        run.suites[0].file = "f<i>&.yaml".into();
        let md = Markdown.render(&run);
        let row = md.lines().find(|l| l.starts_with("| a")).unwrap();
        assert_eq!(
            row,
            "| a\\|b\\`c\\\\\\|d | customers | ❌ fail | value 2000 | min 100 \
             | x &lt;b&gt;bold&lt;/b&gt; &amp; \\*y\\* \\~z\\~ \\$m\\$<br>next \\| line |"
        );
        // Every table row still has its six cells: no unescaped pipe inside.
        let unescaped = |l: &str| {
            let b = l.as_bytes();
            (0..b.len())
                .filter(|&i| b[i] == b'|' && b[..i].iter().rev().take_while(|&&c| c == b'\\').count() % 2 == 0)
                .count()
        };
        assert_eq!(unescaped(row), 7);
        assert!(md.contains("<summary>customers (f&lt;i&gt;&amp;.yaml): "), "{md}");
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(Markdown.render(&fixture()));
    }
}
