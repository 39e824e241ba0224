//! Output formats, one file each, all rendering the same [`RunOutcome`].
//! Rendering is pure (a string); writing files goes through
//! [`write_atomic`] so that an interrupted run never leaves half a report.

mod json;
mod terminal;

use std::io::Write;
use std::path::Path;

use crate::outcome::RunOutcome;

pub use json::Json;
pub use terminal::Terminal;

/// A report format.
pub trait Report {
    fn render(&self, run: &RunOutcome) -> String;
}

/// Writes `contents` to `path` through a temporary file in the same folder
/// and a rename, creating the folder if needed.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("report");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
