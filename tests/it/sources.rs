//! Sources: Parquet files, globs, hive-partitioned folders, CSV, NDJSON and
//! Arrow IPC, and `--data` pointing a suite at another file.

use datafusion::arrow::ipc::writer::FileWriter;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

use crate::common::{block_on, request};

fn customers_suite(dir: &std::path::Path, source: &str) -> std::path::PathBuf {
    let text = format!(
        "version: 1\ndataset: {{ name: customers, source: '{source}' }}\nchecks:\n  - row_count: {{ min: 2000, max: 2000 }}\n  - unique: customer_id\n  - in_set: {{ column: segment, values: [retail, premium, business] }}\n  - stat: {{ column: customer_id, metric: max, max: 2000 }}\n"
    );
    let path = dir.join("customers.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn passes(suite: &std::path::Path) {
    let outcome = block_on(probity::run(&request(&[suite.to_str().unwrap()]))).unwrap();
    let bad: Vec<_> =
        outcome.checks().filter(|c| c.status != probity::Status::Pass).map(|c| (&c.id, &c.message)).collect();
    assert!(bad.is_empty(), "{bad:?}");
}

fn root(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn parquet_and_csv_files() {
    let dir = tempfile::tempdir().unwrap();
    passes(&customers_suite(dir.path(), &root("datasets/customers.parquet")));
    passes(&customers_suite(dir.path(), &root("datasets/customers.csv")));
}

#[test]
fn ndjson_and_arrow_ipc_files() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("customers.jsonl");
    let arrow = dir.path().join("customers.arrow");
    block_on(async {
        let ctx = SessionContext::new();
        let df = ctx.read_parquet(root("datasets/customers.parquet"), ParquetReadOptions::default()).await.unwrap();
        let batches = df.collect().await.unwrap();
        let mut writer = datafusion::arrow::json::LineDelimitedWriter::new(std::fs::File::create(&jsonl).unwrap());
        let mut ipc = FileWriter::try_new(std::fs::File::create(&arrow).unwrap(), &batches[0].schema()).unwrap();
        for b in &batches {
            writer.write(b).unwrap();
            ipc.write(b).unwrap();
        }
        writer.finish().unwrap();
        ipc.finish().unwrap();
    });
    passes(&customers_suite(dir.path(), jsonl.to_str().unwrap()));
    passes(&customers_suite(dir.path(), arrow.to_str().unwrap()));
}

#[test]
fn hive_partitioned_folder_and_glob() {
    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("months.yaml");
    let text = format!(
        "version: 1\ndataset: {{ name: loans, source: '{}' }}\nchecks:\n  - row_count: {{ min: 8000, max: 8000 }}\n  - in_set: {{ column: month, values: ['2026-08', '2026-09', '2026-10'] }}\n  - unique: loan_id\n  - row_count: {{ min: 1, max: 3000, where: \"month = '2026-10'\" }}\n",
        root("datasets/loans_by_month")
    );
    std::fs::write(&suite, text).unwrap();
    passes(&suite);
    let glob = dir.path().join("glob.yaml");
    let text = format!(
        "version: 1\ndataset: {{ name: loans, source: '{}' }}\nchecks:\n  - row_count: {{ min: 8000, max: 8000 }}\n  - not_null: month\n",
        // DataFusion matches a glob against the path without its `key=value` folders.
        root("datasets/loans_by_month/*.parquet")
    );
    std::fs::write(&glob, text).unwrap();
    passes(&glob);
    // A failing check on the partition column (a dictionary) shows its values.
    let failing = dir.path().join("failing.yaml");
    let text = format!(
        "version: 1\ndataset: {{ name: loans, source: '{}' }}\nchecks:\n  - in_set: {{ column: month, values: ['2026-08'] }}\n",
        root("datasets/loans_by_month")
    );
    std::fs::write(&failing, text).unwrap();
    let outcome = block_on(probity::run(&request(&[failing.to_str().unwrap()]))).unwrap();
    let check = outcome.checks().next().unwrap();
    assert_eq!(check.status, probity::Status::Fail);
    let sample = serde_json::to_string(check.failing_sample.as_ref().unwrap()).unwrap();
    assert!(sample.starts_with(r#"[{"month":"2026-"#), "{sample}");
}

#[test]
fn data_override_points_a_suite_at_another_file() {
    let dir = tempfile::tempdir().unwrap();
    let suite = customers_suite(dir.path(), &root("datasets/nowhere.parquet"));
    let mut req = request(&[suite.to_str().unwrap()]);
    req.data = vec![("customers".into(), root("datasets/customers.parquet"))];
    let outcome = block_on(probity::run(&req)).unwrap();
    assert_eq!(outcome.status, probity::Status::Pass);
}

// CSV files as people have them: repeated header names, other delimiters
// and quotes, no header, null markers, compression, and errors that say
// which line is wrong and why.

/// Writes `files` (name, bytes) and a suite over `source` with `checks` into
/// a temp dir; returns the dir and the suite's path.
fn csv_case(files: &[(&str, &[u8])], source: &str, checks: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let source = source.replace("DIR", dir.path().to_str().unwrap());
    let suite = dir.path().join("suite.yaml");
    std::fs::write(&suite, format!("version: 1\ndataset: {{ name: t, source: {source} }}\nchecks:\n{checks}")).unwrap();
    (dir, suite)
}

fn run(suite: &std::path::Path) -> Result<probity::RunOutcome, probity::Error> {
    block_on(probity::run(&request(&[suite.to_str().unwrap()])))
}

/// Every check's (id, status, observed) of a run that must succeed.
fn results(suite: &std::path::Path) -> Vec<(String, probity::Status, serde_json::Value)> {
    let outcome = run(suite).unwrap_or_else(|e| panic!("{e}\n{:?}", e.help()));
    outcome.checks().map(|c| (c.id.clone(), c.status, serde_json::json!(c.observed))).collect()
}

/// Runs `checks` over `source` (see `csv_case`): every check must pass.
fn csv_passes(files: &[(&str, &[u8])], source: &str, checks: &str) {
    let (_dir, suite) = csv_case(files, source, checks);
    all_pass(&suite);
}

fn all_pass(suite: &std::path::Path) {
    let bad: Vec<_> = results(suite).into_iter().filter(|(_, s, _)| *s != probity::Status::Pass).collect();
    assert!(bad.is_empty(), "{bad:?}");
}

/// The error a run stops with, rendered as the CLI prints it.
fn error_text(suite: &std::path::Path) -> String {
    let e = run(suite).expect_err("the run must fail");
    format!("{e}\nhelp: {}", e.help().unwrap_or("-"))
}

#[test]
fn repeated_header_names_read_as_pandas_names_them() {
    // COMPAS has `decile_score` twice; pandas reads the second as `decile_score.1`.
    let (_dir, suite) = csv_case(
        &[("compas.csv", b"id,score,decile,score\n1,10,3,100\n2,20,4,200\n")],
        "DIR/compas.csv",
        "  - stat: { column: score, metric: sum, min: 30, max: 30 }\n  - stat: { column: score.1, metric: min, min: 100, max: 100 }\n  - stat: { column: score.1, metric: max, min: 200, max: 200 }\n  - schema: { columns: { id: int64, score: int64, decile: int64, score.1: int64 } }\n",
    );
    all_pass(&suite);
    let outcome = run(&suite).unwrap();
    let path = suite.parent().unwrap().join("compas.csv");
    assert_eq!(
        outcome.notes,
        [format!("{}: repeated column name `score` read as `score` and `score.1`", path.display())]
    );
}

#[test]
fn files_of_a_folder_must_share_one_header() {
    let (_dir, suite) = csv_case(
        &[("parts/a.csv", b"id,x\n1,2\n"), ("parts/b.csv", b"id,y\n3,4\n")],
        "DIR/parts",
        "  - row_count: { min: 1 }\n",
    );
    let text = error_text(&suite);
    assert!(text.contains("the files do not share one header: column 2 is `x` in"), "{text}");
    assert!(text.contains("b.csv"), "{text}");
}

#[test]
fn delimiter_and_quote_are_options_of_the_source() {
    csv_passes(
        &[("semi.csv", b"id;name\n1;'x;y'\n2;'it''s'\n")],
        r#"{ path: DIR/semi.csv, delimiter: ";", quote: "'" }"#,
        "  - row_count: { min: 2, max: 2 }\n  - in_set: { column: name, values: ['x;y', \"it's\"] }\n",
    );
    csv_passes(
        &[("tabs.tsv", b"id\tname\n1\tx\n")],
        r#"{ path: DIR/tabs.tsv, format: csv, delimiter: "\t" }"#,
        "  - in_set: { column: name, values: [x] }\n",
    );
}

#[test]
fn without_a_header_columns_are_numbered() {
    csv_passes(
        &[("raw.csv", b"1,a\n2,b\n3,\n")],
        "{ path: DIR/raw.csv, header: no }",
        "  - row_count: { min: 3, max: 3 }\n  - not_null: column_1\n  - missing: { column: column_2, max: 1 }\n",
    );
}

#[test]
fn null_markers_count_as_missing() {
    let (_dir, suite) = csv_case(
        &[("nulls.csv", b"id,income,city\n1,NA,NA\n2,N/A,x\n3,,\n4,5,y\n")],
        r#"{ path: DIR/nulls.csv, null_values: [NA, "N/A"] }"#,
        "  - missing: { column: income, max: 2 }\n  - missing: { column: city, max: 0 }\n  - schema: { columns: { income: int64 } }\n",
    );
    let found: Vec<_> = results(&suite).into_iter().map(|(_, s, o)| (s, o.get("missing_count").cloned())).collect();
    assert_eq!(
        found,
        [
            (probity::Status::Fail, Some(serde_json::json!(3))),
            (probity::Status::Fail, Some(serde_json::json!(2))),
            (probity::Status::Pass, None),
        ],
        "NA, N/A and the empty field are null, in numbers and in text"
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn gzip_and_bzip2_files_folders_and_globs() {
    let a = gzip(b"id,score,score\n1,2,3\n2,4,6\n");
    let b = gzip(b"id,score,score\n3,6,9\n");
    let checks = "  - row_count: { min: 3, max: 3 }\n  - stat: { column: score.1, metric: sum, min: 18, max: 18 }\n";
    let files: &[(&str, &[u8])] = &[("gz/a.csv.gz", &a), ("gz/b.csv.gz", &b)];
    for source in ["DIR/gz", "'DIR/gz/*.csv.gz'", "{ path: DIR/gz, compression: gzip }"] {
        csv_passes(files, source, checks);
    }
    csv_passes(&[("one.csv.gz", &a)], "DIR/one.csv.gz", "  - row_count: { min: 2, max: 2 }\n");
    let bz2 = {
        use std::io::Write;
        let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        encoder.write_all(b"id,score\n1,2\n2,4\n").unwrap();
        encoder.finish().unwrap()
    };
    csv_passes(
        &[("one.csv.bz2", &bz2)],
        "DIR/one.csv.bz2",
        "  - stat: { column: score, metric: sum, min: 6, max: 6 }\n",
    );
    // Compressed though not named so: `compression:` says it.
    csv_passes(
        &[("named.csv", &a)],
        "{ path: DIR/named.csv, compression: gzip }",
        "  - row_count: { min: 2, max: 2 }\n",
    );
}

#[test]
fn compressed_ndjson() {
    let lines = gzip(b"{\"id\": 1, \"score\": 2}\n{\"id\": 2, \"score\": null}\n");
    csv_passes(
        &[("rows.jsonl.gz", &lines)],
        "DIR/rows.jsonl.gz",
        "  - row_count: { min: 2, max: 2 }\n  - missing: { column: score, max: 1 }\n",
    );
}

#[test]
fn a_header_without_rows_is_an_empty_table() {
    csv_passes(
        &[("empty.csv", b"id,score\n")],
        "DIR/empty.csv",
        "  - row_count: { max: 0 }\n  - schema: { columns: { id: string, score: string } }\n",
    );
}

#[test]
fn csv_errors_name_the_cause() {
    let rows = (0..1500).fold(String::new(), |mut rows, i| {
        use std::fmt::Write;
        let _ = writeln!(rows, "{i},{i}");
        rows
    });
    let ragged_late = format!("id,score\n{rows}1500,7,8\n");
    let unparsed_late = format!("id,score\n{rows}1500,NA\n");
    for (bytes, expected) in [
        (&b"id,score\n1,2\n3,4,5\n"[..], "line 3 has 3 fields, the header has 2"),
        (ragged_late.as_bytes(), "line 1502 has 3 fields, the header has 2"),
        (unparsed_late.as_bytes(), "line 1502: the value `NA` in column `score` is not Int64"),
        (b"id;score\n1;2\n", "the header reads as one column, `id;score`, yet `;` seems to separate its names"),
        (b"id;amount\n1;2,5\n", "line 2 has 2 fields, the header has 1"),
        (b"id,name\n1,caf\xe9\n", "line 2, field 2 is not valid UTF-8"),
        (b"", "the file is empty: no header line and no rows"),
    ] {
        // `not_null: score` reads the column: a projection without it would not parse it.
        let (_dir, suite) = csv_case(&[("data.csv", bytes)], "DIR/data.csv", "  - not_null: score\n");
        let text = error_text(&suite);
        assert!(text.contains(expected), "expected `{expected}` in:\n{text}");
        assert!(!text.contains("corrupt or truncated"), "{text}");
    }
    // With null markers, values are cast from text: the same message.
    let (_dir, suite) = csv_case(
        &[("data.csv", unparsed_late.replace("1500,NA", "1500,x1").as_bytes())],
        "{ path: DIR/data.csv, null_values: [NA] }",
        "  - not_null: score\n",
    );
    let text = error_text(&suite);
    assert!(text.contains("line 1502: the value `x1` in column `score` is not Int64"), "{text}");
    let (_dir, suite) = csv_case(&[("data.csv", b"id;amount\n1;2,5\n")], "DIR/data.csv", "  - row_count: { min: 0 }\n");
    assert!(error_text(&suite).contains("add `delimiter: \";\"`"), "{}", error_text(&suite));
}
