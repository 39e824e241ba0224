//! Plain result types shared by evaluation and every report format. Their
//! serde form *is* the JSON contract (docs/json.md); change it only with a
//! new `format_version`.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Map, Value as Json};

/// Version of the JSON result format.
pub const FORMAT_VERSION: u32 = 1;

/// Status of a check, and of a whole run (a run is never `skipped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Skipped,
    Warn,
    Fail,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Skipped => "skipped",
            Self::Warn => "warn",
            Self::Fail => "fail",
            Self::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RunOutcome {
    pub probity_version: &'static str,
    pub format_version: u32,
    pub status: Status,
    #[serde(serialize_with = "rfc3339")]
    pub started_at: DateTime<Utc>,
    /// The instant ages are measured from (`--now`, or the start time).
    #[serde(serialize_with = "rfc3339")]
    pub now: DateTime<Utc>,
    pub duration_ms: u64,
    /// What each dataset's source read, by dataset name (provenance).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub datasets: BTreeMap<String, DatasetRead>,
    pub suites: Vec<SuiteOutcome>,
    /// Problems that did not stop the run (e.g. an unreadable history file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// How the data was read where the reader should know (e.g. repeated CSV
    /// column names read as `name.1`); printed on stderr as `note:`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// What a dataset's source read, for provenance (docs/json.md): the files
/// listed, or the version of a Delta table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataRead {
    /// The files listed, in path order.
    Files(Vec<FileRead>),
    Delta(DeltaRead),
}

/// One file read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRead {
    /// The path (absolute) or URL.
    pub path: String,
    pub size: u64,
    /// Its last change, RFC 3339.
    pub modified: String,
    /// The store's `ETag`, where it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// The version of a Delta table read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeltaRead {
    pub version: u64,
    /// When that version was committed, RFC 3339 (from the table's log).
    pub committed: Option<String>,
    /// The version's data files and their total size in bytes.
    pub files: u64,
    pub bytes: u64,
}

/// A dataset's source as written, and what it read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetRead {
    /// The path or URL as the suite or `--data` gave it.
    pub source: String,
    #[serde(flatten)]
    pub read: DataRead,
}

impl DatasetRead {
    /// One line on what was read: `delta v12 (committed 2026-11-01T02:00:00.000Z), 3 files, 48211 bytes`
    /// or `1 file, 402113 bytes, modified 2026-11-01T09:30:00.000Z` (the newest of several).
    pub fn summary(&self) -> String {
        match &self.read {
            DataRead::Delta(d) => {
                let committed = d.committed.as_ref().map_or_else(String::new, |c| format!(" (committed {c})"));
                format!("delta v{}{committed}, {} files, {} bytes", d.version, d.files, d.bytes)
            }
            DataRead::Files(files) => {
                let bytes: u64 = files.iter().map(|f| f.size).sum();
                let newest = files.iter().map(|f| f.modified.as_str()).max().unwrap_or("-");
                match files.len() {
                    1 => format!("1 file, {bytes} bytes, modified {newest}"),
                    n => format!("{n} files, {bytes} bytes, newest modified {newest}"),
                }
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SuiteOutcome {
    pub file: String,
    /// The SHA-256 of the suite file's bytes as read (lowercase hex): which
    /// version of the expectations judged the data.
    pub file_sha256: String,
    pub dataset: String,
    /// What the suite's `reference:` read (provenance), if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<DatasetRead>,
    /// Rows of the dataset (all rows, before any check's `where`).
    pub rows: u64,
    pub checks: Vec<CheckOutcome>,
    /// Time to measure the dataset (its fused scan and grouped queries, shared
    /// by its checks). Not in the JSON, which stays byte-identical across runs.
    #[serde(skip)]
    pub duration: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    pub id: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    pub severity: &'static str,
    pub status: Status,
    pub observed: Map<String, Json>,
    pub threshold: Map<String, Json>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_sample: Option<Vec<Json>>,
    /// Time to judge the check and fetch its failing sample (the scan it
    /// shares is the suite's `duration`). Not in the JSON.
    #[serde(skip)]
    pub duration: Duration,
}

pub(crate) fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

impl RunOutcome {
    /// What a suite's data was (provenance in one line): its dataset's
    /// source and read, then its reference's.
    pub fn data_of(&self, suite: &SuiteOutcome) -> String {
        let mut parts = Vec::new();
        if let Some(read) = self.datasets.get(&suite.dataset) {
            parts.push(format!("{}: {}", read.source, read.summary()));
        }
        if let Some(read) = &suite.reference {
            parts.push(format!("reference {}: {}", read.source, read.summary()));
        }
        parts.join("; ")
    }

    pub fn checks(&self) -> impl Iterator<Item = &CheckOutcome> {
        self.suites.iter().flat_map(|s| s.checks.iter())
    }

    /// How many checks ended in `status`.
    pub fn count(&self, status: Status) -> usize {
        self.checks().filter(|c| c.status == status).count()
    }

    /// The run's status: the worst check status (skipped counts as pass).
    pub fn worst(checks: impl Iterator<Item = Status>) -> Status {
        match checks.max() {
            None | Some(Status::Skipped) => Status::Pass,
            Some(s) => s,
        }
    }
}
