//! `not_null`: a column has no nulls (or at least `mostly` non-null values).
//!
//! Why: keys and required fields must be present.
//! Example: `- not_null: loan_id`

use super::validity::Mostly;
use super::{CheckKind, Judgement, KindInfo, Measured, Verdict};
use crate::compile::{Binder, Bound, SampleQuery};
use crate::spec::Column;
use crate::spec::params::{Params, Sql};
use crate::util::numbers::{format_percent, fraction, json_number};

#[derive(Debug)]
struct NotNull {
    column: Column,
    mostly: Mostly,
}

/// The registry entry of `not_null` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo { name: "not_null", keys: &["column", "mostly"], parse };

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    let column = p.column()?;
    let mostly = if p.is_map() { Mostly::parse(p) } else { Mostly(None) };
    Some(Box::new(NotNull { column, mostly }))
}

impl CheckKind for NotNull {
    fn columns(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        b.column(&self.column)?;
        let c = Binder::col(&self.column);
        let rows = b.count_where(None);
        // nulls = rows - count(column): no FILTER needed.
        let nullable =
            b.schema.field_with_name(&self.column.name).is_ok_and(datafusion::arrow::datatypes::Field::is_nullable);
        // A column declared non-nullable needs no read: present = rows.
        let present = if nullable {
            b.aggregate(datafusion::functions_aggregate::expr_fn::count(c.clone()))
        } else {
            b.count_where(None)
        };
        let shown = b.schema.fields().iter().take(6).map(|f| f.name().clone()).collect();
        Some(b.bound(vec![rows, present], Some(SampleQuery::Rows { predicate: c.is_null(), columns: shown })))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let (rows, nulls) = (m.count(0), m.count(0).saturating_sub(m.count(1)));
        let required = self.mostly.0.unwrap_or(1.0);
        let present = fraction(rows - nulls, rows);
        let (verdict, message) = match present {
            None => (Verdict::Undefined, "no rows in scope: nothing to judge".to_string()),
            Some(f) if f + 1e-12 >= required => (
                Verdict::Pass,
                if nulls == 0 { format!("no nulls in {rows} rows") } else { format!("{nulls} nulls in {rows} rows") },
            ),
            Some(f) => (Verdict::Fail, format!("{nulls} nulls in {rows} rows ({})", format_percent(1.0 - f))),
        };
        let j = Judgement::new(verdict, message)
            .observed("rows", rows)
            .observed("null_count", nulls)
            .observed("null_fraction", json_number(fraction(nulls, rows)));
        if self.mostly.0.is_some() {
            j.threshold("mostly", format_percent(required))
        } else {
            j.threshold("max_null_count", 0)
        }
    }
}
