//! Chi-square tests for categorical drift: the current counts against the
//! reference proportions (goodness of fit, scipy's `chisquare`), and the
//! reference-vs-current table of counts (scipy's `chi2_contingency`).

use super::StatsError;
use super::distributions::chi2_sf;
use super::effect::{EffectSize, cohens_w, cramers_v};

/// The outcome of a chi-square test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chi2Test {
    /// Pearson's statistic `sum (observed - expected)^2 / expected`
    /// (with Yates' correction where asked for). `+inf` when an observed count
    /// sits on a zero expectation.
    pub statistic: f64,
    pub p_value: f64,
    /// Degrees of freedom.
    pub dof: u64,
    /// The number of observations the test saw (the sum of the counts).
    pub n: u64,
    /// Cohen's w for goodness of fit, Cramér's V for a contingency table.
    pub effect_size: EffectSize,
}

fn checked_sum(counts: impl IntoIterator<Item = u64>) -> Result<u64, StatsError> {
    counts
        .into_iter()
        .try_fold(0u64, u64::checked_add)
        .ok_or_else(|| StatsError::invalid("the total count overflows u64"))
}

/// Chi-square goodness of fit of the `current` counts against the
/// proportions of a `reference` sample's counts (same categories, same order),
/// the drift check's `chi2`: exactly `scipy.stats.chisquare(current,
/// f_exp=reference / sum(reference) * sum(current))` whenever every category
/// of the current data occurs in the reference. A category absent from the
/// reference (count 0) would make the statistic infinite; it gets the
/// proportion [`super::PSI_EPSILON`] (1e-4) instead, and all proportions are
/// renormalised, so a new category shows as a large, finite statistic. Only
/// absent categories are raised: a rare one (a share of 4e-5, say) keeps its
/// own proportion.
pub fn chi2_against_reference(current: &[u64], reference: &[u64]) -> Result<Chi2Test, StatsError> {
    let total = checked_sum(reference.iter().copied())?;
    if total == 0 {
        return Err(StatsError::Empty { sample: super::REFERENCE });
    }
    let raised: Vec<f64> =
        reference.iter().map(|&c| if c == 0 { super::PSI_EPSILON } else { c as f64 / total as f64 }).collect();
    let sum: f64 = raised.iter().sum();
    let proportions: Vec<f64> = raised.into_iter().map(|p| p / sum).collect();
    chi2_goodness_of_fit(current, &proportions)
}

/// Chi-square goodness of fit of `observed` counts against
/// `expected_proportions` (one per category, same order), as
/// `scipy.stats.chisquare(observed, f_exp=expected_proportions / sum(expected_proportions) * sum(observed))`.
///
/// The proportions are normalised to sum to 1 (scipy instead rejects
/// expected counts whose total differs from the observed total by more than a
/// relative 1e-8). Degrees of freedom are `k - 1` with `k` the number of
/// categories whose expected count is positive:
/// - a category with zero expectation and zero observations is ignored;
/// - a category with zero expectation but observations makes the statistic
///   `+inf` and the p-value 0 (the observation is impossible under the
///   reference). scipy would divide by zero here. Callers comparing against
///   a reference sample should smooth its proportions first (e.g. by
///   [`super::PSI_EPSILON`]) if they want a finite statistic.
/// - with a single category (`dof = 0`) nothing can differ: statistic 0,
///   p-value 1 (as `chi2_contingency` does for `dof = 0`; scipy's `chisquare`
///   returns NaN).
///
/// The effect size is Cohen's w, `sqrt(statistic / n)`.
pub fn chi2_goodness_of_fit(observed: &[u64], expected_proportions: &[f64]) -> Result<Chi2Test, StatsError> {
    if observed.len() != expected_proportions.len() {
        return Err(StatsError::invalid(format!(
            "{} observed counts but {} expected proportions",
            observed.len(),
            expected_proportions.len()
        )));
    }
    if let Some(p) = expected_proportions.iter().find(|p| !p.is_finite() || **p < 0.0) {
        return Err(StatsError::invalid(format!("expected proportion {p} is not a finite number >= 0")));
    }
    let total_p: f64 = expected_proportions.iter().sum();
    if total_p <= 0.0 {
        return Err(StatsError::Empty { sample: "the expected proportions" });
    }
    let n = checked_sum(observed.iter().copied())?;
    if n == 0 {
        return Err(StatsError::Empty { sample: "the observed counts" });
    }

    let mut statistic = 0.0;
    let mut k = 0u64;
    for (&o, &p) in observed.iter().zip(expected_proportions) {
        let e = p / total_p * n as f64;
        if e > 0.0 {
            k += 1;
            let d = o as f64 - e;
            statistic += d * d / e;
        } else if o > 0 {
            statistic = f64::INFINITY;
        }
    }
    let dof = k - 1;
    let p_value = if statistic == f64::INFINITY {
        0.0
    } else if dof == 0 {
        statistic = 0.0;
        1.0
    } else {
        chi2_sf(statistic, dof as f64)
    };
    Ok(Chi2Test { statistic, p_value, dof, n, effect_size: EffectSize::CohensW(cohens_w(statistic, n)?) })
}

/// Chi-square test of independence of a contingency table (rows x columns of
/// counts, e.g. one row per sample and one column per category), as
/// `scipy.stats.chi2_contingency(table, correction=False)`.
///
/// Rows and columns that are entirely zero are dropped first (scipy raises
/// because their expected frequencies are zero); the degrees of freedom are
/// `(r - 1)(c - 1)` of what remains. With `dof = 0` (one non-empty row or
/// column) the statistic is 0 and the p-value 1, as in scipy.
///
/// The effect size is Cramér's V from the uncorrected statistic (0 when
/// `dof = 0`).
pub fn chi2_contingency(table: &[Vec<u64>]) -> Result<Chi2Test, StatsError> {
    contingency(table, false)
}

/// [`chi2_contingency`] with Yates' continuity correction when `dof = 1`
/// (a 2x2 table): each observed count moves towards its expectation by
/// `min(0.5, |expected - observed|)`. This is scipy's default
/// (`chi2_contingency(table)`, `correction=True`).
pub fn chi2_contingency_yates(table: &[Vec<u64>]) -> Result<Chi2Test, StatsError> {
    contingency(table, true)
}

fn contingency(table: &[Vec<u64>], correction: bool) -> Result<Chi2Test, StatsError> {
    let n_cols = table.first().map_or(0, Vec::len);
    if table.iter().any(|row| row.len() != n_cols) {
        return Err(StatsError::invalid("the rows of the contingency table have different lengths"));
    }
    let row_sums = table.iter().map(|row| checked_sum(row.iter().copied())).collect::<Result<Vec<_>, _>>()?;
    let col_sums = (0..n_cols).map(|j| checked_sum(table.iter().map(|row| row[j]))).collect::<Result<Vec<_>, _>>()?;
    let total = checked_sum(row_sums.iter().copied())?;
    if total == 0 {
        return Err(StatsError::Empty { sample: "the contingency table" });
    }
    let rows: Vec<usize> = (0..table.len()).filter(|&i| row_sums[i] > 0).collect();
    let cols: Vec<usize> = (0..n_cols).filter(|&j| col_sums[j] > 0).collect();
    let dof = ((rows.len() - 1) * (cols.len() - 1)) as u64;
    if dof == 0 {
        let effect_size = EffectSize::CramersV(0.0);
        return Ok(Chi2Test { statistic: 0.0, p_value: 1.0, dof, n: total, effect_size });
    }

    let yates = correction && dof == 1;
    let (mut statistic, mut uncorrected) = (0.0, 0.0);
    for &i in &rows {
        for &j in &cols {
            let expected = (row_sums[i] as f64 * col_sums[j] as f64) / total as f64;
            let observed = table[i][j] as f64;
            let diff = observed - expected;
            uncorrected += diff * diff / expected;
            if yates {
                // Move the observation towards its expectation by at most 0.5.
                let towards = expected - observed;
                let observed = observed + towards.abs().min(0.5) * sign(towards);
                let diff = observed - expected;
                statistic += diff * diff / expected;
            }
        }
    }
    if !yates {
        statistic = uncorrected;
    }
    let p_value = chi2_sf(statistic, dof as f64);
    let effect_size = EffectSize::CramersV(cramers_v(uncorrected, total, rows.len(), cols.len())?);
    Ok(Chi2Test { statistic, p_value, dof, n: total, effect_size })
}

/// numpy's `sign`: -1, 0 or 1.
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goodness_of_fit_edge_cases() {
        let t = chi2_goodness_of_fit(&[10, 10], &[0.5, 0.5]).unwrap();
        assert_eq!((t.statistic, t.p_value, t.dof), (0.0, 1.0, 1));
        // An impossible observation under the reference.
        let t = chi2_goodness_of_fit(&[10, 1], &[1.0, 0.0]).unwrap();
        assert_eq!((t.statistic, t.p_value, t.dof), (f64::INFINITY, 0.0, 0));
        // A category absent from both is ignored.
        let t = chi2_goodness_of_fit(&[10, 0, 10], &[0.5, 0.0, 0.5]).unwrap();
        assert_eq!((t.statistic, t.p_value, t.dof), (0.0, 1.0, 1));
        let t = chi2_goodness_of_fit(&[7], &[1.0]).unwrap();
        assert_eq!((t.statistic, t.p_value, t.dof), (0.0, 1.0, 0));
        assert!(chi2_goodness_of_fit(&[0, 0], &[0.5, 0.5]).is_err());
        assert!(chi2_goodness_of_fit(&[1, 2], &[0.5]).is_err());
        assert!(chi2_goodness_of_fit(&[1, 2], &[0.5, f64::NAN]).is_err());
        assert!(chi2_goodness_of_fit(&[1, 2], &[0.0, 0.0]).is_err());
    }

    #[test]
    fn contingency_edge_cases() {
        assert!(chi2_contingency(&[]).is_err());
        assert!(chi2_contingency(&[vec![0, 0], vec![0, 0]]).is_err());
        assert!(chi2_contingency(&[vec![1, 2], vec![3]]).is_err());
        let t = chi2_contingency(&[vec![3, 4, 5]]).unwrap();
        assert_eq!((t.statistic, t.p_value, t.dof), (0.0, 1.0, 0));
        // An all-zero column is dropped: same result as without it.
        let with = chi2_contingency(&[vec![10, 0, 20], vec![30, 0, 5]]).unwrap();
        let without = chi2_contingency(&[vec![10, 20], vec![30, 5]]).unwrap();
        assert_eq!(with, without);
        assert_eq!(with.dof, 1);
    }
}
