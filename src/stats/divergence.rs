//! The Jensen-Shannon distance between two discrete distributions (e.g. the
//! category frequencies, or the bin counts, of the reference and current samples).

use super::StatsError;

fn normalised(weights: &[f64], what: &'static str) -> Result<Vec<f64>, StatsError> {
    if let Some(w) = weights.iter().find(|w| !w.is_finite() || **w < 0.0) {
        return Err(StatsError::invalid(format!("weight {w} is not a finite number >= 0")));
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return Err(StatsError::Empty { sample: what });
    }
    Ok(weights.iter().map(|w| w / total).collect())
}

/// `x ln(x / y)`, 0 when `x = 0`: scipy.special's `rel_entr` for `y > 0`.
fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 { x * (x / y).ln() } else { 0.0 }
}

/// The Jensen-Shannon distance with natural logarithms, as
/// `scipy.spatial.distance.jensenshannon(p, q)`:
/// `sqrt((KL(p || m) + KL(q || m)) / 2)` with `m = (p + q) / 2`, after
/// normalising `p` and `q` to sum to 1 (so raw counts are fine).
/// It lies in `[0, sqrt(ln 2)]`: 0 for identical distributions, `sqrt(ln 2)`
/// (about 0.833) for disjoint supports.
///
/// When rounding makes the divergence a hair negative (distributions equal
/// to about 1e-16) the distance is 0 rather than scipy's NaN.
///
/// Fails if the lengths differ, a weight is negative or not finite, or a
/// side sums to zero.
pub fn jensen_shannon_distance(p: &[f64], q: &[f64]) -> Result<f64, StatsError> {
    if p.len() != q.len() {
        return Err(StatsError::invalid(format!("{} reference weights but {} current weights", p.len(), q.len())));
    }
    let p = normalised(p, "reference distribution")?;
    let q = normalised(q, "current distribution")?;
    let (mut left, mut right) = (0.0, 0.0);
    for (&pi, &qi) in p.iter().zip(&q) {
        let mi = f64::midpoint(pi, qi);
        left += rel_entr(pi, mi);
        right += rel_entr(qi, mi);
    }
    let js = left + right;
    Ok((js / 2.0).max(0.0).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(jensen_shannon_distance(&[1.0, 2.0], &[2.0, 4.0]).unwrap(), 0.0);
        let disjoint = jensen_shannon_distance(&[1.0, 0.0], &[0.0, 3.0]).unwrap();
        assert!((disjoint - 2f64.ln().sqrt()).abs() < 1e-15);
        assert!(jensen_shannon_distance(&[0.0, 0.0], &[1.0, 1.0]).is_err());
        assert!(jensen_shannon_distance(&[1.0], &[1.0, 1.0]).is_err());
        assert!(jensen_shannon_distance(&[-1.0, 2.0], &[1.0, 1.0]).is_err());
    }
}
