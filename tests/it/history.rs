//! The run history: concurrent appends, `trend` checks against past runs,
//! `probity history`, and a damaged history or output folder that must not
//! change the checks' verdicts.

use std::path::Path;
use std::process::{Command, Stdio};

use probity::history::History;

use crate::common::{probity, probity_in};

const LOANS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/loans.parquet");
const DIRTY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/datasets/dirty/loans.parquet");

fn suite(dir: &Path) -> String {
    let path = dir.join("trend.yaml");
    std::fs::write(
        &path,
        format!(
            "version: 1\ndataset: {{ name: loans, source: '{LOANS}' }}\nchecks:\n\
             \x20 - trend: {{ metric: row_count, max_change: 20% }}\n\
             \x20 - trend: {{ column: amount, metric: mean, max_change: 10% }}\n\
             \x20 - trend: {{ column: amount, metric: mean, max_sigma: 3, min_history: 3 }}\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

/// `(check id, status)` pairs of a JSON run.
fn statuses(stdout: &str) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(stdout).expect("JSON on stdout");
    v["suites"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn four_processes_appending_at_once_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let root = env!("CARGO_MANIFEST_DIR");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_probity"))
                .args(["check", "checks/", "--now", "2026-11-01T12:00:00Z", "--no-reports", "--history"])
                .arg(&history)
                .current_dir(root)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the probity binary starts")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let h = History::read(&history);
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);
    let runs: std::collections::BTreeSet<&str> = h.records.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(runs.len(), 4, "four runs, four distinct ids");
    let per_run = h.records.len() / 4;
    assert_eq!(h.records.len(), 4 * per_run);
    assert!(per_run >= 20, "every check of the suite is recorded: {per_run}");
    let day = history.join("date=2026-11-01");
    let names: Vec<String> =
        std::fs::read_dir(&day).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 4, "one file per run, no temporary leftovers: {names:?}");
    assert!(names.iter().all(|n| Path::new(n).extension().is_some_and(|e| e == "parquet")));
}

#[test]
fn trend_checks_compare_with_past_runs() {
    let dir = tempfile::tempdir().unwrap();
    let suite = suite(dir.path());
    let history = dir.path().join("h").display().to_string();
    let run = |now: &str, data: &str| {
        let out = probity_in(
            dir.path(),
            &["check", &suite, "--format", "json", "--no-reports", "--history", &history, "--now", now, "--data", data],
        );
        (out.code, statuses(&out.stdout))
    };
    let ids = ["loans.trend", "loans.trend.amount", "loans.trend.amount#2"];
    let expect = |pairs: &[&str]| ids.iter().zip(pairs).map(|(i, s)| (i.to_string(), s.to_string())).collect();
    // No past runs: everything is skipped, never passed.
    assert_eq!(run("2026-11-01", &format!("loans={LOANS}")), (0, expect(&["skipped", "skipped", "skipped"])));
    assert_eq!(run("2026-11-02", &format!("loans={LOANS}")), (0, expect(&["pass", "pass", "skipped"])));
    assert_eq!(run("2026-11-03", &format!("loans={LOANS}")), (0, expect(&["pass", "pass", "skipped"])));
    assert_eq!(run("2026-11-04", &format!("loans={LOANS}")), (0, expect(&["pass", "pass", "pass"])));
    // The dirty copy has the same row count but a mean ten times larger.
    assert_eq!(run("2026-11-05", &format!("loans={DIRTY}")), (1, expect(&["pass", "fail", "fail"])));

    // `probity history` shows a check's values over time.
    let out = probity_in(dir.path(), &["history", &history, "--check", "loans.trend.amount", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let records: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let statuses: Vec<&str> = records.as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["skipped", "pass", "pass", "pass", "fail"]);
    let page = dir.path().join("history.html");
    let out = probity_in(dir.path(), &["history", &history, "--last", "2", "--html", page.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("6 records"), "{}", out.stdout);
    assert_eq!(std::fs::read_to_string(&page).unwrap().matches("<svg").count(), 3);
    let out = probity_in(dir.path(), &["history", &history, "--check", "loans.trend.amout"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("did you mean `loans.trend.amount`?"), "{}", out.stderr);
}

#[test]
fn a_damaged_history_warns_and_the_checks_still_decide() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("h");
    let day = history.join("date=2026-10-31");
    std::fs::create_dir_all(&day).unwrap();
    std::fs::write(day.join("run.parquet"), b"PAR1 this is not parquet").unwrap();
    std::fs::write(history.join("README.txt"), b"notes").unwrap();
    let h = history.to_str().unwrap();
    let out = probity(&["check", "checks/", "--now", "2026-11-01T12:00:00Z", "--no-reports", "--history", h]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("PASS"), "{}", out.stdout);
    assert!(out.stderr.contains("warning: history: skipping") && out.stderr.contains("run.parquet"), "{}", out.stderr);
    assert!(out.stderr.contains("README.txt, not a history file"), "{}", out.stderr);
    // The run is still appended beside the damaged file.
    let declared: usize = crate::examples::declared_checks().values().sum();
    assert_eq!(History::read(&history).records.len(), declared, "a record per check of checks/");
}

#[test]
fn an_unwritable_output_folder_is_reported_and_the_checks_still_decide() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"a file where the folder should be").unwrap();
    let out_dir = blocker.join("reports");
    let args = ["check", "checks/", "--now", "2026-11-01T12:00:00Z", "--out", out_dir.to_str().unwrap()];
    let out = probity(&args);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("PASS"));
    assert!(out.stderr.contains("error: cannot write the report"), "{}", out.stderr);
    // Dirty data still fails with exit 1 when the reports cannot be written.
    let mut dirty = args.to_vec();
    dirty.extend(["--data", "loans=datasets/dirty/loans.parquet"]);
    assert_eq!(probity(&dirty).code, 1);
}

#[test]
fn every_format_is_written_under_a_run_stamp_and_as_latest() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("reports");
    let out = probity(&["check", "checks/", "--now", "2026-11-01T12:00:00Z", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let mut names: Vec<String> =
        std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let latest: Vec<&String> = names.iter().filter(|n| n.starts_with("latest.")).collect();
    let stamped: Vec<&String> = names.iter().filter(|n| !n.starts_with("latest.")).collect();
    assert_eq!(latest.len(), stamped.len(), "{names:?}");
    for l in &latest {
        let ext = l.trim_start_matches("latest.");
        let twin = stamped.iter().find(|s| s.ends_with(&format!(".{ext}"))).expect("a stamped twin");
        assert_eq!(std::fs::read(out_dir.join(l)).unwrap(), std::fs::read(out_dir.join(twin)).unwrap());
    }
    assert!(!names.iter().any(|n| n.contains(".tmp")), "{names:?}");
}
