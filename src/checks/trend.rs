//! `trend`: a metric compared with its own values in past runs (the history
//! that `--history DIR` keeps).
//!
//! Why: a row count that halves overnight, or a mean that wanders three
//! standard deviations from its usual place, is wrong even when it stays
//! inside any fixed bounds one would think to write.
//! Examples:
//! `- trend: { metric: row_count, max_change: 20% }` (relative to the last run)
//! `- trend: { column: amount, metric: mean, max_change: 500 }` (absolute)
//! `- trend: { column: amount, metric: mean, max_sigma: 3, window: 10 }`
//!
//! Metrics: `row_count`, or any `stat` metric of a column. Past values are
//! this check's own (same id) from runs that measured it (any status but
//! error), oldest first; `window` keeps the last N (default 10). With too little
//! history (`min_history`: default 1 for `max_change`, 3 for `max_sigma`) or
//! no `--history`, the check is `skipped` with the reason, never passed.

use super::stat::{METRICS, bind_metric, metric_value, parse_metric};
use super::{CheckKind, Judgement, KindInfo, Measured, Verdict};
use crate::compile::{Binder, Bound};
use crate::spec::Column;
use crate::spec::params::{Params, Sql, parse_percent};
use crate::util::numbers::{format_percent, json_number, show};

/// How far a value may move from the last run's.
#[derive(Debug, Clone, Copy)]
enum Change {
    Absolute(f64),
    /// A fraction of the last value (`20%` is 0.2).
    Relative(f64),
}

#[derive(Debug)]
struct Trend {
    column: Option<Column>,
    metric: &'static str,
    q: Option<f64>,
    max_change: Option<Change>,
    max_sigma: Option<f64>,
    window: usize,
    min_history: usize,
}

const DEFAULT_WINDOW: usize = 10;

/// The registry entry of `trend` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo {
    name: "trend",
    keys: &["column", "metric", "q", "max_change", "max_sigma", "window", "min_history"],
    parse,
};

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    let names: Vec<&'static str> = std::iter::once("row_count").chain(METRICS.iter().copied()).collect();
    let column = match p.get("column") {
        Some(node) => Some(p.column_node(node)?),
        None => None,
    };
    let metric = parse_metric(p, &names);
    let max_change = match p.get("max_change") {
        None => None,
        Some(node) => {
            let change = match (node.as_f64(), node.as_str().and_then(parse_percent)) {
                (Some(v), _) if v.is_finite() && v >= 0.0 => Some(Change::Absolute(v)),
                (_, Some(f)) => Some(Change::Relative(f)),
                _ => None,
            };
            if change.is_none() {
                p.error(
                    node.span,
                    format!("`max_change` must be a number or a percentage, found {}", node.describe()),
                    Some("e.g. `max_change: 20%` (relative to the last run) or `max_change: 500`".into()),
                );
            }
            Some(change?)
        }
    };
    let max_sigma = p.opt_number("max_sigma");
    let window = p.opt_count("window");
    let min_history = p.opt_count("min_history");
    let (metric, q) = metric?;
    let span = p.kind_span;
    if metric == "row_count" && column.is_some() {
        p.error(span, "`row_count` counts rows: drop `column`", None);
        return None;
    }
    if metric != "row_count" && column.is_none() {
        p.error(span, format!("`{metric}` needs `column`"), None);
        return None;
    }
    if max_change.is_none() && max_sigma.is_none() {
        p.error(
            span,
            "`trend` needs `max_change`, `max_sigma` or both",
            Some("e.g. `max_change: 20%`, or `max_sigma: 3` with `window: 10`".into()),
        );
        return None;
    }
    if max_sigma.is_some_and(|k| k <= 0.0) {
        p.error(span, "`max_sigma` must be positive", None);
        return None;
    }
    let window = window.map_or(DEFAULT_WINDOW, |w| w as usize);
    let min_history = min_history.map_or(if max_sigma.is_some() { 3 } else { 1 }, |m| m as usize);
    if window == 0 || min_history == 0 || min_history > window || (max_sigma.is_some() && min_history < 2) {
        p.error(
            span,
            format!("`min_history` ({min_history}) must be between 1 (2 with `max_sigma`) and `window` ({window})"),
            None,
        );
        return None;
    }
    Some(Box::new(Trend { column, metric, q, max_change, max_sigma, window, min_history }))
}

impl CheckKind for Trend {
    fn columns(&self) -> Vec<String> {
        self.column.iter().map(|c| c.name.clone()).collect()
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        let metric = match &self.column {
            None => b.count_where(None),
            Some(c) => bind_metric(b, c, self.metric, self.q)?,
        };
        Some(b.bound(vec![metric], None))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let value = if self.column.is_none() { Some(m.count(0) as f64) } else { metric_value(m, 0) };
        let j = self.judge_value(value, m.past);
        self.with_threshold(j)
    }
}

impl Trend {
    fn name(&self) -> String {
        match self.q {
            Some(q) => format!("{}({q})", self.metric),
            None => self.metric.to_string(),
        }
    }

    fn judge_value(&self, value: Option<f64>, past: Option<&[f64]>) -> Judgement {
        let name = self.name();
        let Some(value) = value else {
            return Judgement::new(Verdict::Undefined, format!("{name} is undefined: no non-null values in scope"));
        };
        let Some(past) = past else {
            return Judgement::new(
                Verdict::Skipped,
                format!("skipped: no history to compare {name} = {} with; run with --history DIR", show(value)),
            )
            .observed("value", json_number(Some(value)))
            .observed("history", 0);
        };
        let past = &past[past.len().saturating_sub(self.window)..];
        let mut j = Judgement::new(Verdict::Pass, String::new())
            .observed("value", json_number(Some(value)))
            .observed("history", past.len());
        if past.len() < self.min_history {
            j.verdict = Verdict::Skipped;
            j.message = format!(
                "skipped: {} past {} in the history, needs {}; {name} = {}",
                past.len(),
                if past.len() == 1 { "run" } else { "runs" },
                self.min_history,
                show(value)
            );
            return j;
        }
        let mut problems = Vec::new();
        let mut facts = Vec::new();
        if let Some(change) = self.max_change {
            let last = past[past.len() - 1];
            let delta = value - last;
            j = j.observed("last", json_number(Some(last))).observed("change", json_number(Some(delta)));
            let relative = (last != 0.0).then(|| delta / last.abs());
            if let Some(r) = relative {
                j = j.observed("relative_change", json_number(Some(r)));
            }
            let shown = match relative {
                Some(r) => format!("{name} = {} vs {} last run ({}{})", show(value), show(last), sign(r), pct(r)),
                None => format!("{name} = {} vs {} last run", show(value), show(last)),
            };
            let too_far = match change {
                Change::Absolute(max) => delta.abs() > max,
                // From zero, any move is an infinite relative change.
                Change::Relative(max) => relative.map_or(delta != 0.0, |r| r.abs() > max + 1e-12),
            };
            if too_far {
                problems.push(format!("{shown}, more than the allowed {}", describe(change)));
            } else {
                facts.push(shown);
            }
        }
        if let Some(k) = self.max_sigma {
            let n = past.len() as f64;
            let mean = past.iter().sum::<f64>() / n;
            let sd = (past.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            j = j.observed("mean", json_number(Some(mean))).observed("stddev", json_number(Some(sd)));
            let window = format!("the last {} runs' {} ± {}", past.len(), show(mean), show(sd));
            let constant = past.iter().all(|&x| x == past[0]);
            if constant {
                // A constant history: any move at all is unusual (up to rounding).
                if (value - past[0]).abs() <= 1e-12 * past[0].abs().max(1.0) {
                    facts.push(format!("{name} = {}, as in {window}", show(value)));
                } else {
                    problems.push(format!(
                        "{name} = {} moved from a constant history at {}",
                        show(value),
                        show(past[0])
                    ));
                }
            } else {
                let z = (value - mean) / sd;
                j = j.observed("z", json_number(Some(z)));
                let shown = format!("{name} = {} is {} sd from {window}", show(value), show(z.abs()));
                if z.abs() > k {
                    problems.push(format!("{shown}, beyond {}", show(k)));
                } else {
                    facts.push(shown);
                }
            }
        }
        if problems.is_empty() {
            j.message = facts.join("; ");
        } else {
            j.verdict = Verdict::Fail;
            j.message = problems.join("; ");
        }
        j
    }

    fn with_threshold(&self, mut j: Judgement) -> Judgement {
        j = j.threshold("metric", self.metric);
        if let Some(q) = self.q {
            j = j.threshold("q", json_number(Some(q)));
        }
        match self.max_change {
            Some(Change::Absolute(v)) => j = j.threshold("max_change", json_number(Some(v))),
            Some(Change::Relative(f)) => j = j.threshold("max_change", format_percent(f)),
            None => {}
        }
        if let Some(k) = self.max_sigma {
            j = j.threshold("max_sigma", json_number(Some(k)));
        }
        j.threshold("window", self.window).threshold("min_history", self.min_history)
    }
}

fn describe(change: Change) -> String {
    match change {
        Change::Absolute(v) => show(v),
        Change::Relative(f) => format_percent(f),
    }
}

fn sign(r: f64) -> &'static str {
    if r >= 0.0 { "+" } else { "-" }
}

fn pct(r: f64) -> String {
    format_percent(r.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trend(max_change: Option<Change>, max_sigma: Option<f64>, min_history: usize) -> Trend {
        Trend { column: None, metric: "row_count", q: None, max_change, max_sigma, window: 5, min_history }
    }

    #[test]
    fn relative_change_from_the_last_run() {
        let t = trend(Some(Change::Relative(0.2)), None, 1);
        let j = t.judge_value(Some(1100.0), Some(&[500.0, 1000.0]));
        assert_eq!(j.verdict, Verdict::Pass, "{}", j.message);
        assert_eq!(j.observed["relative_change"], json_number(Some(0.1)));
        let j = t.judge_value(Some(700.0), Some(&[1000.0]));
        assert_eq!(j.verdict, Verdict::Fail);
        assert_eq!(j.message, "row_count = 700 vs 1000 last run (-30%), more than the allowed 20%");
        // Exactly at the limit passes (bounds are inclusive).
        assert_eq!(t.judge_value(Some(1200.0), Some(&[1000.0])).verdict, Verdict::Pass);
    }

    #[test]
    fn absolute_change_and_moves_from_zero() {
        let t = trend(Some(Change::Absolute(5.0)), None, 1);
        assert_eq!(t.judge_value(Some(14.0), Some(&[10.0])).verdict, Verdict::Pass);
        assert_eq!(t.judge_value(Some(16.0), Some(&[10.0])).verdict, Verdict::Fail);
        let rel = trend(Some(Change::Relative(0.5)), None, 1);
        assert_eq!(rel.judge_value(Some(0.0), Some(&[0.0])).verdict, Verdict::Pass);
        assert_eq!(rel.judge_value(Some(1.0), Some(&[0.0])).verdict, Verdict::Fail);
    }

    #[test]
    fn sigma_over_the_window() {
        let t = trend(None, Some(3.0), 3);
        // The window keeps the last 5: 10, 12, 10, 12, 11 -> mean 11, sd 1.
        let past = [1000.0, 10.0, 12.0, 10.0, 12.0, 11.0];
        let j = t.judge_value(Some(13.9), Some(&past));
        assert_eq!(j.verdict, Verdict::Pass, "{}", j.message);
        assert_eq!(j.observed["history"], 5);
        assert_eq!(j.observed["mean"], 11);
        assert_eq!(j.observed["stddev"], 1);
        let j = t.judge_value(Some(14.5), Some(&past));
        assert_eq!(j.verdict, Verdict::Fail);
        assert!(j.message.contains("3.5 sd"), "{}", j.message);
        // A constant history flags any move.
        assert_eq!(t.judge_value(Some(5.0), Some(&[5.0, 5.0, 5.0])).verdict, Verdict::Pass);
        let x = 11_076.436_575_8;
        assert_eq!(t.judge_value(Some(x), Some(&[x, x, x])).verdict, Verdict::Pass, "no rounding false alarm");
        assert_eq!(t.judge_value(Some(5.1), Some(&[5.0, 5.0, 5.0])).verdict, Verdict::Fail);
    }

    #[test]
    fn too_little_history_is_skipped_never_passed() {
        let t = trend(None, Some(3.0), 3);
        let j = t.judge_value(Some(10.0), Some(&[1.0, 2.0]));
        assert_eq!(j.verdict, Verdict::Skipped);
        assert_eq!(j.message, "skipped: 2 past runs in the history, needs 3; row_count = 10");
        let j = t.judge_value(Some(10.0), None);
        assert_eq!(j.verdict, Verdict::Skipped);
        assert!(j.message.contains("--history"), "{}", j.message);
        assert_eq!(t.judge_value(None, Some(&[1.0; 5])).verdict, Verdict::Undefined);
    }
}
