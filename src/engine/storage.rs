//! Object stores: `s3://bucket/key` sources, read through DataFusion's own
//! `object_store` (its S3 client), set up the way AWS users expect.
//!
//! Credentials and settings come from the standard `AWS_*` environment
//! variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_REGION` / `AWS_DEFAULT_REGION`,
//! `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, web identity and container
//! credentials); a suite's `storage:` may set the non-secret ones (endpoint,
//! region, `allow_http`, timeout), which win. Secrets never come from a suite
//! and never appear in messages: errors name the URL and the cause.
//!
//! Requests are bounded: each may take [`DEFAULT_TIMEOUT`] seconds (or
//! `storage.timeout`), connecting at most 10 s, and a failing request is
//! retried at most [`RETRIES`] times within the same bound.

use std::sync::Arc;
use std::time::Duration;

use datafusion::prelude::SessionContext;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};
use url::Url;

use crate::spec::{Source, Storage};

/// Seconds one request may take unless `storage.timeout` says otherwise.
pub const DEFAULT_TIMEOUT: f64 = 30.0;

/// Retries of a failed request (transient errors, 5xx, timeouts).
pub const RETRIES: usize = 3;

/// The URL schemes read from object stores.
const SCHEMES: [&str; 2] = ["s3://", "s3a://"];

/// Whether `path` is an object-store URL rather than a local path.
pub fn is_remote(path: &str) -> bool {
    path.contains("://")
}

/// Registers the store that serves `source`'s URL with `ctx` (one per
/// bucket), built from the environment and the suite's `storage:`.
/// Returns the URL and the store.
pub fn register(ctx: &SessionContext, source: &Source) -> Result<(Url, Arc<dyn ObjectStore>), String> {
    let path = source.path.as_str();
    if !SCHEMES.iter().any(|s| path.starts_with(s)) {
        let scheme = path.split("://").next().unwrap_or(path);
        return Err(format!("`{scheme}://` URLs are not read (yet): only local paths and s3:// URLs are"));
    }
    let url = Url::parse(path).map_err(|e| format!("not a valid URL: {e}"))?;
    let bucket = url.host_str().filter(|b| !b.is_empty()).ok_or("the URL names no bucket (s3://bucket/key)")?;
    let store: Arc<dyn ObjectStore> = Arc::new(s3(bucket, &source.storage).map_err(|e| e.to_string())?);
    let root = Url::parse(&format!("{}://{bucket}", url.scheme())).map_err(|e| e.to_string())?;
    ctx.runtime_env().register_object_store(&root, Arc::clone(&store));
    Ok((url, store))
}

/// An S3 client for `bucket`: the environment's settings, then `storage`'s.
fn s3(bucket: &str, storage: &Storage) -> object_store::Result<object_store::aws::AmazonS3> {
    let timeout = Duration::from_secs_f64(storage.timeout.unwrap_or(DEFAULT_TIMEOUT));
    let options = ClientOptions::new().with_timeout(timeout).with_connect_timeout(timeout.min(Duration::from_secs(10)));
    let retry = RetryConfig { backoff: BackoffConfig::default(), max_retries: RETRIES, retry_timeout: timeout };
    // The bounds first: the environment's and the suite's settings apply on
    // top of them (`with_client_options` would replace `AWS_ALLOW_HTTP`).
    let mut builder = AmazonS3Builder::new().with_client_options(options).with_retry(retry);
    for (key, value) in std::env::vars() {
        if key.starts_with("AWS_")
            && let Ok(config) = key.to_ascii_lowercase().parse::<AmazonS3ConfigKey>()
        {
            builder = builder.with_config(config, value);
        }
    }
    builder = builder.with_bucket_name(bucket);
    if let Some(endpoint) = &storage.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(region) = &storage.region {
        builder = builder.with_region(region);
    }
    if let Some(allow) = storage.allow_http {
        builder = builder.with_allow_http(allow);
    }
    builder.build()
}

/// How long a request to `storage` may take, for messages.
pub fn timeout_of(storage: &Storage) -> f64 {
    storage.timeout.unwrap_or(DEFAULT_TIMEOUT)
}
