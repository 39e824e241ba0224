//! Expectation files: YAML text -> node tree with positions (`yaml`) ->
//! validated, typed [`Suite`]s. Every problem in a file is reported in one
//! pass, each with its <file:line:col> (see `diagnostic`).
//!
//! Checking names against the data (does the column exist, has it the right
//! type) needs the data's schema and happens later, in `compile`, with the
//! same kind of diagnostics.

pub mod diagnostic;
pub mod params;
pub mod yaml;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use diagnostic::{Diagnostic, Diagnostics, SourceFile, did_you_mean};
use params::{Params, Sql};
use yaml::{Node, Span, Value};

pub use params::{Column, Limit};

/// Keys every check accepts besides its own.
pub const COMMON_KEYS: [&str; 4] = ["name", "severity", "where", "description"];

const TOP_KEYS: [&str; 7] = ["version", "dataset", "reference", "datasets", "defaults", "storage", "checks"];

/// The keys of `storage:` (non-secret object-store settings).
const STORAGE_KEYS: [&str; 4] = ["endpoint", "region", "allow_http", "timeout"];

/// A check kind as the loader knows it: its YAML name, the keys it accepts
/// besides the common ones, and the parser of its parameters into a `K`
/// (`None` after reporting problems; the parser may take the common
/// `where`, see `condition`). The layer that defines kinds hands the loader
/// their list ([`load`]), so that this layer knows no kind.
pub struct KindEntry<K> {
    pub name: &'static str,
    /// The keys it accepts besides `name`, `severity`, `where`, `description`.
    pub keys: &'static [&'static str],
    /// Reads the kind's parameters.
    pub parse: fn(&mut Params<'_>, &mut Option<Sql>) -> Option<K>,
}

/// The names of `kinds`, in their order (for help lines).
pub fn kind_names<K>(kinds: &[KindEntry<K>]) -> Vec<&'static str> {
    kinds.iter().map(|k| k.name).collect()
}

/// One expectation file, its checks parsed into `K`s.
#[derive(Debug)]
pub struct Suite<K> {
    pub file: Arc<SourceFile>,
    pub dataset: DatasetDecl,
    /// The baseline for drift checks; parsed and registered, used by drift.
    pub reference: Option<Source>,
    /// Further datasets the checks refer to (e.g. the target of `references`).
    pub datasets: Vec<DatasetDecl>,
    pub checks: Vec<Check<K>>,
}

/// A named dataset and where its data is.
#[derive(Debug, Clone)]
pub struct DatasetDecl {
    pub name: String,
    pub name_span: Span,
    pub source: Source,
}

/// Where data is read from (a file, a glob or a hive-partitioned folder) and
/// how to read it. Written as a path, or as a mapping with `path` and the
/// reading options (docs/sources.md).
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub path: String,
    /// `None`: from the file extension.
    pub format: Option<Format>,
    /// `None`: from the file extension (`.csv.gz`), else uncompressed.
    pub compression: Option<Compression>,
    pub csv: CsvOptions,
    /// Object-store settings from the suite's `storage:` (for `s3://` paths).
    pub storage: Storage,
    /// The version of a Delta table to read (`version:`, `timestamp:`);
    /// `None`: the latest.
    pub delta_version: Option<DeltaVersion>,
    /// `None` when the path came from the command line.
    pub span: Option<Span>,
}

/// Which version of a Delta table a source reads (docs/sources.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeltaVersion {
    /// `version: N`.
    Version(u64),
    /// `version: previous` (1) or `version: -N`: N commits before the latest.
    BeforeLatest(u64),
    /// `timestamp: RFC3339`: the last version committed at or before it, as written.
    Timestamp(String),
}

impl fmt::Display for DeltaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Version(v) => write!(f, "version {v}"),
            Self::BeforeLatest(1) => write!(f, "the version before the latest"),
            Self::BeforeLatest(n) => write!(f, "{n} versions before the latest"),
            Self::Timestamp(t) => write!(f, "the version as of {t}"),
        }
    }
}

/// Non-secret settings of the object store a suite's `s3://` sources are
/// read from (`storage:`); the `AWS_*` environment variables give the rest,
/// credentials included. A setting here wins over the environment's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Storage {
    /// An S3-compatible server's URL (`MinIO`, Ceph, moto), e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Whether plain `http://` endpoints are allowed.
    pub allow_http: Option<bool>,
    /// How long one request may take before it fails, in seconds.
    pub timeout: Option<f64>,
}

impl Source {
    /// The same source read from another path (`--data NAME=PATH`): the
    /// reading options stay; the format is the new path's when its name tells.
    /// A Delta table's version stays, unless the new path names a file.
    #[must_use]
    pub fn with_path(&self, path: &str) -> Self {
        let file = Format::from_path(path).is_some();
        let format = if file { None } else { self.format };
        let compression = if Compression::from_path(path).is_some() { None } else { self.compression };
        Self {
            path: path.to_string(),
            format,
            compression,
            csv: self.csv.clone(),
            storage: self.storage.clone(),
            delta_version: if file { None } else { self.delta_version.clone() },
            span: None,
        }
    }
}

/// How to read CSV files; `None` is the default (`,`, `"`, a header line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvOptions {
    pub delimiter: Option<u8>,
    pub quote: Option<u8>,
    pub header: Option<bool>,
    /// Field texts read as null besides the empty field (always null).
    pub null_values: Vec<String>,
}

impl CsvOptions {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Parquet,
    Csv,
    Json,
    Arrow,
    /// A Delta Lake table: a folder with `_delta_log/` (never implied by a file name).
    Delta,
}

impl Format {
    pub const NAMES: [&'static str; 5] = ["parquet", "csv", "json", "arrow", "delta"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "parquet" => Some(Self::Parquet),
            "csv" => Some(Self::Csv),
            "json" | "jsonl" | "ndjson" => Some(Self::Json),
            "arrow" | "ipc" | "feather" => Some(Self::Arrow),
            "delta" => Some(Self::Delta),
            _ => None,
        }
    }

    /// The format a path's extension implies (`data.parquet`, `*.csv`,
    /// `data.csv.gz`, ...).
    pub fn from_path(path: &str) -> Option<Self> {
        let path = Compression::strip(path);
        let ext = Path::new(path).extension()?.to_str()?;
        Self::from_name(ext).filter(|f| *f != Self::Delta)
    }

    /// File extensions listed when the source is a folder.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            // A Delta table's data files (listed by its log, not by name).
            Self::Parquet | Self::Delta => &[".parquet"],
            Self::Csv => &[".csv"],
            Self::Json => &[".json", ".jsonl", ".ndjson"],
            Self::Arrow => &[".arrow", ".ipc", ".feather"],
        }
    }

    /// Whether DataFusion decompresses files of this format while reading.
    pub fn compressible(self) -> bool {
        matches!(self, Self::Csv | Self::Json)
    }
}

/// The compression of CSV and NDJSON files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Compression {
    pub const NAMES: [&'static str; 5] = ["gzip", "bzip2", "xz", "zstd", "none"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "none" | "uncompressed" => Some(Self::None),
            "gzip" | "gz" => Some(Self::Gzip),
            "bzip2" | "bz2" => Some(Self::Bzip2),
            "xz" => Some(Self::Xz),
            "zstd" | "zst" => Some(Self::Zstd),
            _ => None,
        }
    }

    /// The file name suffix of compressed files (`.gz`); empty for none.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Gzip => ".gz",
            Self::Bzip2 => ".bz2",
            Self::Xz => ".xz",
            Self::Zstd => ".zst",
        }
    }

    /// The compression a path's last extension implies (`data.csv.gz`).
    pub fn from_path(path: &str) -> Option<Self> {
        let ext = Path::new(path).extension()?.to_str()?;
        Self::from_name(ext).filter(|c| *c != Self::None && c.suffix()[1..].eq_ignore_ascii_case(ext))
    }

    /// The path without its compression suffix.
    pub fn strip(path: &str) -> &str {
        match Self::from_path(path) {
            Some(c) => &path[..path.len() - c.suffix().len()],
            None => path,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Parquet => "parquet",
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Arrow => "arrow",
            Self::Delta => "delta",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warn,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// One check as declared, with the parts every kind shares.
#[derive(Debug)]
pub struct Check<K> {
    pub kind: K,
    /// The kind's name as written in YAML (its registry entry's).
    pub kind_name: &'static str,
    pub name: Option<String>,
    pub severity: Severity,
    /// Row filter: the check looks only at rows where this holds.
    pub filter: Option<Sql>,
    pub description: Option<String>,
    /// Where the check's kind key is written.
    pub span: Span,
}

/// Expands files and folders (their `*.yaml` / `*.yml`, sorted) into suite paths.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| format!("cannot read folder {}: {e}", path.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(format!("no expectation files (*.yaml, *.yml) in folder {}", path.display()));
            }
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// Reads and validates the given suite files, collecting every problem.
/// Suites come back with their valid checks even when others have problems,
/// so that later steps can report theirs in the same pass.
pub fn load<K>(paths: &[PathBuf], kinds: &[KindEntry<K>]) -> (Vec<Suite<K>>, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut suites = Vec::new();
    for path in paths {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                let file = Arc::new(SourceFile { path: path.clone(), text: String::new() });
                diags.push(Diagnostic::new(&file, None, format!("cannot read expectation file: {e}")));
                continue;
            }
        };
        let file = Arc::new(SourceFile { path: path.clone(), text });
        if let Some(suite) = parse_suite(&file, kinds, &mut diags) {
            suites.push(suite);
        }
    }
    check_names_unique(&suites, &mut diags);
    (suites, diags)
}

/// Validates one file's text into a suite.
pub fn parse_suite<K>(file: &Arc<SourceFile>, kinds: &[KindEntry<K>], diags: &mut Diagnostics) -> Option<Suite<K>> {
    let root = match yaml::parse(&file.text) {
        Ok(root) => root,
        Err(e) => {
            let help = yaml_error_help(&file.text, &e);
            diags.push(Diagnostic::new(file, e.span, format!("invalid YAML: {}", e.message)).with_help(help));
            return None;
        }
    };
    let Value::Map(entries) = &root.value else {
        diags.push(
            Diagnostic::new(
                file,
                Some(root.span),
                format!("an expectation file is a mapping, found {}", root.describe()),
            )
            .with_help(Some("start with `version: 1`, then `dataset:` and `checks:`".into())),
        );
        return None;
    };
    let mut version = None;
    let mut dataset = None;
    let mut reference = None;
    let mut datasets = Vec::new();
    let mut default_severity = Severity::Error;
    let mut checks_node = None;
    let mut storage = Storage::default();
    for (key, value) in entries {
        match key.as_str() {
            Some("version") => version = Some(value),
            Some("storage") => storage = parse_storage(file, value, diags),
            Some("dataset") => dataset = parse_dataset(file, value, diags),
            Some("reference") => reference = parse_source(file, value, diags),
            Some("datasets") => datasets = parse_datasets(file, value, diags),
            Some("defaults") => default_severity = parse_defaults(file, value, diags),
            Some("checks") => checks_node = Some(value),
            other => {
                let name = other.unwrap_or("?");
                diags.push(
                    Diagnostic::new(file, Some(key.span), format!("unknown top-level key `{name}`"))
                        .with_help(Some(did_you_mean(name, &TOP_KEYS))),
                );
            }
        }
    }
    match version {
        None => diags.push(
            Diagnostic::new(file, Some(root.span), "missing `version`")
                .with_help(Some("add `version: 1` at the top".into())),
        ),
        Some(v) if !matches!(v.value, Value::Int(1)) => diags.push(
            Diagnostic::new(file, Some(v.span), "unsupported version")
                .with_help(Some("this probity reads `version: 1`".into())),
        ),
        Some(_) => {}
    }
    if dataset.is_none() && !entries.iter().any(|(k, _)| k.as_str() == Some("dataset")) {
        diags.push(
            Diagnostic::new(file, Some(root.span), "missing `dataset`")
                .with_help(Some("add `dataset: { name: loans, source: datasets/loans.parquet }`".into())),
        );
    }
    let checks = if let Some(node) = checks_node {
        parse_checks(file, node, kinds, default_severity, diags)
    } else {
        diags.push(
            Diagnostic::new(file, Some(root.span), "missing `checks`")
                .with_help(Some("add `checks:` with a list of checks, e.g. `- row_count: { min: 1 }`".into())),
        );
        Vec::new()
    };
    if version.is_none_or(|v| !matches!(v.value, Value::Int(1))) {
        return None;
    }
    let mut dataset = dataset?;
    for source in
        std::iter::once(&mut dataset.source).chain(reference.as_mut()).chain(datasets.iter_mut().map(|d| &mut d.source))
    {
        source.storage = storage.clone();
    }
    Some(Suite { file: Arc::clone(file), dataset, reference, datasets, checks })
}

/// What to tell the reader about a YAML syntax error, from the cause the
/// text shows rather than the parser's wording.
fn yaml_error_help(text: &str, e: &yaml::YamlError) -> Option<String> {
    if e.message.contains("illegal placement of ':' indicator") {
        // A `:` met inside a `[` or `{` left open on an earlier line.
        return Some("a `[` or `{` opened on an earlier line is not closed".to_string());
    }
    if !e.message.contains("did not find expected") {
        return None;
    }
    let line = e.span.and_then(|s| text.lines().nth(s.line.saturating_sub(1) as usize)).unwrap_or("");
    let has_checks_key = text.lines().any(|l| l.trim_end().starts_with("checks:"));
    if line.trim_start().starts_with("- ") && !has_checks_key {
        // A list of checks written under the dataset, without its key.
        return Some("this list has no key: add `checks:` on its own line above the first check".to_string());
    }
    // The parser notices an unclosed `{` or `[` only where the next entry
    // starts, so point the reader at the lines before too.
    Some("a `{`, `[` or quote opened on this line or an earlier one is not closed".to_string())
}

fn map_entries<'a>(
    file: &Arc<SourceFile>,
    node: &'a Node,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<&'a [(Node, Node)]> {
    if let Value::Map(entries) = &node.value {
        Some(entries)
    } else {
        diags.push(Diagnostic::new(
            file,
            Some(node.span),
            format!("`{what}` must be a mapping, found {}", node.describe()),
        ));
        None
    }
}

fn unknown_key(file: &Arc<SourceFile>, key: &Node, within: &str, valid: &[&str], diags: &mut Diagnostics) {
    let name = key.as_str().unwrap_or("?");
    diags.push(
        Diagnostic::new(file, Some(key.span), format!("unknown key `{name}` in `{within}`"))
            .with_help(Some(did_you_mean(name, valid))),
    );
}

fn parse_dataset(file: &Arc<SourceFile>, node: &Node, diags: &mut Diagnostics) -> Option<DatasetDecl> {
    let entries = map_entries(file, node, "dataset", diags)?;
    let mut name = None;
    let mut source_node = None;
    let mut format = None;
    for (key, value) in entries {
        match key.as_str() {
            Some("name") => match value.as_str() {
                Some(s) if is_identifier(s) => name = Some((s.to_string(), value.span)),
                _ => diags.push(
                    Diagnostic::new(
                        file,
                        Some(value.span),
                        "a dataset name is letters, digits and `_`, starting with a letter",
                    )
                    .with_help(Some("for example `name: loans`".into())),
                ),
            },
            Some("source") => source_node = Some(value),
            Some("format") => format = Some(value),
            _ => unknown_key(file, key, "dataset", &["name", "source", "format"], diags),
        }
    }
    let Some((name, name_span)) = name else {
        if !entries.iter().any(|(k, _)| k.as_str() == Some("name")) {
            diags.push(Diagnostic::new(file, Some(node.span), "`dataset` needs a `name`"));
        }
        return None;
    };
    let Some(source_node) = source_node else {
        diags.push(
            Diagnostic::new(file, Some(node.span), "`dataset` needs a `source`")
                .with_help(Some("a file, a glob or a folder, e.g. `source: datasets/loans.parquet`".into())),
        );
        return None;
    };
    let source = source_from(file, source_node, format, diags)?;
    Some(DatasetDecl { name, name_span, source })
}

/// `reference: path` or `reference: { source: path, format: csv }` (where
/// `source` may be a mapping with reading options).
fn parse_source(file: &Arc<SourceFile>, node: &Node, diags: &mut Diagnostics) -> Option<Source> {
    if node.as_str().is_some() {
        return source_from(file, node, None, diags);
    }
    // `reference: { delta: ..., version: previous }`, `{ path: ..., header: false }`:
    // the source's own mapping.
    if let Value::Map(entries) = &node.value
        && !entries.iter().any(|(k, _)| k.as_str() == Some("source"))
        && entries.iter().any(|(k, _)| matches!(k.as_str(), Some("path" | "delta")))
    {
        return source_from(file, node, None, diags);
    }
    let entries = map_entries(file, node, "reference", diags)?;
    let mut source_node = None;
    let mut format = None;
    for (key, value) in entries {
        match key.as_str() {
            Some("source") => source_node = Some(value),
            Some("format") => format = Some(value),
            _ => unknown_key(file, key, "reference", &["source", "format"], diags),
        }
    }
    let Some(source_node) = source_node else {
        diags.push(Diagnostic::new(file, Some(node.span), "`reference` needs a `source`"));
        return None;
    };
    source_from(file, source_node, format, diags)
}

/// `storage: { endpoint: http://127.0.0.1:9000, region: us-east-1, allow_http: true, timeout: 30 }`.
/// Secrets are refused: they come from the environment only.
fn parse_storage(file: &Arc<SourceFile>, node: &Node, diags: &mut Diagnostics) -> Storage {
    let mut storage = Storage::default();
    let Some(entries) = map_entries(file, node, "storage", diags) else { return storage };
    for (key, value) in entries {
        let name = key.as_str().unwrap_or("?");
        let text = value.as_str().filter(|s| !s.trim().is_empty()).map(str::to_string);
        let mut bad = |what: &str| {
            diags.push(Diagnostic::new(file, Some(value.span), format!("`storage.{name}` must be {what}")));
        };
        match name {
            "endpoint" if text.as_ref().is_some_and(|t| t.contains('@')) => diags.push(
                Diagnostic::new(
                    file,
                    Some(key.span),
                    "`storage.endpoint` holds credentials; suite files never hold secrets",
                )
                .with_help(Some(
                    "write the endpoint without `user:password@`; credentials come from the environment".into(),
                ))
                .unquoted(),
            ),
            "endpoint" => match text {
                Some(t) if t.starts_with("http://") || t.starts_with("https://") => storage.endpoint = Some(t),
                _ => bad("a URL such as `http://127.0.0.1:9000`"),
            },
            "region" => match text {
                Some(t) => storage.region = Some(t),
                None => bad("a region name such as `us-east-1`"),
            },
            "allow_http" => match yes_or_no(value) {
                Some(b) => storage.allow_http = Some(b),
                None => bad("true or false"),
            },
            "timeout" => match value.as_f64().filter(|t| t.is_finite() && *t > 0.0) {
                Some(t) => storage.timeout = Some(t),
                None => bad("a number of seconds above 0"),
            },
            _ if is_secret_key(name) => diags.push(
                Diagnostic::new(
                    file,
                    Some(key.span),
                    format!("`storage.{name}` looks like a secret; suite files never hold secrets"),
                )
                .with_help(Some(
                    "set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment instead"
                        .into(),
                ))
                .unquoted(),
            ),
            _ => unknown_key(file, key, "storage", &STORAGE_KEYS, diags),
        }
    }
    storage
}

/// Whether a key names a credential (`access_key`, `secret`, `token`, ...).
fn is_secret_key(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["secret", "token", "password", "access_key", "key_id", "credential"].iter().any(|s| name.contains(s))
}

/// `datasets: { customers: datasets/customers.parquet, ... }`
fn parse_datasets(file: &Arc<SourceFile>, node: &Node, diags: &mut Diagnostics) -> Vec<DatasetDecl> {
    let Some(entries) = map_entries(file, node, "datasets", diags) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in entries {
        let Some(name) = key.as_str().filter(|s| is_identifier(s)) else {
            diags.push(Diagnostic::new(
                file,
                Some(key.span),
                "a dataset name is letters, digits and `_`, starting with a letter",
            ));
            continue;
        };
        if let Some(source) = parse_source(file, value, diags) {
            out.push(DatasetDecl { name: name.to_string(), name_span: key.span, source });
        }
    }
    out
}

/// Keys of a source written as a mapping.
const SOURCE_KEYS: [&str; 10] =
    ["path", "delta", "version", "timestamp", "format", "compression", "delimiter", "quote", "header", "null_values"];
/// The keys of [`SOURCE_KEYS`] that only CSV files have.
const CSV_KEYS: [&str; 4] = ["delimiter", "quote", "header", "null_values"];

/// A `source:` value: a path, or `{ path, format, compression, delimiter,
/// quote, header, null_values }`. `format` is the key written beside
/// `source:` (the older form), if any.
fn source_from(file: &Arc<SourceFile>, node: &Node, format: Option<&Node>, diags: &mut Diagnostics) -> Option<Source> {
    let entries = match &node.value {
        Value::Str(path) if !path.trim().is_empty() => &[][..],
        Value::Map(entries) => entries.as_slice(),
        _ => {
            diags.push(
                Diagnostic::new(
                    file,
                    Some(node.span),
                    format!("`source` must be a path or a mapping, found {}", node.describe()),
                )
                .with_help(Some(
                    "for example `source: data.csv` or `source: { path: data.csv, delimiter: \";\" }`".into(),
                )),
            );
            return None;
        }
    };
    let before = diags.len();
    let mut source =
        Source { path: node.as_str().unwrap_or_default().to_string(), span: Some(node.span), ..Source::default() };
    let mut format_node = format;
    let mut csv_keys = Vec::new();
    let mut delta_keys = Vec::new();
    for (key, value) in entries {
        let name = key.as_str().unwrap_or("?");
        if CSV_KEYS.contains(&name) {
            csv_keys.push(key);
        }
        match name {
            "path" => match value.as_str().filter(|s| !s.trim().is_empty()) {
                Some(path) => source.path = path.to_string(),
                None => diags.push(Diagnostic::new(
                    file,
                    Some(value.span),
                    format!("`path` must be a file, a glob or a folder, found {}", value.describe()),
                )),
            },
            "delta" => match value.as_str().filter(|s| !s.trim().is_empty()) {
                Some(path) => {
                    source.path = path.to_string();
                    source.format = Some(Format::Delta);
                }
                None => diags.push(Diagnostic::new(
                    file,
                    Some(value.span),
                    format!("`delta` must be a table's folder or URL, found {}", value.describe()),
                )),
            },
            "version" | "timestamp" => {
                delta_keys.push(key);
                if let Some(v) = delta_version(file, name, value, diags) {
                    source.delta_version = Some(v);
                }
            }
            "format" => {
                if format.is_some() {
                    diags.push(
                        Diagnostic::new(file, Some(key.span), "`format` is given twice")
                            .with_help(Some("keep the one inside `source:`".into())),
                    );
                }
                format_node = Some(value);
            }
            "compression" => source.compression = compression(file, value, diags),
            "delimiter" => source.csv.delimiter = one_character(file, "delimiter", value, diags),
            "quote" => source.csv.quote = one_character(file, "quote", value, diags),
            "header" => match yes_or_no(value) {
                Some(header) => source.csv.header = Some(header),
                None => diags.push(Diagnostic::new(
                    file,
                    Some(value.span),
                    format!("`header` must be true or false, found {}", value.describe()),
                )),
            },
            "null_values" => source.csv.null_values = null_values(file, value, diags),
            _ => unknown_key(file, key, "source", &SOURCE_KEYS, diags),
        }
    }
    if url_holds_credentials(&source.path) {
        diags.push(
            Diagnostic::new(file, Some(node.span), "the source URL holds credentials; suite files never hold secrets")
                .with_help(Some("write the URL without `user:password@`; credentials come from the environment".into()))
                .unquoted(),
        );
    }
    let has = |name: &str| entries.iter().any(|(k, _)| k.as_str() == Some(name));
    if !entries.is_empty() && !has("path") && !has("delta") {
        diags.push(
            Diagnostic::new(file, Some(node.span), "`source` needs a `path`")
                .with_help(Some("a file, a glob or a folder, e.g. `path: datasets/loans.csv`".into())),
        );
    }
    if has("path") && has("delta") {
        diags.push(
            Diagnostic::new(file, Some(node.span), "`path` and `delta` are both given")
                .with_help(Some("a Delta table is `delta: FOLDER_OR_URL`; keep one of them".into())),
        );
    }
    if delta_keys.len() > 1 {
        diags.push(
            Diagnostic::new(file, Some(delta_keys[1].span), "`version` and `timestamp` are both given")
                .with_help(Some("a table is read at one version: keep one of them".into())),
        );
    }
    if let Some(f) = format_node {
        match f.as_str().and_then(Format::from_name) {
            Some(fmt) => source.format = Some(fmt),
            None => {
                let name = f.as_str().unwrap_or("?");
                diags.push(
                    Diagnostic::new(file, Some(f.span), format!("unknown format `{name}`"))
                        .with_help(Some(did_you_mean(name, &Format::NAMES))),
                );
            }
        }
    }
    if source.format != Some(Format::Delta) {
        for key in &delta_keys {
            diags.push(
                Diagnostic::new(
                    file,
                    Some(key.span),
                    format!("`{}` applies to Delta tables", key.as_str().unwrap_or("?")),
                )
                .with_help(Some("write the table as `delta: FOLDER_OR_URL` (or add `format: delta`)".into())),
            );
        }
    }
    if (source.csv.delimiter.is_some() || source.csv.quote.is_some()) && source.csv.delimiter == source.csv.quote {
        diags.push(Diagnostic::new(file, Some(node.span), "`delimiter` and `quote` must differ"));
    }
    // Options of another format: a mistake whenever the format is known here
    // (a folder's format is known only when opening it; see engine::source).
    if let Some(format) = source.format.or_else(|| Format::from_path(&source.path)) {
        for key in csv_keys.iter().filter(|_| format != Format::Csv) {
            diags.push(
                Diagnostic::new(
                    file,
                    Some(key.span),
                    format!("`{}` applies to CSV files; this source is {format}", key.as_str().unwrap_or("?")),
                )
                .with_help(Some("remove it, or set `format: csv` if the files are CSV".into())),
            );
        }
        if source.compression.is_some_and(|c| c != Compression::None) && !format.compressible() {
            diags.push(
                Diagnostic::new(
                    file,
                    Some(node.span),
                    format!("`compression` applies to CSV and JSON files; this source is {format}"),
                )
                .with_help(Some("Parquet and Arrow files carry their own compression: remove `compression`".into())),
            );
        }
    }
    (diags.len() == before).then_some(source)
}

/// Whether a path is a URL with `user:password@` (or `user@`) in it: a
/// credential that must not be read from a suite nor echoed in any output.
pub fn url_holds_credentials(path: &str) -> bool {
    path.split_once("://").is_some_and(|(_, rest)| rest.split('/').next().unwrap_or("").contains('@'))
}

/// `version: N`, `version: previous`, `version: -N` or `timestamp: RFC3339`.
fn delta_version(file: &Arc<SourceFile>, name: &str, value: &Node, diags: &mut Diagnostics) -> Option<DeltaVersion> {
    let parsed = if name == "timestamp" {
        value
            .as_str()
            .filter(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok())
            .map(|t| DeltaVersion::Timestamp(t.to_string()))
    } else if value.as_str() == Some("previous") {
        Some(DeltaVersion::BeforeLatest(1))
    } else {
        match value.value {
            Value::Int(v) if v >= 0 => Some(DeltaVersion::Version(v.unsigned_abs())),
            Value::Int(v) => Some(DeltaVersion::BeforeLatest(v.unsigned_abs())),
            _ => None,
        }
    };
    if parsed.is_none() {
        let (what, example) = if name == "timestamp" {
            ("an RFC 3339 time with its offset", "`timestamp: 2026-12-01T00:00:00Z`")
        } else {
            ("a version number, `previous`, or `-N` (N versions before the latest)", "`version: 3`")
        };
        diags.push(
            Diagnostic::new(file, Some(value.span), format!("`{name}` must be {what}, found {}", value.describe()))
                .with_help(Some(format!("for example {example}"))),
        );
    }
    parsed
}

/// A boolean, also when written `yes`/`no`, `on`/`off` or `y`/`n` (strings
/// under YAML 1.2).
pub(crate) fn yes_or_no(node: &Node) -> Option<bool> {
    match &node.value {
        Value::Bool(b) => Some(*b),
        Value::Str(s) => yaml::bool_word(s),
        _ => None,
    }
}

/// A delimiter or quote: one ASCII character other than a line break.
fn one_character(file: &Arc<SourceFile>, key: &str, node: &Node, diags: &mut Diagnostics) -> Option<u8> {
    let text = node.as_str().unwrap_or_default();
    match text.as_bytes() {
        [b] if b.is_ascii() && !matches!(b, b'\n' | b'\r') => Some(*b),
        _ => {
            let found = if node.as_str().is_some() {
                format!("`{}`", text.replace('\t', "\\t").replace('\n', "\\n"))
            } else {
                node.describe().to_string()
            };
            diags.push(
                Diagnostic::new(file, Some(node.span), format!("`{key}` must be one character, found {found}"))
                    .with_help(Some(format!(
                        "for example `{key}: \";\"`, or `{key}: \"\\t\"` for a tab (in double quotes)"
                    ))),
            );
            None
        }
    }
}

fn compression(file: &Arc<SourceFile>, node: &Node, diags: &mut Diagnostics) -> Option<Compression> {
    let name = node.as_str().unwrap_or("?");
    let found = Compression::from_name(name);
    if found.is_none() {
        diags.push(
            Diagnostic::new(file, Some(node.span), format!("unknown compression `{name}`"))
                .with_help(Some(did_you_mean(name, &Compression::NAMES))),
        );
    }
    found
}

/// `null_values: [NA, "N/A", ""]` or a single marker.
fn null_values(file: &Arc<SourceFile>, node: &Node, diags: &mut Diagnostics) -> Vec<String> {
    let items = match &node.value {
        Value::Seq(items) => items.as_slice(),
        _ => std::slice::from_ref(node),
    };
    let mut markers = Vec::new();
    for item in items {
        match &item.value {
            Value::Str(s) => markers.push(s.clone()),
            Value::Int(i) => markers.push(i.to_string()),
            _ => diags.push(
                Diagnostic::new(
                    file,
                    Some(item.span),
                    format!("a null marker is the text of a field, found {}", item.describe()),
                )
                .with_help(Some("write it in quotes, e.g. `null_values: [\"NA\", \"null\", \"-999.0\"]`".into())),
            ),
        }
    }
    markers
}

fn parse_defaults(file: &Arc<SourceFile>, node: &Node, diags: &mut Diagnostics) -> Severity {
    let mut severity = Severity::Error;
    if let Some(entries) = map_entries(file, node, "defaults", diags) {
        for (key, value) in entries {
            match key.as_str() {
                Some("severity") => {
                    if let Some(s) = parse_severity(file, value, diags) {
                        severity = s;
                    }
                }
                _ => unknown_key(file, key, "defaults", &["severity"], diags),
            }
        }
    }
    severity
}

fn parse_severity(file: &Arc<SourceFile>, node: &Node, diags: &mut Diagnostics) -> Option<Severity> {
    match node.as_str() {
        Some("error") => Some(Severity::Error),
        Some("warn" | "warning") => Some(Severity::Warn),
        other => {
            diags.push(
                Diagnostic::new(file, Some(node.span), format!("unknown severity `{}`", other.unwrap_or("?")))
                    .with_help(Some("expected one of: error, warn".into())),
            );
            None
        }
    }
}

fn parse_checks<K>(
    file: &Arc<SourceFile>,
    node: &Node,
    kinds: &[KindEntry<K>],
    default: Severity,
    diags: &mut Diagnostics,
) -> Vec<Check<K>> {
    let Value::Seq(items) = &node.value else {
        diags.push(
            Diagnostic::new(file, Some(node.span), format!("`checks` must be a list, found {}", node.describe()))
                .with_help(Some("write each check on its own line starting with `- `".into())),
        );
        return Vec::new();
    };
    items.iter().filter_map(|item| parse_check(file, item, kinds, default, diags)).collect()
}

/// One entry of `checks:`: `- kind: params`, with the shared keys either
/// inside the params map or beside the kind key.
fn parse_check<K>(
    file: &Arc<SourceFile>,
    item: &Node,
    kinds: &[KindEntry<K>],
    default: Severity,
    diags: &mut Diagnostics,
) -> Option<Check<K>> {
    let Value::Map(entries) = &item.value else {
        diags.push(
            Diagnostic::new(
                file,
                Some(item.span),
                format!("a check is a mapping like `not_null: loan_id`, found {}", item.describe()),
            )
            .with_help(Some(format!("check kinds: {}", kind_names(kinds).join(", ")))),
        );
        return None;
    };
    let (kind_key, params_node) = entries.first()?;
    let kind_name = kind_key.as_str().unwrap_or("?");
    let Some(kind) = kinds.iter().find(|k| k.name == kind_name) else {
        let help = did_you_mean(kind_name, &kind_names(kinds));
        diags.push(
            Diagnostic::new(file, Some(kind_key.span), format!("unknown check kind `{kind_name}`"))
                .with_help(Some(help)),
        );
        return None;
    };
    let before = diags.len();
    let mut common = CommonKeys::default();
    // Shared keys written beside the kind key.
    for (key, value) in &entries[1..] {
        match key.as_str() {
            Some(k) if COMMON_KEYS.contains(&k) => common.read(file, k, value, diags),
            _ => unknown_key(file, key, kind.name, &COMMON_KEYS, diags),
        }
    }
    // Shared keys inside the params map.
    if let Value::Map(params) = &params_node.value {
        for (key, value) in params {
            if let Some(k) = key.as_str().filter(|k| COMMON_KEYS.contains(k)) {
                common.read(file, k, value, diags);
            }
        }
    }
    let mut params = Params::new(kind.name, kind.keys, kind_key.span, params_node, file, diags);
    let parsed = (kind.parse)(&mut params, &mut common.filter);
    params.finish();
    if diags.len() > before {
        return None;
    }
    Some(Check {
        kind: parsed?,
        kind_name: kind.name,
        name: common.name,
        severity: common.severity.unwrap_or(default),
        filter: common.filter,
        description: common.description,
        span: kind_key.span,
    })
}

#[derive(Default)]
struct CommonKeys {
    name: Option<String>,
    severity: Option<Severity>,
    filter: Option<Sql>,
    description: Option<String>,
}

impl CommonKeys {
    fn read(&mut self, file: &Arc<SourceFile>, key: &str, value: &Node, diags: &mut Diagnostics) {
        let text = value.as_str().map(str::to_string);
        match key {
            "severity" => self.severity = parse_severity(file, value, diags),
            "name" => match text {
                Some(s) if !s.trim().is_empty() => self.name = Some(s),
                _ => diags.push(Diagnostic::new(file, Some(value.span), "`name` must be a non-empty string")),
            },
            "where" => match text {
                Some(s) if !s.trim().is_empty() => self.filter = Some(Sql { text: s, span: value.span }),
                _ => diags.push(
                    Diagnostic::new(file, Some(value.span), "`where` must be a SQL condition in a string")
                        .with_help(Some("for example `where: \"country = 'US'\"`".into())),
                ),
            },
            _ => self.description = text,
        }
    }
}

fn check_names_unique<K>(suites: &[Suite<K>], diags: &mut Diagnostics) {
    let mut seen = std::collections::HashSet::new();
    for suite in suites {
        for check in &suite.checks {
            if let Some(name) = &check.name
                && !seen.insert(name)
            {
                diags.push(
                    Diagnostic::new(&suite.file, Some(check.span), format!("check name `{name}` is used twice"))
                        .with_help(Some(
                            "check names identify results in reports and history: make them unique".into(),
                        )),
                );
            }
        }
    }
}

pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Option<crate::checks::Suite>, Diagnostics) {
        let file = Arc::new(SourceFile { path: "s.yaml".into(), text: text.into() });
        let mut diags = Diagnostics::default();
        let suite = parse_suite(&file, crate::checks::KINDS, &mut diags);
        (suite, diags)
    }

    const HEAD: &str = "version: 1\ndataset: { name: loans, source: x.parquet }\n";

    #[test]
    fn shared_keys_beside_or_inside_the_kind() {
        let (suite, diags) = parse(&format!(
            "{HEAD}defaults: {{ severity: warn }}\nchecks:\n  - not_null: id\n    severity: error\n    name: a\n  - not_null: {{ column: id, where: \"id > 1\" }}\n"
        ));
        assert!(diags.is_empty(), "{diags}");
        let suite = suite.unwrap();
        assert_eq!(suite.checks[0].severity, Severity::Error);
        assert_eq!(suite.checks[0].name.as_deref(), Some("a"));
        assert_eq!(suite.checks[1].severity, Severity::Warn, "the default applies");
        assert_eq!(suite.checks[1].filter.as_ref().unwrap().text, "id > 1");
    }

    #[test]
    fn every_problem_in_one_pass_with_positions() {
        let (_, diags) = parse(&format!(
            "{HEAD}dataset_typo: 1\nchecks:\n  - not_nul: id\n  - between: {{ column: a, mni: 0 }}\n  - row_count: {{}}\n"
        ));
        let found: Vec<(u32, &str)> = diags.0.iter().map(|d| (d.span.unwrap().line, d.message.as_str())).collect();
        assert_eq!(
            found,
            [
                (3, "unknown top-level key `dataset_typo`"),
                (5, "unknown check kind `not_nul`"),
                (6, "`between` needs `min`, `max` or both"),
                (6, "unknown key `mni` in `between`"),
                (7, "`row_count` needs `min`, `max` or both"),
            ]
        );
        assert_eq!(diags.0[3].help.as_deref(), Some("did you mean `min`?"));
    }

    #[test]
    fn an_unclosed_mapping_gets_a_hint_about_earlier_lines() {
        let (_, diags) = parse(&format!("{HEAD}checks:\n  - between: {{ column: a, min: 0\n  - unique: id\n"));
        assert!(diags.0[0].message.starts_with("invalid YAML"), "{diags}");
        assert!(diags.0[0].help.as_deref().is_some_and(|h| h.contains("not closed")), "{diags}");
    }

    #[test]
    fn a_list_of_checks_without_its_key_gets_help_about_the_key() {
        for text in [
            "version: 1\ndataset: { name: a, source: x.parquet }\n  - not_null: id\n",
            "version: 1\ndataset: { name: a, source: x.parquet }\n- not_null: id\n",
            "version: 1\ndataset:\n  name: a\n  source: x.parquet\n  - not_null: id\n",
        ] {
            let (_, diags) = parse(text);
            let help = diags.0[0].help.as_deref().unwrap_or("");
            assert!(help.contains("add `checks:`"), "{text}: {diags}");
        }
    }

    #[test]
    fn version_and_dataset_are_required() {
        let (suite, diags) = parse("checks: []\n");
        assert!(suite.is_none());
        let messages: Vec<&str> = diags.0.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["missing `version`", "missing `dataset`"]);
    }

    /// A problem: line, column, message, help.
    type Found = (u32, u32, String, Option<String>);

    fn source_of(source: &str) -> (Option<Source>, Vec<Found>) {
        let (suite, diags) = parse(&format!("version: 1\ndataset:\n  name: t\n  source: {source}\nchecks: []\n"));
        let found = diags
            .0
            .iter()
            .map(|d| (d.span.unwrap().line, d.span.unwrap().col, d.message.clone(), d.help.clone()))
            .collect();
        (suite.map(|s| s.dataset.source), found)
    }

    #[test]
    fn a_source_is_a_path_or_a_mapping_with_csv_options() {
        let (source, diags) = source_of(
            r#"{ path: data.txt, format: csv, delimiter: ";", quote: "'", header: false, null_values: [NA, "N/A", "", -999], compression: gzip }"#,
        );
        assert!(diags.is_empty(), "{diags:?}");
        let source = source.unwrap();
        assert_eq!(
            (source.path.as_str(), source.format, source.compression),
            ("data.txt", Some(Format::Csv), Some(Compression::Gzip))
        );
        assert_eq!(
            source.csv,
            CsvOptions {
                delimiter: Some(b';'),
                quote: Some(b'\''),
                header: Some(false),
                null_values: vec!["NA".into(), "N/A".into(), String::new(), "-999".into()],
            }
        );
        let (source, diags) = source_of("data.csv");
        assert!(diags.is_empty() && source.unwrap().csv.is_default());
        // YAML 1.1 reads `no` as a boolean, YAML 1.2 as a string: both mean false.
        for no in ["no", "off", "n", "false", "'no'"] {
            let (source, diags) = source_of(&format!("{{ path: data.csv, header: {no} }}"));
            assert!(diags.is_empty(), "{no}: {diags:?}");
            assert_eq!(source.unwrap().csv.header, Some(false), "{no}");
        }
    }

    #[test]
    fn storage_settings_reach_every_source_and_secrets_are_refused_unquoted() {
        let text = format!(
            "{HEAD}reference: s3://lake/base.parquet\ndatasets: {{ teams: s3://lake/teams/ }}\n\
             storage: {{ endpoint: \"http://127.0.0.1:9000\", region: eu-west-1, allow_http: yes, timeout: 5 }}\n\
             checks:\n  - row_count: {{ min: 1 }}\n"
        );
        let (suite, diags) = parse(&text);
        assert!(diags.is_empty(), "{diags}");
        let suite = suite.unwrap();
        let expected = Storage {
            endpoint: Some("http://127.0.0.1:9000".into()),
            region: Some("eu-west-1".into()),
            allow_http: Some(true),
            timeout: Some(5.0),
        };
        for source in std::iter::once(&suite.dataset.source)
            .chain(&suite.reference)
            .chain(suite.datasets.iter().map(|d| &d.source))
        {
            assert_eq!(source.storage, expected, "{}", source.path);
        }
        let secret = "s3cr3t-VALUE";
        let text = format!(
            "{HEAD}storage: {{ secret_access_key: {secret}, endpoint: \"http://u:{secret}@host\", timeout: 0 }}\n\
             checks:\n  - row_count: {{ min: 1 }}\n"
        );
        let (_, diags) = parse(&text);
        let shown = diags.to_string();
        assert!(!shown.contains(secret), "{shown}");
        let messages: Vec<&str> = diags.0.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`storage.secret_access_key` looks like a secret; suite files never hold secrets",
                "`storage.endpoint` holds credentials; suite files never hold secrets",
                "`storage.timeout` must be a number of seconds above 0",
            ]
        );
    }

    #[test]
    fn source_mistakes_are_reported_where_they_are() {
        let (_, diags) =
            source_of(r#"{ path: data.csv, delimter: ";", quote: "''", header: maybe, compression: zip }"#);
        let found: Vec<(u32, &str, Option<&str>)> =
            diags.iter().map(|(l, _, m, h)| (*l, m.as_str(), h.as_deref())).collect();
        assert_eq!(
            found,
            [
                (4, "unknown key `delimter` in `source`", Some("did you mean `delimiter`?")),
                (
                    4,
                    "`quote` must be one character, found `''`",
                    Some("for example `quote: \";\"`, or `quote: \"\\t\"` for a tab (in double quotes)")
                ),
                (4, "`header` must be true or false, found a string", None),
                (4, "unknown compression `zip`", Some("did you mean `gzip`?")),
            ]
        );
        let (_, diags) = source_of(r#"{ path: data.parquet, delimiter: ";" }"#);
        assert_eq!(diags[0].2, "`delimiter` applies to CSV files; this source is parquet");
        assert_eq!(diags[0].1, 33, "the caret is on the key");
        let (_, diags) = source_of("{ path: data.parquet, compression: gzip }");
        assert_eq!(diags[0].2, "`compression` applies to CSV and JSON files; this source is parquet");
        let (_, diags) = source_of("{ format: csv }");
        assert_eq!(diags[0].2, "`source` needs a `path`");
        let (_, diags) = source_of(r#"{ path: a.csv, delimiter: "|", quote: "|" }"#);
        assert_eq!(diags[0].2, "`delimiter` and `quote` must differ");
        let (_, diags) = source_of("[a.csv]");
        assert_eq!(diags[0].2, "`source` must be a path or a mapping, found a list");
    }

    #[test]
    fn a_delta_table_at_a_version_or_a_time() {
        let version = |text: &str| {
            let (source, diags) = source_of(text);
            assert!(diags.is_empty(), "{text}: {diags:?}");
            let source = source.unwrap();
            assert_eq!((source.path.as_str(), source.format), ("lake/t", Some(Format::Delta)), "{text}");
            source.delta_version
        };
        assert_eq!(version("{ delta: lake/t }"), None);
        assert_eq!(version("{ delta: lake/t, version: 0 }"), Some(DeltaVersion::Version(0)));
        assert_eq!(version("{ delta: lake/t, version: 12 }"), Some(DeltaVersion::Version(12)));
        assert_eq!(version("{ delta: lake/t, version: previous }"), Some(DeltaVersion::BeforeLatest(1)));
        assert_eq!(version("{ delta: lake/t, version: -3 }"), Some(DeltaVersion::BeforeLatest(3)));
        assert_eq!(version("{ path: lake/t, format: delta, version: 2 }"), Some(DeltaVersion::Version(2)));
        let t = "2026-12-01T00:00:00+01:00";
        assert_eq!(version(&format!("{{ delta: lake/t, timestamp: '{t}' }}")), Some(DeltaVersion::Timestamp(t.into())));

        let problem = |text: &str| source_of(text).1.into_iter().map(|f| f.2).collect::<Vec<_>>();
        assert_eq!(problem("{ path: t.parquet, version: 1 }"), ["`version` applies to Delta tables"]);
        assert_eq!(problem("{ delta: t, path: t }"), ["`path` and `delta` are both given"]);
        assert_eq!(
            problem("{ delta: t, version: 1, timestamp: '2026-12-01T00:00:00Z' }"),
            ["`version` and `timestamp` are both given"]
        );
        assert_eq!(
            problem("{ delta: t, version: latest }"),
            ["`version` must be a version number, `previous`, or `-N` (N versions before the latest), found a string"]
        );
        assert_eq!(
            problem("{ delta: t, timestamp: '2026-12-01' }"),
            ["`timestamp` must be an RFC 3339 time with its offset, found a string"]
        );
        assert_eq!(problem("{ delta: 3 }"), ["`delta` must be a table's folder or URL, found an integer"]);
        let (_, found) = source_of("{ delta: 's3://AKIAX:hunter2@lake/t' }");
        assert_eq!(found[0].2, "the source URL holds credentials; suite files never hold secrets");
        assert!(url_holds_credentials("s3://k:s@b/x.parquet") && !url_holds_credentials("s3://b/a@b.parquet"));

        // A reference and further datasets may be written as the table's own mapping.
        let (suite, diags) = parse(
            "version: 1\ndataset: { name: t, source: { delta: lake/t } }\nreference: { delta: lake/t, version: previous }\ndatasets: { c: { delta: lake/c, version: 4 } }\nchecks: []\n",
        );
        assert!(diags.is_empty(), "{diags}");
        let suite = suite.unwrap();
        assert_eq!(suite.reference.unwrap().delta_version, Some(DeltaVersion::BeforeLatest(1)));
        assert_eq!(suite.datasets[0].source.delta_version, Some(DeltaVersion::Version(4)));

        // `--data` keeps the version for another table, not for a file.
        let (source, _) = source_of("{ delta: lake/t, version: 2 }");
        let source = source.unwrap();
        assert_eq!(source.with_path("s3://b/other").delta_version, Some(DeltaVersion::Version(2)));
        assert_eq!(source.with_path("s3://b/other").format, Some(Format::Delta));
        assert_eq!(source.with_path("x.parquet").delta_version, None);
        assert_eq!(Format::from_path("x.delta"), None, "a file name never implies a Delta table");
    }

    #[test]
    fn format_beside_the_source_or_inside_it_once() {
        let (suite, diags) =
            parse("version: 1\ndataset: { name: t, source: { path: x.txt }, format: csv }\nchecks: []\n");
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(suite.unwrap().dataset.source.format, Some(Format::Csv));
        let (_, diags) =
            parse("version: 1\ndataset: { name: t, source: { path: x.txt, format: csv }, format: csv }\nchecks: []\n");
        assert_eq!(diags.0[0].message, "`format` is given twice");
        let (suite, diags) = parse(
            "version: 1\ndataset: { name: t, source: a.csv }\nreference: { source: { path: b.csv, delimiter: ';' } }\ndatasets: { c: { source: { path: c.csv, header: false } } }\nchecks: []\n",
        );
        assert!(diags.is_empty(), "{diags}");
        let suite = suite.unwrap();
        assert_eq!(suite.reference.unwrap().csv.delimiter, Some(b';'));
        assert_eq!(suite.datasets[0].source.csv.header, Some(false));
    }

    #[test]
    fn data_overrides_keep_the_reading_options() {
        let source = Source {
            path: "a.csv".into(),
            csv: CsvOptions { delimiter: Some(b';'), ..CsvOptions::default() },
            span: None,
            format: Some(Format::Csv),
            compression: Some(Compression::Gzip),
            storage: Storage::default(),
            delta_version: None,
        };
        let other = source.with_path("b.csv.gz");
        assert_eq!(
            (other.path.as_str(), other.format, other.compression, other.csv.delimiter),
            ("b.csv.gz", None, None, Some(b';'))
        );
        let other = source.with_path("b.data");
        assert_eq!((other.format, other.compression), (Some(Format::Csv), Some(Compression::Gzip)));
    }

    #[test]
    fn formats_from_names_and_paths() {
        assert_eq!(Format::from_path("a/b.csv.gz"), Some(Format::Csv));
        assert_eq!(Format::from_path("a/*.jsonl.zst"), Some(Format::Json));
        assert_eq!(Compression::from_path("a/b.csv.bz2"), Some(Compression::Bzip2));
        assert_eq!(Compression::from_path("a/b.csv"), None);
        assert_eq!(Compression::strip("a/b.csv.xz"), "a/b.csv");
        assert_eq!(Format::from_path("a/b.parquet"), Some(Format::Parquet));
        assert_eq!(Format::from_path("a/*.jsonl"), Some(Format::Json));
        assert_eq!(Format::from_path("a/b.ipc"), Some(Format::Arrow));
        assert_eq!(Format::from_path("a/b"), None);
        assert!(is_identifier("loans_2") && !is_identifier("2loans") && !is_identifier("a-b"));
    }
}
