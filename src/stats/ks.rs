//! The two-sample Kolmogorov-Smirnov test, as
//! `scipy.stats.ks_2samp(reference, current, alternative='two-sided', method='auto')`.
//!
//! The statistic is `D = max |F_ref(x) - F_cur(x)|` over the exact empirical
//! CDFs. With value counts, ties are handled the way scipy's `searchsorted(...,
//! side='right')` handles them: every copy of a value, in both samples, is
//! consumed before the CDFs are compared.
//!
//! The p-value is exact when `max(n, m) <= 10000` (scipy's
//! `_attempt_exact_2kssamp`: the lattice-path count of Hodges for `n != m`,
//! the alternating binomial series for `n == m`), and otherwise the finite-n
//! Kolmogorov distribution `kstwo.sf(D, round(n m / (n + m)))`. If the exact
//! computation fails (a probability outside [0, 1]), scipy falls back to the
//! asymptotic branch with a warning; so do we, reporting [`KsMethod::Asymptotic`].

// Variable names (m, n, g, h, i, j, ...) follow scipy's source so that the
// port can be read side by side with it.
#![allow(clippy::many_single_char_names)]

use super::kolmogorov::kolmogorov_sf;
use super::{CURRENT, REFERENCE, StatsError, ValueCounts};

/// `ks_2samp(method='auto')` uses the exact distribution up to this sample size.
pub const MAX_EXACT_KS_N: u64 = 10_000;

/// How a KS p-value was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KsMethod {
    /// The exact distribution of D under the null, for samples of these sizes.
    Exact,
    /// The finite-n Kolmogorov distribution at the effective size `n m / (n + m)`.
    Asymptotic,
}

impl KsMethod {
    /// The name scipy uses for the method.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Asymptotic => "asymp",
        }
    }
}

/// The outcome of [`ks_2samp`]. `statistic` (D, in [0, 1]) is itself the
/// effect size: the largest gap between the two CDFs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsTest {
    pub statistic: f64,
    pub p_value: f64,
    pub method: KsMethod,
}

/// Two-sided two-sample Kolmogorov-Smirnov test of `reference` against
/// `current`, matching `scipy.stats.ks_2samp(reference, current)` (see the
/// module docs). In the exact branch the statistic is `h / lcm(n, m)` with
/// `h = round(D lcm)`, as scipy returns it.
///
/// Fails with [`StatsError::Empty`] if either sample is empty.
pub fn ks_2samp(reference: &ValueCounts, current: &ValueCounts) -> Result<KsTest, StatsError> {
    reference.require_data(REFERENCE)?;
    current.require_data(CURRENT)?;
    let (n1, n2) = (reference.n(), current.n());
    let d = ks_statistic(reference, current);

    if n1.max(n2) <= MAX_EXACT_KS_N
        && let Some((d, p)) = attempt_exact(n1, n2, d)
    {
        return Ok(KsTest { statistic: d, p_value: p, method: KsMethod::Exact });
    }

    // Smirnov's asymptotic branch: the finite-n Kolmogorov distribution at the
    // effective sample size, rounded half to even like numpy.round.
    let (m, n) = if n1 >= n2 { (n1 as f64, n2 as f64) } else { (n2 as f64, n1 as f64) };
    let en = (m * n / (m + n)).round_ties_even();
    // en >= 1 because both samples are non-empty (en >= min(n, m) / 2 >= 0.5,
    // which rounds to 0 only for n = m = 1, handled by the exact branch).
    let p = kolmogorov_sf((en as u64).max(1), d)?;
    Ok(KsTest { statistic: d, p_value: p.clamp(0.0, 1.0), method: KsMethod::Asymptotic })
}

/// `max |F_a - F_b|` over all observed values, both CDFs right-continuous.
fn ks_statistic(a: &ValueCounts, b: &ValueCounts) -> f64 {
    let (na, nb) = (a.n() as f64, b.n() as f64);
    let (av, ac, bv, bc) = (a.values(), a.counts(), b.values(), b.counts());
    let (mut i, mut j) = (0, 0);
    let (mut ca, mut cb) = (0u64, 0u64);
    let (mut max_diff, mut min_diff) = (f64::NEG_INFINITY, f64::INFINITY);
    while i < av.len() || j < bv.len() {
        let x = match (av.get(i), bv.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => unreachable!(),
        };
        // Consume every copy of x in both samples before comparing.
        if av.get(i) == Some(&x) {
            ca += ac[i];
            i += 1;
        }
        if bv.get(j) == Some(&x) {
            cb += bc[j];
            j += 1;
        }
        let diff = ca as f64 / na - cb as f64 / nb;
        max_diff = max_diff.max(diff);
        min_diff = min_diff.min(diff);
    }
    let min_s = (-min_diff).clamp(0.0, 1.0);
    if min_s > max_diff { min_s } else { max_diff }
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// scipy's `_attempt_exact_2kssamp` for the two-sided alternative: the
/// rounded statistic and its exact p-value, or `None` when the computation
/// does not give a probability (scipy then warns and uses the asymptotic branch).
fn attempt_exact(n1: u64, n2: u64, d: f64) -> Option<(f64, f64)> {
    let (n1, n2) = (i64::try_from(n1).ok()?, i64::try_from(n2).ok()?);
    let g = gcd(n1, n2);
    let lcm = (n1 / g) * n2;
    let h = (d * lcm as f64).round_ties_even() as i64;
    let d = h as f64 / lcm as f64;
    if h == 0 {
        return Some((d, 1.0));
    }
    let prob = if n1 == n2 { prob_outside_square(n1, h) } else { outer_prob_inside_method(n1, n2, g, h) };
    if (0.0..=1.0).contains(&prob) { Some((d, prob)) } else { None }
}

/// `Pr(D_{n,n} >= h/n)`: scipy's `_compute_prob_outside_square`,
/// `2 * (C(2n, n-h) - C(2n, n-2h) + ...) / C(2n, n)` in a Horner-like form
/// that avoids the subtractive cancellation.
fn prob_outside_square(n: i64, h: i64) -> f64 {
    let mut p = 0.0;
    let mut k = (n as f64 / h as f64).floor() as i64;
    while k >= 0 {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n - k * h - j) as f64 * p1 / (n + k * h + j + 1) as f64;
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// The proportion of lattice paths from (0, 0) to (m, n) that leave the band
/// `|x/m - y/n| < h / lcm(m, n)`: scipy's `_compute_outer_prob_inside_method`
/// (Hodges' inside method with Viehmann's recursion for `1 - p`, one sliding
/// column at a time).
fn outer_prob_inside_method(m: i64, n: i64, g: i64, h: i64) -> f64 {
    // Symmetric in m and n; the computation wants m >= n.
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let mg = m / g;
    let ng = n / g;
    let ceil_div = |a: i64, b: i64| (a as f64 / b as f64).ceil() as i64;
    let floor_div = |a: i64, b: i64| (a as f64 / b as f64).floor() as i64;

    let mut minj: i64 = 0;
    let mut maxj: i64 = ceil_div(h, mg).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    for x in &mut a[minj as usize..maxj as usize] {
        *x = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (floor_div(ng * i - h, mg) + 1).max(0).min(n);
        maxj = ceil_div(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            val = (a[(jj + minj - lastminj) as usize] * i as f64 + val * j as f64) / (i + j) as f64;
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            // Carried-over elements become 1.
            let from = (maxj - minj) as usize;
            let to = (from + (lastlen - curlen) as usize).min(a.len());
            for x in &mut a[from..to] {
                *x = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vc(pairs: &[(f64, u64)]) -> ValueCounts {
        ValueCounts::from_pairs(pairs).unwrap()
    }

    #[test]
    fn identical_samples_have_d_zero_and_p_one() {
        let a = vc(&[(1.0, 3), (2.0, 5), (7.5, 1)]);
        let t = ks_2samp(&a, &a).unwrap();
        assert_eq!((t.statistic, t.p_value, t.method), (0.0, 1.0, KsMethod::Exact));
    }

    #[test]
    fn ties_are_consumed_in_both_samples_before_comparing() {
        // Both samples are all 1.0 at the tie, so the CDFs never differ.
        let a = vc(&[(1.0, 4)]);
        let b = vc(&[(1.0, 9)]);
        assert_eq!(ks_2samp(&a, &b).unwrap().statistic, 0.0);
        // [1, 2, 2] against [2, 3]: at x = 2 the CDFs are 1 and 1/2.
        let t = ks_2samp(&vc(&[(1.0, 1), (2.0, 2)]), &vc(&[(2.0, 1), (3.0, 1)])).unwrap();
        assert!((t.statistic - 0.5).abs() < 1e-15, "{t:?}");
    }

    #[test]
    fn disjoint_supports_have_d_one() {
        let t = ks_2samp(&vc(&[(0.0, 5)]), &vc(&[(1.0, 5)])).unwrap();
        assert_eq!(t.statistic, 1.0);
        // 2 / C(10, 5)
        assert!((t.p_value - 2.0 / 252.0).abs() < 1e-15);
    }

    #[test]
    fn empty_samples_are_errors() {
        let a = vc(&[(1.0, 1)]);
        let e = ks_2samp(&ValueCounts::default(), &a).unwrap_err();
        assert_eq!(e.to_string(), "reference sample is empty");
        assert!(ks_2samp(&a, &ValueCounts::default()).is_err());
    }
}
