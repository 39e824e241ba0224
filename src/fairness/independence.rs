//! Is the decision independent of the group? Pearson's chi-square on the
//! groups x {favourable, unfavourable} table, or Fisher's exact test for a
//! 2x2 table with an expected count below 5.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::Undefined;
use super::cells::Tally;

/// Below this expected count the chi-square approximation is poor (Cochran's rule).
pub const MIN_EXPECTED: f64 = 5.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndependenceTestKind {
    /// As `scipy.stats.chi2_contingency(table, correction=False)`.
    ChiSquare,
    /// Two-sided, as `scipy.stats.fisher_exact(table)`.
    FisherExact,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndependenceTest {
    /// The test that ran.
    pub test: IndependenceTestKind,
    /// Number of groups in the table (groups of at least `min_group_size` and
    /// with a positive size).
    pub groups: usize,
    /// The chi-square statistic (chi-square test only).
    pub statistic: Option<f64>,
    /// Degrees of freedom (chi-square test only).
    pub dof: Option<u32>,
    /// The sample odds ratio (Fisher's test only; `None` when infinite or undefined).
    pub odds_ratio: Option<f64>,
    pub p_value: Option<f64>,
    /// Smallest expected count under independence.
    pub min_expected: Option<f64>,
    /// True when chi-square ran although an expected count is below 5 (tables
    /// larger than 2x2, or weighted rows where Fisher's test does not apply).
    pub low_expected_counts: bool,
    /// True when rows carry weights: the table then holds weights rescaled to
    /// sum to the row count.
    pub weighted: bool,
    /// Why the p-value is undefined.
    pub undefined: Option<Undefined>,
}

/// The test over the given group tallies.
pub(crate) fn test(tallies: &[&Tally]) -> IndependenceTest {
    let groups: Vec<&Tally> = tallies.iter().copied().filter(|t| t.size() > 0.0).collect();
    let weighted = !groups.iter().all(|t| t.is_unweighted());
    let mut result = IndependenceTest {
        test: IndependenceTestKind::ChiSquare,
        groups: groups.len(),
        statistic: None,
        dof: None,
        odds_ratio: None,
        p_value: None,
        min_expected: None,
        low_expected_counts: false,
        weighted,
        undefined: None,
    };
    if groups.len() < 2 {
        result.undefined = Some(Undefined::TooFewGroupsForTest { groups: groups.len() });
        return result;
    }
    // Weighted tables are rescaled to the row count: the weights set the
    // proportions, the rows set the amount of evidence.
    let rows: u64 = groups.iter().map(|t| t.total_rows()).sum();
    let weight: f64 = groups.iter().map(|t| t.size()).sum();
    let scale = if weighted { rows as f64 / weight } else { 1.0 };
    let table: Vec<[f64; 2]> = groups.iter().map(|t| [t.selected() * scale, t.rejected() * scale]).collect();
    let row_sums: Vec<f64> = table.iter().map(|r| r[0] + r[1]).collect();
    let col_sums = [table.iter().map(|r| r[0]).sum::<f64>(), table.iter().map(|r| r[1]).sum::<f64>()];
    let total: f64 = row_sums.iter().sum();
    let expected: Vec<[f64; 2]> =
        row_sums.iter().map(|&r| [r * col_sums[0] / total, r * col_sums[1] / total]).collect();
    let min_expected = expected.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    result.min_expected = Some(min_expected);

    if groups.len() == 2 && !weighted && min_expected < MIN_EXPECTED {
        let counts = [[table[0][0] as u64, table[0][1] as u64], [table[1][0] as u64, table[1][1] as u64]];
        let (odds_ratio, p) = fisher_exact(counts);
        result.test = IndependenceTestKind::FisherExact;
        result.odds_ratio = odds_ratio.filter(|r| r.is_finite());
        result.p_value = Some(p);
        return result;
    }
    result.low_expected_counts = min_expected < MIN_EXPECTED;
    if min_expected <= 0.0 {
        // scipy raises here: a column of zeros means one decision for everyone.
        result.undefined = Some(Undefined::NoVariationInDecisions);
        return result;
    }
    let statistic: f64 =
        table.iter().zip(&expected).flat_map(|(o, e)| (0..2).map(move |j| (o[j] - e[j]).powi(2) / e[j])).sum();
    let dof = (groups.len() - 1) as u32;
    let distribution = ChiSquared::new(f64::from(dof)).expect("dof >= 1");
    result.statistic = Some(statistic);
    result.dof = Some(dof);
    result.p_value = Some(distribution.sf(statistic));
    result
}

/// Two-sided Fisher's exact test of a 2x2 table, as scipy's `fisher_exact`:
/// the p-value sums the hypergeometric probabilities of every table with the
/// same margins that is no more probable than the observed one (relative
/// tolerance 1e-14). Returns (sample odds ratio, p-value).
pub(crate) fn fisher_exact(c: [[u64; 2]; 2]) -> (Option<f64>, f64) {
    let row0 = c[0][0] + c[0][1];
    let row1 = c[1][0] + c[1][1];
    let col0 = c[0][0] + c[1][0];
    let col1 = c[0][1] + c[1][1];
    if row0 == 0 || row1 == 0 || col0 == 0 || col1 == 0 {
        return (None, 1.0);
    }
    let odds_ratio = if c[1][0] > 0 && c[0][1] > 0 {
        (c[0][0] * c[1][1]) as f64 / (c[1][0] * c[0][1]) as f64
    } else {
        f64::INFINITY
    };
    // x = c[0][0] ~ Hypergeometric(population row0 + row1, successes row0, draws col0).
    let lo = col0.saturating_sub(row1);
    let hi = col0.min(row0);
    let mode = (((col0 + 1) as f64 * (row0 + 1) as f64) / (row0 + row1 + 2) as f64) as u64;
    let mode = mode.clamp(lo, hi);
    // Probabilities relative to the mode, by the ratio recurrence
    // f(x+1)/f(x) = (row0 - x)(col0 - x) / ((x + 1)(row1 - col0 + x + 1)),
    // which stays accurate where ln-gamma differences would cancel.
    let len = (hi - lo + 1) as usize;
    let mut w = vec![0.0; len];
    w[(mode - lo) as usize] = 1.0;
    for x in mode..hi {
        let i = (x - lo) as usize;
        let ratio = ((row0 - x) as f64 * (col0 - x) as f64) / ((x + 1) as f64 * (row1 + x + 1 - col0) as f64);
        w[i + 1] = w[i] * ratio;
    }
    for x in (lo + 1..=mode).rev() {
        let i = (x - lo) as usize;
        let ratio = ((row0 - (x - 1)) as f64 * (col0 - (x - 1)) as f64) / (x as f64 * (row1 + x - col0) as f64);
        w[i - 1] = w[i] / ratio;
    }
    let observed = w[(c[0][0] - lo) as usize];
    if (1.0 - observed).abs() <= 1e-14 {
        return (Some(odds_ratio), 1.0);
    }
    let gamma = 1.0 + 1e-14;
    let total: f64 = w.iter().sum();
    let tail: f64 = w.iter().filter(|&&v| v <= observed * gamma).sum();
    (Some(odds_ratio), (tail / total).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fisher_matches_scipy_examples() {
        // scipy.stats.fisher_exact([[6, 2], [1, 4]]).pvalue = 0.10256410256410257,
        // fisher_exact([[8, 2], [1, 5]]) = (statistic 20.0, pvalue 0.034965034965034975);
        // relative tolerance 1e-12.
        let (_, p) = fisher_exact([[6, 2], [1, 4]]);
        assert!((p - 0.102_564_102_564_102_57).abs() < 1e-12 * p);
        let (or, p) = fisher_exact([[8, 2], [1, 5]]);
        assert_eq!(or, Some(20.0));
        assert!((p - 0.034_965_034_965_034_975).abs() < 1e-12 * p);
        assert_eq!(fisher_exact([[0, 0], [3, 4]]), (None, 1.0));
    }
}
