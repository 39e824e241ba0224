//! `missing`: the share (or count) of missing values is at most `max`.
//! Missing means null, or one of the optional `values` (e.g. `""`, `"N/A"`).
//!
//! Why: optional fields may be sparse, but not suddenly mostly empty.
//! Example: `- missing: { column: income, max: 2% }`

use datafusion::logical_expr::Expr;

use super::validity::literal;
use super::{CheckKind, Judgement, KindInfo, Measured, Verdict};
use crate::compile::{Binder, Bound, SampleQuery};
use crate::spec::Column;
use crate::spec::params::{Limit, Params, Sql};
use crate::spec::yaml::Node;
use crate::util::numbers::{format_percent, fraction, json_number};

#[derive(Debug)]
struct Missing {
    column: Column,
    max: Limit,
    values: Vec<Node>,
}

/// The registry entry of `missing` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo { name: "missing", keys: &["column", "max", "values"], parse };

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    let column = p.column()?;
    let max = if p.is_map() { p.opt_limit("max") } else { None }.unwrap_or(Limit::Count(0));
    let values = match p.get("values") {
        Some(node) => p.seq(node, "values")?.to_vec(),
        None => Vec::new(),
    };
    Some(Box::new(Missing { column, max, values }))
}

impl CheckKind for Missing {
    fn columns(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        let dt = b.column(&self.column)?;
        let c = Binder::col(&self.column);
        let mut list = Vec::new();
        for node in &self.values {
            match literal(node, &dt) {
                Ok(v) => list.push(v),
                Err(reason) => {
                    b.error(node.span, format!("invalid missing value for `{}`: {reason}", self.column.name), None);
                    return None;
                }
            }
        }
        let is_missing: Expr =
            if list.is_empty() { c.clone().is_null() } else { c.clone().is_null().or(c.clone().in_list(list, false)) };
        let rows = b.count_where(None);
        // Only nulls: missing = rows - count(column), shared with `not_null`.
        let nullable =
            b.schema.field_with_name(&self.column.name).is_ok_and(datafusion::arrow::datatypes::Field::is_nullable);
        let missing = if self.values.is_empty() && !nullable {
            b.count_where(None) // declared non-nullable: present = rows, nothing to read
        } else if self.values.is_empty() {
            b.aggregate(datafusion::functions_aggregate::expr_fn::count(c.clone()))
        } else {
            b.count_where(Some(is_missing.clone()))
        };
        let shown = b.schema.fields().iter().take(6).map(|f| f.name().clone()).collect();
        Some(b.bound(vec![rows, missing], Some(SampleQuery::Rows { predicate: is_missing, columns: shown })))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let rows = m.count(0);
        let missing = if self.values.is_empty() { rows.saturating_sub(m.count(1)) } else { m.count(1) };
        let share = fraction(missing, rows);
        let limit_text = match self.max {
            Limit::Count(n) => format!("{n} rows"),
            Limit::Fraction(f) => format_percent(f),
        };
        let (verdict, message) = match self.max.allows(missing, rows) {
            _ if rows == 0 => (Verdict::Undefined, "no rows in scope: the missing share is undefined".to_string()),
            None => (Verdict::Undefined, "no rows in scope: the missing share is undefined".to_string()),
            Some(ok) => {
                let pct = share.map(format_percent).unwrap_or_default();
                (
                    if ok { Verdict::Pass } else { Verdict::Fail },
                    format!("{missing} of {rows} rows missing ({pct}); allowed at most {limit_text}"),
                )
            }
        };
        let mut j = Judgement::new(verdict, message)
            .observed("rows", rows)
            .observed("missing_count", missing)
            .observed("missing_fraction", json_number(share))
            .threshold("max", self.max.to_json());
        if !self.values.is_empty() {
            j = j.threshold("values", self.values.iter().map(super::between::node_json).collect::<Vec<_>>());
        }
        j
    }
}
