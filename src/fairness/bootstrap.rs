//! Random numbers for the bootstrap: a seeded generator per replicate, binomial
//! and multinomial draws, and percentile intervals.
//!
//! Each replicate draws from its own `xoshiro256++` stream, seeded through
//! `SplitMix64` from a hash of (seed, replicate index), so results do not depend
//! on how rayon schedules replicates over threads.

use super::cells::{OUTCOMES, Tally};
use super::rates::Interval;

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// `SplitMix64` (Steele, Lea and Flood 2014): used to hash seeds and to fill
/// the `xoshiro` state, as its authors recommend.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// `xoshiro256++` 1.0 (Blackman and Vigna).
pub(crate) struct Xoshiro256PlusPlus {
    s: [u64; 4],
}

impl Xoshiro256PlusPlus {
    /// The generator of replicate `index` under `seed`.
    pub fn for_replicate(seed: u64, index: u64) -> Self {
        let stream = SplitMix64(seed).next_u64() ^ SplitMix64(index.wrapping_mul(GOLDEN_GAMMA) ^ !seed).next_u64();
        let mut init = SplitMix64(stream);
        let s = [init.next_u64(), init.next_u64(), init.next_u64(), init.next_u64()];
        Xoshiro256PlusPlus { s }
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform on [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A Binomial(n, p) draw: inversion when the mode is below 11, otherwise
    /// Hörmann's BTRD ("The generation of binomial random variates", 1993),
    /// following Boost.Random's `binomial_distribution`.
    pub fn binomial(&mut self, n: u64, p: f64) -> u64 {
        if n == 0 || p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        if p > 0.5 {
            return n - self.binomial(n, 1.0 - p);
        }
        let nf = n as f64;
        let mode = ((nf + 1.0) * p).floor();
        if mode < 11.0 { self.binomial_inversion(n, p) } else { self.binomial_btrd(n, p, mode) }
    }

    #[allow(clippy::many_single_char_names, reason = "the notation of Boost's and Hörmann's algorithms")]
    fn binomial_inversion(&mut self, n: u64, p: f64) -> u64 {
        let nf = n as f64;
        let q = 1.0 - p;
        let s = p / q;
        let a = (nf + 1.0) * s;
        // q^n >= about 1e-7 here (mode < 11): far from underflow.
        let mut r = q.powf(nf);
        let mut u = self.uniform();
        let mut x = 0u64;
        while u > r {
            u -= r;
            x += 1;
            let next = (a / x as f64 - s) * r;
            // Past the mode the probabilities decrease geometrically: once
            // below epsilon the remaining mass is round-off.
            if next < f64::EPSILON && next < r {
                break;
            }
            r = next;
        }
        // Round-off in u -= r can step one past n, with probability ~1e-16.
        x.min(n)
    }

    #[allow(clippy::many_single_char_names, reason = "the notation of Boost's and Hörmann's algorithms")]
    fn binomial_btrd(&mut self, n: u64, p: f64, m: f64) -> u64 {
        let nf = n as f64;
        let r = p / (1.0 - p);
        let nr = (nf + 1.0) * r;
        let npq = nf * p * (1.0 - p);
        let sqrt_npq = npq.sqrt();
        let b = 1.15 + 2.53 * sqrt_npq;
        let a = -0.0873 + 0.0248 * b + 0.01 * p;
        let c = nf * p + 0.5;
        let alpha = (2.83 + 5.1 / b) * sqrt_npq;
        let v_r = 0.92 - 4.2 / b;
        let u_rv_r = 0.86 * v_r;
        loop {
            let mut v = self.uniform();
            if v <= u_rv_r {
                let u = v / v_r - 0.43;
                return ((2.0 * a / (0.5 - u.abs()) + b) * u + c).floor() as u64;
            }
            let u = if v >= v_r {
                self.uniform() - 0.5
            } else {
                let u = v / v_r - 0.93;
                v = self.uniform() * v_r;
                0.5f64.copysign(u) - u
            };
            let us = 0.5 - u.abs();
            let kf = ((2.0 * a / us + b) * u + c).floor();
            if kf < 0.0 || kf > nf {
                continue;
            }
            v = v * alpha / (a / (us * us) + b);
            let km = (kf - m).abs();
            if km <= 15.0 {
                // Recursive evaluation of f(k) / f(m).
                let mut f = 1.0;
                if m < kf {
                    let mut i = m;
                    while i < kf {
                        i += 1.0;
                        f *= nr / i - r;
                    }
                } else if m > kf {
                    let mut i = kf;
                    while i < m {
                        i += 1.0;
                        v *= nr / i - r;
                    }
                }
                if v <= f {
                    return kf as u64;
                }
                continue;
            }
            // Squeeze, then the final acceptance test on log f(k) / f(m).
            let v = v.ln();
            let rho = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / npq + 0.5);
            let t = -km * km / (2.0 * npq);
            if v < t - rho {
                return kf as u64;
            }
            if v > t + rho {
                continue;
            }
            let nm = nf - m + 1.0;
            let h = (m + 0.5) * ((m + 1.0) / (r * nm)).ln() + stirling_tail(m) + stirling_tail(nf - m);
            let nk = nf - kf + 1.0;
            let bound = h + (nf + 1.0) * (nm / nk).ln() + (kf + 0.5) * (nk * r / (kf + 1.0)).ln()
                - stirling_tail(kf)
                - stirling_tail(nf - kf);
            if v <= bound {
                return kf as u64;
            }
        }
    }

    /// A Multinomial(n, probabilities) draw by successive binomials; the last
    /// category with a non-zero probability takes the remainder, so categories
    /// of probability zero never receive draws.
    pub fn multinomial(&mut self, n: u64, probabilities: &[f64; OUTCOMES]) -> [u64; OUTCOMES] {
        let mut draws = [0u64; OUTCOMES];
        let Some(last) = probabilities.iter().rposition(|&p| p > 0.0) else {
            return draws;
        };
        let mut remaining = n;
        let mut mass = 1.0;
        for k in 0..last {
            if remaining == 0 {
                break;
            }
            let p = probabilities[k];
            if p <= 0.0 {
                continue;
            }
            let conditional = if mass > 0.0 { (p / mass).min(1.0) } else { 1.0 };
            let x = self.binomial(remaining, conditional);
            draws[k] = x;
            remaining -= x;
            mass -= p;
        }
        draws[last] = remaining;
        draws
    }
}

/// fc(k) = ln k! - (k + 1/2) ln(k + 1) + (k + 1) - ln sqrt(2 pi): the tail of
/// Stirling's series used by BTRD.
fn stirling_tail(k: f64) -> f64 {
    if k < 10.0 {
        let ln_factorial = statrs::function::factorial::ln_factorial(k as u64);
        ln_factorial - (k + 0.5) * (k + 1.0).ln() + (k + 1.0) - 0.5 * (2.0 * std::f64::consts::PI).ln()
    } else {
        let inv = 1.0 / (k + 1.0);
        let inv2 = inv * inv;
        (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0) * inv2) * inv2) * inv
    }
}

/// One parametric-bootstrap replicate of a group's tally: the group keeps its
/// row count n; its rows are redrawn Multinomial(n, cell weight shares) over
/// the six (label, prediction) outcomes, and each outcome's weight becomes
/// group weight x draws / n (= the draw count when rows are unweighted).
pub(crate) fn resample(tally: &Tally, rng: &mut Xoshiro256PlusPlus) -> Tally {
    let n = tally.total_rows();
    let size = tally.size();
    if n == 0 || size <= 0.0 {
        return *tally;
    }
    let probabilities: [f64; OUTCOMES] = std::array::from_fn(|k| tally.weight[k] / size);
    let rows = rng.multinomial(n, &probabilities);
    let weight = std::array::from_fn(|k| size * rows[k] as f64 / n as f64);
    Tally { weight, rows }
}

/// Percentile interval of `values` (sorted in place): the (1 - confidence) / 2
/// and (1 + confidence) / 2 quantiles with linear interpolation, as numpy's
/// default `percentile`.
pub(crate) fn percentile_interval(values: &mut [f64], confidence: f64) -> Option<Interval> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence) / 2.0;
    Some(Interval { lower: quantile(values, tail), upper: quantile(values, 1.0 - tail) })
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(n: u64, p: f64, draws: usize) -> (f64, f64) {
        let mut rng = Xoshiro256PlusPlus::for_replicate(7, n ^ p.to_bits());
        let xs: Vec<f64> = (0..draws).map(|_| rng.binomial(n, p) as f64).collect();
        let mean = xs.iter().sum::<f64>() / draws as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (draws - 1) as f64;
        (mean, var)
    }

    #[test]
    fn binomial_moments_match_both_algorithms() {
        // Inversion (mode < 11) and BTRD (mode >= 11), both sides of p = 0.5.
        // Tolerance: 5 standard errors of the sample mean / variance.
        for &(n, p) in &[(20u64, 0.3), (1000, 0.004), (1000, 0.3), (50_000, 0.5), (10_000_000, 0.9), (200, 0.97)] {
            let draws = 40_000;
            let (mean, var) = moments(n, p, draws);
            let nf = n as f64;
            let (mu, sigma2) = (nf * p, nf * p * (1.0 - p));
            let se_mean = (sigma2 / draws as f64).sqrt();
            assert!((mean - mu).abs() < 5.0 * se_mean, "n={n} p={p}: mean {mean} vs {mu}");
            let se_var = sigma2 * (2.0 / (draws - 1) as f64).sqrt();
            assert!((var - sigma2).abs() < 6.0 * se_var, "n={n} p={p}: var {var} vs {sigma2}");
        }
    }

    #[test]
    fn btrd_matches_binomial_pmf() {
        // Chi-square goodness of fit of 200k draws of Binomial(60, 0.35) to
        // its pmf over k = 10..=32 (tails pooled); 99.9% critical value of
        // chi2(24) is 51.18.
        let (n, p, draws) = (60u64, 0.35, 200_000usize);
        let mut rng = Xoshiro256PlusPlus::for_replicate(1, 2);
        let mut counts = vec![0usize; 61];
        for _ in 0..draws {
            counts[rng.binomial(n, p) as usize] += 1;
        }
        let pmf =
            |k: u64| statrs::function::factorial::binomial(n, k) * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32);
        let bins: Vec<(f64, f64)> = std::iter::once(
            (0..10).map(|k| (counts[k] as f64, pmf(k as u64))).fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1)),
        )
        .chain((10..=32).map(|k| (counts[k] as f64, pmf(k as u64))))
        .chain(std::iter::once(
            (33..=60).map(|k| (counts[k] as f64, pmf(k as u64))).fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1)),
        ))
        .collect();
        let chi2: f64 = bins.iter().map(|&(o, q)| (o - q * draws as f64).powi(2) / (q * draws as f64)).sum();
        assert!(chi2 < 51.18, "chi2 = {chi2}");
    }

    #[test]
    fn multinomial_conserves_n_and_skips_empty_categories() {
        let mut rng = Xoshiro256PlusPlus::for_replicate(3, 4);
        let probabilities = [0.3, 0.0, 0.7 - 1e-17, 0.0, 0.0, 0.0];
        for _ in 0..1000 {
            let d = rng.multinomial(25, &probabilities);
            assert_eq!(d.iter().sum::<u64>(), 25);
            assert_eq!(d[1] + d[3] + d[4] + d[5], 0);
        }
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|i| Xoshiro256PlusPlus::for_replicate(42, i).next_u64()).collect();
        let b: Vec<u64> = (0..4).map(|i| Xoshiro256PlusPlus::for_replicate(42, i).next_u64()).collect();
        assert_eq!(a, b);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 4);
        assert_ne!(Xoshiro256PlusPlus::for_replicate(43, 0).next_u64(), a[0]);
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // numpy.percentile([1, 2, 3, 4, 10], [2.5, 97.5]) = [1.1, 9.4]; tolerance 1e-12.
        let mut v = vec![10.0, 1.0, 3.0, 2.0, 4.0];
        let ci = percentile_interval(&mut v, 0.95).unwrap();
        assert!((ci.lower - 1.1).abs() < 1e-12);
        assert!((ci.upper - 9.4).abs() < 1e-12);
    }
}
