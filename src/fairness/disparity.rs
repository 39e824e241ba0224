//! Disparity metrics as Fairlearn defines them (difference = max - min over
//! groups, ratio = min / max, `to_overall` against the whole population,
//! equalized odds = worst of the TPR and FPR disparities), plus comparison
//! with a named reference group and the disparate impact ratio.
//!
//! Unlike Fairlearn, a group whose rate is undefined (zero denominator) or that
//! is smaller than `min_group_size` is excluded from the comparison and
//! reported, and fewer than two remaining groups make the disparity undefined.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::cells::Tally;
use super::rates::Rate;

/// Which rate(s) a disparity compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Selection rate.
    DemographicParity,
    /// True positive rate.
    EqualOpportunity,
    /// True and false positive rates, combined by [`Agg`].
    EqualizedOdds,
    FalsePositiveRate,
    FalseNegativeRate,
    TruePositiveRate,
    TrueNegativeRate,
    /// Precision (positive predictive value).
    PredictiveParity,
    Accuracy,
}

impl Measure {
    const ALL: [Measure; 9] = [
        Measure::DemographicParity,
        Measure::EqualOpportunity,
        Measure::EqualizedOdds,
        Measure::FalsePositiveRate,
        Measure::FalseNegativeRate,
        Measure::TruePositiveRate,
        Measure::TrueNegativeRate,
        Measure::PredictiveParity,
        Measure::Accuracy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Measure::DemographicParity => "demographic_parity",
            Measure::EqualOpportunity => "equal_opportunity",
            Measure::EqualizedOdds => "equalized_odds",
            Measure::FalsePositiveRate => "false_positive_rate",
            Measure::FalseNegativeRate => "false_negative_rate",
            Measure::TruePositiveRate => "true_positive_rate",
            Measure::TrueNegativeRate => "true_negative_rate",
            Measure::PredictiveParity => "predictive_parity",
            Measure::Accuracy => "accuracy",
        }
    }

    pub fn rates(self) -> &'static [Rate] {
        match self {
            Measure::DemographicParity => &[Rate::SelectionRate],
            Measure::EqualOpportunity | Measure::TruePositiveRate => &[Rate::TruePositiveRate],
            Measure::EqualizedOdds => &[Rate::TruePositiveRate, Rate::FalsePositiveRate],
            Measure::FalsePositiveRate => &[Rate::FalsePositiveRate],
            Measure::FalseNegativeRate => &[Rate::FalseNegativeRate],
            Measure::TrueNegativeRate => &[Rate::TrueNegativeRate],
            Measure::PredictiveParity => &[Rate::Precision],
            Measure::Accuracy => &[Rate::Accuracy],
        }
    }
}

/// A disparity metric, named as in Fairlearn: `<measure>_difference` or
/// `<measure>_ratio`, plus `disparate_impact`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisparityMetric {
    Difference(Measure),
    Ratio(Measure),
    /// Selection rate of each group divided by that of the most favoured
    /// group (or of the reference group); the value is the smallest such ratio.
    DisparateImpact,
}

impl DisparityMetric {
    /// Every accepted name, for error messages and suggestions.
    pub fn names() -> Vec<String> {
        let mut names: Vec<String> = Measure::ALL
            .iter()
            .flat_map(|m| [format!("{}_difference", m.name()), format!("{}_ratio", m.name())])
            .collect();
        names.push("disparate_impact".to_string());
        names
    }

    pub fn rates(self) -> &'static [Rate] {
        match self {
            DisparityMetric::Difference(m) | DisparityMetric::Ratio(m) => m.rates(),
            DisparityMetric::DisparateImpact => &[Rate::SelectionRate],
        }
    }

    pub fn needs_label(self) -> bool {
        self.rates().iter().any(|r| r.needs_label())
    }

    /// True for ratios (1 = parity), false for differences (0 = parity).
    pub fn is_ratio(self) -> bool {
        !matches!(self, DisparityMetric::Difference(_))
    }
}

impl fmt::Display for DisparityMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisparityMetric::Difference(m) => write!(f, "{}_difference", m.name()),
            DisparityMetric::Ratio(m) => write!(f, "{}_ratio", m.name()),
            DisparityMetric::DisparateImpact => f.write_str("disparate_impact"),
        }
    }
}

/// The name is not a known disparity metric.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fairness metric `{0}`")]
pub struct UnknownMetric(pub String);

impl FromStr for DisparityMetric {
    type Err = UnknownMetric;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "disparate_impact" {
            return Ok(DisparityMetric::DisparateImpact);
        }
        let find = |base: &str| Measure::ALL.into_iter().find(|m| m.name() == base);
        if let Some(m) = s.strip_suffix("_difference").and_then(find) {
            return Ok(DisparityMetric::Difference(m));
        }
        if let Some(m) = s.strip_suffix("_ratio").and_then(find) {
            return Ok(DisparityMetric::Ratio(m));
        }
        Err(UnknownMetric(s.to_string()))
    }
}

impl Serialize for DisparityMetric {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DisparityMetric {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// What each group is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Fairlearn's default: difference = max - min, ratio = min / max over groups.
    #[default]
    BetweenGroups,
    /// Fairlearn's `to_overall`: the largest |group - overall|, and the
    /// smallest of group/overall folded below 1 (overall/group when group/overall > 1).
    ToOverall,
    /// As `to_overall`, with the reference group's rate in place of the
    /// overall rate; the reference group itself is not compared.
    ToReference,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::BetweenGroups => "between_groups",
            Method::ToOverall => "to_overall",
            Method::ToReference => "to_reference",
        }
    }
}

/// How equalized odds combines its TPR and FPR disparities (Fairlearn's `agg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agg {
    /// The larger difference, or the smaller ratio.
    #[default]
    WorstCase,
    /// The mean of the two.
    Mean,
}

/// Why a value could not be computed. Serializes as its message.
#[derive(Debug, Clone, PartialEq)]
pub enum Undefined {
    /// The input had no rows.
    NoRows,
    /// Fewer than two groups qualify (size >= `min_group_size`, rate defined).
    TooFewGroups {
        rate: Rate,
        groups: usize,
    },
    /// A ratio of zero to zero: the rate is 0 in every compared group (or in
    /// both a group and the baseline).
    AllZero {
        rate: Rate,
    },
    ReferenceInsufficient {
        group: String,
        size: f64,
        min_group_size: f64,
    },
    ReferenceRateUndefined {
        group: String,
        rate: Rate,
    },
    /// The reference group's selection rate is 0, so ratios to it are undefined.
    ReferenceZero {
        group: String,
        rate: Rate,
    },
    /// Fewer than two groups for the independence test.
    TooFewGroupsForTest {
        groups: usize,
    },
    /// Every group received the same decision: the chi-square table has an
    /// empty column.
    NoVariationInDecisions,
}

impl fmt::Display for Undefined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Undefined::NoRows => f.write_str("no rows"),
            Undefined::TooFewGroups { rate, groups } => write!(
                f,
                "fewer than two groups with a defined {rate} and at least min_group_size in weight \
                 (found {groups})"
            ),
            Undefined::AllZero { rate } => write!(f, "{rate} is 0 in every compared group, so the ratio is 0/0"),
            Undefined::ReferenceInsufficient { group, size, min_group_size } => {
                write!(f, "reference group `{group}` has size {size}, below min_group_size {min_group_size}")
            }
            Undefined::ReferenceRateUndefined { group, rate } => {
                write!(f, "{rate} of reference group `{group}` is undefined")
            }
            Undefined::ReferenceZero { group, rate } => {
                write!(f, "{rate} of reference group `{group}` is 0, so ratios to it are undefined")
            }
            Undefined::TooFewGroupsForTest { groups } => {
                write!(f, "fewer than two groups of at least min_group_size (found {groups})")
            }
            Undefined::NoVariationInDecisions => f.write_str("every compared row received the same decision"),
        }
    }
}

impl Serialize for Undefined {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The groups and baselines a disparity is evaluated over.
pub(crate) struct Frame<'a> {
    pub tallies: &'a [Tally],
    pub labels: &'a [String],
    /// Size >= `min_group_size`.
    pub sufficient: &'a [bool],
    pub overall: &'a Tally,
    pub reference: Option<usize>,
    pub min_group_size: f64,
}

/// A disparity evaluated on one frame (observed or bootstrap replicate).
pub(crate) struct Evaluation {
    pub value: Result<f64, Undefined>,
    pub components: Vec<ComponentEvaluation>,
}

pub(crate) struct ComponentEvaluation {
    pub rate: Rate,
    pub value: Result<f64, Undefined>,
    /// Groups compared, with their rate, in display order.
    pub compared: Vec<(usize, f64)>,
    /// Sufficient groups whose rate is undefined.
    pub undefined_groups: Vec<usize>,
    /// The overall or reference rate each group was compared with.
    pub baseline: Option<f64>,
}

pub(crate) fn evaluate(frame: &Frame, metric: DisparityMetric, method: Method, agg: Agg) -> Evaluation {
    if frame.overall.total_rows() == 0 {
        return Evaluation { value: Err(Undefined::NoRows), components: Vec::new() };
    }
    let components: Vec<ComponentEvaluation> =
        metric.rates().iter().map(|&rate| evaluate_rate(frame, rate, metric, method)).collect();
    let value = match components.as_slice() {
        [one] => one.value.clone(),
        [a, b] => match (&a.value, &b.value) {
            (Ok(x), Ok(y)) => Ok(match (agg, metric.is_ratio()) {
                (Agg::WorstCase, false) => x.max(*y),
                (Agg::WorstCase, true) => x.min(*y),
                (Agg::Mean, _) => (x + y) / 2.0,
            }),
            (Err(e), _) | (_, Err(e)) => Err(e.clone()),
        },
        _ => unreachable!("a metric compares one or two rates"),
    };
    Evaluation { value, components }
}

fn evaluate_rate(frame: &Frame, rate: Rate, metric: DisparityMetric, method: Method) -> ComponentEvaluation {
    let reference = if method == Method::ToReference { frame.reference } else { None };
    let mut compared = Vec::new();
    let mut undefined_groups = Vec::new();
    for (i, tally) in frame.tallies.iter().enumerate() {
        if !frame.sufficient[i] {
            continue;
        }
        match tally.rate(rate) {
            Some(v) if Some(i) != reference => compared.push((i, v)),
            Some(_) => {}
            None => undefined_groups.push(i),
        }
    }
    let mut component =
        ComponentEvaluation { rate, value: Err(Undefined::NoRows), compared, undefined_groups, baseline: None };

    let baseline = match method {
        Method::BetweenGroups => None,
        Method::ToOverall => frame.overall.rate(rate),
        Method::ToReference => {
            let r = reference.expect("to_reference is validated to have a reference group");
            let group = frame.labels[r].clone();
            if !frame.sufficient[r] {
                let size = frame.tallies[r].size();
                component.value =
                    Err(Undefined::ReferenceInsufficient { group, size, min_group_size: frame.min_group_size });
                return component;
            }
            let Some(v) = frame.tallies[r].rate(rate) else {
                component.value = Err(Undefined::ReferenceRateUndefined { group, rate });
                return component;
            };
            Some(v)
        }
    };
    component.baseline = baseline;
    let groups = component.compared.len() + usize::from(method == Method::ToReference);
    if groups < 2 {
        component.value = Err(Undefined::TooFewGroups { rate, groups });
        return component;
    }
    let values = component.compared.iter().map(|&(_, v)| v);
    let lowest = values.clone().fold(f64::INFINITY, f64::min);
    let highest = values.clone().fold(f64::NEG_INFINITY, f64::max);

    component.value =
        match (metric, method, baseline) {
            (DisparityMetric::Difference(_), Method::BetweenGroups, _) => Ok(highest - lowest),
            (DisparityMetric::Difference(_), _, Some(b)) => Ok(values.map(|v| (v - b).abs()).fold(0.0, f64::max)),
            (DisparityMetric::Ratio(_) | DisparityMetric::DisparateImpact, Method::BetweenGroups, _) => {
                if highest > 0.0 { Ok(lowest / highest) } else { Err(Undefined::AllZero { rate }) }
            }
            (DisparityMetric::Ratio(_), _, Some(b)) => {
                // Fairlearn: group / overall, inverted when above 1; 0/0 is NaN and
                // skipped by pandas' min.
                values
                    .filter(|&v| !(v == 0.0 && b == 0.0))
                    .map(|v| {
                        let r = v / b;
                        if r > 1.0 { 1.0 / r } else { r }
                    })
                    .reduce(f64::min)
                    .ok_or(Undefined::AllZero { rate })
            }
            (DisparityMetric::DisparateImpact, _, Some(b)) => {
                if b > 0.0 {
                    Ok(lowest / b)
                } else {
                    let group = frame.labels[reference.expect("checked above")].clone();
                    Err(Undefined::ReferenceZero { group, rate })
                }
            }
            (_, _, None) => unreachable!("the overall rate is defined whenever a group's rate is"),
        };
    component
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_round_trip() {
        for name in DisparityMetric::names() {
            let metric: DisparityMetric = name.parse().unwrap();
            assert_eq!(metric.to_string(), name);
        }
        assert_eq!("demographic_parity_ratio".parse(), Ok(DisparityMetric::Ratio(Measure::DemographicParity)));
        assert!("demographic_parity".parse::<DisparityMetric>().is_err());
        assert!(!DisparityMetric::DisparateImpact.needs_label());
        assert!(DisparityMetric::Difference(Measure::Accuracy).needs_label());
    }
}
