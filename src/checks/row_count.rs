//! `row_count`: the number of rows (in scope) lies within `min` and `max`.
//!
//! Why: an empty or truncated extract is the most common broken load.
//! Example: `- row_count: { min: 1000 }`

use super::{CheckKind, Judgement, KindInfo, Measured, Verdict};
use crate::compile::{Binder, Bound};
use crate::spec::params::{Params, Sql};

#[derive(Debug)]
struct RowCount {
    min: Option<u64>,
    max: Option<u64>,
}

/// The registry entry of `row_count` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo { name: "row_count", keys: &["min", "max"], parse };

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    if !p.is_map() {
        let span = p.node.span;
        p.error(span, "`row_count` takes bounds", Some("write `row_count: { min: 1000 }`".into()));
        return None;
    }
    let min = p.opt_count("min");
    let max = p.opt_count("max");
    if min.is_none() && max.is_none() {
        let span = p.kind_span;
        p.error(span, "`row_count` needs `min`, `max` or both", Some("for example `row_count: { min: 1 }`".into()));
        return None;
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        let span = p.node.span;
        p.error(span, format!("`min` ({lo}) is larger than `max` ({hi})"), None);
        return None;
    }
    Some(Box::new(RowCount { min, max }))
}

impl CheckKind for RowCount {
    fn columns(&self) -> Vec<String> {
        Vec::new()
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        let rows = b.count_where(None);
        Some(b.bound(vec![rows], None))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let n = m.count(0);
        let low = self.min.is_some_and(|min| n < min);
        let high = self.max.is_some_and(|max| n > max);
        let message = if low {
            format!("{n} rows, fewer than the minimum {}", self.min.unwrap_or_default())
        } else if high {
            format!("{n} rows, more than the maximum {}", self.max.unwrap_or_default())
        } else {
            format!("{n} rows")
        };
        let mut j =
            Judgement::new(if low || high { Verdict::Fail } else { Verdict::Pass }, message).observed("value", n);
        if let Some(min) = self.min {
            j = j.threshold("min", min);
        }
        if let Some(max) = self.max {
            j = j.threshold("max", max);
        }
        j
    }
}
