//! CLI snapshot tests: the real binary, run in the crate root, for each exit
//! code, each output format and each rendered error.

use crate::common::{Output, probity, probity_in, stable_json};

const NOW: &str = "2026-11-01T12:00:00Z";

fn snapshot(name: &str, out: &Output) {
    insta::assert_snapshot!(name, out.snapshot());
}

#[test]
fn clean_sample_data_passes_with_exit_0() {
    let out = probity(&["check", "checks/", "--now", NOW]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    snapshot("check_clean_table", &out);
}

#[test]
fn dirty_sample_data_fails_with_exit_1() {
    let out = probity(&[
        "check",
        "checks/",
        "--now",
        NOW,
        "--data",
        "loans=datasets/dirty/loans.parquet",
        "--data",
        "customers=datasets/dirty/customers.parquet",
    ]);
    assert_eq!(out.code, 1, "{}", out.snapshot());
    snapshot("check_dirty_table", &out);
}

#[test]
fn json_format_follows_the_contract() {
    let out = probity(&[
        "check",
        "checks/",
        "--now",
        NOW,
        "--format",
        "json",
        "--data",
        "loans=datasets/dirty/loans.parquet",
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let json = stable_json(&out.stdout);
    for key in ["probity_version", "format_version", "status", "started_at", "now", "duration_ms", "suites"] {
        assert!(json.get(key).is_some(), "missing top-level key {key}");
    }
    insta::assert_json_snapshot!("check_dirty_json", json);
}

#[test]
fn json_file_is_written_and_identical_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("nested/a.json");
    let b = dir.path().join("b.json");
    for path in [&a, &b] {
        let out = probity(&["check", "checks/", "--now", NOW, "--json", path.to_str().unwrap()]);
        assert_eq!(out.code, 0, "{}", out.snapshot());
    }
    let strip = |p: &std::path::Path| stable_json(&std::fs::read_to_string(p).unwrap());
    assert_eq!(strip(&a), strip(&b), "the same inputs give the same JSON, timing aside");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left behind");
}

#[test]
fn warnings_pass_unless_fail_on_warn() {
    // Without --now the bundled data is stale, and freshness is severity warn.
    let out = probity(&["check", "checks/loans.yaml", "checks/customers.yaml", "--now", "2027-01-01"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    assert!(out.stdout.contains("warn"));
    let out = probity(&["check", "checks/", "--now", "2027-01-01", "--fail-on", "warn"]);
    assert_eq!(out.code, 1, "{}", out.snapshot());
}

#[test]
fn no_colour_when_not_a_terminal() {
    let out = probity(&["check", "checks/", "--now", NOW]);
    assert!(!out.stdout.contains('\u{1b}'), "escape codes in piped output");
}

#[test]
fn plan_shows_one_fused_scan_per_dataset() {
    let out = probity(&["plan", "checks/"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let declared = crate::examples::declared_checks();
    for (dataset, n) in &declared {
        let line = format!("dataset `{dataset}`: {n} checks -> 1 fused scan");
        assert!(out.stdout.contains(&line), "{line}\n{}", out.stdout);
    }
    assert_eq!(declared.len(), 2, "{declared:?}");
}

#[test]
fn spec_errors_are_reported_together_like_a_compiler() {
    let out = probity(&["check", "tests/fixtures/bad_spec.yaml"]);
    assert_eq!(out.code, 2);
    snapshot("error_bad_spec", &out);
}

#[test]
fn a_suite_without_its_checks_key_is_told_so() {
    let out = probity(&["check", "tests/fixtures/no_checks_key.yaml"]);
    assert_eq!(out.code, 2);
    snapshot("error_no_checks_key", &out);
    // The same error when `--data` names its dataset: a suite that cannot
    // be read is reported, not the dataset it would have declared.
    let with_data =
        probity(&["check", "tests/fixtures/no_checks_key.yaml", "--data", "people=tests/golden/data/people.parquet"]);
    assert_eq!((with_data.code, &with_data.stdout, &with_data.stderr), (out.code, &out.stdout, &out.stderr));
}

#[test]
fn an_unclosed_list_is_pointed_at() {
    let out = probity(&["check", "tests/fixtures/unclosed_list.yaml"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("unclosed_list.yaml:8:"), "{}", out.stderr);
    assert!(out.stderr.contains("help: a `[` or `{` opened on an earlier line is not closed"), "{}", out.stderr);
}

#[test]
fn an_undeclared_dataset_gets_help_to_declare_it() {
    let out = probity(&["check", "tests/fixtures/undeclared_dataset.yaml"]);
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains("__reference"), "internal names stay internal: {}", out.stderr);
    snapshot("error_undeclared_dataset", &out);
}

#[test]
fn errors_against_the_schema_name_the_cause_and_a_fix() {
    let out = probity(&["check", "tests/fixtures/bind_errors.yaml"]);
    assert_eq!(out.code, 2);
    snapshot("error_bind", &out);
}

#[test]
fn drift_needs_a_reference_with_comparable_columns() {
    let out = probity(&["check", "tests/fixtures/drift_errors.yaml"]);
    assert_eq!(out.code, 2);
    snapshot("error_drift", &out);
    let out = probity(&["check", "tests/fixtures/drift_no_reference.yaml"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("the suite has no `reference`"), "{}", out.stderr);
}

#[test]
fn fairness_input_mistakes_are_errors() {
    let out = probity(&["check", "tests/fixtures/fairness_errors.yaml"]);
    assert_eq!(out.code, 2);
    snapshot("error_fairness", &out);
}

#[test]
fn user_sql_is_an_expression_only() {
    let out = probity(&["check", "tests/fixtures/bad_sql.yaml"]);
    assert_eq!(out.code, 2);
    snapshot("error_bad_sql", &out);
}

#[test]
fn repeated_csv_column_names_are_read_with_a_note() {
    let out = probity(&["check", "tests/fixtures/repeated.yaml", "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.snapshot());
    let note = "note: tests/fixtures/repeated.csv: repeated column name `score` read as `score` and `score.1`\n";
    assert_eq!(out.stderr, note);
    assert!(
        out.stdout.contains("\"notes\": [\n    \"tests/fixtures/repeated.csv: repeated column name"),
        "{}",
        out.stdout
    );
}

#[test]
fn unreadable_data_exits_2_naming_the_file() {
    for (fixture, needle) in [
        ("missing_data", "no such file"),
        ("truncated", "truncated.parquet"),
        ("garbage", "garbage.parquet"),
        ("corrupt", "people"),
        ("ragged", "line 3 has 4 fields, the header has 3"),
    ] {
        let out = probity(&["check", &format!("tests/fixtures/{fixture}.yaml")]);
        assert_eq!(out.code, 2, "{fixture}: {}", out.snapshot());
        assert!(out.stderr.contains(needle), "{fixture}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{fixture}: {}", out.stderr);
        snapshot(&format!("error_data_{fixture}"), &out);
    }
}

#[test]
fn missing_suite_file_and_bad_arguments_exit_2() {
    let out = probity(&["check", "checks/nowhere.yaml"]);
    assert_eq!(out.code, 2);
    snapshot("error_missing_suite", &out);
    let out = probity(&["check", "checks/", "--data", "lons=datasets/dirty/loans.parquet"]);
    assert_eq!(out.code, 2);
    snapshot("error_unknown_data_name", &out);
    let out = probity(&["check", "checks/", "--data", "loans=datasets/nowhere.parquet"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("nowhere.parquet"), "{}", out.stderr);
    let out = probity(&["check", "checks/", "--now", "yesterday"]);
    assert_eq!(out.code, 2);
}

#[test]
fn empty_dataset_is_judged_but_never_passes_silently() {
    let out = probity(&["check", "tests/fixtures/empty_data.yaml", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    let json = stable_json(&out.stdout);
    let statuses: Vec<&str> =
        json["suites"][0]["checks"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["fail", "error", "error", "error"]);
    let out = probity(&["check", "tests/fixtures/empty_data.yaml"]);
    snapshot("check_empty_table", &out);
}

#[test]
fn hostile_yaml_is_refused_quickly() {
    for fixture in ["alias_bomb", "deep", "not_yaml"] {
        let started = std::time::Instant::now();
        let out = probity(&["check", &format!("tests/fixtures/{fixture}.yaml")]);
        assert_eq!(out.code, 2, "{fixture}: {}", out.snapshot());
        assert!(out.stderr.contains("invalid YAML"), "{fixture}: {}", out.stderr);
        // A guard against runaway expansion, not a speed measurement.
        assert!(started.elapsed().as_secs() < 60);
        snapshot(&format!("error_yaml_{fixture}"), &out);
    }
}

#[test]
fn oversized_expectation_files_are_refused() {
    let mut file = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    let filler = format!("# {}\n", "x".repeat(1000)).repeat(3000);
    std::io::Write::write_all(&mut file, format!("version: 1\n{filler}").as_bytes()).unwrap();
    let out = probity(&["check", file.path().to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.snapshot());
    assert!(out.stderr.contains("limited to 1048576 bytes"), "{}", out.stderr);
}

#[test]
fn relative_paths_resolve_from_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = probity_in(dir.path(), &["check", &format!("{}/checks/", env!("CARGO_MANIFEST_DIR"))]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no such file or folder"), "{}", out.stderr);
}

#[test]
fn too_little_memory_is_an_error_that_says_so_not_a_corrupt_file() {
    use std::time::{Duration, Instant};
    // Polled with a deadline: a run under a memory limit must never hang CI.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(["check", "checks/loans.yaml", "checks/customers.yaml", "--no-reports", "--memory-limit", "1K"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_mins(2);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("probity did not finish within 120 s under --memory-limit 1K");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("need more memory than --memory-limit allows"), "{stderr}");
    assert!(stderr.contains("help: raise --memory-limit"), "{stderr}");
    assert!(!stderr.contains("corrupt"), "{stderr}");
}
