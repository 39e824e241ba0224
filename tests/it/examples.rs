//! Every example suite in checks/ runs against datasets/: it passes on the
//! clean data and fails, where it should, on the dirty copy.

use std::collections::BTreeMap;

use probity::Status;

use crate::common::{block_on, request};

fn statuses(data: &[(&str, &str)]) -> (Status, BTreeMap<String, Status>) {
    let mut req = request(&["checks/"]);
    req.data = data.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
    let outcome = block_on(probity::run(&req)).expect("the examples run");
    let map = outcome.checks().map(|c| (c.id.clone(), c.status)).collect();
    (outcome.status, map)
}

/// The checks the example suites declare, per dataset (read by the loader).
pub fn declared_checks() -> BTreeMap<String, usize> {
    let paths = probity::spec::expand_paths(&["checks".into()]).unwrap();
    let (suites, diags) = probity::spec::load(&paths, probity::checks::KINDS);
    assert!(diags.is_empty(), "the examples load");
    let mut counts = BTreeMap::new();
    for suite in suites {
        *counts.entry(suite.dataset.name.clone()).or_insert(0) += suite.checks.len();
    }
    assert!(counts.values().all(|&n| n > 0), "{counts:?}");
    counts
}

#[test]
fn examples_pass_on_clean_data() {
    let (status, checks) = statuses(&[]);
    let not_passing: Vec<_> = checks.iter().filter(|(_, s)| **s != Status::Pass).collect();
    assert_eq!(status, Status::Pass, "{not_passing:?}");
    assert_eq!(checks.len(), declared_checks().values().sum::<usize>(), "one result per declared check");
}

#[test]
fn every_example_suite_runs_on_its_own() {
    let mut suites: Vec<_> = std::fs::read_dir("checks").unwrap().map(|e| e.unwrap().path()).collect();
    suites.sort();
    assert!(suites.len() >= 2);
    for suite in suites {
        let path = suite.to_string_lossy();
        let outcome = block_on(probity::run(&request(&[&path]))).unwrap_or_else(|e| panic!("{path} alone: {e}"));
        assert_eq!(outcome.status, Status::Pass, "{path} alone");
    }
}

#[test]
fn examples_fail_on_dirty_data_where_they_should() {
    let (status, checks) =
        statuses(&[("loans", "datasets/dirty/loans.parquet"), ("customers", "datasets/dirty/customers.parquet")]);
    assert_eq!(status, Status::Fail);
    let failing: Vec<&str> = checks.iter().filter(|(_, s)| **s == Status::Fail).map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        failing,
        [
            "customers.unique.customer_id",
            "loans.between.age",
            "loans.between.amount",
            // Amounts above 1e7 move the distribution far from the baseline.
            "loans.drift.amount",
            "loans.in_set.country",
            "loans.in_set.term_months",
            "loans.length.purpose",
            "loans.missing.income",
            "loans.not_null.loan_id",
            "loans.references.customer_id",
            // Amounts above 1e7 pull the mean out of range; "us" is an eleventh country.
            "loans.stat.amount",
            "loans.stat.country",
            "loans.unique.loan_id",
            "score_is_a_probability",
        ]
    );
    assert_eq!(checks["loans.freshness.applied_at"], Status::Warn, "stale data warns");
}
