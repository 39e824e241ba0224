//! [`ValueCounts`]: a numeric sample summarised as its sorted distinct values
//! with their multiplicities, the form the engine produces with one
//! `GROUP BY value` and the form every numeric test here consumes.

use super::StatsError;

/// A numeric sample as strictly increasing, finite distinct values, each with
/// a count >= 1. Equivalent to the raw sample `np.repeat(values, counts)`.
///
/// The invariants are checked once, by the constructors; the fields are
/// private so that every function can rely on them. An empty sample (no
/// values) is allowed here and rejected by the functions that need data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValueCounts {
    values: Vec<f64>,
    counts: Vec<u64>,
    n: u64,
}

impl ValueCounts {
    /// Builds a sample from distinct values and their counts.
    ///
    /// Fails if the lengths differ, a value is NaN or infinite (filter those
    /// upstream and report them separately), values are not strictly
    /// increasing, a count is zero, or the total overflows `u64`.
    pub fn new(values: Vec<f64>, counts: Vec<u64>) -> Result<Self, StatsError> {
        if values.len() != counts.len() {
            return Err(StatsError::invalid(format!("{} values but {} counts", values.len(), counts.len())));
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(StatsError::invalid(format!("value {v} is not finite")));
        }
        if let Some([before, after]) = values.windows(2).find(|w| w[0] >= w[1]) {
            return Err(StatsError::invalid(format!(
                "values must be strictly increasing, found {before} then {after}"
            )));
        }
        if counts.contains(&0) {
            return Err(StatsError::invalid("every count must be at least 1"));
        }
        let n = counts
            .iter()
            .try_fold(0u64, |acc, &c| acc.checked_add(c))
            .ok_or_else(|| StatsError::invalid("total count overflows u64"))?;
        Ok(Self { values, counts, n })
    }

    /// Builds a sample from `(value, count)` pairs, strictly increasing in value.
    pub fn from_pairs(pairs: &[(f64, u64)]) -> Result<Self, StatsError> {
        Self::new(pairs.iter().map(|p| p.0).collect(), pairs.iter().map(|p| p.1).collect())
    }

    /// Summarises raw observations (in any order). Fails on NaN or infinite values.
    pub fn from_observations(observations: &[f64]) -> Result<Self, StatsError> {
        if let Some(v) = observations.iter().find(|v| !v.is_finite()) {
            return Err(StatsError::invalid(format!("value {v} is not finite")));
        }
        let mut sorted = observations.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mut values: Vec<f64> = Vec::new();
        let mut counts: Vec<u64> = Vec::new();
        for v in sorted {
            // -0.0 and 0.0 are one value, as in numpy.
            match (values.last(), counts.last_mut()) {
                (Some(&last), Some(c)) if last == v => *c += 1,
                _ => {
                    values.push(v);
                    counts.push(1);
                }
            }
        }
        Self::new(values, counts)
    }

    /// The distinct values, strictly increasing.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The count of each distinct value (same length as [`Self::values`]).
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The number of observations (the sum of the counts).
    pub fn n(&self) -> u64 {
        self.n
    }

    /// The number of distinct values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when the sample holds no observations.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Iterates over `(value, count)` pairs in increasing value order.
    pub fn iter(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.values.iter().copied().zip(self.counts.iter().copied())
    }

    /// The observation at 0-based position `k` of the sorted raw sample
    /// (`np.sort(np.repeat(values, counts))[k]`). `k` must be `< n`.
    pub(crate) fn order_statistic(&self, k: u64) -> f64 {
        debug_assert!(k < self.n);
        let mut seen = 0u64;
        for (v, c) in self.iter() {
            seen += c;
            if k < seen {
                return v;
            }
        }
        // Unreachable for k < n; the last value is the right answer for k >= n.
        self.values[self.values.len() - 1]
    }

    /// Fails with [`StatsError::Empty`] naming `sample` when there is no data.
    pub(crate) fn require_data(&self, sample: &'static str) -> Result<(), StatsError> {
        if self.n == 0 { Err(StatsError::Empty { sample }) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_broken_invariants() {
        assert!(ValueCounts::new(vec![1.0, 1.0], vec![1, 1]).is_err());
        assert!(ValueCounts::new(vec![2.0, 1.0], vec![1, 1]).is_err());
        assert!(ValueCounts::new(vec![1.0], vec![0]).is_err());
        assert!(ValueCounts::new(vec![f64::NAN], vec![1]).is_err());
        assert!(ValueCounts::new(vec![1.0], vec![1, 2]).is_err());
        assert!(ValueCounts::new(vec![1.0, 2.0], vec![u64::MAX, 1]).is_err());
        assert!(ValueCounts::from_observations(&[1.0, f64::INFINITY]).is_err());
    }

    #[test]
    fn summarises_observations() {
        let s = ValueCounts::from_observations(&[3.0, 1.0, 3.0, -0.0, 0.0]).unwrap();
        assert_eq!(s.values(), &[0.0, 1.0, 3.0]);
        assert_eq!(s.counts(), &[2, 1, 2]);
        assert_eq!(s.n(), 5);
        assert_eq!(s.order_statistic(0), 0.0);
        assert_eq!(s.order_statistic(2), 1.0);
        assert_eq!(s.order_statistic(4), 3.0);
        assert!(ValueCounts::default().is_empty());
    }
}
