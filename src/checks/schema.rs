//! `schema`: the data has the expected columns and types.
//!
//! Why: a renamed or retyped column upstream breaks every consumer.
//! Example: `- schema: { columns: { loan_id: int64, amount: float64 }, extra_columns: allow }`
//!
//! Types are named as in `docs/checks.md`: int8..int64, uint8..uint64,
//! float32, float64, string, bool, date, timestamp, decimal, binary, and the
//! families `integer`, `float`, `numeric`. Judged from the schema alone, no
//! query. Unlike other checks, a missing column is a failed check here.

use datafusion::arrow::datatypes::{DataType, Schema};
use serde_json::{Value as Json, json};

use super::{CheckKind, Judgement, KindInfo, Measured, Verdict};
use crate::compile::{Binder, Bound};
use crate::spec::Column;
use crate::spec::diagnostic::did_you_mean;
use crate::spec::params::{Params, Sql};
use crate::spec::yaml::Value;

const TYPE_NAMES: &[&str] = &[
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "string",
    "bool",
    "date",
    "timestamp",
    "time",
    "duration",
    "decimal",
    "binary",
    "integer",
    "float",
    "numeric",
    "null",
];

#[derive(Debug)]
struct SchemaCheck {
    columns: Vec<(Column, String)>,
    required: Vec<Column>,
    forbidden: Vec<Column>,
    extra_allowed: bool,
}

/// The registry entry of `schema` (see [`super::KINDS`]).
pub const KIND: KindInfo =
    KindInfo { name: "schema", keys: &["columns", "required", "forbidden", "extra_columns"], parse };

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    if !p.is_map() {
        let span = p.node.span;
        p.error(span, "`schema` takes a mapping", Some("write `schema: { columns: { id: int64 } }`".into()));
        return None;
    }
    let mut columns = Vec::new();
    if let Some(node) = p.get("columns") {
        if let Value::Map(entries) = &node.value {
            for (k, v) in entries {
                let name = p.column_node(k)?;
                let ty = p.string(v, "a type name")?;
                if !TYPE_NAMES.contains(&ty.as_str()) {
                    p.error(v.span, format!("unknown type `{ty}`"), Some(did_you_mean(&ty, TYPE_NAMES)));
                    return None;
                }
                columns.push((name, ty));
            }
        } else {
            p.error(
                node.span,
                "`columns` maps column names to types",
                Some("e.g. `columns: { loan_id: int64 }`".into()),
            );
            return None;
        }
    }
    let required = match p.get("required") {
        Some(n) => p.columns_list(n)?,
        None => Vec::new(),
    };
    let forbidden = match p.get("forbidden") {
        Some(n) => p.columns_list(n)?,
        None => Vec::new(),
    };
    let extra_allowed = match p.get("extra_columns") {
        None => true,
        Some(n) => match n.as_str() {
            Some("allow") => true,
            Some("forbid") => false,
            _ => {
                p.error(n.span, "`extra_columns` is `allow` or `forbid`", None);
                return None;
            }
        },
    };
    if columns.is_empty() && required.is_empty() && forbidden.is_empty() {
        let span = p.kind_span;
        p.error(span, "`schema` needs `columns`, `required` or `forbidden`", None);
        return None;
    }
    Some(Box::new(SchemaCheck { columns, required, forbidden, extra_allowed }))
}

fn matches_type(expected: &str, t: &DataType) -> bool {
    let actual = crate::util::types::type_name(t);
    match expected {
        "integer" => actual.starts_with("int") || actual.starts_with("uint"),
        "float" => actual.starts_with("float"),
        "numeric" => {
            actual.starts_with("int")
                || actual.starts_with("uint")
                || actual.starts_with("float")
                || actual == "decimal"
        }
        e => e == actual,
    }
}

impl CheckKind for SchemaCheck {
    fn columns(&self) -> Vec<String> {
        Vec::new()
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        Some(b.bound(Vec::new(), None))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let schema: &Schema = m.schema;
        let field = |name: &str| schema.field_with_name(name).ok();
        let mut missing: Vec<String> = Vec::new();
        let mut mismatched: Vec<Json> = Vec::new();
        for (col, expected) in &self.columns {
            match field(&col.name) {
                None => missing.push(col.name.clone()),
                Some(f) if !matches_type(expected, f.data_type()) => mismatched.push(json!({
                    "column": col.name, "expected": expected, "actual": crate::util::types::type_name(f.data_type())
                })),
                Some(_) => {}
            }
        }
        for col in &self.required {
            if field(&col.name).is_none() && !missing.contains(&col.name) {
                missing.push(col.name.clone());
            }
        }
        let forbidden: Vec<String> =
            self.forbidden.iter().filter(|c| field(&c.name).is_some()).map(|c| c.name.clone()).collect();
        let declared = |name: &str| {
            self.columns.iter().any(|(c, _)| c.name == name) || self.required.iter().any(|c| c.name == name)
        };
        let extra: Vec<String> = if self.extra_allowed {
            Vec::new()
        } else {
            schema.fields().iter().map(|f| f.name().clone()).filter(|n| !declared(n)).collect()
        };
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!("missing columns: {}", missing.join(", ")));
        }
        for m in &mismatched {
            problems.push(format!(
                "`{}` is {}, expected {}",
                m["column"].as_str().unwrap_or(""),
                m["actual"].as_str().unwrap_or(""),
                m["expected"].as_str().unwrap_or("")
            ));
        }
        if !forbidden.is_empty() {
            problems.push(format!("forbidden columns present: {}", forbidden.join(", ")));
        }
        if !extra.is_empty() {
            problems.push(format!("unexpected columns: {}", extra.join(", ")));
        }
        let verdict = if problems.is_empty() { Verdict::Pass } else { Verdict::Fail };
        let message = if problems.is_empty() {
            format!("{} columns as expected", schema.fields().len())
        } else {
            problems.join("; ")
        };
        let expected: serde_json::Map<String, Json> =
            self.columns.iter().map(|(c, t)| (c.name.clone(), Json::from(t.clone()))).collect();
        let mut j = Judgement::new(verdict, message)
            .observed("columns", schema.fields().len())
            .observed("missing", missing)
            .observed("type_mismatches", mismatched)
            .observed("forbidden_present", forbidden)
            .observed("unexpected", extra)
            .threshold("extra_columns", if self.extra_allowed { "allow" } else { "forbid" });
        if !expected.is_empty() {
            j = j.threshold("columns", expected);
        }
        if !self.required.is_empty() {
            j = j.threshold("required", self.required.iter().map(|c| c.name.clone()).collect::<Vec<_>>());
        }
        if !self.forbidden.is_empty() {
            j = j.threshold("forbidden", self.forbidden.iter().map(|c| c.name.clone()).collect::<Vec<_>>());
        }
        j
    }
}
