//! Object stores: `s3://bucket/key` sources, read through DataFusion's own
//! `object_store` (its S3 client), set up the way AWS users expect.
//!
//! Credentials and settings come from the standard `AWS_*` environment
//! variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_REGION` / `AWS_DEFAULT_REGION`,
//! `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, web identity and container
//! credentials), else a named profile's static keys, region and endpoint
//! from the shared files (`AWS_PROFILE`, or `default`: `~/.aws/credentials`
//! and `~/.aws/config`, or `AWS_SHARED_CREDENTIALS_FILE` and
//! `AWS_CONFIG_FILE`); a suite's `storage:` may set the non-secret ones
//! (endpoint, region, `allow_http`, timeout), which win. Secrets never come from a suite
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
    let profile = profile_settings(&|k| std::env::var(k).ok())?;
    let store: Arc<dyn ObjectStore> = Arc::new(s3(bucket, &source.storage, profile).map_err(|e| e.to_string())?);
    let root = Url::parse(&format!("{}://{bucket}", url.scheme())).map_err(|e| e.to_string())?;
    ctx.runtime_env().register_object_store(&root, Arc::clone(&store));
    Ok((url, store))
}

/// An S3 client for `bucket`: the environment's settings, then `storage`'s.
fn s3(
    bucket: &str,
    storage: &Storage,
    profile: Vec<(AmazonS3ConfigKey, String)>,
) -> object_store::Result<object_store::aws::AmazonS3> {
    let timeout = Duration::from_secs_f64(storage.timeout.unwrap_or(DEFAULT_TIMEOUT));
    let options = ClientOptions::new().with_timeout(timeout).with_connect_timeout(timeout.min(Duration::from_secs(10)));
    let retry = RetryConfig { backoff: BackoffConfig::default(), max_retries: RETRIES, retry_timeout: timeout };
    // The bounds first: the environment's and the suite's settings apply on
    // top of them (`with_client_options` would replace `AWS_ALLOW_HTTP`).
    let mut builder = AmazonS3Builder::new().with_client_options(options).with_retry(retry);
    for (key, value) in profile {
        builder = builder.with_config(key, value);
    }
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

/// A named profile's settings from the shared AWS files, the way the AWS
/// tools read them: `AWS_PROFILE` (else `default`), its static keys from the
/// credentials file and its region and `endpoint_url` from the config file
/// (`[profile NAME]`, or `[default]`). Nothing when the environment holds
/// keys (they win, as for the AWS tools), or when there is no `default`
/// profile and none was named. `env` reads a variable (the environment).
fn profile_settings(env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<(AmazonS3ConfigKey, String)>, String> {
    if env("AWS_ACCESS_KEY_ID").is_some() {
        return Ok(Vec::new());
    }
    let named = env("AWS_PROFILE").filter(|p| !p.is_empty());
    let name = named.clone().unwrap_or_else(|| "default".into());
    let home = env("HOME").unwrap_or_default();
    let credentials_file = env("AWS_SHARED_CREDENTIALS_FILE").unwrap_or_else(|| format!("{home}/.aws/credentials"));
    let config_file = env("AWS_CONFIG_FILE").unwrap_or_else(|| format!("{home}/.aws/config"));
    let read = |path: &str, section: &str| std::fs::read_to_string(path).ok().and_then(|t| ini_section(&t, section));
    let keys = read(&credentials_file, &name);
    let config_section = if name == "default" { name.clone() } else { format!("profile {name}") };
    let config = read(&config_file, &config_section);
    if keys.is_none() && config.is_none() {
        return match named {
            Some(p) => Err(format!("AWS_PROFILE names `{p}`, which neither {credentials_file} nor {config_file} has")),
            None => Ok(Vec::new()),
        };
    }
    let (keys, config) = (keys.unwrap_or_default(), config.unwrap_or_default());
    let get = |key: &str| keys.iter().chain(&config).find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let mut out = Vec::new();
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(id), Some(secret)) => {
            out.push((AmazonS3ConfigKey::AccessKeyId, id));
            out.push((AmazonS3ConfigKey::SecretAccessKey, secret));
            if let Some(token) = get("aws_session_token") {
                out.push((AmazonS3ConfigKey::Token, token));
            }
        }
        _ => {
            let other = ["role_arn", "sso_session", "sso_start_url", "credential_process", "source_profile"];
            if let Some(key) = other.iter().find(|k| get(k).is_some()) {
                return Err(format!(
                    "the AWS profile `{name}` gets its credentials by `{key}`, which probity does not read yet: \
                     export them to the environment (`aws configure export-credentials --profile {name} --format env`)"
                ));
            }
        }
    }
    if let Some(region) = get("region") {
        out.push((AmazonS3ConfigKey::Region, region));
    }
    if let Some(endpoint) = get("endpoint_url") {
        out.push((AmazonS3ConfigKey::Endpoint, endpoint));
    }
    Ok(out)
}

/// The `key = value` lines of `[section]` in an INI text (`#` and `;`
/// comments), keys lowercased; `None` without that section.
fn ini_section(text: &str, section: &str) -> Option<Vec<(String, String)>> {
    let mut inside = false;
    let mut found = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
            if inside {
                found.get_or_insert_with(Vec::new);
            }
        } else if let (true, Some(entries), Some((k, v))) = (inside, found.as_mut(), line.split_once('=')) {
            entries.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    found
}

/// How long a request to `storage` may take, for messages.
pub fn timeout_of(storage: &Storage) -> f64 {
    storage.timeout.unwrap_or(DEFAULT_TIMEOUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A home folder with the two shared files, and an environment reader.
    fn home(credentials: &str, config: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".aws")).unwrap();
        std::fs::write(dir.path().join(".aws/credentials"), credentials).unwrap();
        std::fs::write(dir.path().join(".aws/config"), config).unwrap();
        dir
    }

    fn settings(dir: &tempfile::TempDir, vars: &[(&str, &str)]) -> Result<Vec<(String, String)>, String> {
        let home = dir.path().to_string_lossy().into_owned();
        let env = |k: &str| {
            if k == "HOME" {
                return Some(home.clone());
            }
            vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_string())
        };
        Ok(profile_settings(&env)?.into_iter().map(|(k, v)| (k.as_ref().to_string(), v)).collect())
    }

    const CREDENTIALS: &str = "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = default-secret\n\n\
        # a comment\n[ci]\naws_access_key_id=CIKEY\naws_secret_access_key=ci-secret\naws_session_token = ci-token\n";
    const CONFIG: &str = "[default]\nregion = eu-west-1\n[profile ci]\nregion = us-east-2\n\
        endpoint_url = http://127.0.0.1:9000\n[profile sso]\nsso_session = corp\n";

    #[test]
    fn a_named_profile_gives_its_keys_region_and_endpoint() {
        let dir = home(CREDENTIALS, CONFIG);
        let got = settings(&dir, &[("AWS_PROFILE", "ci")]).unwrap();
        let value = |k: &str| got.iter().find(|(n, _)| n.as_str() == k).map(|(_, v)| v.as_str());
        assert_eq!(value("aws_access_key_id"), Some("CIKEY"));
        assert_eq!(value("aws_secret_access_key"), Some("ci-secret"));
        assert_eq!(value("aws_session_token"), Some("ci-token"));
        assert_eq!(value("aws_region"), Some("us-east-2"));
        assert_eq!(value("aws_endpoint"), Some("http://127.0.0.1:9000"));
        let default = settings(&dir, &[]).unwrap();
        assert!(default.contains(&("aws_access_key_id".into(), "DEFAULTKEY".into())), "{default:?}");
        assert!(default.contains(&("aws_region".into(), "eu-west-1".into())), "{default:?}");
    }

    #[test]
    fn keys_in_the_environment_win_and_missing_profiles_are_errors() {
        let dir = home(CREDENTIALS, CONFIG);
        assert!(settings(&dir, &[("AWS_PROFILE", "ci"), ("AWS_ACCESS_KEY_ID", "ENV")]).unwrap().is_empty());
        let err = settings(&dir, &[("AWS_PROFILE", "nope")]).unwrap_err();
        assert!(err.contains("AWS_PROFILE names `nope`, which neither"), "{err}");
        let err = settings(&dir, &[("AWS_PROFILE", "sso")]).unwrap_err();
        assert!(err.contains("gets its credentials by `sso_session`, which probity does not read yet"), "{err}");
        assert!(!err.contains("secret"), "no secret in the message: {err}");
        let empty = home("", "");
        assert!(settings(&empty, &[]).unwrap().is_empty(), "no default profile: nothing");
    }
}
