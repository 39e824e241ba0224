//! Effect sizes: how large a difference is, independent of how many rows
//! were needed to detect it. At large n every p-value rejects, so each test
//! result carries one of these next to its p-value and thresholds can be set
//! on either.
//!
//! | Test | Effect size | Definition | Reference |
//! |------|-------------|------------|-----------|
//! | chi-square goodness of fit | Cohen's w | `sqrt(chi2 / N)` | Cohen (1988) §7.2 |
//! | chi-square contingency | Cramér's V | `sqrt(chi2 / (N min(r - 1, c - 1)))`, uncorrected chi2 | `scipy.stats.contingency.association(method='cramer')` |
//! | two proportions | Cohen's h | `2 asin(sqrt p1) - 2 asin(sqrt p2)` | Cohen (1988) §6.2 |
//! | two means | Hedges' g | Cohen's d (pooled, ddof = 1) times `1 - 3 / (4 (n1 + n2) - 9)` | Hedges & Olkin (1985); pingouin's `compute_effsize` |
//!
//! KS's D, PSI, the Jensen-Shannon distance and the Wasserstein distance are
//! effect sizes themselves.

use super::StatsError;

/// An effect size, named so that reports can say which one they show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EffectSize {
    /// [`cohens_w`], for a chi-square goodness-of-fit test.
    CohensW(f64),
    /// [`cramers_v`], for a chi-square test of a contingency table.
    CramersV(f64),
    /// [`cohens_h`], for two proportions.
    CohensH(f64),
    /// [`hedges_g`], for two means.
    HedgesG(f64),
}

impl EffectSize {
    /// A stable `snake_case` name for reports: `cohens_w`, `cramers_v`, `cohens_h`, `hedges_g`.
    pub fn name(self) -> &'static str {
        match self {
            Self::CohensW(_) => "cohens_w",
            Self::CramersV(_) => "cramers_v",
            Self::CohensH(_) => "cohens_h",
            Self::HedgesG(_) => "hedges_g",
        }
    }

    pub fn value(self) -> f64 {
        match self {
            Self::CohensW(v) | Self::CramersV(v) | Self::CohensH(v) | Self::HedgesG(v) => v,
        }
    }
}

fn check_statistic(chi2: f64) -> Result<(), StatsError> {
    if chi2.is_nan() || chi2 < 0.0 {
        return Err(StatsError::invalid(format!("chi-square statistic {chi2} is not >= 0")));
    }
    Ok(())
}

/// Cohen's w for a goodness-of-fit test over `n` observations: `sqrt(chi2 / n)`.
/// Conventional reading: 0.1 small, 0.3 medium, 0.5 large.
pub fn cohens_w(chi2: f64, n: u64) -> Result<f64, StatsError> {
    check_statistic(chi2)?;
    if n == 0 {
        return Err(StatsError::Empty { sample: "the observed counts" });
    }
    Ok((chi2 / n as f64).sqrt())
}

/// Cramér's V for an `rows x cols` table of `n` observations:
/// `sqrt(chi2 / (n * min(rows - 1, cols - 1)))`, as
/// `scipy.stats.contingency.association(table, method='cramer')` (which uses
/// the chi-square statistic without Yates' correction). Fails for a table
/// with a single row or column, where V is undefined.
pub fn cramers_v(chi2: f64, n: u64, rows: usize, cols: usize) -> Result<f64, StatsError> {
    check_statistic(chi2)?;
    if n == 0 {
        return Err(StatsError::Empty { sample: "the contingency table" });
    }
    let k = rows.min(cols);
    if k < 2 {
        return Err(StatsError::invalid("Cramér's V needs at least two rows and two columns"));
    }
    Ok((chi2 / (n as f64 * (k - 1) as f64)).sqrt())
}

/// Cohen's h between two proportions: `2 asin(sqrt p1) - 2 asin(sqrt p2)`,
/// signed (first minus second). 0.2 small, 0.5 medium, 0.8 large.
pub fn cohens_h(p1: f64, p2: f64) -> Result<f64, StatsError> {
    for p in [p1, p2] {
        if !(0.0..=1.0).contains(&p) {
            return Err(StatsError::invalid(format!("proportion {p} is outside [0, 1]")));
        }
    }
    Ok(2.0 * p1.sqrt().asin() - 2.0 * p2.sqrt().asin())
}

/// Cohen's d from summary statistics: `(mean1 - mean2) / s_pooled` with
/// `s_pooled = sqrt(((n1 - 1) var1 + (n2 - 1) var2) / (n1 + n2 - 2))`, the
/// variances being sample variances (ddof = 1).
pub fn cohens_d(mean1: f64, var1: f64, n1: u64, mean2: f64, var2: f64, n2: u64) -> Result<f64, StatsError> {
    for (what, x) in [("mean", mean1), ("mean", mean2), ("variance", var1), ("variance", var2)] {
        if !x.is_finite() {
            return Err(StatsError::invalid(format!("{what} {x} is not finite")));
        }
    }
    if var1 < 0.0 || var2 < 0.0 {
        return Err(StatsError::invalid("a variance is negative"));
    }
    if n1 + n2 < 3 {
        return Err(StatsError::TooFewObservations { sample: "the two samples together", n: n1 + n2, needed: 3 });
    }
    let pooled = (((n1 as f64 - 1.0) * var1 + (n2 as f64 - 1.0) * var2) / (n1 as f64 + n2 as f64 - 2.0)).sqrt();
    if pooled == 0.0 {
        return Err(StatsError::ZeroSpread {
            what: "the pooled standard deviation",
            hint: "both samples are constant; compare the means directly",
        });
    }
    Ok((mean1 - mean2) / pooled)
}

/// Hedges' g: Cohen's d with the small-sample bias correction
/// `1 - 3 / (4 (n1 + n2) - 9)`.
pub fn hedges_g(mean1: f64, var1: f64, n1: u64, mean2: f64, var2: f64, n2: u64) -> Result<f64, StatsError> {
    let d = cohens_d(mean1, var1, n1, mean2, var2, n2)?;
    Ok(d * (1.0 - 3.0 / (4.0 * (n1 + n2) as f64 - 9.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions() {
        assert_eq!(cohens_w(40.0, 1000).unwrap(), 0.2);
        assert_eq!(cramers_v(40.0, 1000, 3, 5).unwrap(), 0.02f64.sqrt());
        assert!(cramers_v(1.0, 10, 1, 5).is_err());
        assert_eq!(cohens_h(0.5, 0.5).unwrap(), 0.0);
        assert!((cohens_h(1.0, 0.0).unwrap() - std::f64::consts::PI).abs() < 1e-15);
        assert_eq!(cohens_d(2.0, 1.0, 10, 1.0, 1.0, 10).unwrap(), 1.0);
        assert!(matches!(cohens_d(1.0, 0.0, 5, 2.0, 0.0, 5), Err(StatsError::ZeroSpread { .. })));
        assert_eq!(EffectSize::HedgesG(0.3).name(), "hedges_g");
    }
}
