//! The Prometheus text exposition format, for `node_exporter`'s textfile
//! collector: every family once, with `# HELP` and `# TYPE`, all gauges, no
//! sample timestamps (the collector rejects them). Statuses are one-hot (a
//! series per possible status, 1 for the current one) so that every series
//! exists on every run and alerts need no `absent()`. Documented in
//! docs/reports.md.

use std::fmt::Write;

use serde_json::Value as Json;

use super::Report;
use crate::outcome::{RunOutcome, Status};

pub struct Prometheus;

/// Every check status, in the order the series are written.
const CHECK_STATUSES: [Status; 5] = [Status::Pass, Status::Warn, Status::Fail, Status::Error, Status::Skipped];
/// A run is never skipped.
const RUN_STATUSES: [Status; 4] = [Status::Pass, Status::Warn, Status::Fail, Status::Error];

impl Report for Prometheus {
    fn render(&self, run: &RunOutcome) -> String {
        let mut out = String::new();
        let one_hot = |s: Status, current: Status| if s == current { "1" } else { "0" };

        family(&mut out, "probity_run_status", "Status of the run (pass, warn, fail, error): 1 for the current one.");
        for s in RUN_STATUSES {
            sample(&mut out, "probity_run_status", &[("status", s.as_str())], one_hot(s, run.status));
        }
        family(&mut out, "probity_run_timestamp_seconds", "When the run started, in seconds since the Unix epoch.");
        sample(&mut out, "probity_run_timestamp_seconds", &[], &number(run.started_at.timestamp_millis() as f64 / 1e3));
        family(&mut out, "probity_run_duration_seconds", "How long the run took, in seconds.");
        sample(&mut out, "probity_run_duration_seconds", &[], &number(run.duration_ms as f64 / 1e3));
        family(&mut out, "probity_checks", "Checks of the run in each status.");
        for s in CHECK_STATUSES {
            sample(&mut out, "probity_checks", &[("status", s.as_str())], &run.count(s).to_string());
        }
        family(&mut out, "probity_suite_rows", "Rows of each suite's dataset, before any check's filter.");
        for suite in &run.suites {
            let labels = [("suite", suite.file.as_str()), ("dataset", suite.dataset.as_str())];
            sample(&mut out, "probity_suite_rows", &labels, &suite.rows.to_string());
        }

        family(
            &mut out,
            "probity_check_status",
            "Status of each check (pass, warn, fail, error, skipped): 1 for the current one.",
        );
        for suite in &run.suites {
            for c in &suite.checks {
                for s in CHECK_STATUSES {
                    let labels = [
                        ("suite", suite.file.as_str()),
                        ("dataset", suite.dataset.as_str()),
                        ("check", c.id.as_str()),
                        ("kind", c.kind.as_str()),
                        ("severity", c.severity),
                        ("status", s.as_str()),
                    ];
                    sample(&mut out, "probity_check_status", &labels, one_hot(s, c.status));
                }
            }
        }
        family(
            &mut out,
            "probity_check_observed",
            "Numbers each check judged, one series per numeric field of its observed values (see docs/checks.md).",
        );
        for suite in &run.suites {
            for c in &suite.checks {
                for (field, value) in &c.observed {
                    let Json::Number(n) = value else { continue };
                    let v = match (n.as_i64(), n.as_f64()) {
                        (Some(i), _) => i.to_string(),
                        (None, Some(f)) => number(f),
                        (None, None) => continue,
                    };
                    let labels = [
                        ("suite", suite.file.as_str()),
                        ("dataset", suite.dataset.as_str()),
                        ("check", c.id.as_str()),
                        ("field", field.as_str()),
                    ];
                    sample(&mut out, "probity_check_observed", &labels, &v);
                }
            }
        }
        out
    }
}

fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: &str) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", label_value(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// A label value as the exposition format escapes it: backslash, double
/// quote and line feed.
fn label_value(v: &str) -> String {
    v.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

/// A float as Prometheus reads it: plain decimals in the usual range, an
/// exponent for very small or large magnitudes.
fn number(x: f64) -> String {
    if x == 0.0 || (1e-5..1e15).contains(&x.abs()) { x.to_string() } else { format!("{x:e}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::fixture;

    #[test]
    fn families_are_typed_once_in_order() {
        let text = Prometheus.render(&fixture());
        let types: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).collect();
        assert_eq!(
            types,
            [
                "probity_run_status gauge",
                "probity_run_timestamp_seconds gauge",
                "probity_run_duration_seconds gauge",
                "probity_checks gauge",
                "probity_suite_rows gauge",
                "probity_check_status gauge",
                "probity_check_observed gauge",
            ]
        );
        // Samples of a family follow its TYPE line, and every sample line is `name{labels} value`.
        let name_re = regex::Regex::new(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$").unwrap();
        let mut current = "";
        for line in text.lines() {
            if let Some(t) = line.strip_prefix("# TYPE ") {
                current = t.split(' ').next().unwrap();
                assert!(name_re.is_match(current), "{current}");
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert_eq!(name, current, "{line}");
                assert!(line.rsplit(' ').next().unwrap().parse::<f64>().is_ok(), "{line}");
            }
        }
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn statuses_are_one_hot_and_counted() {
        let run = fixture();
        let text = Prometheus.render(&run);
        assert!(text.contains("probity_run_status{status=\"error\"} 1\n"));
        assert_eq!(text.lines().filter(|l| l.starts_with("probity_run_status{") && l.ends_with(" 1")).count(), 1);
        assert!(text.contains("probity_checks{status=\"pass\"} 17\nprobity_checks{status=\"warn\"} 1\n"));
        assert!(text.contains("probity_checks{status=\"skipped\"} 1\n"));
        let status_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("probity_check_status{")).collect();
        assert_eq!(status_lines.len(), 34 * 5);
        let ones: Vec<&str> = status_lines.iter().copied().filter(|l| l.ends_with(" 1")).collect();
        assert_eq!(ones.len(), 34);
        assert!(ones.contains(
            &"probity_check_status{suite=\"checks/loans.yaml\",dataset=\"loans\",check=\"loans.freshness.applied_at\",\
              kind=\"freshness\",severity=\"warn\",status=\"warn\"} 1"
        ));
        assert!(text.contains("probity_run_timestamp_seconds 1793534400\n"));
        assert!(text.contains("probity_run_duration_seconds 1.234\n"));
        assert!(text.contains("probity_suite_rows{suite=\"checks/loans.yaml\",dataset=\"loans\"} 8000\n"));
    }

    #[test]
    fn observed_keeps_numeric_top_level_fields() {
        let text = Prometheus.render(&fixture());
        let of = |check: &str| -> Vec<String> {
            let key = format!("check=\"{check}\",field=\"");
            text.lines().filter_map(|l| l.split_once(&key).map(|(_, rest)| rest.replacen("\"} ", " ", 1))).collect()
        };
        assert_eq!(of("loans.not_null.loan_id"), ["rows 8000", "null_count 10", "null_fraction 0.00125"]);
        // Strings, booleans, nulls, the histogram are left out; numbers kept as the JSON has them.
        assert_eq!(
            of("loans.drift.amount"),
            ["statistic 11.08322051387", "effect_size 11.08322051387", "n_reference 5000", "n_current 8000"]
        );
        // A fairness check: its value, not the per-group table or the interval.
        assert_eq!(of("approval_parity"), ["value 0.9619490449367"]);
        assert!(of("loans.drift.income#2").is_empty());
    }

    #[test]
    fn label_values_are_escaped() {
        let mut run = fixture();
        run.suites[0].checks[0].id = "a\\b\"c\nd{e}=,f".into();
        let text = Prometheus.render(&run);
        assert!(text.contains(r#"check="a\\b\"c\nd{e}=,f",kind="row_count""#), "{text}");
        assert_eq!(number(1e-7), "1e-7");
        assert_eq!(number(2.5e20), "2.5e20");
        assert_eq!(number(-0.5), "-0.5");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(Prometheus.render(&fixture()));
    }
}
