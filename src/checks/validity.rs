//! What the row-level value checks share (`between`, `in_set`, `not_in_set`,
//! `regex`, `length`, `condition`): count the non-null values in scope and the
//! invalid ones among them, and pass when the valid share is at least `mostly`
//! (default 100%).
//!
//! As in Great Expectations and Soda, a null is neither valid nor invalid:
//! only `not_null` and `missing` look at nulls. An empty scope cannot be
//! judged and is reported as such, never as a pass.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::{Expr, lit, not};
use serde_json::{Map, Value as Json};

use super::{Judgement, Measured, Verdict};
use crate::compile::{Binder, Bound, SampleQuery};
use crate::spec::params::Params;
use crate::spec::yaml::{Node, Value};
use crate::util::numbers::{format_percent, fraction, json_number};

/// The share of values that must be valid.
#[derive(Debug, Clone, Copy)]
pub struct Mostly(pub Option<f64>);

impl Mostly {
    pub fn parse(p: &mut Params<'_>) -> Self {
        Mostly(p.opt_fraction("mostly"))
    }
}

/// Requests `[values, invalid]`: non-null `subject` rows in scope, and those
/// among them where `valid` does not hold. The failing sample shows the
/// offending values of `column`, or whole rows when there is no one column.
pub fn bind(b: &mut Binder<'_>, subject: Expr, valid: Expr, column: Option<&str>) -> Bound {
    // `count(subject)` counts the non-null values; `NOT valid` is NULL for a
    // null subject (every rule here propagates nulls), so FILTER drops those
    // rows without a separate `IS NOT NULL` test: one predicate per check.
    let values = b.aggregate(count(subject));
    let bad = not(valid);
    let invalid = b.count_where(Some(bad.clone()));
    let sample = match column {
        Some(c) => SampleQuery::Values { predicate: bad, column: c.to_string() },
        None => SampleQuery::Rows {
            predicate: bad,
            columns: b.schema.fields().iter().take(6).map(|f| f.name().clone()).collect(),
        },
    };
    b.bound(vec![values, invalid], Some(sample))
}

/// Judges the `[values, invalid]` metrics of [`bind`]. `rule` says what valid
/// means, for messages ("between 0 and 100").
pub fn judge(m: &Measured<'_>, mostly: Mostly, rule: &str, threshold: Map<String, Json>) -> Judgement {
    let values = m.count(0);
    let invalid = m.count(1);
    let required = mostly.0.unwrap_or(1.0);
    let valid_fraction = fraction(values - invalid, values);
    let (verdict, message) = match valid_fraction {
        None => (Verdict::Undefined, "no non-null values in scope: the valid share is undefined".to_string()),
        Some(f) if f + 1e-12 >= required => (Verdict::Pass, format!("all of {values} values {rule}")),
        Some(f) => (
            Verdict::Fail,
            format!(
                "{invalid} of {values} values ({}) are not {rule}; required valid: {}",
                format_percent(1.0 - f),
                format_percent(required)
            ),
        ),
    };
    let message = if verdict == Verdict::Pass && invalid > 0 {
        format!("{} of {values} values {rule} (at least {} required)", values - invalid, format_percent(required))
    } else {
        message
    };
    let mut j = Judgement::new(verdict, message)
        .observed("count", values)
        .observed("invalid_count", invalid)
        .observed("invalid_fraction", json_number(fraction(invalid, values)))
        .observed("valid_fraction", json_number(valid_fraction));
    j.threshold = threshold;
    j.threshold.insert("mostly".into(), Json::from(format_percent(required)));
    j
}

/// A YAML scalar as a literal of the column's type, or why it cannot be one.
pub fn literal(node: &Node, target: &DataType) -> Result<Expr, String> {
    let value = match &node.value {
        Value::Int(i) => ScalarValue::Int64(Some(*i)),
        Value::Float(f) => ScalarValue::Float64(Some(*f)),
        Value::Str(s) => ScalarValue::Utf8(Some(s.clone())),
        Value::Bool(b) => ScalarValue::Boolean(Some(*b)),
        _ => return Err(format!("expected a value, found {}", node.describe())),
    };
    let target = match target {
        DataType::Dictionary(_, v) => v.as_ref(),
        t => t,
    };
    let numeric_into_string =
        matches!(node.value, Value::Int(_) | Value::Float(_)) && crate::compile::is_string(target);
    let text_into_number = matches!(node.value, Value::Str(_)) && target.is_numeric();
    if numeric_into_string || text_into_number {
        return Err(format!("{} does not match the column's type {target}", node.describe()));
    }
    // Whole numbers compared with a float column stay exact as f64.
    let cast_target =
        if target.is_numeric() && matches!(node.value, Value::Float(_)) { &DataType::Float64 } else { target };
    value
        .cast_to(cast_target)
        .map(lit)
        .map_err(|_| format!("cannot read {} as the column's type {target}", node.describe()))
}
