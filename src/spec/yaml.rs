//! The raw layer: a YAML document as a tree of nodes that each keep their
//! file position. It is 1:1 with what the user wrote; nothing here knows what
//! a check is. Validation into the typed model happens in `spec::model`.
//!
//! Parsing goes through serde-saphyr with a budget, so alias bombs, deep
//! nesting and oversized documents are refused before they cost much.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Budget, Options, Spanned};

/// Largest expectation file we read; real suites are a few kilobytes.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// A position in a source file: 1-based line and column, and the length of
/// the token in characters (at least 1) for the caret underline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

impl Span {
    fn from_location(loc: serde_saphyr::Location) -> Self {
        Self {
            line: u32::try_from(loc.line()).unwrap_or(u32::MAX),
            col: u32::try_from(loc.column()).unwrap_or(u32::MAX),
            len: u32::try_from(loc.span().len()).unwrap_or(1).max(1),
        }
    }
}

/// One YAML node with its position.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// What the node is, for messages such as "expected a list, found a string".
    pub fn describe(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }
}

/// The boolean a word means where a boolean is expected: YAML 1.2 reads only
/// `true`/`false` as booleans, and people also write YAML 1.1's `yes`/`no`,
/// `on`/`off`, `y`/`n` (any case) for one.
pub fn bool_word(word: &str) -> Option<bool> {
    match word.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "on" => Some(true),
        "false" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// A mapping key as written, for messages.
pub fn key_text(key: &Node) -> String {
    match &key.value {
        Value::Str(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        _ => "?".to_string(),
    }
}

/// Why a document could not be read as YAML at all.
#[derive(Debug)]
pub struct YamlError {
    pub message: String,
    pub span: Option<Span>,
}

/// Parses one YAML document into a node tree, within a budget.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(YamlError {
            message: format!(
                "the file is {} bytes; expectation files are limited to {MAX_DOCUMENT_BYTES} bytes",
                text.len()
            ),
            span: None,
        });
    }
    let mut options = Options::default();
    // YAML 1.2 booleans: only true/false. A plain `y`, `no`, `on`, `NO` (a
    // column, a category, Norway's country code) is the string it spells;
    // keys that mean a boolean accept those words through `bool_word`.
    options.strict_booleans = true;
    let mut budget = Budget::default();
    // A suite has at most a few thousand nodes; these limits refuse hostile
    // input (alias expansion, deep nesting) in milliseconds.
    budget.max_events = 200_000;
    budget.max_nodes = 100_000;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_depth = 64;
    budget.max_recorded_anchor_events = 100_000;
    budget.max_total_scalar_bytes = MAX_DOCUMENT_BYTES;
    budget.max_documents = 1;
    options.budget = Some(budget);
    let doc: Spanned<Value> = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let span = e.location().map(Span::from_location);
        YamlError { message: first_line(&e.to_string()), span }
    })?;
    Ok(Node { value: doc.value, span: Span::from_location(doc.referenced) })
}

/// serde-saphyr renders its own snippet after the first line and prefixes
/// the position, which we render ourselves; budget breaches get plain words.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("invalid YAML").trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let line = match line.find(": ") {
        Some(i) if line.starts_with("line ") => &line[i + 2..],
        _ => line,
    };
    if line.contains("budget breached") {
        format!("the document expands beyond the limits for expectation files (aliases, anchors or size): {line}")
    } else if line.contains("recursion limit") {
        "nesting is deeper than the limit of 64 levels".to_string()
    } else {
        line.to_string()
    }
}

fn node(spanned: Spanned<Value>) -> Node {
    Node { value: spanned.value, span: Span::from_location(spanned.referenced) }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Value>>()? {
            items.push(node(item));
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Value>>()? {
            let value = map.next_value::<Spanned<Value>>()?;
            entries.push((node(key), node(value)));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_of_nested_nodes() {
        let doc = parse("a: 1\nchecks:\n  - not_null: id\n").unwrap();
        let Value::Map(entries) = &doc.value else { panic!("not a map") };
        let (key, value) = &entries[1];
        assert_eq!(key.as_str(), Some("checks"));
        assert_eq!((key.span.line, key.span.col), (2, 1));
        let Value::Seq(items) = &value.value else { panic!("not a seq") };
        let Value::Map(check) = &items[0].value else { panic!("not a map") };
        assert_eq!((check[0].0.span.line, check[0].0.span.col), (3, 5));
        assert_eq!(check[0].1.as_str(), Some("id"));
    }

    #[test]
    fn yaml_1_1_boolean_words_are_strings() {
        let doc = parse("[y, n, yes, no, on, off, NO, Yes, OFF, true, false, True]").unwrap();
        let Value::Seq(items) = &doc.value else { panic!("not a seq") };
        let words: Vec<Option<&str>> = items.iter().map(Node::as_str).collect();
        assert_eq!(
            words[..9],
            [
                Some("y"),
                Some("n"),
                Some("yes"),
                Some("no"),
                Some("on"),
                Some("off"),
                Some("NO"),
                Some("Yes"),
                Some("OFF")
            ]
        );
        assert!(items[9..].iter().all(|n| matches!(n.value, Value::Bool(_))), "true/false stay booleans");
        assert_eq!(bool_word("Yes"), Some(true));
        assert_eq!(bool_word("OFF"), Some(false));
        assert_eq!(bool_word("maybe"), None);
    }

    #[test]
    fn refuses_alias_bombs_quickly() {
        use std::fmt::Write;
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            let refs = vec![format!("*a{prev}"); 10].join(", ");
            let _ = writeln!(text, "a{i}: &a{i} [{refs}]");
        }
        let started = std::time::Instant::now();
        assert!(parse(&text).is_err());
        // Not a timing assertion of speed, only a guard against expansion.
        assert!(started.elapsed().as_secs() < 30);
    }

    #[test]
    fn refuses_deep_nesting() {
        let text = format!("{}{}", "[".repeat(500), "]".repeat(500));
        let err = parse(&text).unwrap_err();
        assert!(!err.message.is_empty());
    }

    #[test]
    fn refuses_oversized_documents() {
        let text = format!("a: \"{}\"\n", "x".repeat(MAX_DOCUMENT_BYTES));
        assert!(parse(&text).unwrap_err().message.contains("limited"));
    }
}
