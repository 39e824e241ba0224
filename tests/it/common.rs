//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};
use probity::RunRequest;

/// The instant the tests measure freshness from.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-01T12:00:00Z").unwrap().with_timezone(&Utc)
}

pub fn request(paths: &[&str]) -> RunRequest {
    RunRequest {
        paths: paths.iter().map(PathBuf::from).collect(),
        now: Some(now()),
        sample_size: 3,
        ..RunRequest::default()
    }
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(f)
}

/// What running the binary printed.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// One text for a snapshot: the exit code, then stdout and stderr.
    pub fn snapshot(&self) -> String {
        format!("exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs the real binary in `dir` (the crate root by default), without colour.
/// `check` writes no report files unless the test names `--out`: tests must
/// not litter the crate's reports/ folder.
pub fn probity_in(dir: &Path, args: &[&str]) -> Output {
    let mut args: Vec<&str> = args.to_vec();
    if args.first() == Some(&"check") && !args.contains(&"--out") && !args.contains(&"--no-reports") {
        args.push("--no-reports");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_probity"))
        .args(&args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
        .expect("the probity binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn probity(args: &[&str]) -> Output {
    probity_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// JSON results with the run's timing replaced, for snapshots.
pub fn stable_json(text: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
    v["started_at"] = "[started_at]".into();
    v["duration_ms"] = "[duration_ms]".into();
    v["probity_version"] = "[version]".into();
    // Provenance names this checkout's absolute paths and the files' times.
    let root = env!("CARGO_MANIFEST_DIR");
    let Some(run) = v.as_object_mut() else { return v };
    let mut reads: Vec<&mut serde_json::Value> = Vec::new();
    for (key, value) in run.iter_mut() {
        match (key.as_str(), value) {
            ("datasets", serde_json::Value::Object(datasets)) => reads.extend(datasets.values_mut()),
            ("suites", serde_json::Value::Array(suites)) => {
                reads.extend(suites.iter_mut().filter_map(|s| s.get_mut("reference")));
            }
            _ => {}
        }
    }
    for read in reads {
        for file in read.get_mut("files").and_then(serde_json::Value::as_array_mut).into_iter().flatten() {
            let path = file["path"].as_str().unwrap_or_default().replace(root, "[root]");
            file["path"] = path.into();
            file["modified"] = "[modified]".into();
        }
    }
    v
}
