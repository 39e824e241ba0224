//! Group metrics and disparities for fairness checks, computed from counts of
//! (group, label, prediction) cells: no IO, no DataFusion.
//!
//! [`assess`] takes the cells of one GROUP BY and returns an [`Assessment`]:
//! the per-group table (size, every rate with its Wilson interval, flags), the
//! requested disparity with Fairlearn's definitions and a bootstrap interval,
//! and a test of independence between group and decision. Rates with a zero
//! denominator are undefined (`None`), and groups below `min_group_size` stay
//! in the table but out of the comparison; docs/fairness.md lists where this
//! departs from Fairlearn.

mod bootstrap;
mod cells;
mod disparity;
mod independence;
mod rates;

#[cfg(test)]
mod oracle_tests;

use rayon::prelude::*;
use serde::Serialize;

pub use cells::{Cell, GroupKey, NULL_DISPLAY, compare_keys, group_label};
pub use disparity::{Agg, DisparityMetric, Measure, Method, Undefined, UnknownMetric};
pub use independence::{IndependenceTest, IndependenceTestKind, MIN_EXPECTED};
pub use rates::{Interval, PerRate, Rate, Summary, wilson, z_for};

use bootstrap::Xoshiro256PlusPlus;
use cells::{Tally, group_cells};
use disparity::{Evaluation, Frame, evaluate};

pub const DEFAULT_MIN_GROUP_SIZE: f64 = 30.0;
pub const DEFAULT_CONFIDENCE: f64 = 0.95;
pub const DEFAULT_N_BOOT: u32 = 1000;
pub const DEFAULT_SEED: u64 = 0;
/// The four-fifths rule (EEOC Uniform Guidelines): a selection rate below 80%
/// of the most favoured group's is evidence of adverse impact.
pub const FOUR_FIFTHS: f64 = 0.8;
/// At most this many empty intersections are listed (all are counted).
pub const MAX_LISTED_EMPTY_INTERSECTIONS: usize = 20;

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub metric: DisparityMetric,
    pub method: Method,
    /// Only used by equalized odds.
    pub agg: Agg,
    /// Every group is also compared with this one (signed difference and
    /// ratio); required by [`Method::ToReference`].
    pub reference_group: Option<GroupKey>,
    /// Groups whose size (in weight units) is below this are flagged
    /// insufficient and left out of the disparity and the independence test.
    pub min_group_size: f64,
    /// Confidence level of the Wilson and bootstrap intervals.
    pub confidence: f64,
    /// Bootstrap replicates; 0 turns the bootstrap off.
    pub n_boot: u32,
    pub seed: u64,
}

impl Params {
    pub fn new(metric: DisparityMetric) -> Self {
        Params {
            metric,
            method: Method::default(),
            agg: Agg::default(),
            reference_group: None,
            min_group_size: DEFAULT_MIN_GROUP_SIZE,
            confidence: DEFAULT_CONFIDENCE,
            n_boot: DEFAULT_N_BOOT,
            seed: DEFAULT_SEED,
        }
    }
}

/// A mistake in the parameters or the cells: the assessment cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FairnessError {
    #[error("metric `{metric}` compares error rates and needs a label column (only rows with a label count)")]
    LabelRequired { metric: DisparityMetric },
    #[error("method `to_reference` needs a `reference_group`")]
    ReferenceRequired,
    #[error(
        "metric `disparate_impact` compares with the most favoured group (method `between_groups`) or with \
         `reference_group` (method `to_reference`), not with `to_overall`"
    )]
    MethodNotApplicable,
    #[error("reference group `{given}` is not among the groups found: {available}")]
    UnknownReferenceGroup { given: String, available: String },
    #[error("reference group has {found} values but there are {expected} group columns")]
    ReferenceArity { expected: usize, found: usize },
    #[error("confidence must be strictly between 0 and 1, got {0}")]
    InvalidConfidence(f64),
    #[error("min_group_size must be a finite number >= 0, got {0}")]
    InvalidMinGroupSize(f64),
    #[error(
        "cell of group `{group}` has {rows} rows and weight {weight}: weights must be finite and >= 0, and 0 without rows"
    )]
    InvalidWeight { group: String, rows: u64, weight: f64 },
    #[error("cells have {found} group values where earlier cells have {expected}")]
    GroupArity { expected: usize, found: usize },
}

/// Everything a fairness check reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Every group found, in order of group values (nulls last), including
    /// insufficient ones.
    pub groups: Vec<GroupRow>,
    /// The whole population (every group, sufficient or not).
    pub overall: Summary,
    pub disparity: Disparity,
    /// Independence of group and decision over the sufficient groups.
    pub independence: IndependenceTest,
    /// Combinations of observed group values with no rows (intersectional
    /// groups only).
    pub empty_intersections: EmptyIntersections,
    pub min_group_size: f64,
    pub confidence: f64,
}

/// One row of `observed.groups[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    /// One value per group column; null for a null value.
    pub group: GroupKey,
    /// Display label: values joined by ", ", nulls as "(null)".
    pub label: String,
    #[serde(flatten)]
    pub summary: Summary,
    /// Size below `min_group_size`: shown, but not compared.
    pub insufficient: bool,
    pub is_reference: bool,
    /// Signed comparison with the reference group for each rate the metric
    /// uses (empty without a reference group).
    pub vs_reference: Vec<ReferenceComparison>,
    /// Selection rate / that of the most favoured (or reference) group;
    /// only for `disparate_impact`.
    pub impact_ratio: Option<f64>,
}

/// A group against the reference group, AIF360 / Aequitas style.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReferenceComparison {
    pub rate: Rate,
    /// group - reference.
    pub difference: Option<f64>,
    /// group / reference (`None` when the reference rate is 0).
    pub ratio: Option<f64>,
}

/// The judged number and how it came about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disparity {
    pub metric: DisparityMetric,
    pub method: Method,
    /// Only for equalized odds.
    pub agg: Option<Agg>,
    pub value: Option<f64>,
    /// Why `value` is undefined.
    pub undefined: Option<Undefined>,
    /// One per rate compared (two for equalized odds).
    pub components: Vec<Component>,
    /// Groups left out of the comparison, and why.
    pub excluded: Vec<Exclusion>,
    /// `None` when `n_boot` is 0 or the value is undefined.
    pub bootstrap: Option<Bootstrap>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    pub rate: Rate,
    pub value: Option<f64>,
    pub undefined: Option<Undefined>,
    /// Labels of the groups compared.
    pub compared: Vec<String>,
    pub lowest: Option<GroupValue>,
    pub highest: Option<GroupValue>,
    /// The overall (`to_overall`) or reference (`to_reference`) rate.
    pub baseline: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupValue {
    pub group: String,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exclusion {
    pub group: String,
    pub reason: ExclusionReason,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExclusionReason {
    /// Size below `min_group_size`.
    InsufficientSize { size: f64, min_group_size: f64 },
    /// The rate's denominator is zero in this group.
    UndefinedRate { rate: Rate, detail: &'static str },
}

/// Percentile bootstrap of the disparity; see docs/fairness.md. Differences
/// are biased away from parity, so the interval measures precision: one that
/// excludes parity is not a test of equal treatment (see [`IndependenceTest`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bootstrap {
    pub n_boot: u32,
    pub seed: u64,
    pub confidence: f64,
    /// Replicates in which every compared group kept a defined rate and the
    /// disparity was defined; the others are discarded.
    pub valid: u32,
    pub interval: Option<Interval>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmptyIntersections {
    /// How many combinations of observed values have no rows (saturating).
    pub count: u64,
    /// The first few, in order of group values.
    pub examples: Vec<GroupKey>,
}

/// Computes the per-group table, the disparity with its bootstrap interval and
/// the independence test from the cells of one GROUP BY.
pub fn assess(cells: &[Cell], params: &Params) -> Result<Assessment, FairnessError> {
    validate(params)?;
    let grouped = group_cells(cells)?;
    if params.metric.needs_label() && !grouped.has_labels {
        return Err(FairnessError::LabelRequired { metric: params.metric });
    }
    let reference = find_reference(&grouped.keys, params)?;
    let z = z_for(params.confidence);
    let labels: Vec<String> = grouped.keys.iter().map(|k| group_label(k)).collect();
    let sufficient: Vec<bool> = grouped.tallies.iter().map(|t| t.size() >= params.min_group_size).collect();
    let frame = Frame {
        tallies: &grouped.tallies,
        labels: &labels,
        sufficient: &sufficient,
        overall: &grouped.overall,
        reference,
        min_group_size: params.min_group_size,
    };
    let evaluation = evaluate(&frame, params.metric, params.method, params.agg);
    let bootstrap = if params.n_boot > 0 && evaluation.value.is_ok() {
        Some(run_bootstrap(&frame, &evaluation, params))
    } else {
        None
    };
    let disparity = describe(&frame, &evaluation, params, bootstrap);
    let impact_base = impact_baseline(&evaluation, params);

    let groups = grouped
        .keys
        .iter()
        .zip(&grouped.tallies)
        .enumerate()
        .map(|(i, (key, tally))| {
            let summary = Summary::of(tally, z);
            let vs_reference = reference
                .map(|r| {
                    params
                        .metric
                        .rates()
                        .iter()
                        .map(|&rate| compare_with(tally.rate(rate), grouped.tallies[r].rate(rate), rate))
                        .collect()
                })
                .unwrap_or_default();
            let impact_ratio = impact_base.and_then(|b| summary.rates.selection_rate.map(|s| s / b));
            GroupRow {
                group: key.clone(),
                label: labels[i].clone(),
                summary,
                insufficient: !sufficient[i],
                is_reference: reference == Some(i),
                vs_reference,
                impact_ratio,
            }
        })
        .collect();

    let tested: Vec<&Tally> = grouped.tallies.iter().zip(&sufficient).filter(|(_, s)| **s).map(|(t, _)| t).collect();
    Ok(Assessment {
        groups,
        overall: Summary::of(&grouped.overall, z),
        disparity,
        independence: independence::test(&tested),
        empty_intersections: empty_intersections(&grouped.keys),
        min_group_size: params.min_group_size,
        confidence: params.confidence,
    })
}

fn validate(params: &Params) -> Result<(), FairnessError> {
    if !(params.confidence > 0.0 && params.confidence < 1.0) {
        return Err(FairnessError::InvalidConfidence(params.confidence));
    }
    if !(params.min_group_size.is_finite() && params.min_group_size >= 0.0) {
        return Err(FairnessError::InvalidMinGroupSize(params.min_group_size));
    }
    if params.method == Method::ToReference && params.reference_group.is_none() {
        return Err(FairnessError::ReferenceRequired);
    }
    if params.metric == DisparityMetric::DisparateImpact && params.method == Method::ToOverall {
        return Err(FairnessError::MethodNotApplicable);
    }
    Ok(())
}

fn find_reference(keys: &[GroupKey], params: &Params) -> Result<Option<usize>, FairnessError> {
    let Some(wanted) = &params.reference_group else { return Ok(None) };
    // Without rows the assessment is undefined (no rows), not a spec error.
    let Some(first) = keys.first() else { return Ok(None) };
    if first.len() != wanted.len() {
        return Err(FairnessError::ReferenceArity { expected: first.len(), found: wanted.len() });
    }
    keys.iter().position(|k| k == wanted).map(Some).ok_or_else(|| {
        const SHOWN: usize = 10;
        let mut available: Vec<String> = keys.iter().take(SHOWN).map(|k| format!("`{}`", group_label(k))).collect();
        if keys.len() > SHOWN {
            available.push(format!("and {} more", keys.len() - SHOWN));
        }
        FairnessError::UnknownReferenceGroup { given: group_label(wanted), available: available.join(", ") }
    })
}

fn compare_with(value: Option<f64>, reference: Option<f64>, rate: Rate) -> ReferenceComparison {
    let (difference, ratio) = match (value, reference) {
        (Some(v), Some(r)) => (Some(v - r), (r != 0.0).then(|| v / r)),
        _ => (None, None),
    };
    ReferenceComparison { rate, difference, ratio }
}

/// The selection rate that impact ratios divide by: the reference group's
/// (`to_reference`) or the highest among compared groups.
fn impact_baseline(evaluation: &Evaluation, params: &Params) -> Option<f64> {
    if params.metric != DisparityMetric::DisparateImpact {
        return None;
    }
    let component = evaluation.components.first()?;
    let base = match params.method {
        Method::ToReference => component.baseline?,
        _ => component.compared.iter().map(|&(_, v)| v).reduce(f64::max)?,
    };
    (base > 0.0).then_some(base)
}

fn describe(frame: &Frame, evaluation: &Evaluation, params: &Params, bootstrap: Option<Bootstrap>) -> Disparity {
    let mut excluded: Vec<Exclusion> = frame
        .tallies
        .iter()
        .zip(frame.sufficient)
        .enumerate()
        .filter(|(_, (_, sufficient))| !**sufficient)
        .map(|(i, (tally, _))| Exclusion {
            group: frame.labels[i].clone(),
            reason: ExclusionReason::InsufficientSize { size: tally.size(), min_group_size: params.min_group_size },
        })
        .collect();
    let components = evaluation
        .components
        .iter()
        .map(|c| {
            excluded.extend(c.undefined_groups.iter().map(|&i| Exclusion {
                group: frame.labels[i].clone(),
                reason: ExclusionReason::UndefinedRate { rate: c.rate, detail: c.rate.empty_denominator() },
            }));
            let extreme = |pick: fn(f64, f64) -> bool| {
                c.compared
                    .iter()
                    .copied()
                    .reduce(|best, x| if pick(x.1, best.1) { x } else { best })
                    .map(|(i, value)| GroupValue { group: frame.labels[i].clone(), value })
            };
            Component {
                rate: c.rate,
                value: c.value.clone().ok(),
                undefined: c.value.clone().err(),
                compared: c.compared.iter().map(|&(i, _)| frame.labels[i].clone()).collect(),
                lowest: extreme(|x, best| x < best),
                highest: extreme(|x, best| x > best),
                baseline: c.baseline,
            }
        })
        .collect();
    let is_equalized_odds = params.metric.rates().len() == 2;
    Disparity {
        metric: params.metric,
        method: params.method,
        agg: is_equalized_odds.then_some(params.agg),
        value: evaluation.value.clone().ok(),
        undefined: evaluation.value.clone().err(),
        components,
        excluded,
        bootstrap,
    }
}

/// Parametric bootstrap: each replicate redraws every group's cells (see
/// [`bootstrap::resample`]) and recomputes the disparity over the same
/// groups. Replicates run in parallel, each with its own RNG stream derived
/// from (seed, index), so the result does not depend on the thread count.
fn run_bootstrap(frame: &Frame, observed: &Evaluation, params: &Params) -> Bootstrap {
    let compared: Vec<Vec<usize>> =
        observed.components.iter().map(|c| c.compared.iter().map(|&(i, _)| i).collect()).collect();
    let replicates: Vec<Option<f64>> = (0..params.n_boot)
        .into_par_iter()
        .map(|index| {
            let mut rng = Xoshiro256PlusPlus::for_replicate(params.seed, u64::from(index));
            let tallies: Vec<Tally> = frame.tallies.iter().map(|t| bootstrap::resample(t, &mut rng)).collect();
            let mut overall = Tally::default();
            for t in &tallies {
                overall.add(t);
            }
            let replicate = Frame { tallies: &tallies, overall: &overall, ..*frame };
            let evaluation = evaluate(&replicate, params.metric, params.method, params.agg);
            // A replicate in which a compared group lost its rate compares
            // different groups: discard it rather than mix populations.
            let same_groups = evaluation.components.iter().zip(&compared).all(|(c, wanted)| {
                c.compared.len() == wanted.len() && c.compared.iter().zip(wanted).all(|(a, b)| a.0 == *b)
            });
            evaluation.value.ok().filter(|_| same_groups)
        })
        .collect();
    let mut values: Vec<f64> = replicates.into_iter().flatten().collect();
    let valid = values.len() as u32;
    Bootstrap {
        n_boot: params.n_boot,
        seed: params.seed,
        confidence: params.confidence,
        valid,
        interval: bootstrap::percentile_interval(&mut values, params.confidence),
    }
}

fn empty_intersections(keys: &[GroupKey]) -> EmptyIntersections {
    let columns = keys.first().map_or(0, Vec::len);
    if columns < 2 {
        return EmptyIntersections { count: 0, examples: Vec::new() };
    }
    let values: Vec<Vec<Option<String>>> = (0..columns)
        .map(|c| {
            let mut v: Vec<Option<String>> = keys.iter().map(|k| k[c].clone()).collect();
            v.sort_by(|a, b| compare_keys(std::slice::from_ref(a), std::slice::from_ref(b)));
            v.dedup();
            v
        })
        .collect();
    let combinations = values.iter().fold(1u64, |acc, v| acc.saturating_mul(v.len() as u64));
    let count = combinations.saturating_sub(keys.len() as u64);
    // Walk the combinations in order (odometer) until enough empty ones are found.
    let mut examples = Vec::new();
    let mut present: Vec<&GroupKey> = keys.iter().collect();
    present.sort_by(|a, b| compare_keys(a, b));
    let mut digits = vec![0usize; columns];
    'walk: while count > 0 && examples.len() < MAX_LISTED_EMPTY_INTERSECTIONS {
        let key: GroupKey = digits.iter().enumerate().map(|(c, &d)| values[c][d].clone()).collect();
        if present.binary_search_by(|k| compare_keys(k, &key)).is_err() {
            examples.push(key);
        }
        for c in (0..columns).rev() {
            digits[c] += 1;
            if digits[c] < values[c].len() {
                continue 'walk;
            }
            digits[c] = 0;
        }
        break;
    }
    EmptyIntersections { count, examples }
}

#[cfg(test)]
mod tests;
