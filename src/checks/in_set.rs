//! `in_set` / `not_in_set`: values belong (or do not belong) to a list.
//!
//! Why: categories drift (`"us"` next to `"US"`), codes get retired.
//! Example: `- in_set: { column: term_months, values: [12, 24, 36, 48, 60] }`

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::not;

use super::between::node_json;
use super::validity::{self, Mostly};
use super::{CheckKind, Judgement, KindInfo, Measured};
use crate::compile::{Binder, Bound};
use crate::spec::Column;
use crate::spec::params::{Params, Sql};
use crate::spec::yaml::{Node, Value};

#[derive(Debug)]
struct InSet {
    column: Column,
    values: Vec<Node>,
    negated: bool,
    mostly: Mostly,
}

/// The registry entry of `in_set` (see [`super::KINDS`]).
pub const IN_SET: KindInfo = KindInfo { name: "in_set", keys: &["column", "values", "mostly"], parse: parse_in };

pub fn parse_in(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    parse(p, false)
}

/// The registry entry of `not_in_set` (see [`super::KINDS`]).
pub const NOT_IN_SET: KindInfo =
    KindInfo { name: "not_in_set", keys: &["column", "values", "mostly"], parse: parse_not_in };

pub fn parse_not_in(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    parse(p, true)
}

fn parse(p: &mut Params<'_>, negated: bool) -> Option<Box<dyn CheckKind>> {
    let column = p.column()?;
    let node = p.require("values")?;
    let values = p.seq(node, "values")?.to_vec();
    let mostly = Mostly::parse(p);
    if values.is_empty() {
        p.error(node.span, "`values` is empty", Some("list the allowed values, e.g. `values: [a, b]`".into()));
        return None;
    }
    Some(Box::new(InSet { column, values, negated, mostly }))
}

impl CheckKind for InSet {
    fn columns(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        let mut dt = b.column(&self.column)?;
        if dt == DataType::Null {
            // No values at all: read the column as the type of the listed values.
            let listed = match self.values[0].value {
                Value::Int(_) => DataType::Int64,
                Value::Float(_) => DataType::Float64,
                Value::Bool(_) => DataType::Boolean,
                _ => DataType::Utf8,
            };
            dt = b.stand_in(&self.column, listed);
        }
        let mut list = Vec::with_capacity(self.values.len());
        for node in &self.values {
            match validity::literal(node, &dt) {
                Ok(v) => list.push(v),
                Err(reason) => {
                    b.error(node.span, format!("invalid value for `{}`: {reason}", self.column.name), None);
                    return None;
                }
            }
        }
        let c = b.value(&self.column);
        let member = c.clone().in_list(list, false);
        let valid = if self.negated { not(member) } else { member };
        Some(validity::bind(b, c, valid, Some(&self.column.name)))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let shown: Vec<String> = self.values.iter().take(8).map(|n| node_json(n).to_string()).collect();
        let more = if self.values.len() > 8 { ", ..." } else { "" };
        let rule = format!("{} [{}{more}]", if self.negated { "outside" } else { "in" }, shown.join(", "));
        let mut threshold = serde_json::Map::new();
        threshold.insert("values".into(), self.values.iter().map(node_json).collect());
        validity::judge(m, self.mostly, &rule, threshold)
    }
}
