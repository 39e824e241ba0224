//! Delta Lake tables written by delta-rs' Python package
//! (tests/fixtures/delta/, from `tests/delta/make_tables.py --fixture`):
//! the version the log names is read, not the folder's files; time travel by
//! number, place and time; partition values from the log; a table with a
//! reader feature nobody knows is refused. tests/delta/run.sh does the same
//! on fresh tables of the sample data, locally and on an S3 server.

use serde_json::Value;

use crate::common::probity;

const PEOPLE: &str = "tests/fixtures/delta/people";

/// The commit timestamps of the fixture's versions (milliseconds).
fn committed(table: &str, version: u64) -> i64 {
    let text = std::fs::read_to_string("tests/fixtures/delta/versions.json").unwrap();
    let versions: Value = serde_json::from_str(&text).unwrap();
    versions[table][version.to_string()].as_i64().unwrap()
}

/// A Delta version's commit time is its log file's modification time (the
/// protocol's rule without in-commit timestamps, which delta-rs' Python
/// writer does not write), and a git checkout does not keep those: the
/// fixture's log files get back the times they were committed at. Setting
/// the same times again is harmless, so concurrent tests may all do it.
fn pin_commit_times() {
    static PINNED: std::sync::Once = std::sync::Once::new();
    PINNED.call_once(|| {
        for (table, versions) in [("people", 3), ("people_by_country", 1), ("future", 2)] {
            for version in 0..versions {
                let log = format!("tests/fixtures/delta/{table}/_delta_log/{version:020}.json");
                let at =
                    std::time::UNIX_EPOCH + std::time::Duration::from_millis(committed(table, version).unsigned_abs());
                std::fs::File::options().write(true).open(&log).unwrap().set_modified(at).unwrap();
            }
        }
    });
}

/// Writes a suite reading `source` and runs it; returns the exit code and the JSON (or stderr).
fn run(source: &str, checks: &str) -> (i32, Value, String) {
    pin_commit_times();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.yaml");
    std::fs::write(&suite, format!("version: 1\ndataset:\n  name: people\n  source: {source}\nchecks:\n{checks}"))
        .unwrap();
    let out = probity(&["check", suite.to_str().unwrap(), "--format", "json"]);
    let json = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
    (out.code, json, out.stderr)
}

fn rows_and_version(json: &Value) -> (u64, u64) {
    (json["suites"][0]["rows"].as_u64().unwrap(), json["datasets"]["people"]["delta"]["version"].as_u64().unwrap())
}

const ROWS: &str = "  - row_count: { min: 1 }\n";

#[test]
fn a_table_is_read_at_the_version_its_log_names() {
    // The folder holds 17 rows of Parquet (a deleted row's file was
    // rewritten); the latest version has 11.
    for source in
        [PEOPLE, "{ delta: tests/fixtures/delta/people }", "{ path: tests/fixtures/delta/people, format: delta }"]
    {
        let (code, json, err) = run(source, ROWS);
        assert_eq!(code, 0, "{source}: {err}");
        assert_eq!(rows_and_version(&json), (11, 2), "{source}");
        let read = &json["datasets"]["people"]["delta"];
        assert_eq!(read["files"], 2, "the rewritten file and the appended one");
        let committed_at = chrono::DateTime::parse_from_rfc3339(read["committed"].as_str().unwrap()).unwrap();
        assert_eq!(committed_at.timestamp_millis(), committed("people", 2));
    }
    let (_, json, _) = run("{ delta: tests/fixtures/delta/people }", "  - not_in_set: { column: id, values: [3] }\n");
    assert_eq!(json["suites"][0]["checks"][0]["status"], "pass", "the deleted row is gone");
}

#[test]
fn time_travel_by_number_place_and_time() {
    let at = |version: &str| {
        let (code, json, err) = run(&format!("{{ delta: {PEOPLE}, {version} }}"), ROWS);
        assert_eq!(code, 0, "{version}: {err}");
        rows_and_version(&json)
    };
    assert_eq!(at("version: 0"), (6, 0));
    assert_eq!(at("version: 1"), (12, 1));
    assert_eq!(at("version: previous"), (12, 1));
    assert_eq!(at("version: -2"), (6, 0));
    let time = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339();
    assert_eq!(at(&format!("timestamp: '{}'", time(committed("people", 0)))), (6, 0));
    assert_eq!(at(&format!("timestamp: '{}'", time(committed("people", 1) - 1))), (6, 0));
    assert_eq!(at(&format!("timestamp: '{}'", time(committed("people", 2) + 3_600_000))), (11, 2));
}

#[test]
fn a_drift_check_compares_a_table_with_its_previous_version() {
    pin_commit_times();
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("nightly.yaml");
    std::fs::write(
        &suite,
        format!(
            "version: 1\ndataset: {{ name: people, source: {{ delta: {PEOPLE} }} }}\nreference: {{ delta: {PEOPLE}, version: previous }}\nchecks:\n  - drift: {{ column: age, test: ks, max_statistic: 0.5 }}\n"
        ),
    )
    .unwrap();
    let out = probity(&["check", suite.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let suite = &json["suites"][0];
    assert_eq!(suite["reference"]["delta"]["version"], 1);
    assert_eq!(json["datasets"]["people"]["delta"]["version"], 2);
    let observed = &suite["checks"][0]["observed"];
    // Ages of 11 and 12 rows, two of them null.
    assert_eq!((observed["n_current"].as_u64(), observed["n_reference"].as_u64()), (Some(9), Some(10)), "{observed}");
    assert!(out.stderr.contains("Delta table read at version 1 (the version before the latest)"), "{}", out.stderr);
}

#[test]
fn partition_values_come_from_the_log() {
    // tests/golden/data/people.parquet: 12 rows, one with a null country,
    // five distinct others (US, us, FR, DE, GB): each a partition folder.
    let (code, json, err) = run(
        "tests/fixtures/delta/people_by_country",
        "  - row_count: { min: 12, max: 12 }\n  - missing: { column: country, max: 1 }\n  - stat: { column: country, metric: distinct_count, min: 5, max: 5 }\n",
    );
    assert_eq!(code, 0, "{err}\n{json}");
}

#[test]
fn a_table_that_needs_an_unknown_reader_feature_is_refused() {
    let (code, _, err) = run("tests/fixtures/delta/future", ROWS);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the table uses a feature this reader does not support, so it is not read"), "{err}");
    assert!(err.contains("probityFutureFeature"), "{err}");
    // Its version 0, from before the feature, reads.
    let (code, json, err) = run("{ delta: tests/fixtures/delta/future, version: 0 }", ROWS);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["suites"][0]["rows"], 6);
}

#[test]
fn versions_that_do_not_exist_are_errors_that_say_which_do() {
    let cases = [
        ("version: 9", "cannot read version 9: there is no such version"),
        ("version: -3", "the table has no version 3 before the latest: the latest is version 2"),
        ("timestamp: '2020-01-01T00:00:00Z'", "no version was committed by 2020-01-01T00:00:00Z"),
    ];
    for (version, expected) in cases {
        let (code, _, err) = run(&format!("{{ delta: {PEOPLE}, {version} }}"), ROWS);
        assert_eq!(code, 2, "{version}: {err}");
        assert!(err.contains(expected), "{version}: {err}");
    }
    let (code, _, err) = run("{ delta: tests/golden/data }", ROWS);
    assert_eq!(code, 2);
    assert!(err.contains("not a Delta table: there is no `_delta_log/` in it"), "{err}");
}
