//! `condition`: a row-level SQL predicate holds for (`mostly`) every row.
//!
//! Why: rules across columns (`amount <= income * 10`, `end >= start`).
//! Example: `- condition: { name: amount_vs_income, where: "amount <= income * 10", mostly: 95% }`
//!
//! The predicate is `expect`; when only `where` is given (as in the design's
//! sketch) `where` is the predicate. With both, `where` selects the rows and
//! `expect` must hold on them. Rows where the predicate is NULL (a null input)
//! are neither valid nor invalid.

use super::validity::{self, Mostly};
use super::{CheckKind, Judgement, KindInfo, Measured};
use crate::compile::{Binder, Bound};
use crate::spec::params::{Params, Sql};

#[derive(Debug)]
struct Condition {
    expect: Sql,
    mostly: Mostly,
}

/// The registry entry of `condition` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo { name: "condition", keys: &["expect", "mostly"], parse };

pub fn parse(p: &mut Params<'_>, filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    let mostly = Mostly::parse(p);
    let expect = match p.opt_string("expect") {
        Some((text, span)) => Sql { text, span },
        None => {
            if let Some(sql) = filter.take() {
                sql
            } else {
                let span = p.kind_span;
                p.error(
                    span,
                    "`condition` needs a SQL predicate in `where` (or `expect`)",
                    Some("for example `condition: { where: \"amount <= income * 10\" }`".into()),
                );
                return None;
            }
        }
    };
    Some(Box::new(Condition { expect, mostly }))
}

impl CheckKind for Condition {
    fn columns(&self) -> Vec<String> {
        Vec::new()
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        let predicate = b.predicate(&self.expect, "condition")?;
        Some(validity::bind(b, predicate.clone(), predicate, None))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let mut threshold = serde_json::Map::new();
        threshold.insert("expect".into(), self.expect.text.clone().into());
        let mut j = validity::judge(m, self.mostly, &format!("satisfying `{}`", self.expect.text), threshold);
        j.message = j.message.replace(" values", " rows");
        j
    }
}
