//! Check kinds: one file per kind, each with its parameters (`parse`), the
//! metrics it needs (`bind`) and how it judges them (`judge`). Adding a kind
//! means adding a file and a line to [`KINDS`]; nothing else changes.
//!
//! The documented `observed` and `threshold` fields of each kind are listed in
//! `docs/checks.md`.

mod between;
mod condition;
mod drift;
mod fairness;
mod freshness;
mod in_set;
mod length;
mod missing;
mod not_null;
mod references;
mod regex;
mod row_count;
mod schema;
mod stat;
mod trend;
mod unique;
mod validity;

use std::fmt;

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::Schema;
use datafusion::common::ScalarValue;
use serde_json::{Map, Value as Json};

use crate::compile::{Binder, Bound, DuplicateStats, MetricValue};

/// What every check kind implements.
pub trait CheckKind: fmt::Debug + Send + Sync {
    /// The columns of its dataset the check is about (for ids and reports).
    fn columns(&self) -> Vec<String>;
    /// Resolves names against the data and requests metrics. Problems are
    /// reported on the binder; `None` means the check cannot run.
    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound>;
    /// Turns the requested metrics (in the order `bind` gave) into a verdict.
    fn judge(&self, m: &Measured<'_>) -> Judgement;
}

impl crate::compile::Bind for Box<dyn CheckKind> {
    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        CheckKind::bind(self.as_ref(), b)
    }
}

/// A registry entry: the YAML name, the keys and the parameter parser
/// (declared in the kind's file, listed in [`KINDS`]).
pub type KindInfo = crate::spec::KindEntry<Box<dyn CheckKind>>;

/// A suite whose checks are this layer's kinds.
pub type Suite = crate::spec::Suite<Box<dyn CheckKind>>;

/// A check of one of this layer's kinds, with the parts every kind shares.
pub type Check = crate::spec::Check<Box<dyn CheckKind>>;

/// Every check kind, in the order `probity` lists them (help lines, docs).
pub const KINDS: &[KindInfo] = &[
    row_count::KIND,
    schema::KIND,
    not_null::KIND,
    missing::KIND,
    unique::KIND,
    between::KIND,
    in_set::IN_SET,
    in_set::NOT_IN_SET,
    regex::KIND,
    length::KIND,
    stat::KIND,
    condition::KIND,
    freshness::KIND,
    drift::KIND,
    fairness::KIND,
    references::KIND,
    trend::KIND,
];

/// The names of every check kind, in registry order (for help lines).
pub fn kind_names() -> Vec<&'static str> {
    crate::spec::kind_names(KINDS)
}

/// The outcome of judging one check, before reporting.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub verdict: Verdict,
    /// The numbers judged, named per kind (documented in docs/checks.md).
    pub observed: Map<String, Json>,
    pub threshold: Map<String, Json>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// The check could not be judged (empty scope, undefined aggregate).
    Undefined,
    /// Not judged, for a stated reason (e.g. too little history): never a pass.
    Skipped,
}

impl Judgement {
    pub fn new(verdict: Verdict, message: impl Into<String>) -> Self {
        Self { verdict, observed: Map::new(), threshold: Map::new(), message: message.into() }
    }

    #[must_use]
    pub fn observed(mut self, key: &str, value: impl Into<Json>) -> Self {
        self.observed.insert(key.to_string(), value.into());
        self
    }

    #[must_use]
    pub fn threshold(mut self, key: &str, value: impl Into<Json>) -> Self {
        self.threshold.insert(key.to_string(), value.into());
        self
    }
}

/// The metric values a check asked for, and the run's context.
pub struct Measured<'a> {
    pub values: Vec<&'a MetricValue>,
    pub schema: &'a Schema,
    pub now: DateTime<Utc>,
    /// This check's past values from the run history, oldest first; `None`
    /// when the run keeps no history.
    pub past: Option<&'a [f64]>,
}

impl Measured<'_> {
    pub fn scalar(&self, i: usize) -> &ScalarValue {
        match self.values[i] {
            MetricValue::Scalar(v) => v,
            other => unreachable!("metric {i} is not scalar: {other:?}"),
        }
    }

    /// A count metric; counts are never null (an empty scope counts 0).
    pub fn count(&self, i: usize) -> u64 {
        match self.values[i] {
            MetricValue::Scalar(v) => crate::util::numbers::scalar_f64(v).map_or(0, |f| f as u64),
            MetricValue::Orphans { rows } => *rows,
            MetricValue::Duplicates(d) => d.rows,
            MetricValue::Table(batches) => batches.iter().map(|b| b.num_rows() as u64).sum(),
            MetricValue::Distribution(d) => d.sides[0].iter().map(|(_, n)| n).sum(),
        }
    }

    /// The two sides of a distribution metric.
    pub fn distribution(&self, i: usize) -> &crate::compile::Distribution {
        match self.values[i] {
            MetricValue::Distribution(d) => d,
            other => unreachable!("metric {i} is not a distribution: {other:?}"),
        }
    }

    /// The batches of a grouped table metric.
    pub fn table(&self, i: usize) -> &[datafusion::arrow::array::RecordBatch] {
        match self.values[i] {
            MetricValue::Table(batches) => batches,
            other => unreachable!("metric {i} is not a table: {other:?}"),
        }
    }

    pub fn f64(&self, i: usize) -> Option<f64> {
        crate::util::numbers::scalar_f64(self.scalar(i))
    }

    pub fn duplicates(&self, i: usize) -> DuplicateStats {
        match self.values[i] {
            MetricValue::Duplicates(d) => *d,
            other => unreachable!("metric {i} is not a duplicates metric: {other:?}"),
        }
    }
}
