//! `between`: values lie within `min` and `max` (inclusive unless `strict`).
//!
//! Why: out-of-range amounts, ages or dates are the commonest invalid values.
//! Example: `- between: { column: amount, min: 0, max: 1e7, mostly: 99.9% }`
//! Works on numeric, date and timestamp columns (bounds as ISO strings).

use datafusion::logical_expr::{Expr, lit};

use super::validity::{self, Mostly};
use super::{CheckKind, Judgement, KindInfo, Measured};
use crate::compile::{Binder, Bound, is_orderable};
use crate::spec::Column;
use crate::spec::params::{Params, Sql};
use crate::spec::yaml::Node;

#[derive(Debug)]
struct Between {
    column: Column,
    min: Option<Node>,
    max: Option<Node>,
    strict: bool,
    mostly: Mostly,
}

/// The registry entry of `between` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo { name: "between", keys: &["column", "min", "max", "strict", "mostly"], parse };

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    let column = p.column()?;
    let min = p.get("min").cloned();
    let max = p.get("max").cloned();
    let strict = p.opt_bool("strict").unwrap_or(false);
    let mostly = Mostly::parse(p);
    if min.is_none() && max.is_none() {
        let span = p.kind_span;
        p.error(
            span,
            "`between` needs `min`, `max` or both",
            Some("for example `between: { column: amount, min: 0 }`".into()),
        );
        return None;
    }
    if let (Some(lo), Some(hi)) = (min.as_ref().and_then(Node::as_f64), max.as_ref().and_then(Node::as_f64))
        && lo > hi
    {
        let span = p.node.span;
        p.error(span, format!("`min` ({lo}) is larger than `max` ({hi})"), None);
        return None;
    }
    Some(Box::new(Between { column, min, max, strict, mostly }))
}

fn bound_text(node: Option<&Node>) -> String {
    match node.map(|n| &n.value) {
        Some(crate::spec::yaml::Value::Int(i)) => i.to_string(),
        Some(crate::spec::yaml::Value::Float(f)) => crate::util::numbers::show(*f),
        Some(crate::spec::yaml::Value::Str(s)) => s.clone(),
        _ => String::new(),
    }
}

impl CheckKind for Between {
    fn columns(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        let dt = b.typed_column(
            &self.column,
            "between",
            "a numeric, date or timestamp column",
            is_orderable,
            "use `length` for the length of strings, or `in_set` for categories",
        )?;
        let c = b.value(&self.column);
        let mut valid: Expr = lit(true);
        for (node, is_min) in [(&self.min, true), (&self.max, false)] {
            let Some(node) = node else { continue };
            match validity::literal(node, &dt) {
                Ok(bound) => {
                    let cond = match (is_min, self.strict) {
                        (true, false) => c.clone().gt_eq(bound),
                        (true, true) => c.clone().gt(bound),
                        (false, false) => c.clone().lt_eq(bound),
                        (false, true) => c.clone().lt(bound),
                    };
                    valid = valid.and(cond);
                }
                Err(reason) => {
                    b.error(node.span, format!("invalid bound for `{}`: {reason}", self.column.name), None);
                    return None;
                }
            }
        }
        Some(validity::bind(b, c, valid, Some(&self.column.name)))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let (lo, hi) = (bound_text(self.min.as_ref()), bound_text(self.max.as_ref()));
        let rule = match (self.min.is_some(), self.max.is_some(), self.strict) {
            (true, true, false) => format!("between {lo} and {hi}"),
            (true, true, true) => format!("strictly between {lo} and {hi}"),
            (true, false, false) => format!("at least {lo}"),
            (true, false, true) => format!("above {lo}"),
            (false, _, false) => format!("at most {hi}"),
            (false, _, true) => format!("below {hi}"),
        };
        let mut threshold = serde_json::Map::new();
        if let Some(n) = &self.min {
            threshold.insert("min".into(), node_json(n));
        }
        if let Some(n) = &self.max {
            threshold.insert("max".into(), node_json(n));
        }
        if self.strict {
            threshold.insert("strict".into(), true.into());
        }
        validity::judge(m, self.mostly, &rule, threshold)
    }
}

pub fn node_json(n: &Node) -> serde_json::Value {
    use crate::spec::yaml::Value;
    match &n.value {
        Value::Int(i) => (*i).into(),
        Value::Float(f) => crate::util::numbers::json_number(Some(*f)),
        Value::Str(s) => s.clone().into(),
        Value::Bool(b) => (*b).into(),
        _ => serde_json::Value::Null,
    }
}
