//! `references`: every non-null value exists in another dataset's column
//! (referential integrity, a foreign key).
//!
//! Why: orphaned rows vanish from inner joins downstream.
//! Example: `- references: { column: customer_id, to: customers.customer_id }`
//!
//! The other dataset is any dataset of the run: declared by another suite
//! file, or under `datasets:` in this one. Computed by one anti-join query.

use super::validity::Mostly;
use super::{CheckKind, Judgement, KindInfo, Measured, Verdict};
use crate::compile::{Binder, Bound, SampleQuery, is_string};
use crate::spec::Column;
use crate::spec::params::{Params, Sql};
use crate::util::numbers::{format_percent, fraction, json_number};

#[derive(Debug)]
struct References {
    column: Column,
    target: String,
    target_column: String,
    to: Column,
    mostly: Mostly,
}

/// The registry entry of `references` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo { name: "references", keys: &["column", "to", "mostly"], parse };

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    let column = p.column()?;
    let node = p.require("to")?;
    let to = p.column_node(node)?;
    let mostly = Mostly::parse(p);
    let Some((target, target_column)) = to.name.split_once('.') else {
        p.error(
            node.span,
            format!("`to` is `dataset.column`, found `{}`", to.name),
            Some("e.g. `to: customers.customer_id`".into()),
        );
        return None;
    };
    let (target, target_column) = (target.to_string(), target_column.to_string());
    Some(Box::new(References { column, target, target_column, to, mostly }))
}

impl CheckKind for References {
    fn columns(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        let left = b.column(&self.column);
        let right = b.foreign_column(&self.target, &self.target_column, self.to.span);
        let (left, right) = (left?, right?);
        let comparable =
            (left.is_numeric() && right.is_numeric()) || (is_string(&left) && is_string(&right)) || left == right;
        if !comparable {
            b.error(
                self.to.span,
                format!(
                    "`{}` is {} but `{}` is {}: they cannot be compared",
                    self.column.name,
                    crate::util::types::type_name(&left),
                    self.to.name,
                    crate::util::types::type_name(&right)
                ),
                Some("point `to` at a column of the same kind of type".into()),
            );
            return None;
        }
        let cast_to = (left != right).then(|| left.clone());
        let c = Binder::col(&self.column);
        let values = b.count_where(Some(c.is_not_null()));
        let orphans = b.orphans(&self.column, &self.target, &self.target_column, cast_to);
        let crate::compile::MetricId::Grouped(index) = orphans else { unreachable!("orphans are grouped") };
        Some(b.bound(vec![values, orphans], Some(SampleQuery::Orphans { index })))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let (values, orphans) = (m.count(0), m.count(1));
        let required = self.mostly.0.unwrap_or(1.0);
        let present = fraction(values - orphans.min(values), values);
        let (verdict, message) = match present {
            None => (Verdict::Undefined, "no non-null values in scope: nothing to look up".to_string()),
            Some(_) if orphans == 0 => (Verdict::Pass, format!("all {values} values found in {}", self.to.name)),
            Some(f) if f + 1e-12 >= required => (
                Verdict::Pass,
                format!(
                    "{orphans} of {values} values have no match in {} (at least {} must match)",
                    self.to.name,
                    format_percent(required)
                ),
            ),
            Some(_) => (Verdict::Fail, format!("{orphans} of {values} values have no match in {}", self.to.name)),
        };
        let j = Judgement::new(verdict, message)
            .observed("count", values)
            .observed("missing_count", orphans)
            .observed("missing_fraction", json_number(fraction(orphans, values)))
            .threshold("to", self.to.name.clone());
        if self.mostly.0.is_some() {
            j.threshold("mostly", format_percent(required))
        } else {
            j.threshold("max_missing_count", 0)
        }
    }
}
