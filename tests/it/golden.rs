//! Golden tests: one folder per check kind under tests/golden/, each suite
//! file a set of cases (pass, fail, nulls, `where`, empty data) judged on the
//! tiny datasets in tests/golden/data/. Each suite's expected result is the
//! insta snapshot beside it (`cases.yaml` -> `cases.snap`), in a compact
//! form a reviewer can read: a block per check with its status, message,
//! observed and threshold values (`key=value`, nested keys dotted, nulls and
//! empty lists left out) and failing sample. The full JSON of results is
//! covered by the CLI snapshot tests (tests/it/cli.rs) and docs/json.md.
//! A new kind adds a folder, not code; a behaviour change is a small diff in
//! the folder of the kind it changes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::common::{block_on, request};

/// Width past which `key=value` lines wrap.
const WIDTH: usize = 100;

/// The compact text of a run's outcome (see the module docs).
fn compact(outcome: &probity::RunOutcome) -> String {
    let rows: Vec<String> = outcome.suites.iter().map(|s| s.rows.to_string()).collect();
    let mut out = format!("status {}, rows {}\n", outcome.status.as_str(), rows.join(", "));
    for check in outcome.checks() {
        let json = serde_json::to_value(check).unwrap();
        let Json::Object(fields) = json else { unreachable!("a check outcome is an object") };
        let mut head = format!("{}: {}", check.id, check.status.as_str());
        if check.severity != "error" {
            let _ = write!(head, " (severity {})", check.severity);
        }
        let _ = write!(out, "\n{head}\n");
        let _ = writeln!(out, "  message   {}", check.message);
        for key in ["observed", "threshold"] {
            for (label, pairs) in blocks(key, &fields[key]) {
                wrap(&mut out, &label, &pairs);
            }
        }
        for (key, value) in &fields {
            let shown = matches!(
                key.as_str(),
                "id" | "kind"
                    | "column"
                    | "columns"
                    | "severity"
                    | "status"
                    | "message"
                    | "observed"
                    | "threshold"
                    | "failing_sample"
                    | "duration_ms"
            );
            if !shown {
                let text = value.as_str().map_or_else(|| one_line(value), str::to_string);
                let _ = writeln!(out, "  {key:<9} {text}");
            }
        }
        for row in check.failing_sample.iter().flatten() {
            let _ = writeln!(out, "  sample    {}", one_line(row));
        }
    }
    out
}

/// A block of `key=value` pairs under a label (`observed`,
/// `observed.groups.female`, ...).
type Block = (String, Vec<String>);

/// `value`'s leaves as `key=value` pairs of the block `label`, nested keys
/// joined by dots; each item of a list of objects becomes a block of its own
/// (named by its `label`, else its index), after its parent's. Nulls and
/// empty lists are left out.
fn blocks(label: &str, value: &Json) -> Vec<Block> {
    fn collect(value: &Json, rel: &str, label: &str, pairs: &mut Vec<String>, more: &mut Vec<Block>) {
        let join = |key: &str| if rel.is_empty() { key.to_string() } else { format!("{rel}.{key}") };
        match value {
            Json::Null => {}
            Json::Object(map) => {
                for (k, v) in map {
                    collect(v, &join(k), label, pairs, more);
                }
            }
            Json::Array(items) if items.iter().any(Json::is_object) => {
                for (i, item) in items.iter().enumerate() {
                    let name = item.get("label").and_then(Json::as_str).map_or_else(|| i.to_string(), str::to_string);
                    let item = match item {
                        Json::Object(map) => Json::Object(
                            map.iter().filter(|(k, _)| *k != "label").map(|(k, v)| (k.clone(), v.clone())).collect(),
                        ),
                        other => other.clone(),
                    };
                    more.extend(blocks(&format!("{label}.{}.{name}", join("")).replace("..", "."), &item));
                }
            }
            Json::Array(items) => {
                if !items.is_empty() {
                    pairs.push(format!("{rel}={}", one_line(value)));
                }
            }
            Json::String(s) => pairs.push(format!("{rel}={s}")),
            other => pairs.push(format!("{rel}={other}")),
        }
    }
    let (mut pairs, mut more) = (Vec::new(), Vec::new());
    collect(value, "", label, &mut pairs, &mut more);
    let mut out = vec![(label.to_string(), pairs)];
    out.extend(more);
    out
}

/// Compact JSON on one line.
fn one_line(value: &Json) -> String {
    serde_json::to_string(value).unwrap()
}

/// `pairs` after `label`, as many to a line as fit in [`WIDTH`]; later
/// lines indented under the first pair (or by 6 after a long label).
fn wrap(out: &mut String, label: &str, pairs: &[String]) {
    if pairs.is_empty() {
        return;
    }
    let first = format!("  {label:<9} ");
    let indent = if first.len() <= 12 { " ".repeat(first.len()) } else { " ".repeat(6) };
    let mut line = first.clone();
    let mut empty = true;
    for pair in pairs {
        if !empty && line.len() + 1 + pair.len() > WIDTH {
            let _ = writeln!(out, "{}", line.trim_end());
            line.clone_from(&indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(pair);
        empty = false;
    }
    let _ = writeln!(out, "{}", line.trim_end());
}

/// Every golden suite: `tests/golden/<kind>/<case>.yaml`, sorted.
fn suites() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for kind in std::fs::read_dir("tests/golden").unwrap() {
        let kind = kind.unwrap().path();
        if !kind.is_dir() {
            continue;
        }
        for case in std::fs::read_dir(&kind).unwrap() {
            let case = case.unwrap().path();
            if case.extension().is_some_and(|e| e == "yaml") {
                found.push(case);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn golden() {
    let mut failed = Vec::new();
    for suite in suites() {
        let path = suite.to_string_lossy().replace('\\', "/");
        let text = match block_on(probity::run(&request(&[path.as_str()]))) {
            Ok(outcome) => compact(&outcome),
            Err(e) => format!("error:\n{e}"),
        };
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join(suite.parent().unwrap());
        let name = suite.file_stem().unwrap().to_string_lossy().to_string();
        // Every suite is compared, then the failures are reported together.
        let compared = std::panic::catch_unwind(|| {
            insta::with_settings!({
                snapshot_path => folder,
                prepend_module_to_snapshot => false,
                input_file => &suite,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(name, text);
            });
        });
        if compared.is_err() {
            failed.push(path);
        }
    }
    assert!(failed.is_empty(), "golden results differ: {failed:#?}");
}

/// Leaves are flattened the way the module docs say.
#[test]
fn compact_form_of_nested_values() {
    let value = serde_json::json!({
        "value": 0.5, "none": null, "empty": [], "tags": ["a", "b"], "ci": { "lower": 0.1 },
        "groups": [{ "label": "f", "rate": 0.25 }, { "rate": 0.75 }],
    });
    let expected: Vec<(String, Vec<String>)> = vec![
        ("observed".into(), vec!["value=0.5".into(), r#"tags=["a","b"]"#.into(), "ci.lower=0.1".into()]),
        ("observed.groups.f".into(), vec!["rate=0.25".into()]),
        ("observed.groups.1".into(), vec!["rate=0.75".into()]),
    ];
    assert_eq!(blocks("observed", &value), expected);
}
