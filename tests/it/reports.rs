//! Report files named on the command line, and the GitHub job summary.

use std::process::Command;

#[test]
fn named_report_files_and_the_job_summary_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "## an earlier step\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        // A month later the sample data is stale: the freshness check warns.
        .args(["check", "checks/", "--now", "2026-12-01", "--no-reports"])
        .args(["--data", "loans=datasets/dirty/loans.parquet"])
        .args(["--junit", &path("j/junit.xml"), "--markdown", &path("summary.md")])
        .args(["--prometheus", &path("probity.prom"), "--fail-on", "warn"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let junit = std::fs::read_to_string(path("j/junit.xml")).unwrap();
    assert!(junit.starts_with("<?xml"), "{junit}");
    let declared: usize = crate::examples::declared_checks().values().sum();
    assert_eq!(junit.matches("<testcase").count(), declared, "a testcase per check of checks/");
    // 13 checks fail on the dirty loans; under --fail-on warn the stale-data
    // warning is a failure too.
    assert_eq!(junit.matches("<failure").count(), 14, "{junit}");
    let markdown = std::fs::read_to_string(path("summary.md")).unwrap();
    assert!(markdown.contains("loans.between.amount"));
    let job = std::fs::read_to_string(&summary).unwrap();
    assert!(job.starts_with("## an earlier step\n"), "appended, not replaced");
    assert!(job.ends_with(&format!("{markdown}\n")), "{job}");
    let prom = std::fs::read_to_string(path("probity.prom")).unwrap();
    assert!(prom.contains("probity_check_status{"), "{prom}");
}
