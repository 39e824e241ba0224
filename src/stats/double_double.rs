//! Double-double arithmetic (about 106 significant bits), the subset that
//! scipy's one-sided Smirnov distribution needs. A port of the `double_double`
//! type in scipy's xsf (`include/xsf/cephes/dd_real.h`), itself from the qd
//! package of Hida, Li and Bailey; operation for operation, so that
//! [`super::kolmogorov::smirnov_sf`] rounds as scipy's does.
//!
//! Also `frexp`/`ldexp` for `f64`, which Rust's std does not provide.

// Names follow the qd / xsf source (a, b, c, d, e, s, p, q, ...).
#![allow(clippy::many_single_char_names)]

use std::ops::{Add, Div, Mul, Neg, Sub};

/// `hi + lo` with `|lo| <= ulp(hi) / 2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DoubleDouble {
    pub hi: f64,
    pub lo: f64,
}

/// `fl(a + b)` and its rounding error, assuming `|a| >= |b|`.
fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    (s, b - c)
}

/// `fl(a + b)` and its rounding error.
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    let d = b - c;
    let e = s - c;
    (s, (a - e) + d)
}

/// `fl(a * b)` and its rounding error.
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

impl DoubleDouble {
    pub const fn new(hi: f64) -> Self {
        Self { hi, lo: 0.0 }
    }

    /// The value rounded to `f64` (xsf's `operator double`: the high word).
    pub fn to_f64(self) -> f64 {
        self.hi
    }

    pub fn is_finite(self) -> bool {
        self.hi.is_finite()
    }

    /// Equality with a double, as xsf's `operator==(double_double, double)`.
    pub fn eq_f64(self, x: f64) -> bool {
        self.hi == x && self.lo == 0.0
    }

    pub fn floor(self) -> Self {
        let hi = self.hi.floor();
        if hi == self.hi {
            // The high word is an integer already: round the low word.
            let (hi, lo) = quick_two_sum(hi, self.lo.floor());
            Self { hi, lo }
        } else {
            Self { hi, lo: 0.0 }
        }
    }

    /// `self * 2^exp`.
    pub fn ldexp(self, exp: i64) -> Self {
        Self { hi: ldexp(self.hi, exp), lo: ldexp(self.lo, exp) }
    }

    /// `(m, e)` with `self = m * 2^e` and `0.5 <= |m.hi| < 1` (or `|m.hi| == 1`
    /// with `m.hi * m.lo < 0`), as xsf's `frexp(double_double)`.
    pub fn frexp(self) -> (Self, i64) {
        let (mut man, mut exp) = frexp(self.hi);
        let mut b1 = ldexp(self.lo, -exp);
        if man.abs() == 0.5 && man * b1 < 0.0 {
            man *= 2.0;
            b1 *= 2.0;
            exp -= 1;
        }
        (Self { hi: man, lo: b1 }, exp)
    }
}

impl Neg for DoubleDouble {
    type Output = Self;
    fn neg(self) -> Self {
        Self { hi: -self.hi, lo: -self.lo }
    }
}

impl Add for DoubleDouble {
    type Output = Self;
    /// The IEEE-style bound addition of Briggs and Kahan.
    fn add(self, rhs: Self) -> Self {
        let (s1, s2) = two_sum(self.hi, rhs.hi);
        let (t1, t2) = two_sum(self.lo, rhs.lo);
        let (s1, s2) = quick_two_sum(s1, s2 + t1);
        let (hi, lo) = quick_two_sum(s1, s2 + t2);
        Self { hi, lo }
    }
}

impl Add<f64> for DoubleDouble {
    type Output = Self;
    fn add(self, rhs: f64) -> Self {
        let (s1, s2) = two_sum(self.hi, rhs);
        let (hi, lo) = quick_two_sum(s1, s2 + self.lo);
        Self { hi, lo }
    }
}

impl Add<DoubleDouble> for f64 {
    type Output = DoubleDouble;
    fn add(self, rhs: DoubleDouble) -> DoubleDouble {
        let (s1, s2) = two_sum(self, rhs.hi);
        let (hi, lo) = quick_two_sum(s1, s2 + rhs.lo);
        DoubleDouble { hi, lo }
    }
}

impl Sub for DoubleDouble {
    type Output = Self;
    fn sub(self, rhs: Self) -> Self {
        self + (-rhs)
    }
}

impl Sub<f64> for DoubleDouble {
    type Output = Self;
    fn sub(self, rhs: f64) -> Self {
        let (s1, s2) = two_sum(self.hi, -rhs);
        let (hi, lo) = quick_two_sum(s1, s2 + self.lo);
        Self { hi, lo }
    }
}

impl Sub<DoubleDouble> for f64 {
    type Output = DoubleDouble;
    fn sub(self, rhs: DoubleDouble) -> DoubleDouble {
        let (s1, s2) = two_sum(self, -rhs.hi);
        let (hi, lo) = quick_two_sum(s1, s2 - rhs.lo);
        DoubleDouble { hi, lo }
    }
}

impl Mul for DoubleDouble {
    type Output = Self;
    fn mul(self, rhs: Self) -> Self {
        let (p1, p2) = two_prod(self.hi, rhs.hi);
        let p2 = p2 + (self.hi * rhs.lo + self.lo * rhs.hi);
        let (hi, lo) = quick_two_sum(p1, p2);
        Self { hi, lo }
    }
}

impl Mul<f64> for DoubleDouble {
    type Output = Self;
    fn mul(self, rhs: f64) -> Self {
        let (p1, e1) = two_prod(self.hi, rhs);
        let (p2, e2) = two_prod(self.lo, rhs);
        let (hi, lo) = quick_two_sum(p1, e2 + p2 + e1);
        Self { hi, lo }
    }
}

impl Mul<DoubleDouble> for f64 {
    type Output = DoubleDouble;
    fn mul(self, rhs: DoubleDouble) -> DoubleDouble {
        let (p1, e1) = two_prod(self, rhs.hi);
        let (p2, e2) = two_prod(self, rhs.lo);
        let (hi, lo) = quick_two_sum(p1, e2 + p2 + e1);
        DoubleDouble { hi, lo }
    }
}

impl Div for DoubleDouble {
    type Output = Self;
    fn div(self, rhs: Self) -> Self {
        let q1 = self.hi / rhs.hi;
        let r = self - rhs * q1;
        let q2 = r.hi / rhs.hi;
        let r = r - rhs * q2;
        let q3 = r.hi / rhs.hi;
        let (q1, q2) = quick_two_sum(q1, q2);
        DoubleDouble { hi: q1, lo: q2 } + q3
    }
}

impl Div<f64> for DoubleDouble {
    type Output = Self;
    fn div(self, rhs: f64) -> Self {
        self / DoubleDouble::new(rhs)
    }
}

impl Div<DoubleDouble> for f64 {
    type Output = DoubleDouble;
    fn div(self, rhs: DoubleDouble) -> DoubleDouble {
        DoubleDouble::new(self) / rhs
    }
}

/// C's `frexp`: `(m, e)` with `x = m * 2^e` and `0.5 <= |m| < 1`; `(x, 0)` for
/// zero, infinities and NaN.
pub(crate) fn frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff).cast_signed();
    if biased == 0 {
        // Subnormal: scale into the normal range first (exactly).
        let (m, e) = frexp(x * 2f64.powi(64));
        return (m, e - 64);
    }
    let mantissa = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (mantissa, biased - 1022)
}

/// C's `ldexp` (`scalbn`): `x * 2^exp`, correctly rounded, by musl's method
/// (scale in steps that cannot round twice).
pub(crate) fn ldexp(x: f64, exp: i64) -> f64 {
    let two_pow = |e: i64| f64::from_bits(((e + 1023) as u64) << 52);
    let mut y = x;
    let mut n = exp;
    if n > 1023 {
        y *= two_pow(1023);
        n -= 1023;
        if n > 1023 {
            y *= two_pow(1023);
            n -= 1023;
            n = n.min(1023);
        }
    } else if n < -1022 {
        // 2^-1022 * 2^53: keeps the intermediate normal so the last step rounds once.
        y *= two_pow(-1022) * two_pow(53);
        n += 1022 - 53;
        if n < -1022 {
            y *= two_pow(-1022) * two_pow(53);
            n += 1022 - 53;
            n = n.max(-1022);
        }
    }
    y * two_pow(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frexp_and_ldexp_round_trip() {
        for &x in &[1.0, 0.5, 3.0, -7.25, 1e-310, 1e300, f64::MIN_POSITIVE] {
            let (m, e) = frexp(x);
            assert!((0.5..1.0).contains(&m.abs()), "{x}: {m}");
            assert_eq!(ldexp(m, e), x);
        }
        assert_eq!(ldexp(1.0, -1074), 5e-324);
        assert_eq!(ldexp(1.0, -1075), 0.0);
        assert_eq!(ldexp(1.0, 1024), f64::INFINITY);
        assert_eq!(ldexp(0.75, 2000 - 2000), 0.75);
    }

    #[test]
    fn carries_more_precision_than_f64() {
        let third = DoubleDouble::new(1.0) / 3.0;
        let back = third * 3.0 - 1.0;
        assert!(back.hi.abs() < 1e-30, "{back:?}");
        let x = DoubleDouble::new(1.0) + 1e-20;
        assert_eq!(x.hi, 1.0);
        assert_eq!(x.lo, 1e-20);
        assert_eq!((x - 1.0).hi, 1e-20);
        assert_eq!((DoubleDouble::new(2.5) + 0.25).floor().hi, 2.0);
    }
}
