//! The library's error type. User mistakes (a bad spec, unreadable data,
//! a bad argument) are kept apart from failures of the engine itself.

use crate::spec::diagnostic::Diagnostics;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Problems in expectation files, or in the data they name, each with a
    /// <file:line:col>.
    #[error("{0}")]
    Spec(Diagnostics),
    /// A problem with what was asked for that has no place in a file
    /// (e.g. `--data` naming a dataset no suite declares).
    #[error("{message}")]
    Usage { message: String, help: Option<String> },
    /// A query failed while reading data (e.g. a corrupt file discovered
    /// mid-scan, or a CSV line that does not fit its header). `help` says
    /// what to do when the cause is known.
    #[error("dataset `{dataset}`: cannot read the data in `{path}`: {message}")]
    Query { dataset: String, path: String, message: String, help: Option<String> },
    /// A query needed more memory than the pool (`--memory-limit`) holds and
    /// could not spill. The data is fine.
    #[error("dataset `{dataset}`: the queries need more memory than --memory-limit allows: {message}")]
    Memory { dataset: String, message: String },
}

impl Error {
    pub fn usage(message: impl Into<String>, help: Option<String>) -> Self {
        Self::Usage { message: message.into(), help }
    }

    /// The help line, if the error carries one outside its diagnostics.
    pub fn help(&self) -> Option<&str> {
        match self {
            Self::Usage { help, .. } => help.as_deref(),
            Self::Query { help, .. } => Some(
                help.as_deref()
                    .unwrap_or("the file may be corrupt or truncated: regenerate it, or point --data at a good copy"),
            ),
            Self::Memory { .. } => Some(
                "raise --memory-limit; exact uniqueness and distinct counts of high-cardinality columns need the most \
                 (`probity plan` shows the grouped queries)",
            ),
            Self::Spec(_) => None,
        }
    }
}
