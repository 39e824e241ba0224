//! The Wasserstein-1 (earth mover's) distance between two numeric samples,
//! and its scale-free variant divided by the reference's standard deviation.

use super::{CURRENT, REFERENCE, StatsError, ValueCounts};

/// `W1 = integral |F_ref(x) - F_cur(x)| dx` between the empirical CDFs, in
/// the units of the data: `scipy.stats.wasserstein_distance(u_values,
/// v_values, u_weights, v_weights)` with the distinct values as values and
/// their counts as weights (identical to passing the raw samples).
///
/// Fails if either sample is empty.
pub fn wasserstein_distance(reference: &ValueCounts, current: &ValueCounts) -> Result<f64, StatsError> {
    reference.require_data(REFERENCE)?;
    current.require_data(CURRENT)?;
    let (na, nb) = (reference.n() as f64, current.n() as f64);
    let (av, ac, bv, bc) = (reference.values(), reference.counts(), current.values(), current.counts());
    let (mut i, mut j) = (0, 0);
    let (mut ca, mut cb) = (0u64, 0u64);
    let mut distance = 0.0;
    let mut previous: Option<(f64, f64)> = None; // (x, |F_a(x) - F_b(x)|)
    while i < av.len() || j < bv.len() {
        let x = match (av.get(i), bv.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => unreachable!(),
        };
        if let Some((px, gap)) = previous {
            distance += gap * (x - px);
        }
        if av.get(i) == Some(&x) {
            ca += ac[i];
            i += 1;
        }
        if bv.get(j) == Some(&x) {
            cb += bc[j];
            j += 1;
        }
        previous = Some((x, (ca as f64 / na - cb as f64 / nb).abs()));
    }
    Ok(distance)
}

/// The population standard deviation (ddof = 0) of a sample:
/// `numpy.std(np.repeat(values, counts))`, except that a sample with a single
/// distinct value has a standard deviation of exactly 0 (numpy can return
/// rounding noise such as 1.4e-17 for `[0.1, 0.1, 0.1]`). Fails if the sample is empty.
pub fn population_std(sample: &ValueCounts) -> Result<f64, StatsError> {
    sample.require_data("sample")?;
    if sample.len() == 1 {
        return Ok(0.0);
    }
    let n = sample.n() as f64;
    let mean = sample.iter().map(|(v, c)| v * c as f64).sum::<f64>() / n;
    let ss: f64 = sample.iter().map(|(v, c)| c as f64 * (v - mean) * (v - mean)).sum();
    Ok((ss / n).sqrt())
}

/// [`wasserstein_distance`] divided by the reference's population standard
/// deviation ([`population_std`], numpy's default `ddof = 0`), so that a
/// threshold means "a shift of this many standard deviations" whatever the
/// column's units (the "normed" Wasserstein of Evidently).
///
/// Fails with [`StatsError::ZeroSpread`] when the reference is constant: the
/// ratio is undefined there; report the unstandardized distance instead.
pub fn wasserstein_distance_standardized(reference: &ValueCounts, current: &ValueCounts) -> Result<f64, StatsError> {
    let w = wasserstein_distance(reference, current)?;
    let std = population_std(reference)?;
    if std == 0.0 {
        return Err(StatsError::ZeroSpread {
            what: "the reference standard deviation",
            hint: "the reference column is constant; use the unstandardized Wasserstein distance",
        });
    }
    Ok(w / std)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vc(pairs: &[(f64, u64)]) -> ValueCounts {
        ValueCounts::from_pairs(pairs).unwrap()
    }

    #[test]
    fn scipy_docstring_examples() {
        // wasserstein_distance([0, 1, 3], [5, 6, 8]) == 5.0
        let a = vc(&[(0.0, 1), (1.0, 1), (3.0, 1)]);
        let b = vc(&[(5.0, 1), (6.0, 1), (8.0, 1)]);
        assert_eq!(wasserstein_distance(&a, &b).unwrap(), 5.0);
        // wasserstein_distance([0, 1], [0, 1], [3, 1], [2, 2]) == 0.25
        let a = vc(&[(0.0, 3), (1.0, 1)]);
        let b = vc(&[(0.0, 2), (1.0, 2)]);
        assert_eq!(wasserstein_distance(&a, &b).unwrap(), 0.25);
    }

    #[test]
    fn constant_reference_cannot_be_standardized() {
        let a = vc(&[(2.0, 10)]);
        let b = vc(&[(3.0, 10)]);
        assert_eq!(wasserstein_distance(&a, &b).unwrap(), 1.0);
        assert!(matches!(wasserstein_distance_standardized(&a, &b), Err(StatsError::ZeroSpread { .. })));
        assert!(wasserstein_distance(&a, &ValueCounts::default()).is_err());
    }
}
