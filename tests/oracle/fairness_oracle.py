#!/usr/bin/env python3
"""Reference values for src/fairness, computed with Fairlearn, scipy and statsmodels.

Writes tests/oracle/fairness_cases.json (deterministic: no randomness). Each
case is a list of cells (group values, label, prediction, rows[, row weights]);
this script expands the cells into row arrays, runs Fairlearn's MetricFrame and
*_difference / *_ratio functions on them, and records

  * `fairlearn`: what Fairlearn returns, and
  * `expected`: what probity must return. It equals Fairlearn's value except
    where probity deliberately differs (docs/fairness.md): a rate with a zero
    denominator is undefined (null) instead of Fairlearn's 0, and groups below
    `min_group_size` or with an undefined rate are masked out before Fairlearn's
    own aggregation code (DisaggregatedResult.difference / .ratio) runs; fewer
    than two remaining groups = null.

Run from the repository root:
    pip install fairlearn scikit-learn scipy numpy pandas statsmodels
    python3 tests/oracle/fairness_oracle.py
"""

from __future__ import annotations

import json
import math
import platform
import sys
import warnings
from pathlib import Path

import fairlearn
import numpy as np
import pandas as pd
import scipy
import sklearn
import sklearn.metrics as skm
import statsmodels
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from fairlearn.metrics._disaggregated_result import DisaggregatedResult
from scipy.stats import chi2_contingency, fisher_exact
from statsmodels.stats.proportion import proportion_confint

OUT = Path(__file__).with_name("fairness_cases.json")
NULL = "(null)"  # Fairlearn rejects missing sensitive values; probity treats null as its own group
CONFIDENCE = 0.95
ROW_WEIGHTS = [0.5, 1.25, 2.0, 0.75, 3.5, 1.0]  # cycled over the rows of weighted cases

RATES = {
    "selection_rate": selection_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "true_negative_rate": true_negative_rate,
    "false_negative_rate": false_negative_rate,
    "precision": skm.precision_score,
    "accuracy": skm.accuracy_score,
}

# (numerator outcomes, denominator outcomes) over tp, fp, tn, fn, sel (unlabelled
# selected), rej (unlabelled rejected): a rate is undefined when the denominator
# weight is 0.
SLOTS = {
    "selection_rate": (["tp", "fp", "sel"], ["tp", "fp", "tn", "fn", "sel", "rej"]),
    "true_positive_rate": (["tp"], ["tp", "fn"]),
    "false_negative_rate": (["fn"], ["tp", "fn"]),
    "false_positive_rate": (["fp"], ["fp", "tn"]),
    "true_negative_rate": (["tn"], ["fp", "tn"]),
    "precision": (["tp"], ["tp", "fp"]),
    "accuracy": (["tp", "tn"], ["tp", "fp", "tn", "fn"]),
}

MEASURES = {
    "demographic_parity": ["selection_rate"],
    "equal_opportunity": ["true_positive_rate"],
    "equalized_odds": ["true_positive_rate", "false_positive_rate"],
    "false_positive_rate": ["false_positive_rate"],
    "false_negative_rate": ["false_negative_rate"],
    "true_positive_rate": ["true_positive_rate"],
    "true_negative_rate": ["true_negative_rate"],
    "predictive_parity": ["precision"],
    "accuracy": ["accuracy"],
}

# Fairlearn's public disparity functions, where one exists.
FAIRLEARN_FUNCTIONS = {
    "demographic_parity_difference": demographic_parity_difference,
    "demographic_parity_ratio": demographic_parity_ratio,
    "equal_opportunity_difference": equal_opportunity_difference,
    "equal_opportunity_ratio": equal_opportunity_ratio,
    "equalized_odds_difference": equalized_odds_difference,
    "equalized_odds_ratio": equalized_odds_ratio,
}


def c(group, label, prediction, rows):
    return {"group": list(group), "label": label, "prediction": prediction, "rows": rows}


def full_table(group, tp, fn, fp, tn):
    """The four labelled cells of a group (zero cells omitted, as a GROUP BY would)."""
    cells = [c(group, True, True, tp), c(group, True, False, fn), c(group, False, True, fp), c(group, False, False, tn)]
    return [cell for cell in cells if cell["rows"] > 0]


def unlabelled(group, selected, rejected):
    cells = [c(group, None, True, selected), c(group, None, False, rejected)]
    return [cell for cell in cells if cell["rows"] > 0]


LABELLED_METRICS = [f"{m}_{k}" for m in MEASURES for k in ("difference", "ratio")] + ["disparate_impact"]
SELECTION_METRICS = ["demographic_parity_difference", "demographic_parity_ratio", "disparate_impact"]

CASES = [
    {
        "name": "unbalanced_two_groups",
        "description": "Two groups of 60 and 240 rows with different selection and error rates.",
        "group_columns": ["sex"],
        "cells": full_table(["F"], 20, 10, 8, 22) + full_table(["M"], 90, 20, 30, 100),
        "min_group_size": 30,
        "reference_group": ["M"],
    },
    {
        "name": "group_without_positives",
        "description": "Groups B and C have no positive labels (TPR and FNR undefined; Fairlearn reports 0), "
        "group C has no favourable predictions either (precision undefined; Fairlearn reports 0 with a warning).",
        "group_columns": ["race"],
        "cells": full_table(["A"], 15, 5, 10, 20)
        + full_table(["B"], 0, 0, 12, 28)
        + full_table(["C"], 0, 0, 0, 45)
        + full_table(["D"], 11, 4, 6, 14),
        "min_group_size": 30,
        "reference_group": ["A"],
    },
    {
        "name": "intersectional_with_empty_and_null",
        "description": "sex x age_band with a null sex value (its own group), two empty intersections "
        "(Fairlearn: NaN rows, skipped), and a group without negative labels.",
        "group_columns": ["sex", "age_band"],
        "cells": full_table(["F", "old"], 12, 6, 5, 17)
        + full_table(["F", "young"], 9, 3, 7, 21)
        + full_table(["M", "young"], 25, 10, 0, 0)
        + full_table([None, "old"], 6, 4, 3, 9),
        "min_group_size": 10,
        "reference_group": ["F", "old"],
    },
    {
        "name": "weighted_rows",
        "description": "Rows carry sample weights (cycled 0.5, 1.25, 2, 0.75, 3.5, 1 over each cell's rows).",
        "group_columns": ["region"],
        "cells": full_table(["north"], 14, 6, 9, 21) + full_table(["south"], 30, 12, 11, 47) + full_table(["west"], 8, 9, 4, 19),
        "weighted": True,
        "min_group_size": 30,
        "reference_group": ["south"],
    },
    {
        "name": "insufficient_group",
        "description": "Group 'tiny' (12 rows) is below min_group_size 30: flagged and left out of the "
        "disparity, but part of the overall population used by to_overall.",
        "group_columns": ["segment"],
        "cells": full_table(["large"], 40, 10, 15, 35) + full_table(["medium"], 18, 7, 6, 19) + full_table(["tiny"], 1, 5, 0, 6),
        "min_group_size": 30,
        "reference_group": ["large"],
    },
    {
        "name": "small_groups_fisher",
        "description": "Two small groups: an expected count below 5, so Fisher's exact test replaces chi-square.",
        "group_columns": ["site"],
        "cells": full_table(["x"], 5, 1, 2, 2) + full_table(["y"], 1, 3, 0, 6),
        "min_group_size": 5,
        "reference_group": ["x"],
    },
    {
        "name": "no_label_column",
        "description": "Predictions only: selection-rate metrics, chi-square over four groups.",
        "group_columns": ["channel"],
        "cells": unlabelled(["app"], 45, 55) + unlabelled(["branch"], 30, 70) + unlabelled(["phone"], 22, 18) + unlabelled(["web"], 60, 40),
        "labelled": False,
        "min_group_size": 30,
        "reference_group": ["branch"],
    },
    {
        "name": "nobody_selected",
        "description": "No group receives a favourable decision: every selection-rate ratio is 0/0 "
        "(Fairlearn: NaN) and chi-square has an empty column (scipy raises).",
        "group_columns": ["g"],
        "cells": full_table(["a"], 0, 10, 0, 30) + full_table(["b"], 0, 12, 0, 25) + full_table(["c"], 0, 8, 0, 31),
        "min_group_size": 30,
        "reference_group": ["a"],
    },
    {
        "name": "one_qualifying_group",
        "description": "Only one group reaches min_group_size: every disparity is undefined "
        "(Fairlearn compares both groups).",
        "group_columns": ["g"],
        "cells": full_table(["big"], 30, 10, 10, 30) + full_table(["small"], 3, 2, 1, 4),
        "min_group_size": 30,
        "reference_group": ["big"],
    },
    {
        "name": "many_groups_low_expected",
        "description": "Five groups, one with an expected count below 5: chi-square (no Fisher beyond 2x2), "
        "flagged low_expected_counts.",
        "group_columns": ["band"],
        "cells": full_table(["b1"], 20, 5, 10, 15)
        + full_table(["b2"], 25, 5, 5, 15)
        + full_table(["b3"], 10, 10, 10, 20)
        + full_table(["b4"], 2, 2, 1, 1)
        + full_table(["b5"], 30, 10, 20, 40),
        "min_group_size": 0,
        "reference_group": ["b3"],
    },
    {
        "name": "weighted_small_two_groups",
        "description": "Two small weighted groups: chi-square on the table rescaled to the row count "
        "(Fisher needs counts), flagged low_expected_counts.",
        "group_columns": ["g"],
        "cells": full_table(["p"], 4, 2, 1, 3) + full_table(["q"], 1, 4, 2, 5),
        "weighted": True,
        "min_group_size": 0,
        "reference_group": ["q"],
    },
]


def expand(case):
    """Cells -> row arrays (y_true, y_pred, weights, sensitive features); fills each cell's weight."""
    weighted = case.get("weighted", False)
    y_true, y_pred, weights, features = [], [], [], []
    for cell in case["cells"]:
        row_weights = [ROW_WEIGHTS[i % len(ROW_WEIGHTS)] for i in range(cell["rows"])] if weighted else [1.0] * cell["rows"]
        cell["weight"] = float(sum(row_weights))
        label = cell["label"] if cell["label"] is not None else cell["prediction"]  # ignored by selection_rate
        for w in row_weights:
            y_true.append(int(label))
            y_pred.append(int(cell["prediction"]))
            weights.append(w)
            features.append([NULL if v is None else v for v in cell["group"]])
    sf = pd.DataFrame(features, columns=case["group_columns"])
    return np.array(y_true), np.array(y_pred), (np.array(weights) if weighted else None), sf


def key_of(index_value, ncols):
    values = index_value if isinstance(index_value, tuple) else (index_value,)
    assert len(values) == ncols
    return [None if v == NULL else str(v) for v in values]


def tallies(case):
    out = {}
    for cell in case["cells"]:
        key = tuple(cell["group"])
        t = out.setdefault(key, {k: [0.0, 0] for k in ("tp", "fp", "tn", "fn", "sel", "rej")})
        slot = {(True, True): "tp", (False, True): "fp", (False, False): "tn", (True, False): "fn", (None, True): "sel", (None, False): "rej"}[
            (cell["label"], cell["prediction"])
        ]
        t[slot][0] += cell["weight"]
        t[slot][1] += cell["rows"]
    return out


def num(x):
    """A float for JSON, or None for NaN / None."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def fairlearn_value(x):
    """Fairlearn's result as JSON: a number, or "nan"."""
    x = float(x)
    return "nan" if math.isnan(x) else x


def wilson(count, nobs):
    lo, hi = proportion_confint(count, nobs, alpha=1 - CONFIDENCE, method="wilson")
    return [float(lo), float(hi)]


def fold_below_one(r):
    return 1 / r if r > 1 else r


def run_case(case):
    y_true, y_pred, weights, sf = expand(case)
    labelled = case.get("labelled", True)
    ncols = len(case["group_columns"])
    rates = RATES if labelled else {"selection_rate": selection_rate}
    sp = {name: {"sample_weight": weights} for name in rates}
    caught = []
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        mf = MetricFrame(metrics=rates, y_true=y_true, y_pred=y_pred, sensitive_features=sf, sample_params=sp)
        caught = sorted({f"{x.category.__name__}: {str(x.message).splitlines()[0]}" for x in w})
    by_group = mf.by_group
    overall = mf.overall
    tal = tallies(case)
    min_size = case["min_group_size"]

    # Empty intersections: rows Fairlearn reindexes in with NaN.
    present = {tuple(k) for k in tal}
    empty = [key_of(ix, ncols) for ix in by_group.index if tuple(key_of(ix, ncols)) not in present]

    def rate_of(t, rate):
        nums, dens = SLOTS[rate]
        den = sum(t[s][0] for s in dens)
        return (sum(t[s][0] for s in nums) / den) if den > 0 else None

    groups = []
    defined = {}  # (key, rate) -> bool
    for ix in by_group.index:
        key = key_of(ix, ncols)
        if tuple(key) not in tal:
            continue
        t = tal[tuple(key)]
        size = sum(v[0] for v in t.values())
        row = {"group": key, "size": size, "rows": sum(v[1] for v in t.values()), "insufficient": size < min_size}
        row["fairlearn_rates"], row["rates"], row["wilson"] = {}, {}, {}
        for rate in RATES:
            fl = float(by_group.loc[ix, rate]) if rate in rates else None
            row["fairlearn_rates"][rate] = fl
            ours = rate_of(t, rate) if (labelled or rate == "selection_rate") else None
            defined[(tuple(key), rate)] = ours is not None
            row["rates"][rate] = fl if ours is not None else None
            if ours is not None:
                assert abs(ours - fl) <= 1e-15, (case["name"], key, rate, ours, fl)
                nums, dens = SLOTS[rate]
                n = sum(t[s][1] for s in dens)
                count = sum(t[s][1] for s in nums) if not case.get("weighted") else fl * n
                row["wilson"][rate] = wilson(count, n)
            else:
                row["wilson"][rate] = None
        groups.append(row)

    # Overall: every row.
    all_t = {k: [sum(t[k][0] for t in tal.values()), sum(t[k][1] for t in tal.values())] for k in ("tp", "fp", "tn", "fn", "sel", "rej")}
    overall_row = {"rates": {}, "wilson": {}}
    for rate in RATES:
        ours = rate_of(all_t, rate) if (labelled or rate == "selection_rate") else None
        overall_row["rates"][rate] = float(overall[rate]) if ours is not None else None
        if ours is not None:
            nums, dens = SLOTS[rate]
            n = sum(all_t[s][1] for s in dens)
            count = sum(all_t[s][1] for s in nums) if not case.get("weighted") else float(overall[rate]) * n
            overall_row["wilson"][rate] = wilson(count, n)
        else:
            overall_row["wilson"][rate] = None

    def masked(rate):
        """Fairlearn's by_group column with probity's exclusions set to NaN."""
        col = by_group[[rate]].copy()
        for ix in col.index:
            key = tuple(key_of(ix, ncols))
            if key not in tal:
                continue  # already NaN (empty intersection)
            size = sum(v[0] for v in tal[key].values())
            if size < min_size or not defined[(key, rate)]:
                col.loc[ix, rate] = np.nan
        return col

    ref = tuple(case["reference_group"]) if case.get("reference_group") else None
    ref_ix = None
    if ref is not None:
        ref_ix = next(ix for ix in by_group.index if tuple(key_of(ix, ncols)) == ref)

    def component(rate, kind, method):
        col = masked(rate)
        values = col[rate].dropna()
        if method == "to_reference":
            ref_size = sum(v[0] for v in tal[ref].values())
            if ref_size < min_size or not defined[(ref, rate)]:
                return None
            r = float(by_group.loc[ref_ix, rate])
            others = [float(v) for ix, v in values.items() if ix != ref_ix]
            if len(others) < 1:
                return None
            if kind == "difference":
                return max(abs(v - r) for v in others)
            folded = [fold_below_one(v / r) if r != 0 else (0.0 if v != 0 else None) for v in others]
            folded = [f for f in folded if f is not None]
            return min(folded) if folded else None
        if len(values) < 2:
            return None
        result = DisaggregatedResult(overall[[rate]], col)
        value = result.difference(method=method)[rate] if kind == "difference" else result.ratio(method=method)[rate]
        return num(value)

    def disparate_impact(method):
        col = masked("selection_rate")["selection_rate"].dropna()
        if method == "between_groups":
            if len(col) < 2 or col.max() == 0:
                return None
            return float(col.min() / col.max())
        ref_size = sum(v[0] for v in tal[ref].values())
        r = float(by_group.loc[ref_ix, "selection_rate"])
        others = [float(v) for ix, v in col.items() if ix != ref_ix]
        if ref_size < min_size or len(others) < 1 or r == 0:
            return None
        return min(others) / r

    def fairlearn_disparity(metric, method, agg):
        if method == "to_reference":
            return None
        if metric == "disparate_impact":
            return fairlearn_value(demographic_parity_ratio(y_true, y_pred, sensitive_features=sf, sample_weight=weights)) if method == "between_groups" else None
        fn = FAIRLEARN_FUNCTIONS.get(metric)
        kwargs = {"sensitive_features": sf, "sample_weight": weights, "method": method}
        if fn is not None:
            if metric.startswith("equalized_odds"):
                kwargs["agg"] = agg
            return fairlearn_value(fn(y_true, y_pred, **kwargs))
        base, kind = metric.rsplit("_", 1)
        rate = MEASURES[base][0]
        frame = MetricFrame(metrics={rate: RATES[rate]}, y_true=y_true, y_pred=y_pred, sensitive_features=sf, sample_params={rate: {"sample_weight": weights}})
        value = frame.difference(method=method) if kind == "difference" else frame.ratio(method=method)
        return fairlearn_value(value[rate])

    disparities = []
    metrics = LABELLED_METRICS if labelled else SELECTION_METRICS
    methods = ["between_groups", "to_overall"] + (["to_reference"] if ref else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # recorded once above
        for metric in metrics:
            for method in methods:
                if metric == "disparate_impact" and method == "to_overall":
                    continue
                aggs = ["worst_case", "mean"] if metric.startswith("equalized_odds") else [None]
                for agg in aggs:
                    if metric == "disparate_impact":
                        expected = disparate_impact(method)
                    else:
                        base, kind = metric.rsplit("_", 1)
                        parts = [component(rate, kind, method) for rate in MEASURES[base]]
                        if any(p is None for p in parts):
                            expected = None
                        elif len(parts) == 1:
                            expected = parts[0]
                        elif agg == "worst_case":
                            expected = max(parts) if kind == "difference" else min(parts)
                        else:
                            expected = pd.Series(parts).mean()
                    fl = fairlearn_disparity(metric, method, agg)
                    entry = {"metric": metric, "method": method, "expected": num(expected), "fairlearn": fl}
                    if agg:
                        entry["agg"] = agg
                    entry["matches_fairlearn"] = bool(fl is not None and (
                        (fl == "nan" and expected is None) or (fl != "nan" and expected is not None and abs(fl - expected) <= 1e-15)
                    ))
                    disparities.append(entry)

    # Reference comparisons (AIF360 / Aequitas style), every rate.
    reference = []
    if ref is not None:
        for row in groups:
            comparisons = {}
            for rate in RATES:
                g, r = row["rates"][rate], next(x for x in groups if tuple(x["group"]) == ref)["rates"][rate]
                if g is None or r is None:
                    comparisons[rate] = {"difference": None, "ratio": None}
                else:
                    comparisons[rate] = {"difference": g - r, "ratio": (g / r) if r != 0 else None}
            reference.append({"group": row["group"], "comparisons": comparisons})

    # Independence of group and decision over groups of at least min_group_size.
    tested = [t for key, t in tal.items() if sum(v[0] for v in t.values()) >= min_size and sum(v[0] for v in t.values()) > 0]
    independence = {"groups": len(tested)}
    if len(tested) >= 2:
        rows_total = sum(sum(v[1] for v in t.values()) for t in tested)
        weight_total = sum(sum(v[0] for v in t.values()) for t in tested)
        weighted = bool(case.get("weighted"))
        scale = rows_total / weight_total if weighted else 1.0
        table = np.array([[(t["tp"][0] + t["fp"][0] + t["sel"][0]) * scale, (t["tn"][0] + t["fn"][0] + t["rej"][0]) * scale] for t in tested])
        row_sums, col_sums = table.sum(axis=1), table.sum(axis=0)
        min_expected = float((np.outer(row_sums, col_sums) / table.sum()).min())
        independence["min_expected"] = min_expected
        if len(tested) == 2 and not weighted and min_expected < 5:
            res = fisher_exact(table.astype(np.int64))
            independence.update(test="fisher_exact", p_value=float(res.pvalue), odds_ratio=num(res.statistic) if np.isfinite(res.statistic) else None)
        else:
            independence["test"] = "chi_square"
            independence["low_expected_counts"] = min_expected < 5
            try:
                res = chi2_contingency(table, correction=False)
                independence.update(statistic=float(res.statistic), dof=int(res.dof), p_value=float(res.pvalue))
            except ValueError as e:
                independence.update(statistic=None, dof=None, p_value=None, scipy_error=str(e))
    else:
        independence.update(test="chi_square", p_value=None)

    return {
        "name": case["name"],
        "description": case["description"],
        "group_columns": case["group_columns"],
        "cells": case["cells"],
        "labelled": labelled,
        "weighted": bool(case.get("weighted")),
        "min_group_size": min_size,
        "confidence": CONFIDENCE,
        "reference_group": case.get("reference_group"),
        "fairlearn_warnings": caught,
        "groups": groups,
        "overall": overall_row,
        "empty_intersections": empty,
        "disparities": disparities,
        "reference": reference,
        "independence": independence,
    }


def main():
    cases = [run_case(case) for case in CASES]
    doc = {
        "generator": "tests/oracle/fairness_oracle.py",
        "versions": {
            "python": platform.python_version(),
            "fairlearn": fairlearn.__version__,
            "scikit-learn": sklearn.__version__,
            "scipy": scipy.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "statsmodels": statsmodels.__version__,
        },
        "sources": {
            "rates": "fairlearn.metrics.MetricFrame (selection_rate, true/false positive/negative rates) with "
            "sklearn precision_score and accuracy_score",
            "disparities": "fairlearn *_difference / *_ratio functions and MetricFrame.difference / .ratio; expected "
            "values mask probity's exclusions and reuse DisaggregatedResult.difference / .ratio",
            "wilson": "statsmodels.stats.proportion.proportion_confint(method='wilson')",
            "independence": "scipy.stats.chi2_contingency(correction=False), scipy.stats.fisher_exact",
        },
        "cases": cases,
    }
    OUT.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
