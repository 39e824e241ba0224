//! The history of runs, for nightly validation: every run appends one record
//! per check to a Parquet store, and `trend` checks and `probity history`
//! read it back.
//!
//! Layout: `DIR/date=YYYY-MM-DD/<run id>.parquet`, one file per run, written
//! to a hidden temporary file and renamed into place. Appending is therefore
//! safe from any number of processes at once: no file is ever rewritten, a
//! run's file appears whole or not at all, and run ids are unique. The folder
//! is hive-partitioned Parquet, so any Parquet reader (probity itself
//! included) can query it.
//!
//! Reading is forgiving: a foreign or corrupt file is skipped with a warning,
//! never an error, because a damaged history must not stop today's checks.

use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use datafusion::arrow::array::{Array, AsArray, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit, TimestampMillisecondType};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use serde_json::Value as Json;

use crate::outcome::{CheckOutcome, RunOutcome};

/// One check's result in one run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Record {
    pub run_id: String,
    /// The run's `now` (`--now`, else when it started).
    #[serde(serialize_with = "crate::outcome::rfc3339")]
    pub time: DateTime<Utc>,
    /// The suite file.
    pub suite: String,
    pub dataset: String,
    pub check: String,
    pub kind: String,
    pub severity: String,
    pub status: String,
    /// The check's headline number (see [`headline`]); null when it had none.
    pub value: Option<f64>,
    /// Everything the check observed, as JSON text.
    pub observed: String,
    pub message: String,
    /// What data the run read for the suite ([`RunOutcome::data_of`]): the
    /// Delta version or the files' sizes and times. Empty in history files
    /// written before it was recorded.
    pub data: String,
}

/// Columns of a history file, in order.
fn schema() -> Arc<Schema> {
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    Arc::new(Schema::new(vec![
        text("run_id"),
        Field::new("time", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
        text("suite"),
        text("dataset"),
        text("check"),
        text("kind"),
        text("severity"),
        text("status"),
        Field::new("value", DataType::Float64, true),
        text("observed"),
        text("message"),
        text("data"),
    ]))
}

/// The number a check is followed by over time: `observed.value` where the
/// kind has one, else its test statistic, else the first top-level number.
pub fn headline(check: &CheckOutcome) -> Option<f64> {
    let o = &check.observed;
    ["value", "statistic", "fraction"]
        .iter()
        .find_map(|k| o.get(*k).and_then(Json::as_f64))
        .or_else(|| o.values().find_map(Json::as_f64))
}

/// A new run id: the time, then random hex so that runs started in the same
/// millisecond (by other processes, or other machines) never collide.
pub fn new_run_id(time: DateTime<Utc>) -> String {
    let mut h = RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    format!("{}-{:016x}", time.format("%Y%m%dT%H%M%S%.3fZ"), h.finish())
}

/// The records a run adds to the history.
pub fn records(run: &RunOutcome, run_id: &str) -> Vec<Record> {
    run.suites
        .iter()
        .flat_map(|s| {
            s.checks.iter().map(move |c| Record {
                run_id: run_id.to_string(),
                time: run.now,
                suite: s.file.clone(),
                dataset: s.dataset.clone(),
                check: c.id.clone(),
                kind: c.kind.clone(),
                severity: c.severity.to_string(),
                status: c.status.as_str().to_string(),
                value: headline(c),
                observed: Json::Object(c.observed.clone()).to_string(),
                message: c.message.clone(),
                data: run.data_of(s),
            })
        })
        .collect()
}

/// Appends a run to the history in `dir` (created if missing) under
/// `run_id` (see [`new_run_id`]); returns the file written.
pub fn append(dir: &Path, run: &RunOutcome, run_id: &str) -> Result<PathBuf, String> {
    let records = records(run, run_id);
    let folder = dir.join(format!("date={}", run.now.format("%Y-%m-%d")));
    let path = folder.join(format!("{run_id}.parquet"));
    let bytes = encode(&records).map_err(|e| format!("cannot encode the history record: {e}"))?;
    crate::util::files::write_atomic(&path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

fn encode(records: &[Record]) -> datafusion::error::Result<Vec<u8>> {
    let text = |f: fn(&Record) -> &str| Arc::new(StringArray::from_iter_values(records.iter().map(f))) as _;
    let batch = RecordBatch::try_new(
        schema(),
        vec![
            text(|r| &r.run_id),
            Arc::new(
                TimestampMillisecondArray::from_iter_values(records.iter().map(|r| r.time.timestamp_millis()))
                    .with_timezone("UTC"),
            ),
            text(|r| &r.suite),
            text(|r| &r.dataset),
            text(|r| &r.check),
            text(|r| &r.kind),
            text(|r| &r.severity),
            text(|r| &r.status),
            Arc::new(records.iter().map(|r| r.value).collect::<Float64Array>()),
            text(|r| &r.observed),
            text(|r| &r.message),
            text(|r| &r.data),
        ],
    )?;
    let props = WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::default())).build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(out)
}

/// What a history folder holds, and what could not be read.
#[derive(Debug, Default)]
pub struct History {
    /// Every record, oldest first (ties by run id, then file order).
    pub records: Vec<Record>,
    /// Files skipped, each with the reason.
    pub warnings: Vec<String>,
}

impl History {
    /// Reads every run in `dir`. A missing folder is an empty history (the
    /// first run); an unreadable folder is a warning.
    pub fn read(dir: &Path) -> History {
        let mut history = History::default();
        if !dir.exists() {
            return history;
        }
        let mut files = Vec::new();
        if let Err(e) = walk(dir, &mut files) {
            history.warnings.push(format!("cannot read the history folder {}: {e}", dir.display()));
        }
        files.sort();
        for path in files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.starts_with('.') {
                continue; // another run's file being written
            }
            if !name.ends_with(".parquet") {
                history.warnings.push(format!("history: ignoring {}, not a history file", path.display()));
                continue;
            }
            match read_file(&path) {
                Ok(mut records) => history.records.append(&mut records),
                Err(e) => history.warnings.push(format!("history: skipping {}: {e}", path.display())),
            }
        }
        history.records.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.run_id.cmp(&b.run_id)));
        history
    }

    /// Past headline values of a check, oldest first, from runs that
    /// measured it (any status but error; a `trend` skipped for too little
    /// history still measured its value).
    pub fn values(&self, check: &str) -> Vec<f64> {
        self.records.iter().filter(|r| r.check == check && r.status != "error").filter_map(|r| r.value).collect()
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<Vec<Record>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let not_parquet = |e: datafusion::parquet::errors::ParquetError| format!("not a readable Parquet file ({e})");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).map_err(not_parquet)?.build().map_err(not_parquet)?;
    let expected = schema();
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| format!("corrupt ({e})"))?;
        // Files from before the `data` column have the others alone.
        let fields = batch.schema().fields().clone();
        let older = fields.len() + 1 == expected.fields().len() && fields[..] == expected.fields()[..fields.len()];
        if fields != *expected.fields() && !older {
            return Err("a Parquet file, but not probity history (its columns differ)".into());
        }
        let text = |i: usize| batch.column(i).as_string::<i32>().clone();
        let (run_id, suite, dataset, check, kind, severity, status, observed, message) =
            (text(0), text(2), text(3), text(4), text(5), text(6), text(7), text(9), text(10));
        let time = batch.column(1).as_primitive::<TimestampMillisecondType>();
        let value = batch.column(8).as_primitive::<datafusion::arrow::datatypes::Float64Type>();
        let data = (!older).then(|| text(11));
        for i in 0..batch.num_rows() {
            out.push(Record {
                run_id: run_id.value(i).to_string(),
                time: Utc.timestamp_millis_opt(time.value(i)).single().ok_or("a time out of range")?,
                suite: suite.value(i).to_string(),
                dataset: dataset.value(i).to_string(),
                check: check.value(i).to_string(),
                kind: kind.value(i).to_string(),
                severity: severity.value(i).to_string(),
                status: status.value(i).to_string(),
                value: value.is_valid(i).then(|| value.value(i)),
                observed: observed.value(i).to_string(),
                message: message.value(i).to_string(),
                data: data.as_ref().map_or_else(String::new, |d| d.value(i).to_string()),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::fixture;

    #[test]
    fn a_run_round_trips_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let run = fixture();
        let path = append(dir.path(), &run, "r1").unwrap();
        assert!(path.starts_with(dir.path().join("date=2026-11-01")), "{}", path.display());
        let h = History::read(dir.path());
        assert!(h.warnings.is_empty(), "{:?}", h.warnings);
        assert_eq!(h.records.len(), run.checks().count());
        let stat = h.records.iter().find(|r| r.check == "loans.stat.amount").unwrap();
        assert_eq!((stat.status.as_str(), stat.value), ("fail", Some(108_921.938_668_8)));
        assert!(h.records.iter().all(|r| ["pass", "skipped", "warn", "fail", "error"].contains(&r.status.as_str())));
        assert_eq!(h.values("loans.stat.amount"), vec![108_921.938_668_8]);
        // A check that could not be judged contributes no past value; a skipped one its measured value.
        assert!(h.values("loans.drift.income#2").is_empty());
        assert_eq!(h.values("loans.trend.row_count"), vec![8000.0]);
        // Which data each check saw: the fixture's loans file and its size.
        assert_eq!(stat.data, "datasets/dirty/loans.parquet: 1 file, 402113 bytes, modified 2026-11-01T09:30:00.000Z",);
    }

    /// History written before the `data` column reads, with no data.
    #[test]
    fn files_without_the_data_column_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = append(dir.path(), &fixture(), "r1").unwrap();
        let file = File::open(&path).unwrap();
        let batch = ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap().next().unwrap().unwrap();
        let older = batch.project(&(0..batch.num_columns() - 1).collect::<Vec<_>>()).unwrap();
        let mut bytes = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut bytes, older.schema(), None).unwrap();
        writer.write(&older).unwrap();
        writer.close().unwrap();
        std::fs::write(&path, bytes).unwrap();
        let h = History::read(dir.path());
        assert!(h.warnings.is_empty(), "{:?}", h.warnings);
        assert_eq!(h.records.len(), fixture().checks().count());
        assert!(h.records.iter().all(|r| r.data.is_empty()));
    }

    #[test]
    fn foreign_and_corrupt_files_are_skipped_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        append(dir.path(), &fixture(), "r1").unwrap();
        let day = dir.path().join("date=2026-11-01");
        std::fs::write(day.join("notes.txt"), "hello").unwrap();
        std::fs::write(day.join("broken.parquet"), b"PAR1 not really").unwrap();
        std::fs::write(day.join(".in-progress.parquet.123.tmp"), b"").unwrap();
        let h = History::read(dir.path());
        assert_eq!(h.records.len(), fixture().checks().count());
        assert_eq!(h.warnings.len(), 2, "{:?}", h.warnings);
        assert!(h.warnings.iter().any(|w| w.contains("notes.txt") && w.contains("not a history file")));
        assert!(h.warnings.iter().any(|w| w.contains("broken.parquet") && w.contains("not a readable Parquet")));
    }

    #[test]
    fn a_missing_folder_is_an_empty_history() {
        let h = History::read(Path::new("/nonexistent/probity/history"));
        assert!(h.records.is_empty() && h.warnings.is_empty());
    }

    #[test]
    fn run_ids_are_unique_within_a_millisecond() {
        let t = Utc::now();
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_run_id(t)).collect();
        assert_eq!(ids.len(), 1000);
    }
}
