//! `fairness`: model decisions are comparable across groups.
//!
//! Why: a model that approves one group at half the rate of another, or
//! errs more often for it, harms people and breaks the law in many places.
//! Example:
//! ```yaml
//! - fairness:
//!     name: approval_parity
//!     groups: [gender]            # several columns = intersectional groups
//!     prediction: approved        # or a score with `threshold: 0.5`
//!     label: repaid               # needed for error-rate metrics
//!     favorable: 1
//!     metric: demographic_parity_ratio
//!     min: 0.8
//! ```
//! Every number comes from ONE grouped query: counts (or weight sums) of
//! (group..., label, prediction) cells. The metrics, small groups, intervals
//! and the independence test are `crate::fairness` (matching Fairlearn;
//! docs/fairness.md lists definitions and deliberate differences).

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::logical_expr::{Expr, cast, lit};
use serde_json::{Map, Value as Json};

use super::{CheckKind, Judgement, KindInfo, Measured, Verdict};
use crate::compile::{Binder, Bound};
use crate::fairness::{self, Agg, Cell, DisparityMetric, Method, Params as FairParams};
use crate::spec::Column;
use crate::spec::diagnostic::did_you_mean;
use crate::spec::params::{Params, Sql};
use crate::spec::yaml::{Node, Value, bool_word};
use crate::util::numbers::{json_number, show};

const METHODS: &[&str] = &["between_groups", "to_overall", "to_reference"];
const BOUNDS: &[&str] = &["estimate", "lower", "upper"];

#[derive(Debug)]
struct Fairness {
    groups: Vec<Column>,
    prediction: Column,
    threshold: Option<f64>,
    label: Option<Column>,
    weight: Option<Column>,
    favorable: String,
    unfavorable: String,
    favorable_label: String,
    unfavorable_label: String,
    params: FairParams,
    min: Option<f64>,
    max: Option<f64>,
    /// Which number the threshold applies to: the estimate or an interval bound.
    on: &'static str,
}

/// A YAML scalar as the text DataFusion's cast to Utf8 produces.
fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// The opposite of a conventional favourable value (1/0, true/false, yes/no,
/// y/n, on/off).
fn opposite(v: &str) -> Option<&'static str> {
    match v.to_ascii_lowercase().as_str() {
        "1" => Some("0"),
        "0" => Some("1"),
        "true" => Some("false"),
        "false" => Some("true"),
        "yes" => Some("no"),
        "no" => Some("yes"),
        "y" => Some("n"),
        "n" => Some("y"),
        "on" => Some("off"),
        "off" => Some("on"),
        _ => None,
    }
}

/// The registry entry of `fairness` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo {
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
    parse,
};

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    if !p.is_map() {
        let span = p.node.span;
        p.error(span, "`fairness` takes a mapping", Some("see docs/checks.md#fairness".into()));
        return None;
    }
    let groups = p.require("groups").and_then(|n| p.columns_list(n));
    let prediction = p.require("prediction").and_then(|n| p.column_node(n));
    let label = p.get("label").and_then(|n| p.column_node(n));
    let weight = p.get("weight").and_then(|n| p.column_node(n));
    let threshold = p.opt_number("threshold");
    let metric_node = p.require("metric");
    let method_node = p.get("method");
    let agg_node = p.get("agg");
    let reference_node = p.get("reference_group");
    let favorable_node = p.get("favorable");
    let unfavorable_node = p.get("unfavorable");
    let favorable_label_node = p.get("favorable_label");
    let min = p.opt_number("min");
    let max = p.opt_number("max");
    let on_node = p.get("bound");
    let min_group_size = p.opt_number("min_group_size");
    let confidence = p.opt_number("confidence");
    let n_boot = p.opt_count("n_boot");
    let seed = p.opt_count("seed");

    let metric_name = p.string(metric_node?, "a fairness metric")?;
    let (metric, preset_min) = if metric_name == "four_fifths" {
        (DisparityMetric::DisparateImpact, Some(fairness::FOUR_FIFTHS))
    } else {
        match metric_name.parse::<DisparityMetric>() {
            Ok(m) => (m, None),
            Err(_) => {
                let mut names = DisparityMetric::names();
                names.push("four_fifths".into());
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                p.error(
                    metric_node?.span,
                    format!("unknown fairness metric `{metric_name}`"),
                    Some(did_you_mean(&metric_name, &refs)),
                );
                return None;
            }
        }
    };
    let mut params = FairParams::new(metric);
    if let Some(node) = method_node {
        params.method = match node.as_str() {
            Some("between_groups") => Method::BetweenGroups,
            Some("to_overall") => Method::ToOverall,
            Some("to_reference") => Method::ToReference,
            other => {
                let name = other.unwrap_or("?");
                p.error(node.span, format!("unknown method `{name}`"), Some(did_you_mean(name, METHODS)));
                return None;
            }
        };
    }
    if let Some(node) = agg_node {
        params.agg = match node.as_str() {
            Some("worst_case") => Agg::WorstCase,
            Some("mean") => Agg::Mean,
            _ => {
                p.error(node.span, "`agg` is `worst_case` or `mean`", None);
                return None;
            }
        };
    }
    if let Some(node) = reference_node {
        let values: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        let key: Option<Vec<Option<String>>> = values
            .iter()
            .map(|n| if matches!(n.value, Value::Null) { Some(None) } else { scalar_text(n).map(Some) })
            .collect();
        let Some(key) = key else {
            p.error(node.span, "`reference_group` is a group value, or a list of one value per group column", None);
            return None;
        };
        params.reference_group = Some(key);
    }
    if let Some(v) = min_group_size {
        params.min_group_size = v;
    }
    if let Some(v) = confidence {
        params.confidence = v;
    }
    if let Some(v) = n_boot {
        params.n_boot = u32::try_from(v).unwrap_or(u32::MAX);
    }
    if let Some(v) = seed {
        params.seed = v;
    }
    let on = match on_node {
        None => "estimate",
        Some(node) => match node.as_str().and_then(|s| BOUNDS.iter().find(|b| **b == s)) {
            Some(b) => b,
            None => {
                p.error(
                    node.span,
                    "`bound` is `estimate`, `lower` or `upper` (a bound of the bootstrap interval)",
                    None,
                );
                return None;
            }
        },
    };
    if on != "estimate" && params.n_boot == 0 {
        let span = on_node.map_or(p.kind_span, |n| n.span);
        p.error(span, format!("`bound: {on}` needs the bootstrap interval, but `n_boot` is 0"), None);
        return None;
    }
    let (min, max) = (min.or(preset_min), max);
    if min.is_none() && max.is_none() {
        let span = p.kind_span;
        let example = if metric.is_ratio() { "`min: 0.8`" } else { "`max: 0.1`" };
        p.error(span, format!("`fairness` needs a threshold: `min`, `max` or both (e.g. {example})"), None);
        return None;
    }
    let favorable = match favorable_node {
        Some(n) => scalar_text(n)?,
        None => "1".to_string(),
    };
    let unfavorable = match unfavorable_node.map(scalar_text) {
        Some(v) => v?,
        None => match opposite(&favorable) {
            Some(v) => v.to_string(),
            None => {
                let span = favorable_node.map_or(p.kind_span, |n| n.span);
                p.error(
                    span,
                    format!("which value is unfavourable when `{favorable}` is favourable?"),
                    Some("add `unfavorable: ...`".into()),
                );
                return None;
            }
        },
    };
    let favorable_label = match favorable_label_node {
        Some(n) => scalar_text(n)?,
        None => favorable.clone(),
    };
    let unfavorable_label = opposite(&favorable_label).map_or_else(|| unfavorable.clone(), str::to_string);
    Some(Box::new(Fairness {
        groups: groups?,
        prediction: prediction?,
        threshold,
        label,
        weight,
        favorable,
        unfavorable,
        favorable_label,
        unfavorable_label,
        params,
        min,
        max,
        on,
    }))
}

impl CheckKind for Fairness {
    fn columns(&self) -> Vec<String> {
        self.groups.iter().map(|c| c.name.clone()).collect()
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        let mut ok = true;
        for g in &self.groups {
            ok &= b.column(g).is_some();
        }
        let prediction_type = b.column(&self.prediction);
        let label_type = self.label.as_ref().map(|l| b.column(l));
        let weight_type = self.weight.as_ref().map(|w| b.column(w));
        let (Some(prediction_type), true) = (prediction_type, ok) else { return None };
        if matches!(label_type, Some(None)) || matches!(weight_type, Some(None)) {
            return None;
        }
        if let Some(Some(t)) = &weight_type
            && !t.is_numeric()
        {
            let w = self.weight.as_ref().expect("weight given");
            b.error(
                w.span,
                format!("`weight` must be numeric; `{}` is {}", w.name, crate::util::types::type_name(t)),
                None,
            );
            return None;
        }
        if self.label.is_none() && self.params.metric.needs_label() {
            b.error(
                b.span,
                format!("`{}` compares error rates: it needs a `label` column", self.params.metric),
                Some("add `label: <column with the true outcome>`, or use demographic_parity_*".into()),
            );
            return None;
        }
        let p = Binder::col(&self.prediction);
        let decision: Expr = match self.threshold {
            Some(t) if prediction_type.is_numeric() => {
                // A score becomes a decision: favourable at or above the threshold.
                let favourable = lit(self.favorable.clone());
                let other = lit(self.unfavorable.clone());
                // A null score stays null (an error when judged), never "unfavourable".
                let null = cast(lit(datafusion::common::ScalarValue::Null), DataType::Utf8);
                datafusion::logical_expr::when(p.clone().is_null(), null)
                    .when(p.clone().gt_eq(lit(t)), favourable)
                    .otherwise(other)
                    .ok()?
            }
            Some(_) => {
                b.error(
                    self.prediction.span,
                    format!(
                        "`threshold` needs a numeric score; `{}` is {}",
                        self.prediction.name,
                        crate::util::types::type_name(&prediction_type)
                    ),
                    None,
                );
                return None;
            }
            None if matches!(prediction_type, DataType::Float16 | DataType::Float32 | DataType::Float64) => {
                b.error(
                    self.prediction.span,
                    format!("`{}` is a continuous score, not a decision", self.prediction.name),
                    Some("add `threshold: 0.5` (favourable at or above it), or point `prediction` at the decision column".into()),
                );
                return None;
            }
            None => p,
        };
        let mut group_by: Vec<Expr> =
            self.groups.iter().enumerate().map(|(i, g)| Binder::col(g).alias(format!("g{i}"))).collect();
        let label = match &self.label {
            Some(l) => Binder::col(l),
            None => lit(datafusion::common::ScalarValue::Null),
        };
        group_by.push(label.alias("label"));
        group_by.push(decision.alias("prediction"));
        let weight = match &self.weight {
            Some(w) => sum(cast(Binder::col(w), DataType::Float64)),
            None => cast(count(lit(1i64)), DataType::Float64),
        };
        let cells = b.table(None, group_by, vec![count(lit(1i64)).alias("rows"), weight.alias("weight")], None);
        Some(b.bound(vec![cells], None))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let cells = match self.cells(m.table(0)) {
            Ok(c) => c,
            Err(reason) => return self.threshold_json(Judgement::new(Verdict::Undefined, reason)),
        };
        let assessment = match fairness::assess(&cells, &self.params) {
            Ok(a) => a,
            Err(e) => return self.threshold_json(Judgement::new(Verdict::Undefined, e.to_string())),
        };
        let d = &assessment.disparity;
        let interval = d.bootstrap.as_ref().and_then(|b| b.interval);
        let judged = match self.on {
            "lower" => interval.map(|i| i.lower),
            "upper" => interval.map(|i| i.upper),
            _ => d.value,
        };
        let metric = self.params.metric.to_string();
        let (verdict, message) = match judged {
            None => {
                let why = d
                    .undefined
                    .as_ref()
                    .map_or_else(|| "the bootstrap interval is undefined".to_string(), ToString::to_string);
                (Verdict::Undefined, format!("{metric} is undefined: {why}"))
            }
            Some(v) => {
                let low = self.min.is_some_and(|lo| v < lo);
                let high = self.max.is_some_and(|hi| v > hi);
                let what =
                    if self.on == "estimate" { metric.clone() } else { format!("{} bound of {metric}", self.on) };
                let range = match (self.min, self.max) {
                    (Some(lo), Some(hi)) => format!("between {} and {}", show(lo), show(hi)),
                    (Some(lo), None) => format!("at least {}", show(lo)),
                    (None, hi) => format!("at most {}", show(hi.unwrap_or_default())),
                };
                let groups = assessment.groups.iter().filter(|g| !g.insufficient).count();
                let verdict = if low || high { Verdict::Fail } else { Verdict::Pass };
                (verdict, format!("{what} = {} over {groups} groups; expected {range}", show(v)))
            }
        };
        let mut j = Judgement::new(verdict, message);
        j.observed.insert("value".into(), json_number(d.value));
        j.observed.insert("metric".into(), metric.into());
        j.observed.insert("method".into(), self.params.method.name().into());
        if let Some(i) = interval {
            j.observed.insert(
                "interval".into(),
                serde_json::json!({ "lower": json_number(Some(i.lower)), "upper": json_number(Some(i.upper)) }),
            );
        }
        let full = serde_json::to_value(&assessment).unwrap_or(Json::Null);
        for key in ["groups", "overall", "independence", "disparity", "empty_intersections"] {
            if let Some(v) = full.get(key) {
                j.observed.insert(key.into(), round_floats(v.clone()));
            }
        }
        self.threshold_json(j)
    }
}

impl Fairness {
    fn threshold_json(&self, mut j: Judgement) -> Judgement {
        if let Some(v) = self.min {
            j.threshold.insert("min".into(), json_number(Some(v)));
        }
        if let Some(v) = self.max {
            j.threshold.insert("max".into(), json_number(Some(v)));
        }
        j.threshold.insert("bound".into(), self.on.into());
        j.threshold.insert("min_group_size".into(), json_number(Some(self.params.min_group_size)));
        j.threshold.insert("confidence".into(), json_number(Some(self.params.confidence)));
        j.threshold.insert("n_boot".into(), self.params.n_boot.into());
        j.threshold.insert("seed".into(), self.params.seed.into());
        j
    }

    /// Reads the grouped cells, mapping decisions and labels to favourable or
    /// not; a value that is neither is an error naming it.
    fn cells(&self, batches: &[RecordBatch]) -> Result<Vec<Cell>, String> {
        let k = self.groups.len();
        let mut out = Vec::new();
        for b in batches {
            // Values are grouped as they are and turned into text here, on a
            // few rows, rather than cast for every row in the query.
            let text = |i: usize| -> Result<_, String> {
                let as_text =
                    datafusion::arrow::compute::cast(b.column(i), &DataType::Utf8).map_err(|e| e.to_string())?;
                Ok(as_text.as_string::<i32>().clone())
            };
            let groups: Vec<_> = (0..k).map(text).collect::<Result<_, _>>()?;
            let labels = text(k)?;
            let predictions = text(k + 1)?;
            let rows = b.column(k + 2).as_primitive::<Int64Type>();
            let weights = b.column(k + 3).as_primitive::<Float64Type>();
            for r in 0..b.num_rows() {
                let group = groups.iter().map(|g| g.is_valid(r).then(|| g.value(r).to_string())).collect();
                let prediction = if predictions.is_valid(r) {
                    decide(predictions.value(r), &self.favorable, &self.unfavorable).ok_or_else(|| {
                        format!(
                            "prediction value `{}` in `{}` is neither favourable ({}) nor unfavourable ({})",
                            predictions.value(r),
                            self.prediction.name,
                            self.favorable,
                            self.unfavorable
                        )
                    })?
                } else {
                    return Err(format!("`{}` has nulls: every row needs a decision", self.prediction.name));
                };
                let label = if self.label.is_some() && labels.is_valid(r) {
                    Some(decide(labels.value(r), &self.favorable_label, &self.unfavorable_label).ok_or_else(|| {
                        format!(
                            "label value `{}` is neither favourable ({}) nor unfavourable ({})",
                            labels.value(r),
                            self.favorable_label,
                            self.unfavorable_label
                        )
                    })?)
                } else {
                    None
                };
                let weight = if weights.is_valid(r) { weights.value(r) } else { 0.0 };
                out.push(Cell::weighted(group, label, prediction, rows.value(r).max(0).cast_unsigned(), weight));
            }
        }
        Ok(out)
    }
}

/// `Some(true)` for the favourable value, `Some(false)` for the other; numbers
/// compare as numbers (`1` matches `1.0`), and a boolean column's `true`
/// matches `favorable: yes` (or `y`, `on`).
fn decide(value: &str, favorable: &str, unfavorable: &str) -> Option<bool> {
    let boolean = |s: &str| matches!(s, "true" | "false").then(|| bool_word(s)).flatten();
    let same = |a: &str, b: &str| {
        a == b
            || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
            || a.eq_ignore_ascii_case(b)
            || boolean(a).is_some_and(|x| bool_word(b) == Some(x))
    };
    if same(value, favorable) {
        Some(true)
    } else if same(value, unfavorable) {
        Some(false)
    } else {
        None
    }
}

/// Floats in serialized results rounded like every other observed number.
fn round_floats(v: Json) -> Json {
    match v {
        Json::Number(n) if n.is_f64() => json_number(n.as_f64()),
        Json::Array(a) => Json::Array(a.into_iter().map(round_floats).collect()),
        Json::Object(o) => Json::Object(o.into_iter().map(|(k, v)| (k, round_floats(v))).collect::<Map<_, _>>()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::{decide, opposite};

    #[test]
    fn yaml_1_1_words_decide_boolean_and_text_columns() {
        // `favorable: yes` (a string under YAML 1.2) against a boolean column.
        assert_eq!(decide("true", "yes", "no"), Some(true));
        assert_eq!(decide("false", "yes", "no"), Some(false));
        assert_eq!(decide("true", "y", "n"), Some(true));
        assert_eq!(decide("false", "on", "off"), Some(false));
        // Text columns holding the words themselves.
        assert_eq!(decide("Y", "y", "n"), Some(true));
        assert_eq!(decide("n", "y", "n"), Some(false));
        assert_eq!(decide("yes", "y", "n"), None, "a text `yes` is not the category `y`");
        assert_eq!(decide("1.0", "1", "0"), Some(true));
        assert_eq!((opposite("y"), opposite("OFF")), (Some("n"), Some("on")));
    }
}
