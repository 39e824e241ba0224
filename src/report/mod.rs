//! Output formats, one file each, all rendering the same [`RunOutcome`].
//! Rendering is pure (a string); writing files goes through
//! [`write_atomic`] so that an interrupted run never leaves half a report.

mod json;
mod terminal;

use std::io::Write;
use std::path::Path;

use crate::outcome::RunOutcome;

pub use json::Json;
pub use terminal::Terminal;

/// A report format.
pub trait Report {
    fn render(&self, run: &RunOutcome) -> String;
}

/// Writes `contents` to `path` through a temporary file in the same folder
/// and a rename, creating the folder if needed.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("report");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    //! Every format renders the same fixture results.

    use chrono::{DateTime, Utc};
    use serde_json::json;

    use super::*;
    use crate::outcome::{CheckOutcome, Status, SuiteOutcome};

    fn fixture() -> RunOutcome {
        let t: DateTime<Utc> = "2026-11-01T12:00:00Z".parse().unwrap();
        let check = |id: &str, status: Status, message: &str| CheckOutcome {
            id: id.into(),
            kind: "between".into(),
            column: Some("amount".into()),
            columns: None,
            severity: if status == Status::Warn { "warn" } else { "error" },
            status,
            observed: json!({ "count": 100, "invalid_count": 2 }).as_object().unwrap().clone(),
            threshold: json!({ "min": 0, "max": 10 }).as_object().unwrap().clone(),
            message: message.into(),
            description: None,
            filter: None,
            failing_sample: (status != Status::Pass).then(|| vec![json!({ "amount": -1, "count": 2 })]),
        };
        RunOutcome {
            probity_version: "0.0.0",
            format_version: crate::outcome::FORMAT_VERSION,
            status: Status::Fail,
            started_at: t,
            now: t,
            duration_ms: 7,
            suites: vec![SuiteOutcome {
                file: "checks/loans.yaml".into(),
                dataset: "loans".into(),
                rows: 100,
                checks: vec![
                    check("loans.between.amount", Status::Fail, "2 of 100 values are not between 0 and 10"),
                    check("amount_soft", Status::Warn, "2 of 100 values are not between 0 and 10"),
                    check("amount_ok", Status::Pass, "all of 100 values between 0 and 10"),
                ],
            }],
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
        assert_eq!(back["status"], "fail");
        assert_eq!(back["suites"][0]["checks"][0]["failing_sample"][0]["amount"], -1);
        assert!(back["suites"][0]["checks"][2].get("failing_sample").is_none());
        insta::assert_snapshot!(text);
    }

    #[test]
    fn atomic_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/er/report.json");
        write_atomic(&path, b"{}").unwrap();
        write_atomic(&path, b"{\"a\": 1}").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\": 1}");
        let names: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
