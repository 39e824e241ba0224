//! probity tests data before anyone trusts it.
//!
//! ```text
//! YAML files ─▶ spec ─────▶ compile ──────────────▶ engine ─────────▶ checks::judge ─▶ report
//!              (Suite,      (one fused aggregate    (DataFusion:     (metrics ->       (terminal,
//!               spans)       per dataset + grouped   the only code    verdicts, pure)   JSON, JUnit,
//!                            queries where needed)   that queries)                      Markdown, HTML,
//!                                                                                       Prometheus; history)
//! ```
//!
//! [`run::run`] sequences the steps. The library never prints and decides no
//! exit code: the `probity` command (`src/main.rs`, `src/cli/`, feature
//! `cli`) does. See ARCHITECTURE.md for the layers and the invariants.

pub mod checks;
pub mod compile;
pub mod engine;
pub mod error;
pub mod fairness;
pub mod history;
pub mod outcome;
pub mod report;
pub mod run;
pub mod spec;
pub mod stats;
pub mod util;

pub use error::Error;
pub use outcome::{RunOutcome, Status};
pub use run::{RunRequest, run};
