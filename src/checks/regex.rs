//! `regex`: string values match a regular expression (Rust `regex` syntax,
//! unanchored unless the pattern says `^...$`).
//!
//! Why: formats (emails, codes, ids) break silently upstream.
//! Example: `- regex: { column: email, pattern: '^[^@\s]+@[^@\s]+$', mostly: 99% }`

use datafusion::functions::expr_fn::regexp_like;
use datafusion::logical_expr::lit;

use super::validity::{self, Mostly};
use super::{CheckKind, Judgement, KindInfo, Measured};
use crate::compile::{Binder, Bound, is_string};
use crate::spec::Column;
use crate::spec::params::{Params, Sql};

#[derive(Debug)]
struct Regex {
    column: Column,
    pattern: String,
    mostly: Mostly,
}

/// The registry entry of `regex` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo { name: "regex", keys: &["column", "pattern", "mostly"], parse };

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    let column = p.column()?;
    let node = p.require("pattern")?;
    let pattern = p.string(node, "a regular expression")?;
    let mostly = Mostly::parse(p);
    if let Err(e) = ::regex::Regex::new(&pattern) {
        let reason = e.to_string().lines().last().unwrap_or("invalid pattern").trim().to_string();
        p.error(
            node.span,
            format!("invalid regular expression: {reason}"),
            Some("quote patterns in single quotes so that backslashes stay as written".into()),
        );
        return None;
    }
    Some(Box::new(Regex { column, pattern, mostly }))
}

impl CheckKind for Regex {
    fn columns(&self) -> Vec<String> {
        vec![self.column.name.clone()]
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        b.typed_column(
            &self.column,
            "regex",
            "a string column",
            is_string,
            "use `between` or `in_set` for numbers, or cast in a `condition`",
        )?;
        let c = b.value(&self.column);
        let valid = regexp_like(c.clone(), lit(self.pattern.clone()), None);
        Some(validity::bind(b, c, valid, Some(&self.column.name)))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let mut threshold = serde_json::Map::new();
        threshold.insert("pattern".into(), self.pattern.clone().into());
        validity::judge(m, self.mostly, &format!("matching /{}/", self.pattern), threshold)
    }
}
