//! Brent's root finder, a port of scipy's `brentq`
//! (`scipy/optimize/Zeros/brentq.c`, by Charles Harris), used to invert the
//! finite-n Kolmogorov CDF exactly as scipy's `kstwo.ppf` does.

/// scipy's default relative tolerance for `brentq`: `4 * eps`.
pub(crate) const BRENTQ_RTOL: f64 = 4.0 * f64::EPSILON;
/// scipy's default iteration limit for `brentq`.
pub(crate) const BRENTQ_MAXITER: usize = 100;

/// Finds a root of `f` in `[xa, xb]`, where `f(xa)` and `f(xb)` must differ in
/// sign. Returns `None` when they do not, or when `maxiter` iterations do not
/// converge (scipy raises in both cases).
pub(crate) fn brentq(f: impl Fn(f64) -> f64, xa: f64, xb: f64, xtol: f64, rtol: f64, maxiter: usize) -> Option<f64> {
    let (mut xpre, mut xcur) = (xa, xb);
    let (mut xblk, mut fblk, mut spre, mut scur) = (0.0, 0.0, 0.0, 0.0);
    let mut fpre = f(xpre);
    let mut fcur = f(xcur);
    if fpre * fcur > 0.0 {
        return None;
    }
    if fpre == 0.0 {
        return Some(xpre);
    }
    if fcur == 0.0 {
        return Some(xcur);
    }
    for _ in 0..maxiter {
        if fpre * fcur < 0.0 {
            xblk = xpre;
            fblk = fpre;
            spre = xcur - xpre;
            scur = spre;
        }
        if fblk.abs() < fcur.abs() {
            xpre = xcur;
            xcur = xblk;
            xblk = xpre;
            fpre = fcur;
            fcur = fblk;
            fblk = fpre;
        }
        // The tolerance is 2 * delta.
        let delta = f64::midpoint(xtol, rtol * xcur.abs());
        let sbis = (xblk - xcur) / 2.0;
        if fcur == 0.0 || sbis.abs() < delta {
            return Some(xcur);
        }
        if spre.abs() > delta && fcur.abs() < fpre.abs() {
            let stry = if xpre == xblk {
                // interpolate
                -fcur * (xcur - xpre) / (fcur - fpre)
            } else {
                // extrapolate
                let dpre = (fpre - fcur) / (xpre - xcur);
                let dblk = (fblk - fcur) / (xblk - xcur);
                -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            };
            if 2.0 * stry.abs() < spre.abs().min(3.0 * sbis.abs() - delta) {
                // good short step
                spre = scur;
                scur = stry;
            } else {
                spre = sbis;
                scur = sbis;
            }
        } else {
            spre = sbis;
            scur = sbis;
        }
        xpre = xcur;
        fpre = fcur;
        if scur.abs() > delta {
            xcur += scur;
        } else {
            xcur += if sbis > 0.0 { delta } else { -delta };
        }
        fcur = f(xcur);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_square_root_of_two() {
        let r = brentq(|x| x * x - 2.0, 0.0, 2.0, 1e-14, BRENTQ_RTOL, BRENTQ_MAXITER).unwrap();
        assert!((r - 2f64.sqrt()).abs() < 1e-13);
        assert!(brentq(|x| x * x + 1.0, 0.0, 2.0, 1e-14, BRENTQ_RTOL, BRENTQ_MAXITER).is_none());
    }
}
