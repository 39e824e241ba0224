//! `length`: the number of characters of string values lies within bounds.
//!
//! Why: truncated or padded codes, free text in a code field.
//! Example: `- length: { column: purpose, min: 3, max: 20 }`

use datafusion::functions::expr_fn::character_length;
use datafusion::logical_expr::lit;

use super::validity::{self, Mostly};
use super::{CheckKind, Judgement, KindInfo, Measured};
use crate::compile::{Binder, Bound, is_string};
use crate::spec::Column;
use crate::spec::params::{Params, Sql};

#[derive(Debug)]
struct Length {
    column: Column,
    min: Option<u64>,
    max: Option<u64>,
    mostly: Mostly,
}

/// The registry entry of `length` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo { name: "length", keys: &["column", "min", "max", "mostly"], parse };

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    let column = p.column()?;
    let min = p.opt_count("min");
    let max = p.opt_count("max");
    let mostly = Mostly::parse(p);
    if min.is_none() && max.is_none() {
        let span = p.kind_span;
        p.error(
            span,
            "`length` needs `min`, `max` or both",
            Some("for example `length: { column: code, min: 3, max: 3 }`".into()),
        );
        return None;
    }
    Some(Box::new(Length { column, min, max, mostly }))
}

impl CheckKind for Length {
    fn columns(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        b.typed_column(&self.column, "length", "a string column", is_string, "use `between` for numeric ranges")?;
        let c = b.value(&self.column);
        let len = character_length(c.clone());
        let mut valid = lit(true);
        if let Some(min) = self.min {
            valid = valid.and(len.clone().gt_eq(lit(i64::try_from(min).unwrap_or(i64::MAX))));
        }
        if let Some(max) = self.max {
            valid = valid.and(len.lt_eq(lit(i64::try_from(max).unwrap_or(i64::MAX))));
        }
        Some(validity::bind(b, c, valid, Some(&self.column.name)))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let rule = match (self.min, self.max) {
            (Some(lo), Some(hi)) => format!("{lo} to {hi} characters long"),
            (Some(lo), None) => format!("at least {lo} characters long"),
            (_, hi) => format!("at most {} characters long", hi.unwrap_or_default()),
        };
        let mut threshold = serde_json::Map::new();
        if let Some(min) = self.min {
            threshold.insert("min".into(), min.into());
        }
        if let Some(max) = self.max {
            threshold.insert("max".into(), max.into());
        }
        validity::judge(m, self.mostly, &rule, threshold)
    }
}
