//! Adjusting p-values when many drift tests run at once.

use super::StatsError;

/// Benjamini-Hochberg adjusted p-values (false discovery rate), as
/// `scipy.stats.false_discovery_control(p_values, method='bh')` (and R's
/// `p.adjust(method = "BH")`): sort ascending, multiply the i-th smallest by
/// `m / i`, take the running minimum from the largest down, clip to [0, 1]
/// and return in the input order. Rejecting where the adjusted value is
/// `<= q` controls the false discovery rate at `q`.
///
/// Zero or one p-value is returned unchanged. Fails if a p-value is NaN or
/// outside [0, 1].
pub fn benjamini_hochberg(p_values: &[f64]) -> Result<Vec<f64>, StatsError> {
    if let Some(p) = p_values.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(StatsError::invalid(format!("p-value {p} is outside [0, 1]")));
    }
    let m = p_values.len();
    if m <= 1 {
        return Ok(p_values.to_vec());
    }
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted: Vec<f64> =
        order.iter().enumerate().map(|(k, &i)| p_values[i] * (m as f64 / (k + 1) as f64)).collect();
    for k in (0..m - 1).rev() {
        adjusted[k] = adjusted[k].min(adjusted[k + 1]);
    }
    let mut out = vec![0.0; m];
    for (k, &i) in order.iter().enumerate() {
        out[i] = adjusted[k].clamp(0.0, 1.0);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scipy_docstring_example() {
        // false_discovery_control([0.5, 0.6, 0.1, 0.001]) == [0.6, 0.6, 0.2, 0.004]
        let adj = benjamini_hochberg(&[0.5, 0.6, 0.1, 0.001]).unwrap();
        for (a, e) in adj.iter().zip([0.6, 0.6, 0.2, 0.004]) {
            assert!((a - e).abs() < 1e-15, "{adj:?}");
        }
        assert!(benjamini_hochberg(&[]).unwrap().is_empty());
        assert_eq!(benjamini_hochberg(&[0.3]).unwrap(), vec![0.3]);
        assert!(benjamini_hochberg(&[0.3, f64::NAN]).is_err());
        assert!(benjamini_hochberg(&[0.3, 1.5]).is_err());
    }
}
