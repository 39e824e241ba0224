//! Opening a data source: a file, a glob or a folder (hive partitions
//! `key=value/` become columns), in Parquet, CSV, Arrow IPC or NDJSON; CSV
//! and NDJSON may be compressed (`.csv.gz`, `.bz2`, `.xz`, `.zst`).
//!
//! CSV schemas are read here, file by file, instead of by `DataFusion`'s
//! listing inference: so that a header repeating a name still reads (the
//! repeats become `name.1`, `name.2`, as pandas names them), every file of a
//! folder is held to one header, and a file that cannot be parsed is read
//! again to say which line is wrong and why (`CsvFiles::problem`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::SecondsFormat;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::Session;
use datafusion::catalog::TableProvider;
use datafusion::common::{Column, ScalarValue};
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::arrow::ArrowFormat;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::datasource::{ViewTable, provider_as_source};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, cast, lit, when};
use datafusion::object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt};
use url::Url;

use crate::engine::{delta, storage};
use crate::outcome::{DataRead, FileRead};
use crate::spec::{Compression, CsvOptions, Format, Source};

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

    pub(super) fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path, self.message)
    }
}

/// An opened source.
pub struct Opened {
    pub table: Arc<dyn TableProvider>,
    /// What the reader should know about how the data was read (e.g. repeated
    /// CSV column names that were renamed).
    pub notes: Vec<String>,
    /// For CSV sources, what is needed to explain a parse error met later.
    pub csv: Option<CsvFiles>,
    /// What was read, for provenance.
    pub read: DataRead,
}

fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// The first data file under a folder, depth first in name order.
fn first_file(dir: &Path, depth: usize) -> Option<PathBuf> {
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
pub async fn open(ctx: &SessionContext, source: &Source) -> Result<Opened, SourceError> {
    let path = source.path.as_str();
    let local = Path::new(path);
    let glob = is_glob(path);
    let remote = if storage::is_remote(path) {
        Some(storage::register(ctx, source).map_err(|m| SourceError::new(source, m))?)
    } else {
        None
    };
    if remote.is_none() && !glob && !local.exists() {
        return Err(SourceError::new(source, "no such file or folder")
            .help("check the path; relative paths are read from the folder probity runs in"));
    }
    // A Delta table, named so or recognised by its log: its files are read
    // as the log says, never listed (a listing holds removed files too).
    let is_table = match &remote {
        _ if source.format.is_some_and(|f| f != Format::Delta) => false,
        _ if source.format == Some(Format::Delta) => true,
        None => local.join("_delta_log").is_dir(),
        // (A prefix only: a key naming a file is no table, and costs no request.)
        Some((url, store)) => {
            !glob && Format::from_path(Compression::strip(path)).is_none() && delta::has_log(url, store.as_ref()).await
        }
    };
    if is_table {
        return delta::open(ctx, source, remote).await;
    }
    // A file, or the first file of a folder, names the format and compression.
    let folder = match &remote {
        None => local.is_dir(),
        Some(_) => !glob && Format::from_path(Compression::strip(path)).is_none(),
    };
    let sample_name = match &remote {
        _ if !folder => path.to_string(),
        None => first_file(local, 0).map(|p| p.to_string_lossy().into_owned()).unwrap_or_default(),
        Some((url, store)) => first_remote_file(source, url, store.as_ref()).await?.unwrap_or_default(),
    };
    let format = source.format.or_else(|| Format::from_path(&sample_name)).ok_or_else(|| {
        SourceError::new(source, "cannot tell the file format")
            .help("name files *.parquet, *.csv, *.arrow or *.jsonl, or add `format: parquet` (csv, json, arrow)")
    })?;
    if format != Format::Csv && !source.csv.is_default() {
        return Err(SourceError::new(
            source,
            format!("CSV options (delimiter, quote, header, null_values) were given for {format} files"),
        )
        .help("remove them, or set `format: csv` if the files are CSV"));
    }
    let compression = source.compression.or_else(|| Compression::from_path(&sample_name)).unwrap_or(Compression::None);
    if compression != Compression::None && !format.compressible() {
        return Err(SourceError::new(source, format!("{format} files are not read compressed"))
            .help("only CSV and JSON files can be compressed (.csv.gz); Parquet and Arrow compress inside the file"));
    }
    // The suffix listed files must have: the sample's own (`.csv.gz`, `.tsv`)
    // unless it is a glob pattern, else the format's.
    let extension = Path::new(Compression::strip(&sample_name))
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| !e.contains(['*', '?', '[']))
        .map_or_else(|| format.extensions()[0].to_string(), |e| format!(".{e}"))
        + Compression::from_path(&sample_name).map_or("", Compression::suffix);
    let variant = match compression {
        Compression::None => FileCompressionType::UNCOMPRESSED,
        Compression::Gzip => FileCompressionType::GZIP,
        Compression::Bzip2 => FileCompressionType::BZIP2,
        Compression::Xz => FileCompressionType::XZ,
        Compression::Zstd => FileCompressionType::ZSTD,
    };
    let csv_format = Arc::new(csv_format(&source.csv, variant));
    let file_format: Arc<dyn FileFormat> = match format {
        Format::Parquet => Arc::new(ParquetFormat::default()),
        Format::Csv => Arc::clone(&csv_format) as Arc<dyn FileFormat>,
        Format::Json => Arc::new(JsonFormat::default().with_file_compression_type(variant)),
        Format::Arrow => Arc::new(ArrowFormat),
        Format::Delta => unreachable!("opened above"),
    };
    let mut url_text = path.to_string();
    if folder && !url_text.ends_with('/') {
        url_text.push('/');
    }
    let url = ListingTableUrl::parse(&url_text).map_err(|e| SourceError::new(source, e.to_string()))?;
    let state = ctx.state();
    let store = ctx.runtime_env().object_store(&url).map_err(|e| SourceError::new(source, e.to_string()))?;
    let mut files: Vec<ObjectMeta> = url
        .list_all_files(&state, store.as_ref(), &extension)
        .await
        .map_err(|e| store_error(source, &causes(&e)))?
        .try_collect()
        .await
        .map_err(|e| store_error(source, &causes(&e)))?;
    if files.is_empty() {
        return Err(SourceError::new(source, format!("no {extension} files match")).help("check the path or glob"));
    }
    files.sort_by(|a, b| a.location.cmp(&b.location));
    let read = DataRead::Files(files.iter().map(|m| file_read(remote.as_ref(), m)).collect());
    let options = ListingOptions::new(file_format).with_file_extension(extension);
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .infer_partitions_from_path(&state)
        .await
        .map_err(|e| SourceError::new(source, clean(&e.to_string())))?;
    if format == Format::Csv {
        let mut csv = CsvFiles::new(source, variant, &files);
        let (schema, notes) = csv.schema(&state, &store, &files, &csv_format).await?;
        let markers = &source.csv.null_values;
        let table: Arc<dyn TableProvider> = if markers.iter().all(String::is_empty) {
            let config = config.with_schema(Arc::new(schema));
            Arc::new(ListingTable::try_new(config).map_err(|e| SourceError::new(source, clean(&e.to_string())))?)
        } else {
            with_null_markers(config, &schema, markers).map_err(|e| SourceError::new(source, clean(&e.to_string())))?
        };
        return Ok(Opened { table, notes, csv: Some(csv), read });
    }
    let config = config.infer_schema(&state).await.map_err(|e| {
        SourceError::new(source, format!("not a readable {format} file: {}", clean(&e.to_string())))
            .help("the file may be truncated or not of this format; regenerate it or fix `format:`")
    })?;
    let table = ListingTable::try_new(config).map_err(|e| SourceError::new(source, clean(&e.to_string())))?;
    Ok(Opened { table: Arc::new(table), notes: Vec::new(), csv: None, read })
}

/// A listed file as provenance names it: its path (or URL), size, time of
/// last change and, in an object store, its `ETag` (a local file's is made
/// of its inode: it would name this machine, not the content).
fn file_read(remote: Option<&(Url, Arc<dyn ObjectStore>)>, meta: &ObjectMeta) -> FileRead {
    let (path, etag) = match remote {
        Some((url, _)) => {
            (format!("{}://{}/{}", url.scheme(), url.host_str().unwrap_or_default(), meta.location), meta.e_tag.clone())
        }
        None => (format!("/{}", meta.location), None),
    };
    FileRead { path, size: meta.size, modified: meta.last_modified.to_rfc3339_opts(SecondsFormat::Millis, true), etag }
}

/// The first data file (in key order) under the prefix an `s3://` folder
/// URL names, skipping hidden (`.x`, `_x`) keys as a local folder's listing does.
async fn first_remote_file(source: &Source, url: &Url, store: &dyn ObjectStore) -> Result<Option<String>, SourceError> {
    let prefix = object_store::path::Path::from(url.path().trim_matches('/'));
    let listed: Vec<ObjectMeta> =
        store.list(Some(&prefix)).try_collect().await.map_err(|e| store_error(source, &causes(&e)))?;
    let name_of = |m: &ObjectMeta| m.location.as_ref().to_string();
    let visible = |m: &&ObjectMeta| {
        let rest = name_of(m);
        let rest = rest.strip_prefix(prefix.as_ref()).unwrap_or(&rest);
        rest.split('/').filter(|s| !s.is_empty()).all(|s| !s.starts_with(['.', '_']))
            && Format::from_path(Compression::strip(&name_of(m))).is_some()
    };
    Ok(listed.iter().filter(visible).map(name_of).min())
}

/// An object store's error for `source`: the cause in a few words and the
/// help it calls for (the URL is in the error's own line; never a
/// credential).
/// An error's message with the causes under it (`a: b: c`): a failed
/// request's own message is "error sending request", its cause (an
/// untrusted certificate, a refused connection) is further down.
pub(super) fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = cause.source();
    }
    text
}

pub(super) fn store_error(source: &Source, message: &str) -> SourceError {
    if !storage::is_remote(&source.path) {
        return SourceError::new(source, message.to_string()); // a local listing: its own words
    }
    let lower = message.to_ascii_lowercase();
    let bucket = source.path.split("://").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or("?");
    let timeout = storage::timeout_of(&source.storage);
    let (cause, help) = if lower.contains("nosuchbucket") || (lower.contains("list") && lower.contains("404 not found"))
    {
        (
            format!("bucket `{bucket}` does not exist (the store answered 404 Not Found)"),
            "check the URL, and `storage.endpoint` or AWS_ENDPOINT_URL for S3-compatible servers".to_string(),
        )
    } else if lower.contains("forbidden")
        || lower.contains("accessdenied")
        || lower.contains("invalidaccesskeyid")
        || lower.contains("signaturedoesnotmatch")
    {
        (
            "the store refused the credentials (403 Forbidden)".to_string(),
            "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in the environment".to_string(),
        )
    } else if lower.contains("certificate") || lower.contains("unknownissuer") || lower.contains("tls handshake") {
        (
            "the endpoint's TLS certificate is not trusted".to_string(),
            "an https:// endpoint needs a certificate from a trusted authority (the system's roots); \
             check `storage.endpoint` or AWS_ENDPOINT_URL"
                .to_string(),
        )
    } else if lower.contains("timed out")
        || lower.contains("timeout")
        || lower.contains("error sending request")
        || lower.contains("connection refused")
        || lower.contains("dns error")
    {
        (
            format!("the endpoint did not answer ({} tries, each bounded by {timeout} s)", storage::RETRIES + 1),
            "check `storage.endpoint` or AWS_ENDPOINT_URL, and the network; `storage.timeout` sets the bound"
                .to_string(),
        )
    } else {
        (clean(message), "check the URL and the AWS_* settings in the environment".to_string())
    };
    SourceError::new(source, cause).help(help)
}

/// `DataFusion`'s CSV reader set up from the source's options. A quoted field
/// may hold line breaks (as in pandas): files are then not split between
/// threads, a cost worth a correct read.
fn csv_format(options: &CsvOptions, compression: FileCompressionType) -> CsvFormat {
    CsvFormat::default()
        .with_has_header(options.header.unwrap_or(true))
        .with_delimiter(options.delimiter.unwrap_or(b','))
        .with_quote(options.quote.unwrap_or(b'"'))
        .with_null_regex(null_regex(&options.null_values))
        .with_newlines_in_values(true)
        .with_file_compression_type(compression)
}

/// `DataFusion` 55 reads CSV without the `null_regex` it guesses types with,
/// so with null markers every column is read as text and a projection makes
/// the markers null and casts the rest to the guessed type:
/// `CASE WHEN c IN (markers) THEN NULL ELSE CAST(c AS type) END AS c`.
fn with_null_markers(
    config: ListingTableConfig,
    schema: &Schema,
    markers: &[String],
) -> Result<Arc<dyn TableProvider>, DataFusionError> {
    let text =
        Schema::new(schema.fields().iter().map(|f| Field::new(f.name(), DataType::Utf8, true)).collect::<Vec<_>>());
    let listing = ListingTable::try_new(config.with_schema(Arc::new(text)))?;
    let partitions: Vec<String> = listing.options().table_partition_cols.iter().map(|(name, _)| name.clone()).collect();
    let markers: Vec<Expr> = markers.iter().filter(|m| !m.is_empty()).map(|m| lit(m.as_str())).collect();
    let mut columns = Vec::new();
    for field in schema.fields() {
        let column = Expr::Column(Column::from_name(field.name()));
        let value = if *field.data_type() == DataType::Utf8 {
            column.clone()
        } else {
            cast(column.clone(), field.data_type().clone())
        };
        let null = lit(ScalarValue::try_from(field.data_type())?);
        columns.push(when(column.in_list(markers.clone(), false), null).otherwise(value)?.alias(field.name()));
    }
    columns.extend(partitions.iter().map(|p| Expr::Column(Column::from_name(p))));
    let plan =
        LogicalPlanBuilder::scan("csv", provider_as_source(Arc::new(listing)), None)?.project(columns)?.build()?;
    Ok(Arc::new(ViewTable::new(plan, None)))
}

/// An anchored regular expression matching exactly the null markers and the
/// empty field (always null, as in pandas); `None` leaves arrow's default
/// (the empty field only).
fn null_regex(markers: &[String]) -> Option<String> {
    if markers.iter().all(String::is_empty) {
        return None;
    }
    let mut alternatives: Vec<String> = markers.iter().filter(|m| !m.is_empty()).map(|m| regex::escape(m)).collect();
    alternatives.push(String::new());
    Some(format!("^(?:{})$", alternatives.join("|")))
}

/// Renames repeated column names as pandas' `read_csv` does: the second
/// `score` becomes `score.1`, the third `score.2`, skipping any suffix that
/// another column already has (`a, a, a.1` -> `a, a.2, a.1`).
pub fn dedupe_names(names: &[String]) -> Vec<String> {
    let mut header = names.to_vec();
    let mut present: HashMap<String, usize> = HashMap::new();
    for name in &header {
        *present.entry(name.clone()).or_default() += 1;
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    for slot in &mut header {
        let old = slot.clone();
        let mut col = old.clone();
        let mut count = counts.get(&col).copied().unwrap_or(0);
        while count > 0 {
            counts.insert(old.clone(), count + 1);
            col = format!("{old}.{count}");
            if present.get(&col).is_some_and(|n| *n > 0) {
                count += 1;
            } else {
                count = counts.get(&col).copied().unwrap_or(0);
            }
        }
        if col != old {
            *present.entry(old).or_default() -= 1;
            *present.entry(col.clone()).or_default() += 1;
            slot.clone_from(&col);
        }
        counts.insert(col, count + 1);
    }
    header
}

/// `a`, `a` and `b` -> "`a`, `a` and `b`".
fn listed(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// The CSV files of a source and how they are read: enough to read their
/// headers when opening, and to find the line a later parse error is on.
#[derive(Debug, Clone)]
pub struct CsvFiles {
    /// The source as the user wrote it.
    path: String,
    /// Local files, in name order (none for remote stores).
    files: Vec<PathBuf>,
    delimiter: u8,
    delimiter_given: bool,
    quote: u8,
    header: bool,
    compression: FileCompressionType,
    /// The names of the columns, once read (after renaming), and whether
    /// each is text.
    columns: Vec<(String, bool)>,
}

/// Delimiters people use, for hints when the configured one seems wrong.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// How many rows types are guessed from (`DataFusion`'s default).
const INFER_ROWS: usize = 1000;

impl CsvFiles {
    fn new(source: &Source, compression: FileCompressionType, files: &[ObjectMeta]) -> Self {
        let root = Path::new("/");
        Self {
            path: source.path.clone(),
            files: files.iter().map(|f| root.join(f.location.as_ref())).filter(|p| p.is_file()).collect(),
            delimiter: source.csv.delimiter.unwrap_or(b','),
            delimiter_given: source.csv.delimiter.is_some(),
            quote: source.csv.quote.unwrap_or(b'"'),
            header: source.csv.header.unwrap_or(true),
            compression,
            columns: Vec::new(),
        }
    }

    fn error(&self, message: impl Into<String>) -> SourceError {
        SourceError { path: self.path.clone(), message: message.into(), help: None }
    }

    /// Every file's header, which must be one, and the column types guessed
    /// from the first rows; repeated names renamed (with a note saying so).
    async fn schema(
        &mut self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        files: &[ObjectMeta],
        format: &CsvFormat,
    ) -> Result<(Schema, Vec<String>), SourceError> {
        let mut first: Option<(&ObjectMeta, Vec<String>)> = None;
        let mut types: Vec<Vec<DataType>> = Vec::new();
        let mut budget = INFER_ROWS;
        for file in files {
            let stream = match store.get(&file.location).await {
                Ok(got) => got.into_stream().map_err(|e| DataFusionError::ObjectStore(Box::new(e))).boxed(),
                Err(e) => return Err(self.error(clean(&e.to_string()))),
            };
            let chunks = format.read_to_delimited_chunks_from_stream(stream);
            let inferred = format.infer_schema_from_stream(state, budget, chunks).await;
            let (schema, read) = inferred.map_err(|e| self.read_error(&e.to_string()))?;
            let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
            if names.is_empty() {
                // An empty file holds no rows; it is an error only alone.
                continue;
            }
            match &first {
                None => {
                    types = vec![Vec::new(); names.len()];
                    first = Some((file, names));
                }
                Some((first_file, first_names)) if *first_names != names => {
                    return Err(self.different_headers(first_file, first_names, file, &names));
                }
                Some(_) => {}
            }
            if budget > 0 {
                for (seen, field) in types.iter_mut().zip(schema.fields()) {
                    seen.push(field.data_type().clone());
                }
            }
            budget -= read.min(budget);
        }
        let Some((_, names)) = first else {
            let what = if files.len() == 1 { "the file is empty" } else { "every file is empty" };
            return Err(self
                .error(format!("{what}: no header line and no rows"))
                .help("a CSV file starts with a line of column names (or set `header: false` and give it rows)"));
        };
        self.wrong_delimiter(&names)?;
        let renamed = dedupe_names(&names);
        let mut positions: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, name) in names.iter().enumerate() {
            positions.entry(name).or_default().push(i);
        }
        let mut repeats: Vec<&Vec<usize>> = positions.values().filter(|at| at.len() > 1).collect();
        repeats.sort();
        let notes = repeats
            .into_iter()
            .map(|at| {
                let as_read: Vec<&str> = at.iter().map(|&i| renamed[i].as_str()).collect();
                format!("{}: repeated column name `{}` read as {}", self.path, names[at[0]], listed(&as_read))
            })
            .collect();
        let fields: Vec<Field> =
            renamed.iter().zip(&types).map(|(name, seen)| Field::new(name, merged_type(seen), true)).collect();
        self.columns = fields.iter().map(|f| (f.name().clone(), *f.data_type() == DataType::Utf8)).collect();
        Ok((Schema::new(fields), notes))
    }

    /// One header line read as one column, while another delimiter splits
    /// it: the delimiter is almost surely wrong (unless set on purpose).
    fn wrong_delimiter(&self, names: &[String]) -> Result<(), SourceError> {
        let [only] = names else { return Ok(()) };
        if self.delimiter_given || !self.header {
            return Ok(());
        }
        match likely_delimiter(only.as_bytes(), self.delimiter, 0) {
            Some(d) => Err(self
                .error(format!(
                    "the header reads as one column, `{only}`, yet `{}` seems to separate its names",
                    show(d)
                ))
                .help(format!(
                    "add `delimiter: \"{}\"` to the source (or `delimiter: \",\"` if the file has one column)",
                    show(d)
                ))),
            None => Ok(()),
        }
    }

    fn different_headers(&self, a: &ObjectMeta, a_names: &[String], b: &ObjectMeta, b_names: &[String]) -> SourceError {
        let what = if a_names.len() == b_names.len() {
            let i = a_names.iter().zip(b_names).position(|(x, y)| x != y).unwrap_or(0);
            format!("column {} is `{}` in `{}` and `{}` in `{}`", i + 1, a_names[i], a.location, b_names[i], b.location)
        } else {
            format!("`{}` has {} columns and `{}` has {}", a.location, a_names.len(), b.location, b_names.len())
        };
        self.error(format!("the files do not share one header: {what}"))
            .help("the files of a folder or glob are read as one table: give them the same columns in the same order, or point the source at one file")
    }

    /// A parse error (`DataFusion`'s words) explained by reading the files
    /// again: the file and line, and what is wrong there.
    pub fn read_error(&self, message: &str) -> SourceError {
        let message = clean(message);
        if let Some(problem) = self.problem(&message) {
            return problem;
        }
        if let Some((value, column, kind)) = unparsed_value(&message) {
            return self.unparsed("", &value, column, &kind);
        }
        self.error(message).help("check the source's `delimiter:`, `quote:` and `header:` options")
    }

    /// The first line whose fields do not fit the header, or that is not
    /// UTF-8, across the files; also the line holding `value` when a value
    /// failed to parse.
    fn problem(&self, message: &str) -> Option<SourceError> {
        let wanted = unparsed_value(message);
        for file in &self.files {
            let reader = std::fs::File::open(file).ok()?;
            let reader = self.compression.convert_read(reader).ok()?;
            if let Some(found) = self.scan(file, reader, wanted.as_ref()) {
                return Some(found);
            }
        }
        None
    }

    fn scan(&self, file: &Path, reader: Box<dyn Read + Send>, wanted: Option<&Unparsed>) -> Option<SourceError> {
        let mut csv = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .quote(self.quote)
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        let mut record = csv::ByteRecord::new();
        let mut expected: Option<(usize, Vec<u8>)> = None;
        let at = |line: u64| {
            if self.files.len() > 1 { format!("`{}`, line {line}", shown_path(file)) } else { format!("line {line}") }
        };
        loop {
            let line = csv.position().line();
            if !csv.read_byte_record(&mut record).unwrap_or(false) {
                return None;
            }
            if let Some(field) = record.iter().position(|f| std::str::from_utf8(f).is_err()) {
                return Some(
                    self.error(format!("{}, field {} is not valid UTF-8", at(line), field + 1))
                        .help("probity reads CSV files as UTF-8: convert the file, e.g. `iconv -f latin1 -t utf-8`"),
                );
            }
            if expected.is_none() {
                expected = Some((record.len(), record.as_slice().to_vec()));
                if self.header {
                    continue;
                }
            }
            let (count, first_line) = expected.as_ref()?;
            if record.len() != *count {
                let what = if self.header { "the header has" } else { "the first line has" };
                let mut help = format!(
                    "a field holding `{}` must be quoted (with `{}`): set `quote:` if the file quotes with another character, `delimiter:` if another one separates the columns",
                    show(self.delimiter),
                    show(self.quote)
                );
                if let Some(d) = likely_delimiter(first_line, self.delimiter, count - 1) {
                    help = format!(
                        "if `{0}` separates the columns, add `delimiter: \"{0}\"` to the source; else {help}",
                        show(d)
                    );
                }
                return Some(
                    self.error(format!("{} has {} fields, {what} {count}", at(line), record.len())).help(help),
                );
            }
            if let Some((value, column, kind)) = wanted {
                let holds = |i: usize| record.get(i) == Some(value.as_bytes());
                // A failed cast does not say its column: the first typed one holding the value.
                let found = column.filter(|i| holds(*i)).or_else(|| {
                    column
                        .is_none()
                        .then(|| (0..record.len()).find(|i| holds(*i) && self.columns.get(*i).is_some_and(|c| !c.1)))
                        .flatten()
                });
                if found.is_some() {
                    return Some(self.unparsed(&format!("{}: ", at(line)), value, found, kind));
                }
            }
        }
    }

    fn unparsed(&self, at: &str, value: &str, column: Option<usize>, kind: &str) -> SourceError {
        let name = match column {
            Some(i) => {
                self.columns.get(i).map_or_else(|| format!(" in column {}", i + 1), |c| format!(" in column `{}`", c.0))
            }
            None => String::new(),
        };
        self.error(format!(
            "{at}the value `{value}`{name} is not {kind}, the type read from the column's first {INFER_ROWS} rows"
        ))
        .help(format!("if `{value}` stands for a missing value, add it to `null_values:` in the source"))
    }
}

/// The type of a column from the types its files' first rows suggest, as
/// `DataFusion` settles them (integers and floats make floats; other
/// mixtures text). A column without a value in those rows is text: read as
/// `Null` its later values would be lost.
fn merged_type(seen: &[DataType]) -> DataType {
    let mut kinds: Vec<&DataType> = seen.iter().filter(|t| **t != DataType::Null).collect();
    kinds.sort_by_key(ToString::to_string);
    kinds.dedup();
    match kinds.as_slice() {
        [one] => (*one).clone(),
        [DataType::Float64, DataType::Int64] => DataType::Float64,
        _ => DataType::Utf8,
    }
}

/// Another common delimiter that would split the first line's `text` (its
/// fields, without the delimiters) more often than `current` did (`splits`).
fn likely_delimiter(text: &[u8], current: u8, splits: usize) -> Option<u8> {
    #[allow(clippy::naive_bytecount)] // a header line: no crate needed for speed
    let count = |d: u8| text.iter().filter(|b| **b == d).count();
    DELIMITERS
        .into_iter()
        .filter(|d| *d != current)
        .map(|d| (count(d), d))
        .filter(|(n, _)| *n > splits)
        .max_by_key(|(n, _)| *n)
        .map(|(_, d)| d)
}

/// A delimiter or quote as written in YAML (a tab as `\t`).
fn show(byte: u8) -> String {
    if byte == b'\t' { "\\t".to_string() } else { char::from(byte).to_string() }
}

/// A path relative to the working folder when it is inside it.
fn shown_path(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd).unwrap_or(path).display().to_string()
}

/// A value that did not parse: the text, its column if known, the type.
type Unparsed = (String, Option<usize>, String);

/// Arrow's "Error while parsing value 'x' as type 'Int64' for column 2 at
/// line 7" -> (`x`, 2, `Int64`); a failed cast ("Cannot cast string 'x' to
/// value of Int64 type", with null markers) does not name the column.
fn unparsed_value(message: &str) -> Option<Unparsed> {
    if let Some((_, rest)) = message.split_once("Cannot cast string '") {
        let (value, rest) = rest.split_once("' to value of ")?;
        let kind = rest.split_once(" type")?.0;
        return Some((value.to_string(), None, kind.to_string()));
    }
    let rest = message.split_once("Error while parsing value '")?.1;
    let (value, rest) = rest.split_once("' as type '")?;
    let (kind, rest) = rest.split_once("' for column ")?;
    let column = rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()?;
    Some((value.to_string(), Some(column), kind.to_string()))
}

/// `DataFusion` prefixes errors with their layer; people need the cause.
fn clean(message: &str) -> String {
    let mut m = message.trim();
    for prefix in [
        "External error: ",
        "Parquet error: ",
        "Arrow error: ",
        "Execution error: ",
        "Object Store error: ",
        "Csv error: ",
        "Parser error: ",
        "CSV error: ",
    ] {
        while let Some(rest) = m.strip_prefix(prefix) {
            m = rest;
        }
    }
    m.lines().next().unwrap_or(m).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        text.split(',').map(str::to_string).collect()
    }

    /// Expected names from pandas 3.1.1: `list(pd.read_csv(io.StringIO(header + "\n...")).columns)`,
    /// the same with the C and the Python engines.
    #[test]
    fn repeated_names_are_renamed_as_pandas_does() {
        for (header, pandas) in [
            ("id,score,decile,score", "id,score,decile,score.1"),
            ("a,a,a", "a,a.1,a.2"),
            ("a,a.1,a", "a,a.1,a.2"),
            ("a,a,a.1", "a,a.2,a.1"),
            ("a,b,a,b,a", "a,b,a.1,b.1,a.2"),
            ("x.1,x,x", "x.1,x,x.2"),
            ("a,a.1,a.1,a", "a,a.1,a.1.1,a.2"),
        ] {
            assert_eq!(dedupe_names(&names(header)), names(pandas), "{header}");
        }
    }

    #[test]
    fn null_markers_become_an_anchored_escaped_regex() {
        assert_eq!(null_regex(&[]), None);
        assert_eq!(null_regex(&[String::new()]), None);
        let re = null_regex(&["NA".into(), "N/A".into(), "?".into()]).unwrap();
        assert_eq!(re, "^(?:NA|N/A|\\?|)$");
        let re = regex::Regex::new(&re).unwrap();
        assert!(re.is_match("NA") && re.is_match("?") && re.is_match(""));
        assert!(!re.is_match("NAN") && !re.is_match("xNA") && !re.is_match("N"));
    }

    #[test]
    fn types_settle_as_datafusion_settles_them() {
        use DataType::{Float64, Int64, Null, Utf8};
        assert_eq!(merged_type(&[Int64, Int64]), Int64);
        assert_eq!(merged_type(&[Int64, Null, Float64]), Float64);
        assert_eq!(merged_type(&[Int64, Utf8]), Utf8);
        assert_eq!(merged_type(&[Null]), Utf8, "a column with no values is read as text");
    }

    #[test]
    fn hints_and_messages() {
        assert_eq!(likely_delimiter(b"id;score;decile", b',', 0), Some(b';'));
        assert_eq!(likely_delimiter(b"idscore;x", b',', 1), None, "`id,score;x`: the comma splits as often");
        assert_eq!(likely_delimiter(b"id\tscore", b',', 0), Some(b'\t'));
        assert_eq!(show(b'\t'), "\\t");
        assert_eq!(
            unparsed_value(
                "Parser error: Error while parsing value 'NA' as type 'Int64' for column 2 at line 7. Row data: '[..]'"
            ),
            Some(("NA".into(), Some(2), "Int64".into()))
        );
        assert_eq!(
            unparsed_value("Arrow error: Cast error: Cannot cast string 'x1' to value of Int64 type"),
            Some(("x1".into(), None, "Int64".into()))
        );
        assert_eq!(listed(&["a", "a.1", "a.2"]), "`a`, `a.1` and `a.2`");
        assert_eq!(listed(&["a"]), "`a`");
    }
}
