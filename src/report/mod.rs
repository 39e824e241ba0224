//! Output formats, one file each, all rendering the same [`RunOutcome`].
//! Rendering is pure (a string); writing files goes through
//! [`write_atomic`] so that an interrupted run never leaves half a report.

#[cfg(test)]
mod consumers;
mod history;
mod html;
mod json;
mod junit;
mod markdown;
mod prometheus;
mod summary;
mod terminal;

use crate::outcome::RunOutcome;

pub use history::{history_html, history_table};
pub use html::Html;
pub use json::Json;
pub use junit::Junit;
pub use markdown::Markdown;
pub use prometheus::Prometheus;
pub use terminal::Terminal;

/// A report format.
pub trait Report {
    fn render(&self, run: &RunOutcome) -> String;
}

/// Every file format `--out` writes, with its file extension.
pub fn file_formats(fail_on_warn: bool) -> Vec<(&'static str, Box<dyn Report>)> {
    vec![
        ("json", Box::new(Json)),
        ("junit.xml", Box::new(Junit { fail_on_warn })),
        ("md", Box::new(Markdown)),
        ("html", Box::new(Html)),
        ("prom", Box::new(Prometheus)),
    ]
}

#[cfg(test)]
pub(crate) mod tests {
    //! Every format renders the same fixture results.

    use std::time::Duration;

    use chrono::{DateTime, Utc};
    use serde_json::Value;

    use super::*;
    use std::collections::BTreeMap;

    use crate::outcome::{CheckOutcome, DataRead, DatasetRead, DeltaRead, FileRead, Status, SuiteOutcome};

    /// A whole run for every format's tests: the dirty sample data's results
    /// (`fixture.json`, from `probity check checks/ --data
    /// loans=datasets/dirty/loans.parquet --format json`), plus a failing
    /// fairness check, a check that could not be judged and a skipped one.
    /// Provenance for the fixture: the dirty loans file, and a Delta table.
    fn fixture_reads() -> BTreeMap<String, DatasetRead> {
        let loans = DatasetRead {
            source: "datasets/dirty/loans.parquet".into(),
            read: DataRead::Files(vec![FileRead {
                path: "/work/probity/datasets/dirty/loans.parquet".into(),
                size: 402_113,
                modified: "2026-11-01T09:30:00.000Z".into(),
                etag: None,
            }]),
        };
        let customers = DatasetRead {
            source: "s3://lake/customers".into(),
            read: DataRead::Delta(DeltaRead {
                version: 12,
                committed: Some("2026-11-01T02:00:00.000Z".into()),
                files: 3,
                bytes: 48_211,
            }),
        };
        BTreeMap::from([("customers".to_string(), customers), ("loans".to_string(), loans)])
    }

    pub(crate) fn fixture() -> RunOutcome {
        let run: Value = serde_json::from_str(include_str!("fixture.json")).expect("fixture.json parses");
        let text = |v: &Value| v.as_str().expect("a string").to_string();
        let map = |v: &Value| v.as_object().cloned().unwrap_or_default();
        let status = |v: &Value| match v.as_str() {
            Some("pass") => Status::Pass,
            Some("skipped") => Status::Skipped,
            Some("warn") => Status::Warn,
            Some("fail") => Status::Fail,
            _ => Status::Error,
        };
        let suites = run["suites"]
            .as_array()
            .expect("suites")
            .iter()
            .map(|s| SuiteOutcome {
                file: text(&s["file"]),
                file_sha256: s.get("file_sha256").map(text).unwrap_or_default(),
                dataset: text(&s["dataset"]),
                reference: None,
                rows: s["rows"].as_u64().expect("rows"),
                duration: Duration::from_millis(250),
                checks: s["checks"]
                    .as_array()
                    .expect("checks")
                    .iter()
                    .map(|c| CheckOutcome {
                        id: text(&c["id"]),
                        kind: text(&c["kind"]),
                        column: c.get("column").map(text),
                        columns: c.get("columns").and_then(Value::as_array).map(|a| a.iter().map(text).collect()),
                        severity: if c["severity"] == "warn" { "warn" } else { "error" },
                        status: status(&c["status"]),
                        observed: map(&c["observed"]),
                        threshold: map(&c["threshold"]),
                        message: text(&c["message"]),
                        description: c.get("description").map(text),
                        filter: c.get("where").map(text),
                        failing_sample: c.get("failing_sample").and_then(Value::as_array).cloned(),
                        duration: Duration::from_micros(1500),
                    })
                    .collect(),
            })
            .collect();
        let t: DateTime<Utc> = "2026-11-01T12:00:00Z".parse().expect("a time");
        RunOutcome {
            probity_version: "0.0.0",
            format_version: crate::outcome::FORMAT_VERSION,
            status: status(&run["status"]),
            started_at: t,
            now: t,
            duration_ms: 1234,
            datasets: fixture_reads(),
            suites,
            warnings: Vec::new(),
            notes: Vec::new(),
        }
    }

    #[test]
    fn terminal_lists_checks_samples_and_totals() {
        let text = Terminal { color: false, width: 100 }.render(&fixture());
        insta::assert_snapshot!(text);
    }

    #[test]
    fn terminal_colours_only_when_asked() {
        assert!(Terminal { color: true, width: 100 }.render(&fixture()).contains('\u{1b}'));
        assert!(!Terminal { color: false, width: 100 }.render(&fixture()).contains('\u{1b}'));
    }

    #[test]
    fn json_is_the_serde_form_of_the_outcome() {
        let text = Json.render(&fixture());
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["status"], "error");
        let loans = &back["suites"][1]["checks"];
        assert_eq!(loans[6]["id"], "loans.between.amount");
        assert!(loans[6]["failing_sample"].as_array().is_some_and(|s| !s.is_empty()));
        assert!(loans[0].get("failing_sample").is_none(), "a passing check has no sample");
        insta::assert_snapshot!(text);
    }
}
