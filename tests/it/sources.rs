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
