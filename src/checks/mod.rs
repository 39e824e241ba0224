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
use crate::spec::params::{Params, Sql};
pub use schema::type_name;

/// What every check kind implements.
pub trait CheckKind: fmt::Debug + Send + Sync {
    /// The kind's name as written in YAML.
    fn kind(&self) -> &'static str;
    /// The columns of its dataset the check is about (for ids and reports).
    fn columns(&self) -> Vec<String>;
    /// Resolves names against the data and requests metrics. Problems are
    /// reported on the binder; `None` means the check cannot run.
    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound>;
    /// Turns the requested metrics (in the order `bind` gave) into a verdict.
    fn judge(&self, m: &Measured<'_>) -> Judgement;
}

/// Reads a kind's parameters into a check (`None` after reporting problems).
pub type ParseFn = fn(&mut Params<'_>, &mut Option<Sql>) -> Option<Box<dyn CheckKind>>;

/// A registry entry: the YAML name and the parameter parser.
pub struct KindInfo {
    pub name: &'static str,
    /// The keys it accepts besides `name`, `severity`, `where`, `description`.
    pub keys: &'static [&'static str],
    /// Reads the kind's parameters; may take the common `where` (see `condition`).
    pub parse: ParseFn,
}

pub const KINDS: &[KindInfo] = &[
    KindInfo { name: "row_count", keys: &["min", "max"], parse: row_count::parse },
    KindInfo { name: "schema", keys: &["columns", "required", "forbidden", "extra_columns"], parse: schema::parse },
    KindInfo { name: "not_null", keys: &["column", "mostly"], parse: not_null::parse },
    KindInfo { name: "missing", keys: &["column", "max", "values"], parse: missing::parse },
    KindInfo { name: "unique", keys: &["column", "columns", "max"], parse: unique::parse },
    KindInfo { name: "between", keys: &["column", "min", "max", "strict", "mostly"], parse: between::parse },
    KindInfo { name: "in_set", keys: &["column", "values", "mostly"], parse: in_set::parse_in },
    KindInfo { name: "not_in_set", keys: &["column", "values", "mostly"], parse: in_set::parse_not_in },
    KindInfo { name: "regex", keys: &["column", "pattern", "mostly"], parse: regex::parse },
    KindInfo { name: "length", keys: &["column", "min", "max", "mostly"], parse: length::parse },
    KindInfo { name: "stat", keys: &["column", "metric", "q", "min", "max", "between"], parse: stat::parse },
    KindInfo { name: "condition", keys: &["expect", "mostly"], parse: condition::parse },
    KindInfo { name: "freshness", keys: &["column", "max_age"], parse: freshness::parse },
    KindInfo {
        name: "drift",
        keys: &["column", "columns", "test", "max_statistic", "min_p_value", "max", "bins", "fdr", "max_distinct"],
        parse: drift::parse,
    },
    KindInfo {
        name: "fairness",
        keys: &[
            "groups",
            "prediction",
            "threshold",
            "label",
            "weight",
            "favorable",
            "unfavorable",
            "favorable_label",
            "metric",
            "method",
            "agg",
            "reference_group",
            "min",
            "max",
            "bound",
            "min_group_size",
            "confidence",
            "n_boot",
            "seed",
        ],
        parse: fairness::parse,
    },
    KindInfo { name: "references", keys: &["column", "to", "mostly"], parse: references::parse },
    KindInfo {
        name: "trend",
        keys: &["column", "metric", "q", "max_change", "max_sigma", "window", "min_history"],
        parse: trend::parse,
    },
];

/// The names of every check kind, in registry order (for help lines).
pub fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name).collect()
}

pub fn lookup(name: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.name == name)
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
            MetricValue::Scalar(v) => scalar_f64(v).map_or(0, |f| f as u64),
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
        scalar_f64(self.scalar(i))
    }

    pub fn duplicates(&self, i: usize) -> DuplicateStats {
        match self.values[i] {
            MetricValue::Duplicates(d) => *d,
            other => unreachable!("metric {i} is not a duplicates metric: {other:?}"),
        }
    }
}

/// A numeric scalar as f64; `None` for null, NaN or a non-numeric value.
pub fn scalar_f64(v: &ScalarValue) -> Option<f64> {
    if v.is_null() {
        return None;
    }
    let f = match v {
        ScalarValue::Float64(Some(f)) => *f,
        ScalarValue::Float32(Some(f)) => f64::from(*f),
        ScalarValue::Int8(Some(i)) => f64::from(*i),
        ScalarValue::Int16(Some(i)) => f64::from(*i),
        ScalarValue::Int32(Some(i)) => f64::from(*i),
        ScalarValue::Int64(Some(i)) => *i as f64,
        ScalarValue::UInt8(Some(i)) => f64::from(*i),
        ScalarValue::UInt16(Some(i)) => f64::from(*i),
        ScalarValue::UInt32(Some(i)) => f64::from(*i),
        ScalarValue::UInt64(Some(i)) => *i as f64,
        other => other.cast_to(&datafusion::arrow::datatypes::DataType::Float64).ok().and_then(|c| match c {
            ScalarValue::Float64(f) => f,
            _ => None,
        })?,
    };
    f.is_finite().then_some(f)
}

/// A JSON number, or null when the value is undefined (NaN, infinite, absent).
pub fn json_number(v: Option<f64>) -> Json {
    match v {
        Some(f) if f.is_finite() => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                Json::from(f as i64)
            } else {
                // 12 significant digits keep reports stable across platforms.
                let rounded: f64 = format!("{f:.12e}").parse().unwrap_or(f);
                serde_json::Number::from_f64(rounded).map_or(Json::Null, Json::Number)
            }
        }
        _ => Json::Null,
    }
}

/// `count / total`, undefined for an empty total.
pub fn fraction(count: u64, total: u64) -> Option<f64> {
    (total > 0).then(|| count as f64 / total as f64)
}

/// Human text for a number in messages: integers plainly, others to 6 digits.
pub fn show(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}
