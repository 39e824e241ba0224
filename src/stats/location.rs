//! Tests for a shift in a proportion (e.g. the null rate or a category's
//! share) or in a mean, from summary statistics.

use super::distributions::{normal_two_sided_p, t_two_sided_p};
use super::effect::{EffectSize, cohens_h, hedges_g};
use super::{CURRENT, REFERENCE, StatsError};

/// The outcome of [`two_proportion_z`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZTest {
    /// `z`, positive when the current proportion is the larger.
    pub statistic: f64,
    /// Two-sided.
    pub p_value: f64,
    /// Cohen's h (current minus reference).
    pub effect_size: EffectSize,
}

/// Pooled two-proportion z-test, two-sided: `x1` successes out of `n1`
/// (reference) against `x2` out of `n2` (current), signed current minus
/// reference as `statsmodels.stats.proportion.proportions_ztest([x2, x1], [n2, n1])`:
/// `z = (x2/n2 - x1/n1) / sqrt(p (1 - p) (1/n1 + 1/n2))` with the pooled
/// `p = (x1 + x2) / (n1 + n2)`, and `p_value = 2 * norm.sf(|z|)`.
///
/// When both proportions are 0, or both are 1, the standard error is 0 and
/// there is no difference: `z = 0` and `p = 1` (statsmodels returns NaN).
///
/// Fails if `n1` or `n2` is 0, or a count of successes exceeds its total.
pub fn two_proportion_z(x1: u64, n1: u64, x2: u64, n2: u64) -> Result<ZTest, StatsError> {
    for (x, n, sample) in [(x1, n1, REFERENCE), (x2, n2, CURRENT)] {
        if n == 0 {
            return Err(StatsError::Empty { sample });
        }
        if x > n {
            return Err(StatsError::invalid(format!("{sample}: {x} successes out of {n} observations")));
        }
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let diff = p2 - p1;
    let pooled = (x1 as f64 + x2 as f64) / (n1 as f64 + n2 as f64);
    let std_diff = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    let effect_size = EffectSize::CohensH(cohens_h(p2, p1)?);
    if std_diff == 0.0 {
        return Ok(ZTest { statistic: 0.0, p_value: 1.0, effect_size });
    }
    let statistic = diff / std_diff;
    Ok(ZTest { statistic, p_value: normal_two_sided_p(statistic), effect_size })
}

/// The outcome of [`welch_t`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TTest {
    /// `t`, positive when the current mean is the larger.
    pub statistic: f64,
    /// Welch-Satterthwaite degrees of freedom (not an integer in general).
    pub dof: f64,
    /// Two-sided.
    pub p_value: f64,
    /// Hedges' g (current minus reference).
    pub effect_size: EffectSize,
}

/// Welch's unequal-variance t-test from summary statistics of the reference
/// (`mean1`, `var1`, `n1`) and the current sample (`mean2`, ...), two-sided,
/// signed current minus reference as scipy's `ttest_ind(current, reference,
/// equal_var=False)`, i.e.
/// `scipy.stats.ttest_ind_from_stats(mean2, sqrt(var2), n2, mean1, sqrt(var1), n1, equal_var=False)`:
/// `t = (mean2 - mean1) / sqrt(var1/n1 + var2/n2)`,
/// `dof = (var1/n1 + var2/n2)^2 / ((var1/n1)^2/(n1 - 1) + (var2/n2)^2/(n2 - 1))`.
/// The variances are sample variances (ddof = 1), e.g. SQL's `var_samp`.
///
/// Fails if a sample has fewer than 2 observations, an input is not finite or
/// a variance is negative, or both variances are 0 ([`StatsError::ZeroSpread`]:
/// scipy returns NaN or an infinite t there).
pub fn welch_t(mean1: f64, var1: f64, n1: u64, mean2: f64, var2: f64, n2: u64) -> Result<TTest, StatsError> {
    for (n, sample) in [(n1, REFERENCE), (n2, CURRENT)] {
        if n < 2 {
            return Err(StatsError::TooFewObservations { sample, n, needed: 2 });
        }
    }
    for x in [mean1, var1, mean2, var2] {
        if !x.is_finite() {
            return Err(StatsError::invalid(format!("a mean or variance is {x}")));
        }
    }
    if var1 < 0.0 || var2 < 0.0 {
        return Err(StatsError::invalid("a variance is negative"));
    }
    let (vn1, vn2) = (var1 / n1 as f64, var2 / n2 as f64);
    let se2 = vn1 + vn2;
    if se2 == 0.0 {
        return Err(StatsError::ZeroSpread {
            what: "the variance of both samples",
            hint: "both samples are constant; compare the means directly",
        });
    }
    let dof = se2 * se2 / (vn1 * vn1 / (n1 as f64 - 1.0) + vn2 * vn2 / (n2 as f64 - 1.0));
    let statistic = (mean2 - mean1) / se2.sqrt();
    let effect_size = EffectSize::HedgesG(hedges_g(mean2, var2, n2, mean1, var1, n1)?);
    Ok(TTest { statistic, dof, p_value: t_two_sided_p(statistic, dof), effect_size })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportions_edge_cases() {
        let t = two_proportion_z(0, 10, 0, 20).unwrap();
        assert_eq!((t.statistic, t.p_value), (0.0, 1.0));
        let t = two_proportion_z(10, 10, 20, 20).unwrap();
        assert_eq!((t.statistic, t.p_value), (0.0, 1.0));
        assert!(two_proportion_z(1, 0, 1, 2).is_err());
        assert!(two_proportion_z(3, 2, 1, 2).is_err());
        // Disjoint: all successes against none.
        let t = two_proportion_z(10, 10, 0, 10).unwrap();
        assert!(t.statistic < -4.0 && t.p_value < 1e-4, "the current share fell: z is negative");
        assert!(t.effect_size.value() < 0.0);
    }

    #[test]
    fn welch_edge_cases() {
        assert!(matches!(welch_t(1.0, 1.0, 1, 2.0, 1.0, 5), Err(StatsError::TooFewObservations { .. })));
        assert!(matches!(welch_t(1.0, 0.0, 5, 2.0, 0.0, 5), Err(StatsError::ZeroSpread { .. })));
        assert!(welch_t(f64::NAN, 1.0, 5, 2.0, 1.0, 5).is_err());
        // One constant sample is fine: dof = n - 1 of the other.
        let t = welch_t(1.0, 0.0, 5, 2.0, 4.0, 9).unwrap();
        assert_eq!(t.dof, 8.0);
        assert!(t.statistic > 0.0 && t.effect_size.value() > 0.0, "the current mean went up: t is positive");
    }
}
