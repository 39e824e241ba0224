//! Delta Lake tables, read through delta-rs (`deltalake-core`): the log
//! says which Parquet files make up a version, the table provider reads
//! them (partition values from the log, not from folder names), local or
//! on S3 through the same store the suite's other `s3://` sources use.
//!
//! A version is the latest, a number, N versions before the latest
//! (`version: previous`), or the last one committed at a time. A table
//! whose protocol asks for a reader feature delta-rs does not know is
//! refused by delta-rs' kernel before anything is read: the error says so
//! instead of reading it wrongly.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use datafusion::prelude::SessionContext;
use deltalake_core::logstore::{
    LogStoreFactory, LogStoreRef, ObjectStoreRef, StorageConfig, default_logstore, logstore_factories,
};
use deltalake_core::table::builder::DeltaTableBuilder;
use deltalake_core::{DeltaResult, DeltaTable, DeltaTableError};
use object_store::ObjectStore;
use url::Url;

use super::source::{Opened, SourceError, causes, store_error};
use crate::outcome::{DataRead, DeltaRead};
use crate::spec::{DeltaVersion, Source};

/// delta-rs finds a table's log store by the URL's scheme; its S3 one
/// lives in `deltalake-aws` (with the AWS SDK, for writers' locking). probity
/// only reads, through the store it built itself: the default log store
/// serves `s3://` and `s3a://` here.
#[derive(Debug)]
struct ReadOnlyLogStores;

impl LogStoreFactory for ReadOnlyLogStores {
    fn with_options(
        &self,
        prefixed_store: ObjectStoreRef,
        root_store: ObjectStoreRef,
        location: &Url,
        options: &StorageConfig,
    ) -> DeltaResult<LogStoreRef> {
        Ok(default_logstore(prefixed_store, root_store, location, options))
    }
}

fn register_log_stores() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for scheme in ["s3://", "s3a://"] {
            if let Ok(url) = Url::parse(scheme) {
                logstore_factories().insert(url, Arc::new(ReadOnlyLogStores));
            }
        }
    });
}

/// Whether the prefix an `s3://` URL names holds a Delta log (one listing
/// request of at most one key).
pub async fn has_log(url: &Url, store: &dyn ObjectStore) -> bool {
    use futures::StreamExt;
    let prefix = format!("{}/_delta_log/", url.path().trim_matches('/'));
    let prefix = object_store::path::Path::from(prefix.as_str());
    matches!(store.list(Some(&prefix)).next().await, Some(Ok(_)))
}

/// Opens the Delta table at `source`'s path, at its version.
pub async fn open(
    ctx: &SessionContext,
    source: &Source,
    remote: Option<(Url, Arc<dyn ObjectStore>)>,
) -> Result<Opened, SourceError> {
    let url = match &remote {
        Some((url, _)) => {
            let mut url = url.clone();
            if !url.path().ends_with('/') {
                url.set_path(&format!("{}/", url.path()));
            }
            url
        }
        None => {
            let folder = std::fs::canonicalize(&source.path).map_err(|e| SourceError::new(source, e.to_string()))?;
            if !folder.join("_delta_log").is_dir() {
                return Err(not_a_table(source));
            }
            Url::from_directory_path(&folder)
                .map_err(|()| SourceError::new(source, "not a folder that can be named by a URL"))?
        }
    };
    register_log_stores();
    let builder = || -> Result<DeltaTableBuilder, SourceError> {
        let mut b = DeltaTableBuilder::from_url(url.clone()).map_err(|e| delta_error(source, &e))?;
        if let Some((_, store)) = &remote {
            b = b.with_storage_backend(Arc::clone(store), url.clone());
        }
        Ok(b)
    };
    let table = match &source.delta_version {
        None => builder()?.load().await.map_err(|e| delta_error(source, &e))?,
        Some(DeltaVersion::Version(v)) => match builder()?.with_version(*v).load().await {
            Ok(t) => t,
            Err(e) => return Err(version_error(source, builder()?.load().await.ok(), &e)),
        },
        Some(DeltaVersion::Timestamp(t)) => {
            let b = builder()?.with_datestring(t).map_err(|e| delta_error(source, &e))?;
            let table = match b.load().await {
                Ok(t) => t,
                Err(e) => return Err(version_error(source, builder()?.load().await.ok(), &e)),
            };
            // delta-rs gives the first version for a time before it: that
            // table did not exist yet.
            let wanted = DateTime::parse_from_rfc3339(t).map_or(i64::MAX, |t| t.timestamp_millis());
            let snapshot = table.snapshot().map_err(|e| delta_error(source, &e))?;
            if let Some(first) = snapshot.version_timestamp(snapshot.version()).filter(|c| *c > wanted) {
                let first = DateTime::<Utc>::from_timestamp_millis(first)
                    .map_or_else(String::new, |f| f.to_rfc3339_opts(SecondsFormat::Millis, true));
                return Err(SourceError::new(
                    source,
                    format!("no version was committed by {t}: version {} was committed at {first}", snapshot.version()),
                )
                .help("pick a later `timestamp:`, or a `version:`"));
            }
            table
        }
        Some(DeltaVersion::BeforeLatest(n)) => {
            let mut table = builder()?.load().await.map_err(|e| delta_error(source, &e))?;
            let latest = table.version().unwrap_or(0);
            let Some(wanted) = latest.checked_sub(*n) else {
                return Err(SourceError::new(
                    source,
                    format!("the table has no version {n} before the latest: the latest is version {latest}"),
                )
                .help("a table's first drift check has no earlier version to compare with; use `version: N`"));
            };
            table.load_version(wanted).await.map_err(|e| delta_error(source, &e))?;
            table
        }
    };
    let read = describe(&table).map_err(|e| delta_error(source, &e))?;
    table.update_datafusion_session(&ctx.state()).map_err(|e| delta_error(source, &e))?;
    let provider = table.table_provider().await.map_err(|e| SourceError::new(source, e.to_string()))?;
    // A version named by its place or time: say which one it was.
    let note = match &source.delta_version {
        Some(v @ (DeltaVersion::BeforeLatest(_) | DeltaVersion::Timestamp(_))) => {
            vec![format!("{}: Delta table read at version {} ({v})", source.path, read.version)]
        }
        _ => Vec::new(),
    };
    Ok(Opened { table: provider, notes: note, csv: None, read: DataRead::Delta(read) })
}

/// The version read, when it was committed, and its files.
fn describe(table: &DeltaTable) -> Result<DeltaRead, DeltaTableError> {
    let snapshot = table.snapshot()?;
    let version = snapshot.version();
    let committed = snapshot
        .version_timestamp(version)
        .and_then(DateTime::<Utc>::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true));
    let files = snapshot.log_data();
    let (count, bytes) = files.iter().fold((0u64, 0u64), |(n, b), f| (n + 1, b + f.size().unsigned_abs()));
    Ok(DeltaRead { version, committed, files: count, bytes })
}

fn not_a_table(source: &Source) -> SourceError {
    SourceError::new(source, "not a Delta table: there is no `_delta_log/` in it")
        .help("name the table's folder (the one holding `_delta_log/`), or drop `delta:` to read plain files")
}

/// A version that cannot be loaded: which versions there are, if the
/// latest can be.
fn version_error(source: &Source, latest: Option<DeltaTable>, e: &DeltaTableError) -> SourceError {
    let Some(latest) = latest.and_then(|t| t.version()) else { return delta_error(source, e) };
    let wanted = source.delta_version.as_ref().map_or_else(String::new, ToString::to_string);
    let first = if matches!(source.delta_version, Some(DeltaVersion::Timestamp(_))) {
        "no version was committed by then (or its log entries were cleaned up)".to_string()
    } else {
        "there is no such version (or its log entries were cleaned up)".to_string()
    };
    SourceError::new(source, format!("cannot read {wanted}: {first}; the latest is version {latest}"))
        .help("pick a version between 0 and the latest, or a later `timestamp:`")
}

/// delta-rs' error in a few words, with the help it calls for.
fn delta_error(source: &Source, e: &DeltaTableError) -> SourceError {
    let message = e.to_string();
    let lower = message.to_ascii_lowercase();
    if lower.contains("unsupported") || lower.contains("not supported") {
        return SourceError::new(
            source,
            format!("the table uses a feature this reader does not support, so it is not read: {message}"),
        )
        .help("the table was changed by a newer writer; read an earlier `version:` or use a reader that supports it");
    }
    if matches!(e, DeltaTableError::NotATable(_)) || lower.contains("no files in log segment") {
        return not_a_table(source);
    }
    if super::storage::is_remote(&source.path) && matches!(e, DeltaTableError::ObjectStore { .. }) {
        return store_error(source, &causes(e));
    }
    SourceError::new(source, message)
}
