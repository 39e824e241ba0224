//! `stat`: an aggregate of a column lies within bounds.
//!
//! Why: a shifted mean or an exploded maximum flags a broken feed even when
//! every single value looks valid.
//! Example: `- stat: { column: amount, metric: mean, between: [5000, 20000] }`
//!
//! Metrics (exact unless named approx_): mean, stddev and variance (sample,
//! n - 1), min, max, sum, median, quantile (with `q`, linear interpolation as
//! `percentile_cont`), `distinct_count` (a grouped query of its own),
//! `approx_distinct_count` (`HyperLogLog`), `approx_median`, `approx_quantile`
//! (t-digest). An aggregate over no non-null values is undefined: error status.

use datafusion::arrow::datatypes::DataType;
use datafusion::functions_aggregate::expr_fn::{
    approx_distinct, approx_median, approx_percentile_cont, avg, max, median, min, stddev, sum, var_sample,
};
use datafusion::functions_aggregate::percentile_cont::percentile_cont;
use datafusion::logical_expr::lit;

use super::{CheckKind, Judgement, KindInfo, Measured, Verdict};
use crate::compile::{Binder, Bound, MetricId, MetricValue};
use crate::spec::Column;
use crate::spec::diagnostic::did_you_mean;
use crate::spec::params::{Params, Sql};
use crate::util::numbers::{json_number, show};

pub(super) const METRICS: &[&str] = &[
    "mean",
    "stddev",
    "variance",
    "min",
    "max",
    "sum",
    "median",
    "quantile",
    "distinct_count",
    "approx_distinct_count",
    "approx_median",
    "approx_quantile",
];

#[derive(Debug)]
struct Stat {
    column: Column,
    metric: &'static str,
    q: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
}

/// The registry entry of `stat` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo { name: "stat", keys: &["column", "metric", "q", "min", "max", "between"], parse };

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    // Read every key first so that one mistake does not hide another.
    let column = p.column();
    let metric = parse_metric(p, METRICS);
    let (mut lo, mut hi) = (p.opt_number("min"), p.opt_number("max"));
    let between = p.get("between");
    let (metric, q) = metric?;
    if let Some(between) = between {
        let pair = p.seq(between, "between")?;
        let bounds: Vec<f64> = pair.iter().filter_map(super::super::spec::yaml::Node::as_f64).collect();
        if pair.len() != 2 || bounds.len() != 2 || bounds[0] > bounds[1] {
            p.error(
                between.span,
                "`between` takes two numbers, low then high",
                Some("e.g. `between: [5000, 20000]`".into()),
            );
            return None;
        }
        (lo, hi) = (Some(bounds[0]), Some(bounds[1]));
    }
    if lo.is_none() && hi.is_none() {
        let span = p.kind_span;
        p.error(span, "`stat` needs `min`, `max` or `between`", None);
        return None;
    }
    Some(Box::new(Stat { column: column?, metric, q, min: lo, max: hi }))
}

/// Reads `metric` (one of `names`) and the `q` that quantile metrics need.
pub(super) fn parse_metric(p: &mut Params<'_>, names: &[&'static str]) -> Option<(&'static str, Option<f64>)> {
    let metric_node = p.require("metric");
    let q = p.opt_number("q");
    let name = p.string(metric_node?, "a metric name")?;
    let Some(metric) = names.iter().copied().find(|m| *m == name) else {
        p.error(metric_node?.span, format!("unknown metric `{name}`"), Some(did_you_mean(&name, names)));
        return None;
    };
    let needs_q = metric.ends_with("quantile");
    match (needs_q, q) {
        (true, None) => {
            p.error(
                metric_node?.span,
                format!("`{metric}` needs `q`, the quantile between 0 and 1"),
                Some("e.g. `q: 0.95`".into()),
            );
            None
        }
        (true, Some(q)) if !(0.0..=1.0).contains(&q) => {
            let span = p.node.span;
            p.error(span, format!("`q` must be between 0 and 1, found {q}"), None);
            None
        }
        (false, Some(_)) => {
            let span = p.node.span;
            p.error(span, format!("`q` only applies to quantile metrics, not `{metric}`"), None);
            None
        }
        _ => Some((metric, q)),
    }
}

/// The metric's query for `column`, or a bind error when the column's type
/// does not support it.
pub(super) fn bind_metric(b: &mut Binder<'_>, column: &Column, metric: &str, q: Option<f64>) -> Option<MetricId> {
    let mut dt = b.column(column)?;
    if dt == DataType::Null {
        // No values at all: every metric reads it as a column of numbers.
        dt = b.stand_in(column, DataType::Float64);
    }
    let counts_only = matches!(metric, "distinct_count" | "approx_distinct_count");
    let orderable = matches!(metric, "min" | "max" | "median" | "quantile" | "approx_median" | "approx_quantile");
    if !(counts_only || dt.is_numeric() || (orderable && crate::compile::is_orderable(&dt))) {
        b.error(
            column.span,
            format!("`{metric}` needs a numeric column; `{}` is {}", column.name, crate::util::types::type_name(&dt)),
            Some("distinct_count works on any column".into()),
        );
        return None;
    }
    let c = b.value(column);
    let q = q.unwrap_or(0.5);
    Some(match metric {
        "distinct_count" => b.duplicates(std::slice::from_ref(column), false),
        "mean" => b.aggregate(avg(c)),
        "stddev" => b.aggregate(stddev(c)),
        "variance" => b.aggregate(var_sample(c)),
        "min" => b.aggregate(min(c)),
        "max" => b.aggregate(max(c)),
        "sum" => b.aggregate(sum(c)),
        "median" => b.aggregate(median(c)),
        "quantile" => b.aggregate(percentile_cont(c.sort(true, false), lit(q))),
        "approx_distinct_count" => b.aggregate(approx_distinct(c)),
        "approx_median" => b.aggregate(approx_median(c)),
        _ => b.aggregate(approx_percentile_cont(c.sort(true, false), lit(q), None)),
    })
}

/// The value of a metric bound by [`bind_metric`]; `None` when undefined.
pub(super) fn metric_value(m: &Measured<'_>, i: usize) -> Option<f64> {
    match m.values[i] {
        MetricValue::Duplicates(d) => Some(d.distinct_keys as f64),
        _ => m.f64(i),
    }
}

impl CheckKind for Stat {
    fn columns(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        let metric = bind_metric(b, &self.column, self.metric, self.q)?;
        Some(b.bound(vec![metric], None))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let value = metric_value(m, 0);
        let name = match self.q {
            Some(q) => format!("{}({q})", self.metric),
            None => self.metric.to_string(),
        };
        let mut j = match value {
            None => Judgement::new(Verdict::Undefined, format!("{name} is undefined: no non-null values in scope")),
            Some(v) => {
                let low = self.min.is_some_and(|lo| v < lo);
                let high = self.max.is_some_and(|hi| v > hi);
                let range = match (self.min, self.max) {
                    (Some(lo), Some(hi)) => format!("between {} and {}", show(lo), show(hi)),
                    (Some(lo), None) => format!("at least {}", show(lo)),
                    (None, hi) => format!("at most {}", show(hi.unwrap_or_default())),
                };
                let verdict = if low || high { Verdict::Fail } else { Verdict::Pass };
                Judgement::new(verdict, format!("{name} = {}; expected {range}", show(v)))
            }
        };
        j = j.observed("value", json_number(value)).threshold("metric", self.metric);
        if let Some(q) = self.q {
            j = j.threshold("q", json_number(Some(q)));
        }
        if let Some(lo) = self.min {
            j = j.threshold("min", json_number(Some(lo)));
        }
        if let Some(hi) = self.max {
            j = j.threshold("max", json_number(Some(hi)));
        }
        j
    }
}
