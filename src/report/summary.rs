//! How results read for people, shared by the formats people read (terminal,
//! Markdown, JUnit messages): totals per status, and a check's `observed` and
//! `threshold` in one line. The JSON keeps every number; these summaries keep
//! the scalars and shorten the rest.

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};

use crate::outcome::{RunOutcome, Status};

/// `34 checks on 2 datasets: 17 passed, 14 failed, 1 warned`.
pub(super) fn totals(run: &RunOutcome) -> String {
    let datasets: BTreeSet<&str> = run.suites.iter().map(|s| s.dataset.as_str()).collect();
    format!(
        "{} on {}: {}",
        plural(run.checks().count() as u64, "check"),
        plural(datasets.len() as u64, "dataset"),
        tally(run.checks().map(|c| c.status))
    )
}

/// `17 passed, 14 failed, 1 warned`: always the passes, the other statuses
/// when they occur.
pub(super) fn tally(statuses: impl Iterator<Item = Status>) -> String {
    let statuses: Vec<Status> = statuses.collect();
    let count = |status: Status| statuses.iter().filter(|&&s| s == status).count();
    let mut parts = vec![format!("{} passed", count(Status::Pass))];
    for (status, word) in [
        (Status::Fail, "failed"),
        (Status::Warn, "warned"),
        (Status::Error, "could not be judged"),
        (Status::Skipped, "skipped"),
    ] {
        let k = count(status);
        if k > 0 {
            parts.push(format!("{k} {word}"));
        }
    }
    parts.join(", ")
}

/// `1 check`, `2 checks`.
pub(super) fn plural(k: u64, word: &str) -> String {
    if k == 1 { format!("{k} {word}") } else { format!("{k} {word}s") }
}

/// `{min: 0, max: 10}` -> `min 0, max 10`.
pub(super) fn compact(map: &Map<String, Json>) -> String {
    map.iter()
        .filter(|(k, v)| !is_default_detail(k, v))
        .map(|(k, v)| {
            let v = match v {
                Json::String(s) => s.clone(),
                Json::Array(a) if a.len() > 6 => format!("[{} values]", a.len()),
                Json::Object(o) if v.to_string().len() > 40 => format!("{{{} columns}}", o.len()),
                other => other.to_string(),
            };
            format!("{k} {v}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Settings every check of a kind carries; the JSON has them, the table need not.
fn is_default_detail(key: &str, value: &Json) -> bool {
    match key {
        "mostly" => value == "100%",
        "bound" => value == "estimate",
        "min_group_size" | "confidence" | "n_boot" | "seed" => true,
        _ => false,
    }
}

/// The scalars a check judged, floats to 6 significant digits, and
/// confidence intervals: `{rows: 8000, null_fraction: 0.001250001}` ->
/// `rows 8000, null_fraction 0.00125`. Nulls and other nested values
/// (per-group tables, histograms, lists) are left to the JSON.
pub(super) fn observed(map: &Map<String, Json>) -> String {
    map.iter()
        .filter_map(|(k, v)| {
            let v = match v {
                Json::Number(n) => number(n),
                Json::String(s) => s.clone(),
                Json::Bool(b) => b.to_string(),
                Json::Object(o) => match (o.get("lower"), o.get("upper")) {
                    (Some(Json::Number(lo)), Some(Json::Number(hi))) if o.len() == 2 => {
                        format!("[{}, {}]", number(lo), number(hi))
                    }
                    _ => return None,
                },
                Json::Null | Json::Array(_) => return None,
            };
            Some(format!("{k} {v}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn number(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (_, Some(u), _) => u.to_string(),
        (_, _, Some(f)) => significant(f, 6),
        _ => n.to_string(),
    }
}

/// `x` rounded to `digits` significant digits, without trailing zeros.
fn significant(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let decimals = (digits - 1 - x.abs().log10().floor() as i32).clamp(0, 17) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// What the run read and judged with, one row each (the reports' provenance
/// section): each dataset with its source and what was read, each suite's
/// reference, and each suite file's SHA-256.
pub(super) fn provenance(run: &RunOutcome) -> Vec<[String; 3]> {
    let mut rows: Vec<[String; 3]> = run
        .datasets
        .iter()
        .map(|(name, read)| [format!("dataset {name}"), read.source.clone(), read.summary()])
        .collect();
    for s in &run.suites {
        if let Some(read) = &s.reference {
            let row = [format!("reference of {}", s.dataset), read.source.clone(), read.summary()];
            if !rows.contains(&row) {
                rows.push(row);
            }
        }
    }
    for s in &run.suites {
        if !s.file_sha256.is_empty() {
            rows.push([format!("suite {}", s.file), String::new(), format!("sha256 {}", s.file_sha256)]);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Json) -> Map<String, Json> {
        match v {
            Json::Object(o) => o,
            other => panic!("an object: {other}"),
        }
    }

    #[test]
    fn observed_keeps_scalars_and_rounds_floats() {
        let o = map(json!({
            "rows": 7990, "duplicate_fraction": 0.005_006_257_822_278, "p_value": null,
            "test": "ks", "drifted": false, "groups": [{"label": "a"}], "interval": {"lower": 0.1, "upper": 0.25},
            "histogram": {"edges": [0, 1], "lower": 0.0, "upper": 1.0},
            "value": 108_921.938_668_8, "tiny": 0.000_012_345_678, "negative": -3.5,
        }));
        assert_eq!(
            observed(&o),
            "rows 7990, duplicate_fraction 0.00500626, test ks, drifted false, interval [0.1, 0.25], value 108922, \
             tiny 0.0000123457, \
             negative -3.5"
        );
        assert_eq!(observed(&Map::new()), "");
    }

    #[test]
    fn compact_drops_default_settings() {
        let t = map(json!({"min": 0, "max": 10, "mostly": "100%", "seed": 0, "values": [1, 2, 3, 4, 5, 6, 7]}));
        assert_eq!(compact(&t), "min 0, max 10, values [7 values]");
    }
}
