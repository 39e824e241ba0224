//! The per-group rates (selection rate and the confusion-matrix rates) and
//! their Wilson score intervals.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use super::cells::Tally;

/// A rate computed for each group. Every rate is a ratio of weights; one whose
/// denominator is zero is undefined (`None`), never 0 or NaN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rate {
    /// P(prediction = favourable).
    SelectionRate,
    /// P(prediction = 1 | label = 1), recall.
    TruePositiveRate,
    /// P(prediction = 1 | label = 0).
    FalsePositiveRate,
    /// P(prediction = 0 | label = 0).
    TrueNegativeRate,
    /// P(prediction = 0 | label = 1).
    FalseNegativeRate,
    /// P(label = 1 | prediction = 1), positive predictive value.
    Precision,
    /// P(prediction = label).
    Accuracy,
}

impl Rate {
    pub const ALL: [Rate; 7] = [
        Rate::SelectionRate,
        Rate::TruePositiveRate,
        Rate::FalsePositiveRate,
        Rate::TrueNegativeRate,
        Rate::FalseNegativeRate,
        Rate::Precision,
        Rate::Accuracy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Rate::SelectionRate => "selection_rate",
            Rate::TruePositiveRate => "true_positive_rate",
            Rate::FalsePositiveRate => "false_positive_rate",
            Rate::TrueNegativeRate => "true_negative_rate",
            Rate::FalseNegativeRate => "false_negative_rate",
            Rate::Precision => "precision",
            Rate::Accuracy => "accuracy",
        }
    }

    pub fn needs_label(self) -> bool {
        self != Rate::SelectionRate
    }

    /// Why the rate is undefined for a group: its denominator is empty.
    pub fn empty_denominator(self) -> &'static str {
        match self {
            Rate::SelectionRate => "the group has no rows with weight",
            Rate::TruePositiveRate | Rate::FalseNegativeRate => "the group has no positive labels",
            Rate::FalsePositiveRate | Rate::TrueNegativeRate => "the group has no negative labels",
            Rate::Precision => "the group has no favourable predictions among labelled rows",
            Rate::Accuracy => "the group has no labelled rows",
        }
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One value per rate; serializes as an object keyed by rate name.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PerRate<T> {
    pub selection_rate: T,
    pub true_positive_rate: T,
    pub false_positive_rate: T,
    pub true_negative_rate: T,
    pub false_negative_rate: T,
    pub precision: T,
    pub accuracy: T,
}

impl<T> PerRate<T> {
    pub fn from_fn(mut f: impl FnMut(Rate) -> T) -> Self {
        PerRate {
            selection_rate: f(Rate::SelectionRate),
            true_positive_rate: f(Rate::TruePositiveRate),
            false_positive_rate: f(Rate::FalsePositiveRate),
            true_negative_rate: f(Rate::TrueNegativeRate),
            false_negative_rate: f(Rate::FalseNegativeRate),
            precision: f(Rate::Precision),
            accuracy: f(Rate::Accuracy),
        }
    }

    pub fn get(&self, rate: Rate) -> &T {
        match rate {
            Rate::SelectionRate => &self.selection_rate,
            Rate::TruePositiveRate => &self.true_positive_rate,
            Rate::FalsePositiveRate => &self.false_positive_rate,
            Rate::TrueNegativeRate => &self.true_negative_rate,
            Rate::FalseNegativeRate => &self.false_negative_rate,
            Rate::Precision => &self.precision,
            Rate::Accuracy => &self.accuracy,
        }
    }
}

/// A two-sided interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

/// The z quantile of a two-sided interval at `confidence` (0.95 -> 1.95996...),
/// as scipy's `norm.isf((1 - confidence) / 2)`.
pub fn z_for(confidence: f64) -> f64 {
    let standard = Normal::standard();
    standard.inverse_cdf(1.0 - (1.0 - confidence) / 2.0)
}

/// Wilson score interval for a proportion `p` observed over `n` trials, the
/// formula of statsmodels' `proportion_confint(method="wilson")`. With
/// weighted rows `p` is the weighted rate and `n` the row count (a plug-in
/// interval that ignores the design effect of unequal weights).
pub fn wilson(p: f64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let dist = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(Interval { lower: center - dist, upper: center + dist })
}

/// Size, counts, rates and intervals of one group or of the whole population.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Number of rows.
    pub rows: u64,
    /// Sum of weights (= rows without a weight column); compared with `min_group_size`.
    pub size: f64,
    /// Weight with the favourable prediction.
    pub selected: f64,
    /// Weight with a positive label.
    pub positives: f64,
    /// Weight with a negative label.
    pub negatives: f64,
    pub rates: PerRate<Option<f64>>,
    /// Wilson score interval of each rate at the assessment's confidence level.
    pub intervals: PerRate<Option<Interval>>,
}

impl Summary {
    pub(crate) fn of(tally: &Tally, z: f64) -> Self {
        let rates = PerRate::from_fn(|rate| tally.rate(rate));
        let intervals =
            PerRate::from_fn(|rate| rates.get(rate).and_then(|p| wilson(p, tally.denominator_rows(rate), z)));
        Summary {
            rows: tally.total_rows(),
            size: tally.size(),
            selected: tally.selected(),
            positives: tally.positives(),
            negatives: tally.negatives(),
            rates,
            intervals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_matches_scipy() {
        // scipy.stats.norm.isf(0.025) = 1.959963984540054; tolerance 1e-12.
        assert!((z_for(0.95) - 1.959_963_984_540_054).abs() < 1e-12);
    }

    #[test]
    fn wilson_known_value() {
        // statsmodels proportion_confint(3, 10, method="wilson"):
        // (0.10779126740630104, 0.6032218525388546); tolerance 1e-12.
        let ci = wilson(0.3, 10, z_for(0.95)).unwrap();
        assert!((ci.lower - 0.107_791_267_406_301_04).abs() < 1e-12);
        assert!((ci.upper - 0.603_221_852_538_854_6).abs() < 1e-12);
        assert_eq!(wilson(0.3, 0, 1.96), None);
    }
}
