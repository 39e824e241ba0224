//! Names that YAML 1.1 reads as booleans (`y`, `n`, `yes`, `no`, `on`,
//! `off`, Norway's `NO`) are names wherever the format takes one: columns,
//! column lists, schema keys, dataset names, `references` targets, group
//! values and categories. Keys that mean a boolean still take those words.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::parquet::arrow::ArrowWriter;

use probity::Status;

use crate::common::{block_on, request};

fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// Eight rows whose every column is named like a YAML 1.1 boolean.
fn table(shift: f64) -> RecordBatch {
    let strings = |v: &[&str]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
    RecordBatch::try_from_iter(vec![
        ("y", strings(&["y", "n", "y", "n", "y", "n", "y", "n"])),
        ("n", Arc::new(Int64Array::from(vec![1, 0, 1, 1, 0, 0, 1, 0])) as ArrayRef),
        ("yes", strings(&["a", "b", "c", "d", "e", "f", "g", "h"])),
        (
            "no",
            Arc::new(Float64Array::from([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0].map(|x| x + shift).to_vec()))
                as ArrayRef,
        ),
        ("on", strings(&["on", "off", "on", "off", "on", "off", "on", "off"])),
        ("off", Arc::new(Int64Array::from(vec![1, 2, 3, 1, 2, 3, 1, 2])) as ArrayRef),
        ("NO", strings(&["NO", "SE", "NO", "NO", "SE", "NO", "NO", "SE"])),
    ])
    .unwrap()
}

const SUITE: &str = r"version: 1
dataset: { name: yes, source: DIR/current.parquet }
reference: DIR/reference.parquet
datasets:
  no: DIR/lookup.parquet
checks:
  - schema: { columns: { y: string, n: int64, NO: string }, required: [yes, on, off], extra_columns: allow }
  - not_null: y
  - not_null: { column: n }
  - unique: yes
  - unique: [yes, NO]
  - missing: { column: no, max: 0 }
  - between: { column: off, min: 1, max: 3, strict: no }
  - between: { column: no, min: 0, max: 100, strict: yes }
  - in_set: { column: NO, values: [NO, SE] }
  - in_set: { column: on, values: [on, off] }
  - in_set: { column: y, values: [y, n] }
  - regex: { column: on, pattern: '^o' }
  - length: { column: NO, min: 2, max: 2 }
  - stat: { column: no, metric: mean, between: [0, 100] }
  - references: { column: off, to: no.off }
  - drift: { column: on, test: chi2, min_p_value: 0.01 }
  - drift: { column: no, test: ks, max_statistic: 1, fdr: on }
  - fairness:
      groups: [on]
      prediction: y
      label: n
      favorable: y
      favorable_label: 1
      metric: demographic_parity_ratio
      method: to_reference
      reference_group: on
      min_group_size: 1
      min: 0
  - fairness:
      name: by_country
      groups: [NO]
      prediction: y
      favorable: y
      metric: demographic_parity_difference
      method: to_reference
      reference_group: [NO]
      min_group_size: 1
      max: 1
";

#[test]
fn yaml_1_1_boolean_words_are_names_everywhere_a_name_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(&dir.path().join("current.parquet"), &table(0.0));
    write_parquet(&dir.path().join("reference.parquet"), &table(0.5));
    write_parquet(&dir.path().join("lookup.parquet"), &table(0.0));
    let suite = dir.path().join("names.yaml");
    std::fs::write(&suite, SUITE.replace("DIR", &dir.path().to_string_lossy())).unwrap();

    let outcome = block_on(probity::run(&request(&[suite.to_str().unwrap()]))).unwrap_or_else(|e| panic!("{e}"));
    let suite = &outcome.suites[0];
    assert_eq!(suite.dataset, "yes");
    let statuses: Vec<(String, String)> = suite
        .checks
        .iter()
        .map(|c| (c.id.clone(), serde_json::to_value(c.status).unwrap().as_str().unwrap().to_string()))
        .collect();
    let not_passing: Vec<(&str, &str)> =
        suite.checks.iter().filter(|c| c.status != Status::Pass).map(|c| (c.id.as_str(), c.message.as_str())).collect();
    assert!(not_passing.is_empty(), "{not_passing:#?}");
    assert_eq!(statuses.len(), 19);
    // The words reached the checks as the names they spell.
    let ids: Vec<&str> = statuses.iter().map(|(id, _)| id.as_str()).collect();
    assert!(ids.contains(&"yes.not_null.y") && ids.contains(&"yes.in_set.NO"), "{ids:?}");
    let fairness = suite.checks.iter().find(|c| c.kind == "fairness").unwrap();
    let observed = serde_json::to_string(&fairness.observed).unwrap();
    assert!(observed.contains("\"on\"") && observed.contains("\"off\""), "group values are strings: {observed}");
}
