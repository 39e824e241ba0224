//! Reading the parameters of one check from its YAML node, collecting every
//! problem instead of stopping at the first. Each check kind's `parse`
//! function asks this reader for the keys it knows; whatever is left over is
//! reported as an unknown key with the nearest valid one as help.

use std::sync::Arc;

use super::diagnostic::{Diagnostic, Diagnostics, SourceFile, did_you_mean};
use super::yaml::{Node, Span, Value};

/// A column named in a check, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub span: Span,
}

/// A piece of user-written SQL (a row filter or a row condition).
#[derive(Debug, Clone)]
pub struct Sql {
    pub text: String,
    pub span: Span,
}

/// A limit written either as a count (`5`) or a percentage (`2%`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    Count(u64),
    Fraction(f64),
}

impl Limit {
    /// Whether `count` out of `total` is within the limit. `None` when the
    /// limit is a fraction and the total is zero: the fraction is undefined.
    pub fn allows(self, count: u64, total: u64) -> Option<bool> {
        match self {
            Limit::Count(max) => Some(count <= max),
            Limit::Fraction(max) => (total > 0).then(|| count as f64 / total as f64 <= max + 1e-12),
        }
    }

    pub fn to_json(self) -> serde_json::Value {
        match self {
            Limit::Count(n) => serde_json::json!(n),
            Limit::Fraction(f) => serde_json::json!(crate::util::numbers::format_percent(f)),
        }
    }
}

/// The map (or shorthand scalar/list) of one check's parameters.
pub struct Params<'a> {
    pub kind: &'static str,
    /// The node after the kind key: a scalar, a list or a map.
    pub node: &'a Node,
    /// The span of the kind key, for errors about the check as a whole.
    pub kind_span: Span,
    file: &'a Arc<SourceFile>,
    diags: &'a mut Diagnostics,
    entries: &'a [(Node, Node)],
    /// Every key the kind accepts (besides the common ones).
    known: &'static [&'static str],
}

impl<'a> Params<'a> {
    pub fn new(
        kind: &'static str,
        known: &'static [&'static str],
        kind_span: Span,
        node: &'a Node,
        file: &'a Arc<SourceFile>,
        diags: &'a mut Diagnostics,
    ) -> Self {
        let entries: &[(Node, Node)] = match &node.value {
            Value::Map(entries) => entries,
            _ => &[],
        };
        Self { kind, node, kind_span, file, diags, entries, known }
    }

    pub fn file(&self) -> &Arc<SourceFile> {
        self.file
    }

    pub fn is_map(&self) -> bool {
        matches!(self.node.value, Value::Map(_))
    }

    pub fn error(&mut self, span: Span, message: impl Into<String>, help: Option<String>) {
        self.diags.push(Diagnostic::new(self.file, Some(span), message).with_help(help));
    }

    /// The value of `key`, marking it as understood.
    pub fn get(&mut self, key: &'static str) -> Option<&'a Node> {
        debug_assert!(self.known.contains(&key), "`{key}` is missing from the key list of `{}`", self.kind);
        self.entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
    }

    /// A required key; reports its absence.
    pub fn require(&mut self, key: &'static str) -> Option<&'a Node> {
        let found = self.get(key);
        if found.is_none() {
            let span = if self.is_map() { self.node.span } else { self.kind_span };
            self.error(
                span,
                format!("`{}` needs `{key}`", self.kind),
                Some(format!("write it as `{}: {{ {key}: ... }}`", self.kind)),
            );
        }
        found
    }

    pub fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) if !s.is_empty() => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            _ => {
                self.error(node.span, format!("expected {what}, found {}", node.describe()), None);
                None
            }
        }
    }

    pub fn opt_string(&mut self, key: &'static str) -> Option<(String, Span)> {
        let node = self.get(key)?;
        let s = self.string(node, &format!("a string for `{key}`"))?;
        Some((s, node.span))
    }

    pub fn column_node(&mut self, node: &Node) -> Option<Column> {
        let name = self.string(node, "a column name")?;
        Some(Column { name, span: node.span })
    }

    /// The column a single-column check is about: `kind: col` or `kind: { column: col }`.
    pub fn column(&mut self) -> Option<Column> {
        if self.is_map() {
            let node = self.require("column")?;
            self.column_node(node)
        } else {
            let node = self.node;
            self.column_node(node)
        }
    }

    pub fn columns_list(&mut self, node: &Node) -> Option<Vec<Column>> {
        match &node.value {
            Value::Seq(items) if !items.is_empty() => {
                let cols: Vec<_> = items.iter().filter_map(|n| self.column_node(n)).collect();
                (cols.len() == items.len()).then_some(cols)
            }
            Value::Str(_) => self.column_node(node).map(|c| vec![c]),
            _ => {
                self.error(node.span, format!("expected a list of column names, found {}", node.describe()), None);
                None
            }
        }
    }

    pub fn number(&mut self, node: &Node, key: &str) -> Option<f64> {
        match node.as_f64() {
            Some(v) if v.is_finite() => Some(v),
            _ => {
                self.error(node.span, format!("`{key}` must be a number, found {}", node.describe()), None);
                None
            }
        }
    }

    pub fn opt_number(&mut self, key: &'static str) -> Option<f64> {
        let node = self.get(key)?;
        self.number(node, key)
    }

    pub fn count(&mut self, node: &Node, key: &str) -> Option<u64> {
        match node.value {
            Value::Int(i) if i >= 0 => Some(i.cast_unsigned()),
            Value::Float(f) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e18 => Some(f as u64),
            _ => {
                self.error(
                    node.span,
                    format!("`{key}` must be a whole number of rows, found {}", node.describe()),
                    None,
                );
                None
            }
        }
    }

    pub fn opt_count(&mut self, key: &'static str) -> Option<u64> {
        let node = self.get(key)?;
        self.count(node, key)
    }

    pub fn opt_bool(&mut self, key: &'static str) -> Option<bool> {
        let node = self.get(key)?;
        match super::yes_or_no(node) {
            Some(b) => Some(b),
            None => {
                self.error(node.span, format!("`{key}` must be true or false, found {}", node.describe()), None);
                None
            }
        }
    }

    /// A count (`5`) or a percentage (`2%`).
    pub fn opt_limit(&mut self, key: &'static str) -> Option<Limit> {
        let node = self.get(key)?;
        if let Some(s) = node.as_str() {
            if let Some(f) = parse_percent(s) {
                return Some(Limit::Fraction(f));
            }
        } else if let Value::Int(i) = node.value
            && i >= 0
        {
            let n = i.cast_unsigned();
            return Some(Limit::Count(n));
        }
        self.error(
            node.span,
            format!("`{key}` must be a row count or a percentage, found {}", node.describe()),
            Some(format!("write `{key}: 10` for rows or `{key}: 2%` for a share of rows")),
        );
        None
    }

    /// A share of rows: `99.5%` or `0.995`.
    pub fn opt_fraction(&mut self, key: &'static str) -> Option<f64> {
        let node = self.get(key)?;
        let parsed = match &node.value {
            Value::Str(s) => parse_percent(s),
            Value::Int(i) if (0..=1).contains(i) => Some(*i as f64),
            Value::Float(f) if (0.0..=1.0).contains(f) => Some(*f),
            _ => None,
        };
        if parsed.is_none() {
            self.error(
                node.span,
                format!("`{key}` must be a percentage or a fraction between 0 and 1, found {}", node.describe()),
                Some(format!("for example `{key}: 99.5%` or `{key}: 0.995`")),
            );
        }
        parsed
    }

    pub fn seq(&mut self, node: &'a Node, key: &str) -> Option<&'a [Node]> {
        if let Value::Seq(items) = &node.value {
            Some(items)
        } else {
            self.error(node.span, format!("`{key}` must be a list, found {}", node.describe()), None);
            None
        }
    }

    /// Reports keys the kind does not accept, with the nearest valid key.
    pub fn finish(self) {
        let Params { kind, file, diags, entries, known, .. } = self;
        for (key, _) in entries {
            let text = super::yaml::key_text(key);
            let name = text.as_str();
            if known.contains(&name) || super::COMMON_KEYS.contains(&name) {
                continue;
            }
            let mut valid: Vec<&str> = known.to_vec();
            valid.extend(super::COMMON_KEYS);
            valid.sort_unstable();
            valid.dedup();
            diags.push(
                Diagnostic::new(file, Some(key.span), format!("unknown key `{name}` in `{kind}`"))
                    .with_help(Some(did_you_mean(name, &valid))),
            );
        }
    }
}

/// `"2%"` -> 0.02, `"99.5 %"` -> 0.995; `None` for anything else or out of 0..=100.
pub fn parse_percent(s: &str) -> Option<f64> {
    let number = s.trim().strip_suffix('%')?.trim();
    let pct: f64 = number.parse().ok()?;
    (0.0..=100.0).contains(&pct).then_some(pct / 100.0)
}

/// `"1d"`, `"12h"`, `"30m"`, `"45s"`, `"2w"` -> seconds.
pub fn parse_duration(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = s.split_at(split);
    let n: f64 = number.trim().parse().ok()?;
    let unit_seconds = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return None,
    };
    (n >= 0.0 && n.is_finite()).then_some(n * unit_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_and_durations() {
        assert_eq!(parse_percent("2%"), Some(0.02));
        assert_eq!(parse_percent("99.5%"), Some(0.995));
        assert_eq!(parse_percent("101%"), None);
        assert_eq!(parse_percent("2"), None);
        assert_eq!(parse_duration("1d"), Some(86_400.0));
        assert_eq!(parse_duration("36h"), Some(129_600.0));
        assert_eq!(parse_duration("1y"), None);
        assert_eq!(crate::util::numbers::format_percent(0.995), "99.5%");
    }

    #[test]
    fn limits_on_empty_totals_are_undefined() {
        assert_eq!(Limit::Fraction(0.02).allows(0, 0), None);
        assert_eq!(Limit::Count(0).allows(0, 0), Some(true));
        assert_eq!(Limit::Fraction(0.02).allows(2, 100), Some(true));
        assert_eq!(Limit::Fraction(0.02).allows(3, 100), Some(false));
    }
}
