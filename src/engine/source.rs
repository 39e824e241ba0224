//! Opening a data source: a file, a glob or a folder (hive partitions
//! `key=value/` become columns), in Parquet, CSV, Arrow IPC or NDJSON.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::arrow::ArrowFormat;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;

use crate::spec::{Format, Source};

/// A source that cannot be read, naming the path and the cause.
#[derive(Debug, Clone)]
pub struct SourceError {
    pub path: String,
    pub message: String,
    pub help: Option<String>,
}

impl SourceError {
    pub fn new(source: &Source, message: impl Into<String>) -> Self {
        Self { path: source.path.clone(), message: message.into(), help: None }
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path, self.message)
    }
}

fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// The first data file under a folder, depth first in name order.
fn first_file(dir: &Path, depth: usize) -> Option<std::path::PathBuf> {
    if depth > 8 {
        return None;
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir).ok()?.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in &entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with(['.', '_']) {
            continue;
        }
        if p.is_file() && Format::from_path(name).is_some() {
            return Some(p.clone());
        }
    }
    entries.iter().filter(|p| p.is_dir()).find_map(|p| first_file(p, depth + 1))
}

/// Opens a source as a table; fails if nothing matches or files are unreadable.
pub async fn open(ctx: &SessionContext, source: &Source) -> Result<Arc<dyn TableProvider>, SourceError> {
    let path = source.path.as_str();
    let local = Path::new(path);
    let glob = is_glob(path);
    if !glob && !local.exists() {
        return Err(SourceError::new(source, "no such file or folder")
            .help("check the path; relative paths are read from the folder probity runs in"));
    }
    // The extension listed files must have, and the format it implies.
    let sample = if local.is_dir() { first_file(local, 0) } else { Some(local.to_path_buf()) };
    let extension = sample
        .as_ref()
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .filter(|e| !e.contains('*'))
        .map(|e| format!(".{e}"));
    let format = source
        .format
        .or_else(|| sample.as_ref().and_then(|p| Format::from_path(&p.to_string_lossy())))
        .ok_or_else(|| {
            SourceError::new(source, "cannot tell the file format")
                .help("name files *.parquet, *.csv, *.arrow or *.jsonl, or add `format: parquet` (csv, json, arrow)")
        })?;
    let extension = extension.unwrap_or_else(|| format.extensions()[0].to_string());
    let file_format: Arc<dyn FileFormat> = match format {
        Format::Parquet => Arc::new(ParquetFormat::default()),
        Format::Csv => Arc::new(CsvFormat::default().with_has_header(true)),
        Format::Json => Arc::new(JsonFormat::default()),
        Format::Arrow => Arc::new(ArrowFormat),
    };
    let mut url_text = path.to_string();
    if local.is_dir() && !url_text.ends_with('/') {
        url_text.push('/');
    }
    let url = ListingTableUrl::parse(&url_text).map_err(|e| SourceError::new(source, e.to_string()))?;
    let state = ctx.state();
    let store = ctx.runtime_env().object_store(&url).map_err(|e| SourceError::new(source, e.to_string()))?;
    let files: Vec<_> = url
        .list_all_files(&state, store.as_ref(), &extension)
        .await
        .map_err(|e| SourceError::new(source, e.to_string()))?
        .try_collect()
        .await
        .map_err(|e| SourceError::new(source, e.to_string()))?;
    if files.is_empty() {
        return Err(SourceError::new(source, format!("no {extension} files match")).help("check the path or glob"));
    }
    let options = ListingOptions::new(file_format).with_file_extension(extension);
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .infer_partitions_from_path(&state)
        .await
        .map_err(|e| SourceError::new(source, clean(&e.to_string())))?
        .infer_schema(&state)
        .await
        .map_err(|e| {
            SourceError::new(source, format!("not a readable {format} file: {}", clean(&e.to_string())))
                .help("the file may be truncated or not of this format; regenerate it or fix `format:`")
        })?;
    let table = ListingTable::try_new(config).map_err(|e| SourceError::new(source, clean(&e.to_string())))?;
    Ok(Arc::new(table))
}

/// `DataFusion` prefixes errors with their layer; people need the cause.
fn clean(message: &str) -> String {
    let mut m = message.trim();
    for prefix in ["External error: ", "Parquet error: ", "Arrow error: ", "Execution error: ", "Object Store error: "]
    {
        while let Some(rest) = m.strip_prefix(prefix) {
            m = rest;
        }
    }
    m.lines().next().unwrap_or(m).to_string()
}
