//! `drift`: a column of the current data is distributed as in the suite's
//! `reference` (baseline) dataset.
//!
//! Why: a model or report built on last quarter's data silently degrades
//! when the inputs shift, even when every value is valid.
//! Examples:
//! `- drift: { column: amount, test: ks, max_statistic: 0.05 }`,
//! `- drift: { column: purpose, test: chi2, min_p_value: 0.01 }`,
//! `- drift: { columns: all }` (a test per column chosen as Evidently does).
//!
//! The engine sends only compact summaries to Rust: value counts per category,
//! or a numeric column's sorted distinct values with counts (exact up to
//! `max_distinct` distinct values per side, beyond that counts on a shared
//! grid of 100,000 equal-width bins, reported as approximate with a bound on
//! the error of D). It computes all of them for a side (the current data or
//! the reference, under the check's `where`) in one pass (`engine::drift`).
//! The tests themselves live in `crate::stats` and match scipy;
//! docs/statistics.md lists definitions, defaults and effect sizes.
//! At large n every p-value rejects: prefer thresholds on the statistic or
//! distance (`max_statistic`, `max`).

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use serde_json::{Map, Value as Json};

use super::{CheckKind, Judgement, KindInfo, Measured, Verdict};
use crate::compile::{Binder, Bound, Distribution, is_string};
use crate::spec::Column;
use crate::spec::diagnostic::did_you_mean;
use crate::spec::params::{Params, Sql};
use crate::spec::yaml::Span;
use crate::stats::{self, PSI_EPSILON, StatsError, ValueCounts};
use crate::util::numbers::{json_number, show};

const TESTS: &[&str] = &["auto", "ks", "chi2", "psi", "js", "wasserstein", "wasserstein_std", "z", "t"];

/// Reference sizes up to this get p-value tests in `auto` mode (as Evidently).
const SMALL_REFERENCE: u64 = 1000;
/// Default threshold for p-value tests and for distances (Evidently's defaults).
const DEFAULT_P: f64 = 0.05;
const DEFAULT_DISTANCE: f64 = 0.1;
const DEFAULT_MAX_DISTINCT: usize = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    Auto,
    Ks,
    Chi2,
    Psi,
    Js,
    Wasserstein,
    WassersteinStd,
    Z,
    T,
}

impl Test {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "auto" => Self::Auto,
            "ks" => Self::Ks,
            "chi2" => Self::Chi2,
            "psi" => Self::Psi,
            "js" => Self::Js,
            "wasserstein" => Self::Wasserstein,
            "wasserstein_std" => Self::WassersteinStd,
            "z" => Self::Z,
            "t" => Self::T,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        TESTS[self as usize]
    }

    fn has_p_value(self) -> bool {
        matches!(self, Self::Ks | Self::Chi2 | Self::Z | Self::T)
    }

    fn numeric_only(self) -> bool {
        matches!(self, Self::Ks | Self::Wasserstein | Self::WassersteinStd | Self::T)
    }

    fn categorical_only(self) -> bool {
        matches!(self, Self::Chi2 | Self::Z)
    }
}

#[derive(Debug)]
enum Columns {
    Listed(Vec<Column>),
    All(Span),
}

#[derive(Debug)]
struct Drift {
    columns: Columns,
    test: Test,
    max_statistic: Option<f64>,
    min_p_value: Option<f64>,
    max: Option<f64>,
    bins: usize,
    fdr: bool,
    max_distinct: usize,
    /// The columns binding settled on, with whether each is numeric (for `all`).
    resolved: std::sync::OnceLock<Vec<(String, bool)>>,
}

/// The registry entry of `drift` (see [`super::KINDS`]).
pub const KIND: KindInfo = KindInfo {
    name: "drift",
    keys: &["column", "columns", "test", "max_statistic", "min_p_value", "max", "bins", "fdr", "max_distinct"],
    parse,
};

pub fn parse(p: &mut Params<'_>, _filter: &mut Option<Sql>) -> Option<Box<dyn CheckKind>> {
    let columns = if p.is_map() {
        match (p.get("column"), p.get("columns")) {
            (Some(n), None) => Columns::Listed(vec![p.column_node(n)?]),
            (None, Some(n)) if n.as_str() == Some("all") => Columns::All(n.span),
            (None, Some(n)) => Columns::Listed(p.columns_list(n)?),
            (Some(_), Some(n)) => {
                p.error(n.span, "give either `column` or `columns`, not both", None);
                return None;
            }
            (None, None) => {
                p.require("column");
                return None;
            }
        }
    } else {
        Columns::Listed(vec![p.column()?])
    };
    let test = match p.get("test") {
        None => Test::Auto,
        Some(node) => {
            let name = p.string(node, "a test name")?;
            let Some(t) = Test::from_name(&name) else {
                p.error(node.span, format!("unknown drift test `{name}`"), Some(did_you_mean(&name, TESTS)));
                return None;
            };
            t
        }
    };
    let max_statistic = p.opt_number("max_statistic");
    let min_p_value = p.opt_number("min_p_value");
    let max = p.opt_number("max");
    let bins = p.opt_count("bins").map_or(10, |b| b as usize);
    let fdr = p.opt_bool("fdr").unwrap_or(false);
    let max_distinct = p.opt_count("max_distinct").map_or(DEFAULT_MAX_DISTINCT, |n| n as usize);
    if let Some(v) = min_p_value
        && !(0.0..=1.0).contains(&v)
    {
        let span = p.node.span;
        p.error(span, format!("`min_p_value` must be between 0 and 1, found {v}"), None);
        return None;
    }
    if bins < 2 {
        let span = p.node.span;
        p.error(span, "`bins` must be at least 2", None);
        return None;
    }
    if test.has_p_value() && max.is_some() {
        let span = p.node.span;
        p.error(
            span,
            format!("`{}` gives a statistic and a p-value: use `max_statistic` or `min_p_value`", test.name()),
            None,
        );
        return None;
    }
    if matches!(test, Test::Psi | Test::Js | Test::Wasserstein | Test::WassersteinStd)
        && (max_statistic.is_some() || min_p_value.is_some())
    {
        let span = p.node.span;
        p.error(span, format!("`{}` is a distance without a p-value: set its threshold with `max`", test.name()), None);
        return None;
    }
    if test == Test::Wasserstein && max.is_none() {
        let span = p.kind_span;
        p.error(
            span,
            "`wasserstein` is in the column's own units: it needs `max`",
            Some("or use `wasserstein_std`, the distance divided by the reference standard deviation".into()),
        );
        return None;
    }
    let resolved = std::sync::OnceLock::new();
    Some(Box::new(Drift { columns, test, max_statistic, min_p_value, max, bins, fdr, max_distinct, resolved }))
}

/// What one column's drift test needs from the engine.
#[derive(Debug, Clone)]
enum Summary {
    Numeric(usize),
    Categorical { current: usize, reference: usize },
}

impl CheckKind for Drift {
    fn columns(&self) -> Vec<String> {
        match &self.columns {
            Columns::Listed(cols) => cols.iter().map(|c| c.name.clone()).collect(),
            Columns::All(_) => Vec::new(),
        }
    }

    fn bind(&self, b: &mut Binder<'_>) -> Option<Bound> {
        let Some((reference, ref_schema)) = b.reference().map(|(n, s)| (n.to_string(), s.clone())) else {
            b.error(
                b.span,
                "`drift` compares with the suite's reference dataset, but the suite has no `reference`",
                Some("add `reference: { source: path/to/baseline.parquet }` at the top level".into()),
            );
            return None;
        };
        let columns: Vec<Column> = match &self.columns {
            Columns::Listed(cols) => cols.clone(),
            Columns::All(span) => b
                .schema
                .fields()
                .iter()
                .filter(|f| ref_schema.field_with_name(f.name()).is_ok())
                .map(|f| Column { name: f.name().clone(), span: *span })
                .collect(),
        };
        let mut metrics = Vec::new();
        let mut resolved = Vec::new();
        let mut ok = true;
        for column in &columns {
            let Some(current_type) = b.column(column) else {
                ok = false;
                continue;
            };
            let Ok(field) = ref_schema.field_with_name(&column.name) else {
                b.error(column.span, format!("the reference dataset has no column `{}`", column.name), None);
                ok = false;
                continue;
            };
            let reference_type = field.data_type().clone();
            let numeric = current_type.is_numeric();
            let categorical = is_categorical(&current_type);
            if numeric != reference_type.is_numeric() || categorical != is_categorical(&reference_type) {
                b.error(
                    column.span,
                    format!(
                        "`{}` is {} here but {} in the reference: they cannot be compared",
                        column.name,
                        crate::util::types::type_name(&current_type),
                        crate::util::types::type_name(&reference_type)
                    ),
                    None,
                );
                ok = false;
                continue;
            }
            if !numeric && !categorical {
                if matches!(self.columns, Columns::All(_)) {
                    continue; // timestamps, binary: no drift test applies; `columns: all` skips them
                }
                b.error(
                    column.span,
                    format!(
                        "`drift` needs a numeric or categorical column; `{}` is {}",
                        column.name,
                        crate::util::types::type_name(&current_type)
                    ),
                    None,
                );
                ok = false;
                continue;
            }
            if (numeric && self.test.categorical_only()) || (!numeric && self.test.numeric_only()) {
                let what = if numeric { "numeric" } else { "categorical" };
                b.error(
                    column.span,
                    format!("`{}` does not apply to the {what} column `{}`", self.test.name(), column.name),
                    None,
                );
                ok = false;
                continue;
            }
            resolved.push((column.name.clone(), numeric));
            if numeric {
                metrics.push(b.distribution(column, &reference, self.max_distinct));
            } else {
                metrics.push(b.categories(column, None));
                metrics.push(b.categories(column, Some(&reference)));
            }
        }
        if !ok {
            return None;
        }
        if resolved.is_empty() {
            b.error(b.span, "no column of the data is also in the reference with a type drift applies to", None);
            return None;
        }
        let _ = self.resolved.set(resolved);
        Some(b.bound(metrics, None))
    }

    fn judge(&self, m: &Measured<'_>) -> Judgement {
        let mut results = Vec::new();
        let mut i = 0;
        for (name, numeric) in self.resolved.get().map_or(&[][..], Vec::as_slice) {
            let summary = if *numeric {
                i += 1;
                Summary::Numeric(i - 1)
            } else {
                i += 2;
                Summary::Categorical { current: i - 2, reference: i - 1 }
            };
            results.push(ColumnResult { column: name.clone(), outcome: self.test_column(&summary, m) });
        }
        if matches!(self.columns, Columns::All(_)) {
            // Identifiers (every value distinct on both sides) always "drift"; leave them out.
            results.retain(|r| !r.outcome.as_ref().is_ok_and(|t| t.identifier_like));
        }
        if self.fdr {
            adjust_fdr(&mut results);
        }
        self.verdict(&results)
    }
}

fn is_categorical(t: &DataType) -> bool {
    is_string(t) || matches!(t, DataType::Boolean)
}

/// One column's result.
#[derive(Debug, Clone)]
struct ColumnResult {
    column: String,
    outcome: Result<Tested, String>,
}

#[derive(Debug, Clone)]
struct Tested {
    test: Test,
    statistic: f64,
    p_value: Option<f64>,
    effect_size: Option<(&'static str, f64)>,
    n_reference: u64,
    n_current: u64,
    /// For a binned (too large) numeric column: the bin width and the bound on D's error.
    approximate: Option<(f64, f64)>,
    drifted: bool,
    /// Every value distinct on both sides (more than 50 values): an id, not a feature.
    identifier_like: bool,
    /// Both sides' shares on common bins or categories, for plots (`observed.histogram`).
    histogram: Map<String, Json>,
}

impl Drift {
    /// The test `auto` picks, as Evidently does: p-value tests for a small
    /// reference, distances for a large one.
    fn pick(&self, numeric: bool, n_reference: u64, categories: usize) -> Test {
        if self.test != Test::Auto {
            return self.test;
        }
        let small = n_reference <= SMALL_REFERENCE;
        match (numeric, small) {
            (true, true) => Test::Ks,
            (true, false) => Test::WassersteinStd,
            (false, true) if categories <= 2 => Test::Z,
            (false, true) => Test::Chi2,
            (false, false) => Test::Js,
        }
    }

    fn test_column(&self, summary: &Summary, m: &Measured<'_>) -> Result<Tested, String> {
        match summary {
            Summary::Numeric(i) => self.test_numeric(m.distribution(*i)),
            Summary::Categorical { current, reference } => category_counts(m.table(*current))
                .and_then(|c| Ok((c, category_counts(m.table(*reference))?)))
                .and_then(|(c, r)| self.test_categorical(&c, &r)),
        }
        .map_err(|e| e.to_string())
    }

    fn test_numeric(&self, d: &Distribution) -> Result<Tested, StatsError> {
        let current = ValueCounts::from_pairs(&d.sides[0])?;
        let reference = ValueCounts::from_pairs(&d.sides[1])?;
        let (n_reference, n_current) = (reference.n(), current.n());
        if n_reference == 0 {
            return Err(StatsError::Empty { sample: "reference sample" });
        }
        if n_current == 0 {
            return Err(StatsError::Empty { sample: "current sample" });
        }
        let test = self.pick(true, n_reference, 0);
        let mut t = Tested::new(test, n_reference, n_current);
        match test {
            Test::Ks => {
                let ks = stats::ks_2samp(&reference, &current)?;
                t.statistic = ks.statistic;
                t.p_value = Some(ks.p_value);
                t.effect_size = Some(("d", ks.statistic));
            }
            Test::Wasserstein => t.statistic = stats::wasserstein_distance(&reference, &current)?,
            Test::WassersteinStd => t.statistic = stats::wasserstein_distance_standardized(&reference, &current)?,
            Test::Psi => {
                t.statistic = stats::psi_over_quantile_bins(&reference, &current, self.bins, PSI_EPSILON)?.value;
            }
            Test::Js => {
                let edges = stats::quantile_edges(&reference, self.bins)?;
                let p = proportions(&stats::bin_counts(&reference, &edges)?);
                let q = proportions(&stats::bin_counts(&current, &edges)?);
                t.statistic = stats::jensen_shannon_distance(&p, &q)?;
            }
            Test::T => {
                let (m1, v1) = moments(&reference);
                let (m2, v2) = moments(&current);
                let w = stats::welch_t(m1, v1, n_reference, m2, v2, n_current)?;
                t.statistic = w.statistic;
                t.p_value = Some(w.p_value);
                t.effect_size = Some((w.effect_size.name(), w.effect_size.value()));
            }
            Test::Auto | Test::Chi2 | Test::Z => unreachable!("checked at bind and by pick"),
        }
        t.identifier_like = all_distinct(reference.counts()) && all_distinct(current.counts());
        t.histogram = numeric_histogram(&reference, &current);
        if let Some(width) = d.bin_width {
            // Within one grid bin the two ECDFs can differ by at most the larger bin mass.
            let bound = max_bin_mass(&reference).max(max_bin_mass(&current));
            t.approximate = Some((width, bound));
        }
        t.drifted = self.drifted(&t);
        Ok(t)
    }

    fn test_categorical(&self, current: &[(String, u64)], reference: &[(String, u64)]) -> Result<Tested, StatsError> {
        let n_current: u64 = current.iter().map(|(_, n)| n).sum();
        let n_reference: u64 = reference.iter().map(|(_, n)| n).sum();
        if n_reference == 0 {
            return Err(StatsError::Empty { sample: "reference sample" });
        }
        if n_current == 0 {
            return Err(StatsError::Empty { sample: "current sample" });
        }
        // The union of categories, in name order, with each side's count.
        let mut union: std::collections::BTreeMap<&str, (u64, u64)> = std::collections::BTreeMap::new();
        for (k, n) in current {
            union.entry(k.as_str()).or_default().0 += n;
        }
        for (k, n) in reference {
            union.entry(k.as_str()).or_default().1 += n;
        }
        let names: Vec<&str> = union.keys().copied().collect();
        let cur: Vec<u64> = union.values().map(|c| c.0).collect();
        let refc: Vec<u64> = union.values().map(|c| c.1).collect();
        let test = self.pick(false, n_reference, names.len());
        let mut t = Tested::new(test, n_reference, n_current);
        match test {
            Test::Chi2 => {
                let c = stats::chi2_against_reference(&cur, &refc)?;
                t.statistic = c.statistic;
                t.p_value = Some(c.p_value);
                t.effect_size = Some((c.effect_size.name(), c.effect_size.value()));
            }
            Test::Z => {
                if names.len() > 2 {
                    return Err(StatsError::invalid(format!(
                        "the z test compares two proportions, but the column has {} categories",
                        names.len()
                    )));
                }
                // The share of the second category (in name order) on each side.
                let (x_ref, x_cur) = (refc.last().copied().unwrap_or(0), cur.last().copied().unwrap_or(0));
                let z = stats::two_proportion_z(x_ref, n_reference, x_cur, n_current)?;
                t.statistic = z.statistic;
                t.p_value = Some(z.p_value);
                t.effect_size = Some((z.effect_size.name(), z.effect_size.value()));
            }
            Test::Js => t.statistic = stats::jensen_shannon_distance(&proportions(&refc), &proportions(&cur))?,
            Test::Psi => t.statistic = stats::psi(&refc, &cur, PSI_EPSILON)?,
            _ => unreachable!("checked at bind and by pick"),
        }
        t.identifier_like = all_distinct(&refc) && all_distinct(&cur) && names.len() > 2 * 50;
        t.histogram = categorical_histogram(&names, &refc, &cur);
        t.drifted = self.drifted(&t);
        Ok(t)
    }

    /// Whether a result crosses its threshold (user-set, else the test's default).
    fn drifted(&self, t: &Tested) -> bool {
        if t.test.has_p_value() {
            let by_statistic = self.max_statistic.is_some_and(|max| t.statistic.abs() > max);
            let min_p = match (self.min_p_value, self.max_statistic) {
                (Some(p), _) => Some(p),
                (None, None) => Some(DEFAULT_P),
                (None, Some(_)) => None,
            };
            let by_p = min_p.zip(t.p_value).is_some_and(|(min, p)| p < min);
            by_statistic || by_p
        } else {
            t.statistic > self.max.unwrap_or(DEFAULT_DISTANCE)
        }
    }

    fn verdict(&self, results: &[ColumnResult]) -> Judgement {
        let errors: Vec<String> =
            results.iter().filter_map(|r| r.outcome.as_ref().err().map(|e| format!("{}: {e}", r.column))).collect();
        let drifted: Vec<&str> =
            results.iter().filter(|r| r.outcome.as_ref().is_ok_and(|t| t.drifted)).map(|r| r.column.as_str()).collect();
        let mut threshold = Map::new();
        threshold.insert("test".into(), self.test.name().into());
        if let Some(v) = self.max_statistic {
            threshold.insert("max_statistic".into(), json_number(Some(v)));
        }
        if let Some(v) = self.min_p_value {
            threshold.insert("min_p_value".into(), json_number(Some(v)));
        }
        if let Some(v) = self.max {
            threshold.insert("max".into(), json_number(Some(v)));
        }
        if self.fdr {
            threshold.insert("fdr".into(), "benjamini_hochberg".into());
        }
        let single = matches!(&self.columns, Columns::Listed(c) if c.len() == 1) && results.len() == 1;
        let (verdict, message) = if !errors.is_empty() {
            (Verdict::Undefined, format!("cannot test drift: {}", errors.join("; ")))
        } else if single {
            let t = results[0].outcome.as_ref().expect("no errors");
            (if t.drifted { Verdict::Fail } else { Verdict::Pass }, describe(t))
        } else if drifted.is_empty() {
            (Verdict::Pass, format!("no drift in {} columns", results.len()))
        } else {
            (Verdict::Fail, format!("drift in {} of {} columns: {}", drifted.len(), results.len(), drifted.join(", ")))
        };
        let mut observed = Map::new();
        if single {
            if let Ok(t) = &results[0].outcome {
                observed = tested_json(t);
            }
        } else {
            observed.insert("columns_tested".into(), results.len().into());
            observed.insert("columns_drifted".into(), drifted.len().into());
            observed.insert(
                "columns".into(),
                results
                    .iter()
                    .map(|r| {
                        let mut o = Map::new();
                        o.insert("column".into(), r.column.clone().into());
                        match &r.outcome {
                            Ok(t) => o.extend(tested_json(t)),
                            Err(e) => {
                                o.insert("error".into(), e.clone().into());
                            }
                        }
                        Json::Object(o)
                    })
                    .collect(),
            );
        }
        Judgement { verdict, observed, threshold, message }
    }
}

impl Tested {
    fn new(test: Test, n_reference: u64, n_current: u64) -> Self {
        Tested {
            test,
            statistic: 0.0,
            p_value: None,
            effect_size: None,
            n_reference,
            n_current,
            approximate: None,
            drifted: false,
            identifier_like: false,
            histogram: Map::new(),
        }
    }
}

fn tested_json(t: &Tested) -> Map<String, Json> {
    let mut o = Map::new();
    o.insert("test".into(), t.test.name().into());
    o.insert("statistic".into(), json_number(Some(t.statistic)));
    o.insert("p_value".into(), t.p_value.map_or(Json::Null, |p| json_number(Some(p))));
    match t.effect_size {
        Some((name, v)) => {
            o.insert("effect_size".into(), json_number(Some(v)));
            o.insert("effect_size_name".into(), name.into());
        }
        None => {
            o.insert("effect_size".into(), json_number(Some(t.statistic)));
            o.insert("effect_size_name".into(), t.test.name().into());
        }
    }
    o.insert("n_reference".into(), t.n_reference.into());
    o.insert("n_current".into(), t.n_current.into());
    o.insert("drifted".into(), t.drifted.into());
    match t.approximate {
        Some((width, bound)) => {
            o.insert("approximate".into(), true.into());
            o.insert("bin_width".into(), json_number(Some(width)));
            o.insert("statistic_error_bound".into(), json_number(Some(bound)));
        }
        None => {
            o.insert("approximate".into(), false.into());
        }
    }
    o.insert("histogram".into(), Json::Object(t.histogram.clone()));
    o
}

/// Bins (or categories) a drift plot shows.
const PLOT_BINS: usize = 20;

/// Both sides' shares in [`PLOT_BINS`] equal-width bins over the
/// reference's range, with the current values outside it as shares below and
/// above (so one outlier does not squash the plot):
/// `{edges: [..], reference: [..], current: [..], current_below, current_above}`.
fn numeric_histogram(reference: &ValueCounts, current: &ValueCounts) -> Map<String, Json> {
    let lo = reference.iter().map(|(x, _)| x).fold(f64::INFINITY, f64::min);
    let hi = reference.iter().map(|(x, _)| x).fold(f64::NEG_INFINITY, f64::max);
    let bins = if hi > lo { PLOT_BINS } else { 1 };
    let width = if hi > lo { (hi - lo) / bins as f64 } else { 1.0 };
    let (mut below, mut above) = (0u64, 0u64);
    let mut shares = |v: &ValueCounts, outside: bool| {
        let mut counts = vec![0u64; bins];
        for (x, c) in v.iter() {
            if outside && x < lo {
                below += c;
            } else if outside && x > hi {
                above += c;
            } else {
                counts[(((x - lo) / width) as usize).min(bins - 1)] += c;
            }
        }
        let n = v.n() as f64;
        counts.iter().map(|&c| json_number(Some(c as f64 / n))).collect::<Vec<_>>()
    };
    let (r, c) = (shares(reference, false), shares(current, true));
    let n = current.n() as f64;
    let edges: Vec<Json> = (0..=bins).map(|i| json_number(Some(lo + width * i as f64))).collect();
    let mut o = Map::new();
    o.insert("edges".into(), edges.into());
    o.insert("reference".into(), r.into());
    o.insert("current".into(), c.into());
    o.insert("current_below".into(), json_number(Some(below as f64 / n)));
    o.insert("current_above".into(), json_number(Some(above as f64 / n)));
    o
}

/// Both sides' shares of the [`PLOT_BINS`] categories most common in either
/// side (by pooled share), the rest summed as `(other)`:
/// `{categories: [..], reference: [..], current: [..]}`.
fn categorical_histogram(names: &[&str], reference: &[u64], current: &[u64]) -> Map<String, Json> {
    let (p, q) = (proportions(reference), proportions(current));
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| (p[b] + q[b]).total_cmp(&(p[a] + q[a])).then(a.cmp(&b)));
    let shown = if names.len() > PLOT_BINS { PLOT_BINS - 1 } else { names.len() };
    let mut categories: Vec<Json> = order[..shown].iter().map(|&i| names[i].into()).collect();
    let side = |v: &[f64]| {
        let mut out: Vec<Json> = order[..shown].iter().map(|&i| json_number(Some(v[i]))).collect();
        if shown < names.len() {
            out.push(json_number(Some(order[shown..].iter().map(|&i| v[i]).sum())));
        }
        out
    };
    let (reference_shares, current_shares) = (side(&p), side(&q));
    if shown < names.len() {
        categories.push("(other)".into());
    }
    let mut o = Map::new();
    o.insert("categories".into(), categories.into());
    o.insert("reference".into(), reference_shares.into());
    o.insert("current".into(), current_shares.into());
    o
}

fn describe(t: &Tested) -> String {
    let p = t.p_value.map(|p| format!(", p = {}", show_p(p))).unwrap_or_default();
    let word = if t.drifted { "drift" } else { "no drift" };
    let approx = if t.approximate.is_some() { " (approximate)" } else { "" };
    format!(
        "{word}: {} = {}{p}{approx}; n = {} vs {} reference",
        t.test.name(),
        show(t.statistic),
        t.n_current,
        t.n_reference
    )
}

fn show_p(p: f64) -> String {
    if p < 1e-4 { format!("{p:.2e}") } else { show(p) }
}

/// Benjamini-Hochberg across the columns that have p-values; a column drifts
/// when its adjusted p-value is below the threshold.
fn adjust_fdr(results: &mut [ColumnResult]) {
    let idx: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.outcome.as_ref().is_ok_and(|t| t.p_value.is_some()))
        .map(|(i, _)| i)
        .collect();
    let ps: Vec<f64> = idx.iter().filter_map(|&i| results[i].outcome.as_ref().ok().and_then(|t| t.p_value)).collect();
    let Ok(adjusted) = stats::benjamini_hochberg(&ps) else { return };
    for (&i, q) in idx.iter().zip(adjusted) {
        if let Ok(t) = &mut results[i].outcome {
            t.p_value = Some(q);
        }
    }
}

/// `(mean, sample variance)` of value counts.
fn moments(v: &ValueCounts) -> (f64, f64) {
    let n = v.n() as f64;
    let mean = v.iter().map(|(x, c)| x * c as f64).sum::<f64>() / n;
    let ss = v.iter().map(|(x, c)| (x - mean).powi(2) * c as f64).sum::<f64>();
    (mean, if n > 1.0 { ss / (n - 1.0) } else { f64::NAN })
}

/// More than 50 values, each seen once.
fn all_distinct(counts: &[u64]) -> bool {
    counts.len() > 50 && counts.iter().all(|&c| c <= 1)
}

fn max_bin_mass(v: &ValueCounts) -> f64 {
    let n = v.n() as f64;
    v.counts().iter().map(|&c| c as f64 / n).fold(0.0, f64::max)
}

fn proportions(counts: &[u64]) -> Vec<f64> {
    let n: u64 = counts.iter().sum();
    counts.iter().map(|&c| if n == 0 { 0.0 } else { c as f64 / n as f64 }).collect()
}

/// `(category, count)` rows of a value-count table (columns `value`, `n`).
fn category_counts(batches: &[datafusion::arrow::array::RecordBatch]) -> Result<Vec<(String, u64)>, StatsError> {
    let mut out = Vec::new();
    for b in batches {
        let values = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8)
            .map_err(|e| StatsError::invalid(e.to_string()))?;
        let values = values.as_string::<i32>();
        let counts = b.column(1).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            if values.is_valid(i) {
                out.push((values.value(i).to_string(), counts.value(i).max(0).cast_unsigned()));
            }
        }
    }
    Ok(out)
}
