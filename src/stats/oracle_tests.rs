//! Replays `tests/oracle/drift_cases.json` (numbers produced by scipy, numpy
//! and statsmodels; regenerate with `python3 tests/oracle/drift_oracle.py`)
//! against this module. Each test collects every mismatch before failing, so
//! one run shows the whole picture.
//!
//! The tolerance is written at each assertion as `(relative, absolute)`: a
//! value passes when `|ours - reference| <= max(relative * |reference|, absolute)`.
//! Statistics and distances are held to 1e-9 relative; the absolute floor
//! (1e-12 or less) only matters for values that are zero up to rounding.
//! p-values are held to 1e-10 absolute (the brief asks for 1e-6), exact
//! and asymptotic alike.

use std::fmt::Display;
use std::sync::OnceLock;

use serde::Deserialize;

use super::kolmogorov::{kolmogn_dmtw, kolmogn_pelz_good, kolmogn_pomeranz};
use super::*;

const CASES: &str = include_str!("../../tests/oracle/drift_cases.json");

fn oracle() -> &'static Oracle {
    static ORACLE: OnceLock<Oracle> = OnceLock::new();
    ORACLE.get_or_init(|| serde_json::from_str(CASES).expect("tests/oracle/drift_cases.json parses"))
}

/// A float, stored in the JSON as its shortest round-trip decimal string
/// (`"0.1"`, `"inf"`) and parsed with `str::parse`, which is correctly
/// rounded; `serde_json`'s default number parser is not for some 17-digit
/// decimals, and a 1-ulp shift of an input can move a value across a bin edge.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq)]
#[serde(try_from = "String")]
struct Float(f64);

impl TryFrom<String> for Float {
    type Error = std::num::ParseFloatError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse().map(Float)
    }
}

fn floats(xs: &[Float]) -> Vec<f64> {
    xs.iter().map(|x| x.0).collect()
}

#[derive(Deserialize)]
struct Sample {
    values: Vec<Float>,
    counts: Vec<u64>,
}

impl Sample {
    fn value_counts(&self) -> ValueCounts {
        ValueCounts::new(floats(&self.values), self.counts.clone()).expect("oracle samples are valid")
    }
}

#[derive(Deserialize)]
struct Oracle {
    ks_2samp: Vec<KsCase>,
    kolmogorov: Vec<KolmogorovCase>,
    kolmogorov_branches: Vec<BranchCase>,
    kolmogorov_quantiles: Vec<QuantileCase>,
    smirnov: Vec<SmirnovCase>,
    kolmogorov_limit: Vec<LimitCase>,
    chi2_goodness_of_fit: Vec<GofCase>,
    chi2_against_reference: Vec<ReferenceGofCase>,
    chi2_contingency: Vec<ContingencyCase>,
    psi: Vec<PsiCase>,
    jensen_shannon: Vec<JsCase>,
    wasserstein: Vec<WassersteinCase>,
    two_proportion_z: Vec<ZCase>,
    welch_t: Vec<WelchCase>,
    benjamini_hochberg: Vec<BhCase>,
}

#[derive(Deserialize)]
struct KsCase {
    name: String,
    a: Sample,
    b: Sample,
    statistic: Float,
    p_value: Float,
    method: String,
}

#[derive(Deserialize)]
struct KolmogorovCase {
    n: u64,
    d: Float,
    sf: Float,
    cdf: Float,
}

#[derive(Deserialize)]
struct BranchCase {
    method: String,
    n: u64,
    x: Float,
    cdf: Float,
}

#[derive(Deserialize)]
struct QuantileCase {
    n: u64,
    p: Float,
    ppf: Float,
    isf: Float,
}

#[derive(Deserialize)]
struct SmirnovCase {
    n: u64,
    d: Float,
    sf: Float,
}

#[derive(Deserialize)]
struct LimitCase {
    x: Float,
    sf: Float,
}

#[derive(Deserialize)]
struct GofCase {
    name: String,
    observed: Vec<u64>,
    proportions: Vec<Float>,
    statistic: Float,
    p_value: Float,
    dof: u64,
    cohens_w: Float,
}

/// The drift check's chi2: current counts against a reference sample's counts.
#[derive(Deserialize)]
struct ReferenceGofCase {
    name: String,
    current: Vec<u64>,
    reference: Vec<u64>,
    statistic: Float,
    p_value: Float,
    dof: u64,
    cohens_w: Float,
    /// Every current category occurs in the reference: plain scipy `chisquare`.
    scipy_exact: bool,
}

#[derive(Deserialize)]
struct ContingencyCase {
    name: String,
    table: Vec<Vec<u64>>,
    correction: bool,
    statistic: Float,
    p_value: Float,
    dof: u64,
    cramers_v: Float,
}

#[derive(Deserialize)]
struct PsiCase {
    name: String,
    reference: Sample,
    current: Sample,
    bins: usize,
    epsilon: Float,
    edges: Vec<Float>,
    reference_counts: Vec<u64>,
    current_counts: Vec<u64>,
    psi: Float,
}

#[derive(Deserialize)]
struct JsCase {
    name: String,
    p: Vec<Float>,
    q: Vec<Float>,
    distance: Float,
}

#[derive(Deserialize)]
struct WassersteinCase {
    name: String,
    a: Sample,
    b: Sample,
    distance: Float,
    reference_std: Float,
    standardized: Option<Float>,
}

#[derive(Deserialize)]
struct ZCase {
    x1: u64,
    n1: u64,
    x2: u64,
    n2: u64,
    statistic: Float,
    p_value: Float,
    cohens_h: Float,
}

#[derive(Deserialize)]
struct WelchCase {
    name: String,
    mean1: Float,
    var1: Float,
    n1: u64,
    mean2: Float,
    var2: Float,
    n2: u64,
    statistic: Float,
    dof: Float,
    p_value: Float,
    hedges_g: Float,
}

#[derive(Deserialize)]
struct BhCase {
    p_values: Vec<Float>,
    adjusted: Vec<Float>,
}

/// Collects mismatches so that a failing test reports all of them.
#[derive(Default)]
struct Check {
    failures: Vec<String>,
    compared: usize,
}

impl Check {
    /// `|actual - expected| <= max(rel * |expected|, abs)`; infinities must match exactly.
    fn close(&mut self, what: impl Display, actual: f64, expected: f64, rel: f64, abs: f64) {
        self.compared += 1;
        let ok = if expected.is_infinite() || actual.is_infinite() {
            actual == expected
        } else {
            (actual - expected).abs() <= (rel * expected.abs()).max(abs)
        };
        if !ok {
            self.failures.push(format!(
                "{what}: ours {actual:e}, reference {expected:e}, |diff| {:e} (rel {rel:e}, abs {abs:e})",
                (actual - expected).abs()
            ));
        }
    }

    fn equal<T: PartialEq + std::fmt::Debug>(&mut self, what: impl Display, actual: &T, expected: &T) {
        self.compared += 1;
        if actual != expected {
            self.failures.push(format!("{what}: ours {actual:?}, reference {expected:?}"));
        }
    }

    fn fail(&mut self, what: impl Display, error: impl Display) {
        self.compared += 1;
        self.failures.push(format!("{what}: {error}"));
    }

    fn finish(self) {
        assert!(self.compared > 0, "no oracle cases were compared");
        assert!(self.failures.is_empty(), "{} mismatches:\n{}", self.failures.len(), self.failures.join("\n"));
    }
}

#[test]
fn ks_2samp_matches_scipy() {
    let mut check = Check::default();
    for case in &oracle().ks_2samp {
        let name = &case.name;
        match ks_2samp(&case.a.value_counts(), &case.b.value_counts()) {
            Ok(t) => {
                check.equal(format!("{name} method"), &t.method.as_str(), &case.method.as_str());
                check.close(format!("{name} D"), t.statistic, case.statistic.0, 1e-9, 0.0);
                check.close(format!("{name} p"), t.p_value, case.p_value.0, 0.0, 1e-10);
            }
            Err(e) => check.fail(name, e),
        }
    }
    check.finish();
}

#[test]
fn kolmogorov_distribution_matches_scipy_kstwo() {
    let mut check = Check::default();
    for case in &oracle().kolmogorov {
        let (n, d) = (case.n, case.d.0);
        check.close(format!("kstwo.sf({d}, {n})"), kolmogorov_sf(n, d).unwrap(), case.sf.0, 0.0, 1e-10);
        check.close(format!("kstwo.cdf({d}, {n})"), kolmogorov_cdf(n, d).unwrap(), case.cdf.0, 0.0, 1e-10);
    }
    for case in &oracle().kolmogorov_branches {
        let (n, x) = (case.n, case.x.0);
        let ours = match case.method.as_str() {
            "dmtw" => kolmogn_dmtw(n, x),
            "pomeranz" => kolmogn_pomeranz(n, x),
            "pelz_good" => kolmogn_pelz_good(n, x),
            other => panic!("unknown method {other}"),
        };
        check.close(format!("_kolmogn_{}({n}, {x})", case.method), ours, case.cdf.0, 0.0, 1e-10);
    }
    check.finish();
}

#[test]
fn kolmogorov_quantiles_match_scipy_kstwo() {
    let mut check = Check::default();
    for case in &oracle().kolmogorov_quantiles {
        let (n, p) = (case.n, case.p.0);
        // brentq stops within xtol = 1e-14 of the root, so central quantiles
        // agree to 1e-12 relative. In the far tails the CDF is flat: at
        // p = 1 - 1e-12 its slope is about 1e-9, so a 1-ulp difference in the
        // CDF (which scipy computes as 1 - tail, keeping ~4 digits of the
        // tail) moves the root by up to ~1e-6. Both answers are equally right.
        let tail = p.min(1.0 - p) < 1e-6 && p > 0.0 && p < 1.0;
        let (rel, abs) = if tail { (0.0, 1e-6) } else { (1e-12, 1e-13) };
        check.close(format!("kstwo.ppf({p}, {n})"), kolmogorov_ppf(n, p).unwrap(), case.ppf.0, rel, abs);
        check.close(format!("kstwo.isf({p}, {n})"), kolmogorov_isf(n, p).unwrap(), case.isf.0, rel, abs);
    }
    check.finish();
}

#[test]
fn smirnov_and_limit_match_scipy_special() {
    let mut check = Check::default();
    for case in &oracle().smirnov {
        let (n, d) = (case.n, case.d.0);
        check.close(format!("smirnov({n}, {d})"), smirnov_sf(n, d).unwrap(), case.sf.0, 1e-9, 1e-15);
    }
    for case in &oracle().kolmogorov_limit {
        let x = case.x.0;
        check.close(format!("kolmogorov({x})"), kolmogorov_limit_sf(x).unwrap(), case.sf.0, 1e-12, 1e-15);
    }
    check.finish();
}

#[test]
fn chi2_goodness_of_fit_matches_scipy_chisquare() {
    let mut check = Check::default();
    for case in &oracle().chi2_goodness_of_fit {
        let name = &case.name;
        match chi2_goodness_of_fit(&case.observed, &floats(&case.proportions)) {
            Ok(t) => {
                check.equal(format!("{name} dof"), &t.dof, &case.dof);
                check.close(format!("{name} statistic"), t.statistic, case.statistic.0, 1e-9, 1e-12);
                check.close(format!("{name} p"), t.p_value, case.p_value.0, 0.0, 1e-10);
                check.equal(format!("{name} effect"), &t.effect_size.name(), &"cohens_w");
                check.close(format!("{name} cohens_w"), t.effect_size.value(), case.cohens_w.0, 1e-9, 1e-12);
            }
            Err(e) => check.fail(name, e),
        }
    }
    check.finish();
}

#[test]
fn chi2_against_a_reference_sample_matches_scipy_chisquare() {
    let mut check = Check::default();
    let cases = &oracle().chi2_against_reference;
    assert!(cases.iter().filter(|c| c.scipy_exact).count() >= 10, "rare-category cases compare with plain scipy");
    for case in cases {
        let name = &case.name;
        match chi2_against_reference(&case.current, &case.reference) {
            Ok(t) => {
                check.equal(format!("{name} dof"), &t.dof, &case.dof);
                check.close(format!("{name} statistic"), t.statistic, case.statistic.0, 1e-9, 1e-12);
                check.close(format!("{name} p"), t.p_value, case.p_value.0, 0.0, 1e-10);
                check.close(format!("{name} cohens_w"), t.effect_size.value(), case.cohens_w.0, 1e-9, 1e-12);
            }
            Err(e) => check.fail(name, e),
        }
    }
    check.finish();
}

#[test]
fn chi2_contingency_matches_scipy() {
    let mut check = Check::default();
    for case in &oracle().chi2_contingency {
        let name = &case.name;
        let result = if case.correction { chi2_contingency_yates(&case.table) } else { chi2_contingency(&case.table) };
        match result {
            Ok(t) => {
                check.equal(format!("{name} dof"), &t.dof, &case.dof);
                check.close(format!("{name} statistic"), t.statistic, case.statistic.0, 1e-9, 1e-12);
                check.close(format!("{name} p"), t.p_value, case.p_value.0, 0.0, 1e-10);
                check.equal(format!("{name} effect"), &t.effect_size.name(), &"cramers_v");
                check.close(format!("{name} cramers_v"), t.effect_size.value(), case.cramers_v.0, 1e-9, 1e-12);
            }
            Err(e) => check.fail(name, e),
        }
    }
    check.finish();
}

#[test]
fn psi_matches_numpy_binning() {
    let mut check = Check::default();
    for case in &oracle().psi {
        let name = &case.name;
        let (reference, current) = (case.reference.value_counts(), case.current.value_counts());
        match psi_over_quantile_bins(&reference, &current, case.bins, case.epsilon.0) {
            Ok(p) => {
                // Edges decide which bin a tied value lands in: they must be identical.
                check.equal(format!("{name} edges"), &p.edges, &floats(&case.edges));
                check.equal(format!("{name} reference counts"), &p.reference_counts, &case.reference_counts);
                check.equal(format!("{name} current counts"), &p.current_counts, &case.current_counts);
                check.close(format!("{name} psi"), p.value, case.psi.0, 1e-9, 1e-12);
            }
            Err(e) => check.fail(name, e),
        }
        if case.epsilon.0 == PSI_EPSILON {
            let direct = psi(&case.reference_counts, &case.current_counts, PSI_EPSILON).unwrap();
            check.close(format!("{name} psi from counts"), direct, case.psi.0, 1e-9, 1e-12);
        }
    }
    check.finish();
}

#[test]
fn jensen_shannon_matches_scipy() {
    let mut check = Check::default();
    for case in &oracle().jensen_shannon {
        let name = &case.name;
        match jensen_shannon_distance(&floats(&case.p), &floats(&case.q)) {
            // The distance is a square root: near 0 it amplifies rounding, hence the absolute floor.
            Ok(d) => check.close(format!("{name} distance"), d, case.distance.0, 1e-9, 1e-12),
            Err(e) => check.fail(name, e),
        }
    }
    check.finish();
}

#[test]
fn wasserstein_matches_scipy() {
    let mut check = Check::default();
    for case in &oracle().wasserstein {
        let name = &case.name;
        let (a, b) = (case.a.value_counts(), case.b.value_counts());
        match wasserstein_distance(&a, &b) {
            Ok(w) => check.close(format!("{name} W1"), w, case.distance.0, 1e-9, 1e-15),
            Err(e) => check.fail(name, e),
        }
        check.close(format!("{name} std"), population_std(&a).unwrap(), case.reference_std.0, 1e-9, 0.0);
        match (wasserstein_distance_standardized(&a, &b), case.standardized) {
            (Ok(w), Some(expected)) => check.close(format!("{name} W1/std"), w, expected.0, 1e-9, 1e-15),
            (Err(StatsError::ZeroSpread { .. }), None) => check.compared += 1,
            (ours, expected) => {
                check.fail(format!("{name} W1/std"), format!("ours {ours:?}, reference {:?}", expected.map(|x| x.0)));
            }
        }
    }
    check.finish();
}

#[test]
fn two_proportion_z_matches_statsmodels() {
    let mut check = Check::default();
    for case in &oracle().two_proportion_z {
        let name = format!("{}/{} vs {}/{}", case.x1, case.n1, case.x2, case.n2);
        match two_proportion_z(case.x1, case.n1, case.x2, case.n2) {
            Ok(t) => {
                check.close(format!("{name} z"), t.statistic, case.statistic.0, 1e-9, 1e-12);
                check.close(format!("{name} p"), t.p_value, case.p_value.0, 0.0, 1e-10);
                check.close(format!("{name} cohens_h"), t.effect_size.value(), case.cohens_h.0, 1e-9, 1e-15);
            }
            Err(e) => check.fail(name, e),
        }
    }
    check.finish();
}

#[test]
fn welch_t_matches_scipy() {
    let mut check = Check::default();
    for case in &oracle().welch_t {
        let name = &case.name;
        match welch_t(case.mean1.0, case.var1.0, case.n1, case.mean2.0, case.var2.0, case.n2) {
            Ok(t) => {
                check.close(format!("{name} t"), t.statistic, case.statistic.0, 1e-9, 1e-12);
                check.close(format!("{name} dof"), t.dof, case.dof.0, 1e-9, 0.0);
                check.close(format!("{name} p"), t.p_value, case.p_value.0, 0.0, 1e-10);
                check.close(format!("{name} hedges_g"), t.effect_size.value(), case.hedges_g.0, 1e-9, 1e-12);
            }
            Err(e) => check.fail(name, e),
        }
    }
    check.finish();
}

#[test]
fn benjamini_hochberg_matches_scipy() {
    let mut check = Check::default();
    for (i, case) in oracle().benjamini_hochberg.iter().enumerate() {
        let ours = benjamini_hochberg(&floats(&case.p_values)).unwrap();
        check.equal(format!("case {i} length"), &ours.len(), &case.adjusted.len());
        for (k, (a, e)) in ours.iter().zip(&case.adjusted).enumerate() {
            check.close(format!("case {i} p[{k}]"), *a, e.0, 1e-12, 0.0);
        }
    }
    check.finish();
}
