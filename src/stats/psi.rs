//! The population stability index over reference quantile bins.
//!
//! Binning, exactly:
//! 1. [`quantile_edges`]: the reference's quantiles at `i / bins` for
//!    `i = 1 .. bins - 1`, by numpy's default `numpy.quantile(..., method='linear')`
//!    (Hyndman & Fan type 7), then deduplicated (`numpy.unique`). Heavy ties
//!    therefore give fewer, wider bins, never empty duplicate ones.
//! 2. [`bin_counts`]: right-closed bins `(-inf, e1], (e1, e2], ..., (ek, +inf)`;
//!    the first and last bins are open-ended so that no current value outside
//!    the reference range is dropped. A value equal to an edge falls in the bin
//!    that edge closes (`numpy.searchsorted(edges, x, side='left')`, or
//!    `numpy.digitize(x, edges, right=True)`).
//! 3. [`psi`]: `sum_i (c_i - r_i) ln(c_i / r_i)` over bin proportions, with a
//!    proportion of exactly zero replaced by `epsilon` (default
//!    [`PSI_EPSILON`]) and no renormalisation afterwards (the convention of
//!    Evidently and of most credit-risk practice).

use super::{CURRENT, REFERENCE, StatsError, ValueCounts};

/// The proportion that stands in for an empty bin in [`psi`]: `1e-4`, i.e. a
/// bin is treated as holding at least 0.01% of its sample. With it, one
/// empty bin against a bin holding 10% contributes about
/// `0.1 * ln(0.1 / 1e-4) = 0.69`, far above the usual alert level (0.25),
/// without being infinite.
pub const PSI_EPSILON: f64 = 1e-4;

/// The inner bin edges of `bins` equal-frequency bins of `reference` (see
/// the module docs): up to `bins - 1` strictly increasing values; fewer when
/// quantiles coincide; none when `bins == 1`.
///
/// Fails if `bins == 0` or the reference is empty.
pub fn quantile_edges(reference: &ValueCounts, bins: usize) -> Result<Vec<f64>, StatsError> {
    if bins == 0 {
        return Err(StatsError::invalid("the number of bins must be at least 1"));
    }
    reference.require_data(REFERENCE)?;
    let mut edges: Vec<f64> = (1..bins).map(|i| linear_quantile(reference, i as f64 / bins as f64)).collect();
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    Ok(edges)
}

/// `numpy.quantile(sample, q, method='linear')` for `0 <= q <= 1`.
fn linear_quantile(sample: &ValueCounts, q: f64) -> f64 {
    let n = sample.n();
    let virtual_index = (n - 1) as f64 * q;
    if virtual_index >= (n - 1) as f64 {
        return sample.order_statistic(n - 1);
    }
    let previous = virtual_index.floor();
    let gamma = virtual_index - previous;
    let a = sample.order_statistic(previous as u64);
    let b = sample.order_statistic(previous as u64 + 1);
    lerp(a, b, gamma)
}

/// numpy's `_lerp`: interpolates from the nearer end, so `t = 1` gives `b` exactly.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 { b - diff * (1.0 - t) } else { a + diff * t }
}

/// Counts of `sample` in the right-closed bins `(-inf, e1], (e1, e2], ...,
/// (ek, +inf)` (see the module docs): `edges.len() + 1` counts that sum to
/// `sample.n()`. `edges` must be strictly increasing and finite, as
/// [`quantile_edges`] returns them.
pub fn bin_counts(sample: &ValueCounts, edges: &[f64]) -> Result<Vec<u64>, StatsError> {
    if edges.iter().any(|e| !e.is_finite()) || edges.windows(2).any(|w| w[0] >= w[1]) {
        return Err(StatsError::invalid("bin edges must be finite and strictly increasing"));
    }
    let mut counts = vec![0u64; edges.len() + 1];
    let mut bin = 0;
    for (v, c) in sample.iter() {
        // Values ascend, so the bin index only moves forward.
        while bin < edges.len() && edges[bin] < v {
            bin += 1;
        }
        counts[bin] += c;
    }
    Ok(counts)
}

/// The population stability index of `current` against `reference`, both
/// given as counts over the same bins:
/// `sum_i (c_i - r_i) ln(c_i / r_i)` with `r_i = reference_i / sum(reference)`,
/// `c_i = current_i / sum(current)`, and each proportion that is exactly 0
/// replaced by `epsilon` (pass [`PSI_EPSILON`] unless you have a reason).
/// Conventional reading: < 0.1 stable, 0.1 - 0.25 moderate shift, > 0.25 major shift.
///
/// Fails if the bins differ in number or are none, a side has no
/// observations, or `epsilon` is not in `(0, 1)`.
pub fn psi(reference: &[u64], current: &[u64], epsilon: f64) -> Result<f64, StatsError> {
    if reference.len() != current.len() {
        return Err(StatsError::invalid(format!(
            "{} reference bins but {} current bins",
            reference.len(),
            current.len()
        )));
    }
    if !(epsilon > 0.0 && epsilon < 1.0) {
        return Err(StatsError::invalid(format!("epsilon {epsilon} is not in (0, 1)")));
    }
    let total = |counts: &[u64], sample| -> Result<f64, StatsError> {
        let n = counts
            .iter()
            .try_fold(0u64, |acc, &c| acc.checked_add(c))
            .ok_or_else(|| StatsError::invalid("the total count overflows u64"))?;
        if n == 0 { Err(StatsError::Empty { sample }) } else { Ok(n as f64) }
    };
    let (nr, nc) = (total(reference, REFERENCE)?, total(current, CURRENT)?);
    let proportion = |count: u64, n: f64| if count == 0 { epsilon } else { count as f64 / n };
    Ok(reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| {
            let (r, c) = (proportion(r, nr), proportion(c, nc));
            (c - r) * (c / r).ln()
        })
        .sum())
}

/// Everything a PSI drift check reports: the index, and the bins it was computed over.
#[derive(Debug, Clone, PartialEq)]
pub struct Psi {
    pub value: f64,
    /// Inner edges from [`quantile_edges`]; there are `edges.len() + 1` bins.
    pub edges: Vec<f64>,
    pub reference_counts: Vec<u64>,
    pub current_counts: Vec<u64>,
}

/// [`quantile_edges`] of the reference, [`bin_counts`] of both samples, then [`psi`].
pub fn psi_over_quantile_bins(
    reference: &ValueCounts,
    current: &ValueCounts,
    bins: usize,
    epsilon: f64,
) -> Result<Psi, StatsError> {
    current.require_data(CURRENT)?;
    let edges = quantile_edges(reference, bins)?;
    let reference_counts = bin_counts(reference, &edges)?;
    let current_counts = bin_counts(current, &edges)?;
    let value = psi(&reference_counts, &current_counts, epsilon)?;
    Ok(Psi { value, edges, reference_counts, current_counts })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vc(obs: &[f64]) -> ValueCounts {
        ValueCounts::from_observations(obs).unwrap()
    }

    #[test]
    fn edges_follow_numpy_linear_quantiles_and_dedupe() {
        // numpy.quantile([1, 2, 3, 4], [0.25, 0.5, 0.75]) = [1.75, 2.5, 3.25]
        assert_eq!(quantile_edges(&vc(&[4.0, 1.0, 3.0, 2.0]), 4).unwrap(), vec![1.75, 2.5, 3.25]);
        // Heavy ties collapse edges.
        assert_eq!(quantile_edges(&vc(&[0.0, 0.0, 0.0, 0.0, 1.0, 1.0]), 4).unwrap(), vec![0.0, 0.75]);
        assert_eq!(quantile_edges(&vc(&[5.0]), 10).unwrap(), vec![5.0]);
        assert!(quantile_edges(&vc(&[1.0]), 1).unwrap().is_empty());
        assert!(quantile_edges(&vc(&[1.0]), 0).is_err());
        assert!(quantile_edges(&ValueCounts::default(), 3).is_err());
    }

    #[test]
    fn bins_are_right_closed_and_open_ended() {
        let counts = bin_counts(&vc(&[-100.0, 1.0, 1.5, 2.0, 2.5, 100.0]), &[1.0, 2.0]).unwrap();
        assert_eq!(counts, vec![2, 2, 2]);
        assert!(bin_counts(&vc(&[1.0]), &[2.0, 1.0]).is_err());
    }

    #[test]
    fn psi_definition() {
        assert_eq!(psi(&[10, 20, 30], &[1, 2, 3], PSI_EPSILON).unwrap(), 0.0);
        let expected = (0.5 - 1.0) * (0.5f64 / 1.0).ln() + (0.5 - PSI_EPSILON) * (0.5 / PSI_EPSILON).ln();
        assert_eq!(psi(&[4, 0], &[1, 1], PSI_EPSILON).unwrap(), expected);
        assert!(psi(&[0, 0], &[1, 1], PSI_EPSILON).is_err());
        assert!(psi(&[1, 1], &[1], PSI_EPSILON).is_err());
        assert!(psi(&[1, 1], &[1, 1], 0.0).is_err());
    }
}
