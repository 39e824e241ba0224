//! Behaviour of [`assess`] that the Fairlearn oracle cannot show: exclusions
//! and their reasons, errors, the bootstrap and the result's JSON shape.

use super::*;

fn key(values: &[&str]) -> GroupKey {
    values.iter().map(|v| Some((*v).to_string())).collect()
}

/// Four labelled cells of a group.
fn group(name: &str, tp: u64, fn_: u64, fp: u64, tn: u64) -> Vec<Cell> {
    [(true, true, tp), (true, false, fn_), (false, true, fp), (false, false, tn)]
        .into_iter()
        .filter(|&(_, _, n)| n > 0)
        .map(|(label, prediction, n)| Cell::counted(key(&[name]), Some(label), prediction, n))
        .collect()
}

fn data() -> Vec<Cell> {
    [group("a", 40, 10, 20, 30), group("b", 20, 20, 10, 50), group("c", 2, 1, 1, 4)].concat()
}

fn no_boot(metric: DisparityMetric) -> Params {
    Params { n_boot: 0, ..Params::new(metric) }
}

const DP_DIFF: DisparityMetric = DisparityMetric::Difference(Measure::DemographicParity);

#[test]
fn small_groups_stay_in_the_table_but_out_of_the_comparison() {
    let a = assess(&data(), &no_boot(DP_DIFF)).unwrap();
    let labels: Vec<&str> = a.groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels, ["a", "b", "c"]);
    assert!(a.groups[2].insufficient);
    assert_eq!(a.groups[2].summary.rates.selection_rate, Some(3.0 / 8.0));
    assert_eq!(
        a.disparity.excluded,
        vec![Exclusion {
            group: "c".into(),
            reason: ExclusionReason::InsufficientSize { size: 8.0, min_group_size: 30.0 }
        }]
    );
    // a: 60/100 selected, b: 30/100.
    assert!((a.disparity.value.unwrap() - 0.3).abs() < 1e-15);
    let component = &a.disparity.components[0];
    assert_eq!(component.compared, ["a", "b"]);
    assert_eq!(component.highest, Some(GroupValue { group: "a".into(), value: 0.6 }));
    assert_eq!(component.lowest, Some(GroupValue { group: "b".into(), value: 0.3 }));
    // The independence test also leaves c out.
    assert_eq!(a.independence.groups, 2);
}

#[test]
fn fewer_than_two_qualifying_groups_is_undefined_with_a_reason() {
    let params = Params { min_group_size: 101.0, ..no_boot(DP_DIFF) };
    let a = assess(&data(), &params).unwrap();
    assert_eq!(a.disparity.value, None);
    assert_eq!(a.disparity.undefined, Some(Undefined::TooFewGroups { rate: Rate::SelectionRate, groups: 0 }));
    assert_eq!(a.disparity.excluded.len(), 3);
    assert_eq!(a.independence.p_value, None);
    assert!(a.independence.undefined.is_some());
}

#[test]
fn groups_with_an_undefined_rate_are_excluded_per_component() {
    // b has no positive labels: out of the TPR comparison, still in FPR.
    let cells = [group("a", 30, 10, 10, 30), group("b", 0, 0, 20, 40), group("c", 20, 20, 5, 15)].concat();
    let params = no_boot(DisparityMetric::Difference(Measure::EqualizedOdds));
    let a = assess(&cells, &params).unwrap();
    let [tpr, fpr] = a.disparity.components.as_slice() else { panic!("two components") };
    assert_eq!(tpr.compared, ["a", "c"]);
    assert_eq!(fpr.compared, ["a", "b", "c"]);
    assert_eq!(
        a.disparity.excluded,
        vec![Exclusion {
            group: "b".into(),
            reason: ExclusionReason::UndefinedRate {
                rate: Rate::TruePositiveRate,
                detail: "the group has no positive labels"
            }
        }]
    );
    // TPR: 0.75 vs 0.5; FPR: 0.25, 1/3, 0.25 -> worst case 0.25.
    assert!((a.disparity.value.unwrap() - 0.25).abs() < 1e-15);
    assert_eq!(a.disparity.agg, Some(Agg::WorstCase));
}

#[test]
fn unlabelled_rows_count_towards_selection_only() {
    let mut cells = group("a", 10, 10, 10, 10);
    cells.push(Cell::counted(key(&["a"]), None, true, 20));
    let a = assess(&cells, &no_boot(DP_DIFF)).unwrap();
    let s = &a.groups[0].summary;
    assert_eq!((s.rows, s.selected, s.positives), (60, 40.0, 20.0));
    assert_eq!(s.rates.selection_rate, Some(40.0 / 60.0));
    assert_eq!(s.rates.true_positive_rate, Some(0.5));
    assert_eq!(s.rates.accuracy, Some(0.5));
}

#[test]
fn parameter_and_input_errors() {
    let unlabelled = vec![Cell::counted(key(&["a"]), None, true, 3)];
    let tpr = DisparityMetric::Difference(Measure::EqualOpportunity);
    assert_eq!(assess(&unlabelled, &no_boot(tpr)).err(), Some(FairnessError::LabelRequired { metric: tpr }));
    let to_reference = Params { method: Method::ToReference, ..no_boot(DP_DIFF) };
    assert_eq!(assess(&data(), &to_reference).err(), Some(FairnessError::ReferenceRequired));
    let unknown = Params { reference_group: Some(key(&["z"])), ..no_boot(DP_DIFF) };
    let err = assess(&data(), &unknown).unwrap_err();
    assert_eq!(err.to_string(), "reference group `z` is not among the groups found: `a`, `b`, `c`");
    let arity = Params { reference_group: Some(key(&["a", "x"])), ..no_boot(DP_DIFF) };
    assert_eq!(assess(&data(), &arity).err(), Some(FairnessError::ReferenceArity { expected: 1, found: 2 }));
    let di_overall = Params { method: Method::ToOverall, ..no_boot(DisparityMetric::DisparateImpact) };
    assert_eq!(assess(&data(), &di_overall).err(), Some(FairnessError::MethodNotApplicable));
    for confidence in [0.0, 1.0, f64::NAN] {
        let p = Params { confidence, ..no_boot(DP_DIFF) };
        assert!(matches!(assess(&data(), &p), Err(FairnessError::InvalidConfidence(_))));
    }
    let p = Params { min_group_size: -1.0, ..no_boot(DP_DIFF) };
    assert!(matches!(assess(&data(), &p), Err(FairnessError::InvalidMinGroupSize(_))));
}

#[test]
fn no_rows_is_undefined_not_an_error() {
    let a = assess(&[], &no_boot(DP_DIFF)).unwrap();
    assert!(a.groups.is_empty());
    assert_eq!(a.disparity.undefined, Some(Undefined::NoRows));
    assert_eq!(a.overall.rates.selection_rate, None);
    let to_reference = Params { method: Method::ToReference, reference_group: Some(key(&["a"])), ..no_boot(DP_DIFF) };
    let a = assess(&[], &to_reference).unwrap();
    assert_eq!(a.disparity.undefined, Some(Undefined::NoRows));
}

#[test]
fn disparate_impact_against_most_favoured_and_reference() {
    let a = assess(&data(), &no_boot(DisparityMetric::DisparateImpact)).unwrap();
    // a 0.6 (most favoured), b 0.3: b is at half of a, below four fifths.
    assert_eq!(a.disparity.value, Some(0.5));
    assert!(a.disparity.value.unwrap() < FOUR_FIFTHS);
    let ratios: Vec<Option<f64>> = a.groups.iter().map(|g| g.impact_ratio).collect();
    assert_eq!(ratios, [Some(1.0), Some(0.5), Some(0.375 / 0.6)]);

    let params = Params {
        method: Method::ToReference,
        reference_group: Some(key(&["b"])),
        ..no_boot(DisparityMetric::DisparateImpact)
    };
    let a = assess(&data(), &params).unwrap();
    // Not folded below 1: a group favoured over the reference is no adverse impact.
    assert_eq!(a.disparity.value, Some(2.0));
    assert_eq!(a.groups[0].impact_ratio, Some(2.0));
    assert!(a.groups[1].is_reference);
    assert_eq!(a.groups[0].vs_reference[0].difference, Some(0.6 - 0.3));
}

#[test]
fn reference_group_that_is_too_small_makes_to_reference_undefined() {
    let params = Params { method: Method::ToReference, reference_group: Some(key(&["c"])), ..no_boot(DP_DIFF) };
    let a = assess(&data(), &params).unwrap();
    assert_eq!(
        a.disparity.undefined,
        Some(Undefined::ReferenceInsufficient { group: "c".into(), size: 8.0, min_group_size: 30.0 })
    );
    // The signed comparisons are still shown.
    assert_eq!(a.groups[0].vs_reference[0].ratio, Some(0.6 / 0.375));
}

#[test]
fn bootstrap_is_deterministic_whatever_the_thread_count() {
    let params = Params { n_boot: 400, seed: 7, ..Params::new(DisparityMetric::Ratio(Measure::EqualizedOdds)) };
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| assess(&data(), &params).unwrap())
    };
    let one = run(1);
    let four = run(4);
    assert_eq!(one, four);
    let boot = one.disparity.bootstrap.as_ref().unwrap();
    assert_eq!((boot.n_boot, boot.seed, boot.valid), (400, 7, 400));
    let ci = boot.interval.unwrap();
    let value = one.disparity.value.unwrap();
    assert!(ci.lower < value && value < ci.upper, "{ci:?} around {value}");
    // Another seed gives another (but similar) interval.
    let other = assess(&data(), &Params { seed: 8, ..params.clone() }).unwrap();
    assert_ne!(other.disparity.bootstrap.as_ref().unwrap().interval, Some(ci));
}

#[test]
fn bootstrap_interval_narrows_with_more_rows_and_keeps_weights() {
    let width = |scale: u64, weighted: bool| {
        let cells: Vec<Cell> = data()
            .into_iter()
            .map(|c| {
                let rows = c.rows * scale;
                let weight = if weighted { rows as f64 * 2.5 } else { rows as f64 };
                Cell::weighted(c.group, c.label, c.prediction, rows, weight)
            })
            .collect();
        let a = assess(&cells, &Params { n_boot: 300, ..Params::new(DP_DIFF) }).unwrap();
        let ci = a.disparity.bootstrap.unwrap().interval.unwrap();
        ci.upper - ci.lower
    };
    assert!(width(100, false) < width(1, false) / 5.0);
    // Weights scale the size, not the evidence: same rows, same interval.
    assert_eq!(width(1, true), width(1, false));
}

#[test]
fn bootstrap_discards_replicates_that_lose_a_group() {
    // b has 1 positive in 60 labelled rows: in some replicates it has none.
    let cells = [group("a", 30, 10, 10, 30), group("b", 1, 0, 20, 39)].concat();
    let params = Params { n_boot: 500, ..Params::new(DisparityMetric::Difference(Measure::EqualOpportunity)) };
    let a = assess(&cells, &params).unwrap();
    let boot = a.disparity.bootstrap.unwrap();
    assert!(boot.valid < 500 && boot.valid > 200, "valid = {}", boot.valid);
}

#[test]
fn intersectional_groups_list_empty_combinations() {
    let cells = vec![
        Cell::counted(vec![Some("F".into()), Some("old".into())], None, true, 40),
        Cell::counted(vec![Some("F".into()), None], None, false, 40),
        Cell::counted(vec![Some("M".into()), Some("old".into())], None, true, 40),
    ];
    let a = assess(&cells, &no_boot(DP_DIFF)).unwrap();
    assert_eq!(a.groups[1].label, "F, (null)");
    assert_eq!(a.empty_intersections.count, 1);
    assert_eq!(a.empty_intersections.examples, vec![vec![Some("M".to_string()), None]]);
}

#[test]
fn serializes_to_the_observed_groups_shape() {
    let a = assess(&data(), &Params { reference_group: Some(key(&["a"])), ..no_boot(DP_DIFF) }).unwrap();
    let json = serde_json::to_value(&a).unwrap();
    let g = &json["groups"][2];
    assert_eq!(g["group"], serde_json::json!(["c"]));
    assert_eq!(g["label"], "c");
    assert_eq!(g["size"], 8.0);
    assert_eq!(g["insufficient"], true);
    assert_eq!(g["rates"]["selection_rate"], 0.375);
    assert!(g["intervals"]["selection_rate"]["lower"].is_f64());
    assert_eq!(g["vs_reference"][0]["rate"], "selection_rate");
    assert_eq!(json["disparity"]["metric"], "demographic_parity_difference");
    assert_eq!(json["disparity"]["method"], "between_groups");
    assert_eq!(json["disparity"]["excluded"][0]["reason"]["kind"], "insufficient_size");
    assert_eq!(json["independence"]["test"], "chi_square");
    let undefined = assess(&data(), &Params { min_group_size: 1e9, ..no_boot(DP_DIFF) }).unwrap();
    let json = serde_json::to_value(&undefined).unwrap();
    assert_eq!(
        json["disparity"]["undefined"],
        "fewer than two groups with a defined selection_rate and at least min_group_size in weight (found 0)"
    );
}
