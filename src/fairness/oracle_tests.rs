//! Checks against `tests/oracle/fairness_cases.json`, produced by
//! `tests/oracle/fairness_oracle.py` with Fairlearn, scipy and statsmodels.
//! `expected` values are what probity must return; `fairlearn` values are
//! Fairlearn's, equal to `expected` except where `docs/fairness.md` documents a
//! deliberate difference (undefined rates, `min_group_size`, < 2 groups).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::*;

const CASES: &str = include_str!("../../tests/oracle/fairness_cases.json");

/// Point estimates: rates, disparities, Wilson bounds, chi-square statistics.
const TOL: f64 = 1e-12;

#[derive(Deserialize)]
struct Oracle {
    versions: BTreeMap<String, String>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    cells: Vec<CellJson>,
    labelled: bool,
    min_group_size: f64,
    confidence: f64,
    reference_group: Option<GroupKey>,
    groups: Vec<GroupJson>,
    overall: OverallJson,
    empty_intersections: Vec<GroupKey>,
    disparities: Vec<DisparityJson>,
    reference: Vec<ReferenceJson>,
    independence: IndependenceJson,
}

#[derive(Deserialize)]
struct CellJson {
    group: GroupKey,
    label: Option<bool>,
    prediction: bool,
    rows: u64,
    weight: f64,
}

#[derive(Deserialize)]
struct GroupJson {
    group: GroupKey,
    size: f64,
    rows: u64,
    insufficient: bool,
    fairlearn_rates: BTreeMap<String, Option<f64>>,
    rates: BTreeMap<String, Option<f64>>,
    wilson: BTreeMap<String, Option<[f64; 2]>>,
}

#[derive(Deserialize)]
struct OverallJson {
    rates: BTreeMap<String, Option<f64>>,
    wilson: BTreeMap<String, Option<[f64; 2]>>,
}

#[derive(Deserialize)]
struct DisparityJson {
    metric: DisparityMetric,
    method: Method,
    agg: Option<Agg>,
    expected: Option<f64>,
    fairlearn: serde_json::Value,
    matches_fairlearn: bool,
}

#[derive(Deserialize)]
struct ReferenceJson {
    group: GroupKey,
    comparisons: BTreeMap<String, ComparisonJson>,
}

#[derive(Deserialize)]
struct ComparisonJson {
    difference: Option<f64>,
    ratio: Option<f64>,
}

#[derive(Deserialize)]
struct IndependenceJson {
    groups: usize,
    test: IndependenceTestKind,
    min_expected: Option<f64>,
    statistic: Option<f64>,
    dof: Option<u32>,
    p_value: Option<f64>,
    odds_ratio: Option<f64>,
    low_expected_counts: Option<bool>,
}

fn oracle() -> Oracle {
    serde_json::from_str(CASES).expect("tests/oracle/fairness_cases.json parses")
}

fn cells(case: &Case) -> Vec<Cell> {
    case.cells.iter().map(|c| Cell::weighted(c.group.clone(), c.label, c.prediction, c.rows, c.weight)).collect()
}

fn params(case: &Case, metric: DisparityMetric) -> Params {
    Params {
        metric,
        min_group_size: case.min_group_size,
        confidence: case.confidence,
        reference_group: case.reference_group.clone(),
        n_boot: 0,
        ..Params::new(metric)
    }
}

fn metric_for(case: &Case) -> DisparityMetric {
    if case.labelled {
        DisparityMetric::Difference(Measure::Accuracy)
    } else {
        DisparityMetric::Difference(Measure::DemographicParity)
    }
}

fn close(actual: f64, expected: f64, tol: f64) -> bool {
    (actual - expected).abs() <= tol
}

fn assert_option(actual: Option<f64>, expected: Option<f64>, tol: f64, what: &str) {
    match (actual, expected) {
        (Some(a), Some(e)) => assert!(close(a, e, tol), "{what}: {a} vs expected {e}"),
        (None, None) => {}
        _ => panic!("{what}: {actual:?} vs expected {expected:?}"),
    }
}

fn assert_interval(actual: Option<Interval>, expected: Option<[f64; 2]>, what: &str) {
    assert_option(actual.map(|i| i.lower), expected.map(|e| e[0]), TOL, &format!("{what} lower"));
    assert_option(actual.map(|i| i.upper), expected.map(|e| e[1]), TOL, &format!("{what} upper"));
}

#[test]
fn oracle_records_versions() {
    let oracle = oracle();
    for tool in ["fairlearn", "scikit-learn", "scipy", "numpy", "pandas", "statsmodels"] {
        assert!(oracle.versions.contains_key(tool), "missing version of {tool}");
    }
    assert!(oracle.cases.len() >= 10);
}

#[test]
fn group_rates_and_wilson_intervals_match() {
    for case in oracle().cases {
        let a = assess(&cells(&case), &params(&case, metric_for(&case))).unwrap();
        assert_eq!(a.groups.len(), case.groups.len(), "{}", case.name);
        for expected in &case.groups {
            let row = a.groups.iter().find(|g| g.group == expected.group).expect("group present");
            let what = format!("{} / {}", case.name, row.label);
            assert!(close(row.summary.size, expected.size, TOL * expected.size), "{what} size");
            assert_eq!(row.summary.rows, expected.rows, "{what} rows");
            assert_eq!(row.insufficient, expected.insufficient, "{what} insufficient");
            for rate in Rate::ALL {
                let what = format!("{what} {rate}");
                // Rates: tolerance 1e-12 (Fairlearn sums the same weights in another order).
                assert_option(*row.summary.rates.get(rate), expected.rates[rate.name()], TOL, &what);
                // Wilson bounds vs statsmodels: tolerance 1e-12.
                assert_interval(*row.summary.intervals.get(rate), expected.wilson[rate.name()], &what);
            }
        }
        for rate in Rate::ALL {
            let what = format!("{} overall {rate}", case.name);
            assert_option(*a.overall.rates.get(rate), case.overall.rates[rate.name()], TOL, &what);
            assert_interval(*a.overall.intervals.get(rate), case.overall.wilson[rate.name()], &what);
        }
    }
}

/// Deliberate difference: Fairlearn (through scikit-learn) reports 0 for a
/// rate with a zero denominator; probity reports it as undefined.
#[test]
fn undefined_rates_are_null_where_fairlearn_reports_zero() {
    let mut seen = 0;
    for case in oracle().cases.iter().filter(|c| c.labelled) {
        let a = assess(&cells(case), &params(case, metric_for(case))).unwrap();
        for expected in &case.groups {
            let row = a.groups.iter().find(|g| g.group == expected.group).unwrap();
            for rate in Rate::ALL {
                if expected.rates[rate.name()].is_none() {
                    assert_eq!(expected.fairlearn_rates[rate.name()], Some(0.0), "{} {rate}", case.name);
                    assert_eq!(*row.summary.rates.get(rate), None);
                    assert_eq!(*row.summary.intervals.get(rate), None);
                    seen += 1;
                }
            }
        }
    }
    assert!(seen >= 8, "the oracle should exercise undefined rates ({seen})");
}

#[test]
fn disparities_match_fairlearn_or_documented_behaviour() {
    let (mut matched, mut differs) = (0, 0);
    for case in oracle().cases {
        let cells = cells(&case);
        for d in &case.disparities {
            let mut p = params(&case, d.metric);
            p.method = d.method;
            p.agg = d.agg.unwrap_or_default();
            let what = format!("{} {} {} {:?}", case.name, d.metric, d.method.name(), d.agg);
            let a = assess(&cells, &p).unwrap_or_else(|e| panic!("{what}: {e}"));
            // Disparities: tolerance 1e-12.
            assert_option(a.disparity.value, d.expected, TOL, &what);
            assert_eq!(a.disparity.undefined.is_some(), d.expected.is_none(), "{what}");
            if d.matches_fairlearn {
                matched += 1;
                match d.fairlearn.as_f64() {
                    Some(f) => assert!(close(a.disparity.value.unwrap(), f, TOL), "{what} vs Fairlearn {f}"),
                    None => assert_eq!(a.disparity.value, None, "{what}: Fairlearn returns NaN"),
                }
            } else if d.method != Method::ToReference {
                differs += 1;
            }
        }
    }
    assert!(matched >= 150, "{matched} disparities equal Fairlearn's");
    assert!(differs >= 50, "{differs} documented differences exercised");
}

#[test]
fn reference_comparisons_match() {
    for case in oracle().cases.iter().filter(|c| c.reference_group.is_some()) {
        let rates: &[Rate] = if case.labelled { &Rate::ALL } else { &[Rate::SelectionRate] };
        for &rate in rates {
            let measure = match rate {
                Rate::SelectionRate => Measure::DemographicParity,
                Rate::TruePositiveRate => Measure::TruePositiveRate,
                Rate::FalsePositiveRate => Measure::FalsePositiveRate,
                Rate::TrueNegativeRate => Measure::TrueNegativeRate,
                Rate::FalseNegativeRate => Measure::FalseNegativeRate,
                Rate::Precision => Measure::PredictiveParity,
                Rate::Accuracy => Measure::Accuracy,
            };
            let a = assess(&cells(case), &params(case, DisparityMetric::Difference(measure))).unwrap();
            for expected in &case.reference {
                let row = a.groups.iter().find(|g| g.group == expected.group).unwrap();
                assert_eq!(row.is_reference, Some(&row.group) == case.reference_group.as_ref());
                let [actual] = row.vs_reference.as_slice() else { panic!("one comparison per rate") };
                assert_eq!(actual.rate, rate);
                let e = &expected.comparisons[rate.name()];
                let what = format!("{} {} {rate}", case.name, row.label);
                assert_option(actual.difference, e.difference, TOL, &format!("{what} difference"));
                assert_option(actual.ratio, e.ratio, TOL, &format!("{what} ratio"));
            }
        }
    }
}

#[test]
fn independence_matches_scipy() {
    for case in oracle().cases {
        let a = assess(&cells(&case), &params(&case, metric_for(&case))).unwrap();
        let (t, e) = (&a.independence, &case.independence);
        let what = &case.name;
        assert_eq!(t.groups, e.groups, "{what}");
        assert_eq!(t.test, e.test, "{what}");
        assert_option(t.min_expected, e.min_expected, TOL, &format!("{what} min_expected"));
        // chi-square statistic: relative tolerance 1e-12.
        assert_option(t.statistic, e.statistic, TOL * e.statistic.unwrap_or(0.0), &format!("{what} statistic"));
        assert_eq!(t.dof, e.dof, "{what}");
        // p-values (statrs' regularized gamma vs scipy's cephes; our hypergeometric
        // recurrence vs boost; observed within 5e-15): relative tolerance 1e-12.
        assert_option(t.p_value, e.p_value, TOL * e.p_value.unwrap_or(0.0), &format!("{what} p_value"));
        assert_option(t.odds_ratio, e.odds_ratio, TOL, &format!("{what} odds_ratio"));
        assert_eq!(t.low_expected_counts, e.low_expected_counts.unwrap_or(false), "{what}");
        assert_eq!(t.undefined.is_some(), e.p_value.is_none(), "{what}");
    }
}

#[test]
fn empty_intersections_match_fairlearn_nan_rows() {
    for case in oracle().cases {
        let a = assess(&cells(&case), &params(&case, metric_for(&case))).unwrap();
        let mut expected = case.empty_intersections.clone();
        expected.sort_by(|x, y| compare_keys(x, y));
        assert_eq!(a.empty_intersections.count, expected.len() as u64, "{}", case.name);
        assert_eq!(a.empty_intersections.examples, expected, "{}", case.name);
    }
}
