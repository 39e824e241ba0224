//! `unique`: no key (one column or several) occurs on more than one row.
//! Rows where any key column is null are left out, as a SQL UNIQUE
//! constraint does; `not_null` checks those.
//!
//! Why: duplicated ids double-count money and break joins.
//! Example: `- unique: loan_id`, `- unique: [customer_id, applied_at]`,
//! `- unique: { columns: [a, b], max: 0.1% }` (share of duplicated rows).
//!
//! Computed by a grouped query of its own (see ARCHITECTURE.md: exact
//! distinct work is kept out of the fused scan).

use super::{CheckKind, Judgement, KindInfo, Measured, Verdict};
use crate::compile::{Binder, Bound, SampleQuery};
use crate::spec::Column;
use crate::spec::params::{Limit, Params, Sql};
use crate::util::numbers::{format_percent, fraction, json_number};

#[derive(Debug)]
struct Unique {
    keys: Vec<Column>,
    max: Limit,
}

/// The registry entry of `unique` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo { name: "unique", keys: &["column", "columns", "max"], parse };

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    let node = p.node;
    let (keys, max) = if p.is_map() {
        let keys = match (p.get("columns"), p.get("column")) {
            (Some(n), None) | (None, Some(n)) => p.columns_list(n)?,
            (Some(_), Some(n)) => {
                p.error(n.span, "give either `column` or `columns`, not both", None);
                return None;
            }
            (None, None) => {
                p.require("columns");
                return None;
            }
        };
        (keys, p.opt_limit("max").unwrap_or(Limit::Count(0)))
    } else {
        (p.columns_list(node)?, Limit::Count(0))
    };
    Some(Box::new(Unique { keys, max }))
}

impl CheckKind for Unique {
    fn columns(&self) -> Vec<String> {
        self.keys.iter().map(|c| c.name.clone()).collect()
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        let mut ok = true;
        for key in &self.keys {
            ok &= b.column(key).is_some();
        }
        if !ok {
            return None;
        }
        let dups = b.duplicates(&self.keys, true);
        let rows = b.count_where(None);
        let keys = self.columns();
        Some(b.bound(vec![dups, rows], Some(SampleQuery::DuplicateKeys { keys, scope: b.scope() })))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let d = m.duplicates(0);
        let rows_in_scope = m.count(1);
        let share = fraction(d.duplicate_rows, d.rows);
        let (verdict, message) = match self.max.allows(d.duplicate_rows, d.rows) {
            _ if d.rows == 0 => {
                (Verdict::Undefined, "no rows with a non-null key in scope: nothing to judge".to_string())
            }
            None => (Verdict::Undefined, "no rows in scope".to_string()),
            Some(true) if d.duplicate_keys == 0 => {
                (Verdict::Pass, format!("{} distinct keys, no duplicates", d.distinct_keys))
            }
            Some(ok) => (
                if ok { Verdict::Pass } else { Verdict::Fail },
                format!(
                    "{} keys occur more than once, on {} of {} rows ({})",
                    d.duplicate_keys,
                    d.duplicate_rows,
                    d.rows,
                    share.map(format_percent).unwrap_or_default()
                ),
            ),
        };
        Judgement::new(verdict, message)
            .observed("rows", d.rows)
            .observed("null_key_rows", rows_in_scope.saturating_sub(d.rows))
            .observed("distinct_keys", d.distinct_keys)
            .observed("duplicate_keys", d.duplicate_keys)
            .observed("duplicate_rows", d.duplicate_rows)
            .observed("duplicate_fraction", json_number(share))
            .threshold("max_duplicate_rows", self.max.to_json())
    }
}
