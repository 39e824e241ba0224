#!/usr/bin/env python3
"""Generate tests/oracle/drift_cases.json: reference numbers for src/stats.

Every case stores its inputs as the Rust code receives them (numeric samples
as sorted distinct values with counts) and the outputs of the reference
implementation (scipy, numpy, statsmodels) for the function under test. The
Rust tests in src/stats/oracle_tests.rs replay them.

Deterministic: one numpy Generator with a fixed seed, cases drawn in a fixed
order, and the library versions recorded in the output. Regenerate with

    pip install scipy numpy statsmodels
    python3 tests/oracle/drift_oracle.py

and review the diff of drift_cases.json (a new scipy may move the last digits).

Every float is written as a string holding Python's shortest round-trip repr
("0.1", "-0.43000000000000116", "inf"): serde_json's default number parser is
not correctly rounded for some 17-digit decimals, and a 1-ulp change in an
input can move a value across a bin edge. Rust parses the strings with
`str::parse::<f64>`, which is exact.
"""

import json
import math
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy
import scipy.special as sc
import statsmodels
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.stats import _ksstats
from scipy.stats.contingency import association
from statsmodels.stats.proportion import proportions_ztest

SEED = 20240611
PSI_EPSILON = 1e-4
OUT = Path(__file__).with_name("drift_cases.json")

rng = np.random.default_rng(SEED)


def num(x):
    """A float for JSON, as its exact shortest decimal string (see the module docs)."""
    x = float(x)
    if math.isnan(x):
        raise ValueError("NaN in oracle output")
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def nums(xs):
    return [num(x) for x in xs]


def parse(xs):
    return np.asarray([float(x) for x in xs], dtype=float)


def value_counts(sample):
    values, counts = np.unique(np.asarray(sample, dtype=float), return_counts=True)
    return {"values": nums(values), "counts": [int(c) for c in counts]}


def expand(vc):
    return np.repeat(parse(vc["values"]), np.asarray(vc["counts"], dtype=np.int64))


# ---------------------------------------------------------------------------
# Kolmogorov-Smirnov, two samples


def ks_case(name, a, b):
    a, b = value_counts(a), value_counts(b)
    x, y = expand(a), expand(b)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = stats.ks_2samp(x, y, alternative="two-sided", method="auto")
    fell_back = any("Exact calculation unsuccessful" in str(w.message) for w in caught)
    exact = max(len(x), len(y)) <= 10000 and not fell_back
    return {
        "name": name,
        "a": a,
        "b": b,
        "statistic": num(res.statistic),
        "p_value": num(res.pvalue),
        "method": "exact" if exact else "asymp",
    }


def ks_cases():
    cases = []
    normal = rng.normal(0, 1, 200).round(1)
    cases.append(ks_case("identical_rounded_normal", normal, normal))
    cases.append(ks_case("n1_m1_same", [3.0], [3.0]))
    cases.append(ks_case("n1_m1_different", [1.0], [2.0]))
    cases.append(ks_case("n1_vs_m5", [0.5], rng.normal(0, 1, 5).round(2)))
    cases.append(ks_case("n2_vs_m3", [0.1, 0.7], [0.2, 0.3, 0.9]))
    cases.append(ks_case("n2_vs_m2_ties", [1.0, 1.0], [1.0, 2.0]))
    cases.append(ks_case("poisson_ties", rng.poisson(3.0, 300), rng.poisson(3.5, 250)))
    cases.append(ks_case("normal_shift_unequal", rng.normal(0, 1, 1000).round(2), rng.normal(0.1, 1, 700).round(2)))
    cases.append(ks_case("disjoint_supports", rng.uniform(0, 1, 50).round(3), rng.uniform(5, 6, 80).round(3)))
    cases.append(
        ks_case("cauchy_heavy_tails", rng.standard_cauchy(2000).round(2), (1.2 * rng.standard_cauchy(1500)).round(2))
    )
    cases.append(ks_case("lognormal", rng.lognormal(0, 1, 3000).round(2), rng.lognormal(0.05, 1, 2500).round(2)))
    cases.append(ks_case("constant_both", [5.0] * 100, [5.0] * 40))
    cases.append(ks_case("constant_vs_varied", [5.0] * 100, rng.normal(5, 1, 60).round(1)))
    cases.append(ks_case("equal_sizes_small", rng.normal(0, 1, 30).round(1), rng.normal(0.5, 1, 30).round(1)))
    cases.append(ks_case("exact_far_apart", rng.normal(0, 1, 5000).round(2), rng.normal(0.5, 1, 3000).round(2)))
    # Around the exact / asymptotic switch at max(n, m) = 10000.
    cases.append(
        ks_case("exact_n10000_m10000", rng.normal(0, 1, 10000).round(2), rng.normal(0.02, 1, 10000).round(2))
    )
    cases.append(ks_case("exact_n9999_m10000", rng.normal(0, 1, 9999).round(2), rng.normal(0.03, 1, 10000).round(2)))
    cases.append(ks_case("asymp_n10000_m10001", rng.normal(0, 1, 10000).round(2), rng.normal(0, 1, 10001).round(2)))
    # en = 10001 / 2 = 5000.5 rounds half to even.
    cases.append(ks_case("asymp_n10001_m10001", rng.normal(0, 1, 10001).round(2), rng.normal(0, 1, 10001).round(2)))
    for shift, label in [(0.0, "same"), (0.04, "shift"), (0.08, "shift_more"), (1.0, "far")]:
        cases.append(
            ks_case(
                f"asymp_n9000_m12000_{label}",
                rng.normal(0, 1, 9000).round(2),
                rng.normal(shift, 1, 12000).round(2),
            )
        )
    # A small effective size (en = 100 * 20000 / 20100, rounds to 100) takes
    # kolmogn's n <= 140 branches: Durbin matrix, Pomeranz, Smirnov.
    for shift in [0.0, 0.15, 0.3, 0.6]:
        cases.append(
            ks_case(
                f"asymp_n100_m20000_shift{shift}",
                rng.normal(shift, 1, 100).round(2),
                rng.normal(0, 1, 20000).round(2),
            )
        )
    cases.append(ks_case("asymp_n3_m20000", [0.1, 0.2, 5.0], rng.normal(0, 1, 20000).round(2)))
    # Random small and medium cases (exact branch), with ties from rounding.
    for i in range(40):
        n, m = (int(k) for k in rng.integers(1, 400, size=2))
        if i % 5 == 0:
            m = n
        kind = i % 3
        shift = float(rng.uniform(0, 0.8))
        if kind == 0:
            a, b = rng.normal(0, 1, n).round(1), rng.normal(shift, 1, m).round(1)
        elif kind == 1:
            a, b = rng.poisson(4, n), rng.poisson(4 + 3 * shift, m)
        else:
            a, b = rng.integers(0, 20, n), rng.integers(0, 20 + int(10 * shift), m)
        cases.append(ks_case(f"random_{i}_n{n}_m{m}", a, b))
    return cases


# ---------------------------------------------------------------------------
# The Kolmogorov distributions


def kolmogorov_cases():
    ns = [1, 2, 3, 5, 10, 20, 37, 80, 100, 140, 141, 200, 500, 1000, 5000, 5143, 20000, 99999, 100000, 100001,
          250000, 1000000, 1000001, 3000000]
    rows = []
    for n in ns:
        r = math.sqrt(n)
        ds = [0.4 / n, 0.5 / n, 0.75 / n, 1.0 / n, 1.5 / n, 3.0 / n]
        # Smirnov's sum costs O(n) (about a second at n = 1e6, in scipy too):
        # keep few points where it runs for the largest n.
        ks = (0.3, 0.6, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0, 3.0, 4.5, 10.0, 20.0)
        if 200000 <= n <= 1000000:
            ks = (0.3, 0.6, 0.8, 1.0, 1.2, 2.0, 20.0)
        ds += [k / r for k in ks]
        ds += [0.3, 0.49, 0.5, 0.7, 0.999, 1.0]
        if n > 1:
            ds.append((n - 1) / n + 0.5 / n)
        for d in sorted(set(d for d in ds if 0 <= d <= 1)):
            rows.append({"n": n, "d": num(d), "sf": num(stats.kstwo.sf(d, n)), "cdf": num(stats.kstwo.cdf(d, n))})
    return rows


def kolmogorov_branch_cases():
    """The three exact/approximate CDF methods, each beyond the region where _kolmogn picks it."""
    rows = []
    for n in [5, 50, 140, 1000, 20000]:
        for k in [1.2, 2.0, 3.5, 7.0, 15.0]:
            x = k / n
            if x < 1:
                rows.append({"method": "dmtw", "n": n, "x": num(x), "cdf": num(_ksstats._kolmogn_DMTW(n, x, cdf=True))})
    for n in [3, 10, 50, 140, 300]:
        for x in [1.3 / n, 0.1, 0.2, 0.35, 0.45]:
            if x * n > 1:
                rows.append(
                    {"method": "pomeranz", "n": n, "x": num(x), "cdf": num(_ksstats._kolmogn_Pomeranz(n, x, cdf=True))}
                )
    for n in [200, 5000, 100000, 1000000]:
        for z in [0.2, 0.5, 0.8, 1.2, 2.0, 3.0]:
            x = z / math.sqrt(n)
            cdf = _ksstats._kolmogn_PelzGood(n, x, cdf=True)
            rows.append({"method": "pelz_good", "n": n, "x": num(x), "cdf": num(cdf)})
    return rows


def kolmogorov_quantile_cases():
    rows = []
    for n in [1, 2, 5, 10, 100, 1000, 10000]:
        for p in [0.0, 1e-10, 0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 1 - 1e-12, 1.0]:
            rows.append({"n": n, "p": num(p), "ppf": num(stats.kstwo.ppf(p, n)), "isf": num(stats.kstwo.isf(p, n))})
    return rows


def smirnov_cases():
    rows = []
    for n in [1, 2, 5, 10, 11, 50, 100, 1000, 20000, 1000000, 1000001]:
        r = math.sqrt(n)
        ds = [0.0, 0.3 / n, 1.0 / n, 1.7 / n, 0.2 / r, 0.5 / r, 1.0 / r, 2.0 / r, 4.0 / r, 0.3, 0.5, 0.9, 1.0]
        if n == 1000000:
            ds = [0.0, 0.3 / n, 1.0 / n, 2.0 / r, 0.3, 0.5, 0.9, 1.0]
        if n > 1:
            ds.append(1 - 1.0 / n)
            ds.append(1 - 0.5 / n)
        for d in sorted(set(d for d in ds if 0 <= d <= 1)):
            rows.append({"n": n, "d": num(d), "sf": num(sc.smirnov(n, d))})
    return rows


def kolmogorov_limit_cases():
    xs = [0.0, 0.03, 0.0406, 0.05, 0.1, 0.2, 0.5, 0.8, 0.82, 0.83, 1.0, 1.36, 2.0, 3.0, 5.0, 10.0, 30.0]
    return [{"x": num(x), "sf": num(sc.kolmogorov(x))} for x in xs]


# ---------------------------------------------------------------------------
# Chi-square


def chi2_gof_case(name, observed, proportions):
    observed = [int(o) for o in observed]
    p = np.asarray(proportions, dtype=float)
    n = sum(observed)
    f_exp = p / p.sum() * n
    keep = f_exp > 0
    obs = np.asarray(observed, dtype=float)
    if np.any(obs[~keep] > 0):
        # Documented convention: an observation on a zero expectation.
        statistic, p_value, dof = math.inf, 0.0, int(keep.sum()) - 1
    elif keep.sum() == 1:
        # Documented convention: a single category cannot differ.
        statistic, p_value, dof = 0.0, 1.0, 0
    else:
        res = stats.chisquare(obs[keep], f_exp=f_exp[keep])
        statistic, p_value, dof = res.statistic, res.pvalue, int(keep.sum()) - 1
    return {
        "name": name,
        "observed": observed,
        "proportions": nums(p),
        "statistic": num(statistic),
        "p_value": num(p_value),
        "dof": dof,
        "cohens_w": num(math.sqrt(statistic / n)),
    }


def chi2_gof_cases():
    cases = [
        chi2_gof_case("dice", [16, 18, 16, 14, 12, 12], [1 / 6] * 6),
        chi2_gof_case("two_categories", [45, 55], [0.5, 0.5]),
        chi2_gof_case("perfect_fit", [10, 20, 30], [1 / 6, 2 / 6, 3 / 6]),
        chi2_gof_case("unnormalised_proportions", [30, 25, 45], [2.0, 3.0, 5.0]),
        chi2_gof_case("zero_expected_zero_observed", [30, 0, 70], [0.3, 0.0, 0.7]),
        chi2_gof_case("zero_expected_observed", [30, 2, 68], [0.3, 0.0, 0.7]),
        chi2_gof_case("single_category", [42], [1.0]),
        chi2_gof_case(
            "large_n_small_shift", rng.multinomial(1_000_000, [0.25, 0.25, 0.25, 0.25]), [0.26, 0.25, 0.25, 0.24]
        ),
    ]
    for i in range(20):
        k = int(rng.integers(2, 16))
        reference = rng.dirichlet(np.ones(k))
        drift = rng.dirichlet(np.ones(k)) * float(rng.uniform(0, 0.3))
        current = (reference + drift) / (reference + drift).sum()
        n = int(rng.integers(20, 100_000))
        # Reference proportions smoothed as the drift check does it.
        ref_counts = rng.multinomial(int(rng.integers(50, 10_000)), reference)
        smoothed = (ref_counts + PSI_EPSILON) / (ref_counts + PSI_EPSILON).sum()
        cases.append(chi2_gof_case(f"random_{i}_k{k}_n{n}", rng.multinomial(n, current), smoothed))
    return cases


def chi2_reference_case(name, current, reference):
    """The drift check's chi2: current counts against a reference sample's
    proportions. With every current category in the reference this is scipy's
    chisquare exactly; a category absent from the reference gets the
    documented proportion PSI_EPSILON (then all are renormalised)."""
    current = [int(c) for c in current]
    reference = [int(r) for r in reference]
    ref = np.asarray(reference, dtype=float)
    p = ref / ref.sum()
    absent = ref == 0
    scipy_exact = not absent.any()
    if not scipy_exact:
        p = np.where(absent, PSI_EPSILON, p)
        p = p / p.sum()
    case = chi2_gof_case(name, current, p)
    del case["proportions"]
    case["reference"] = reference
    case["current"] = case.pop("observed")
    case["scipy_exact"] = bool(scipy_exact)
    return case


def chi2_reference_cases():
    local = np.random.default_rng(SEED + 1)  # own stream: earlier cases keep theirs
    cases = [
        # A category with a reference share of 4e-5 (rare, not absent): exactly
        # scipy's chisquare; flooring it at 1e-4 moved the statistic by about 1%.
        chi2_reference_case("rare_4e-5", [39_990, 30_000, 29_990, 20], [40_000, 35_000, 24_996, 4]),
        chi2_reference_case("rare_1e-6", [500_000, 499_990, 10], [500_000, 499_999, 1]),
        chi2_reference_case("rare_both_sides", [9_000, 1_000, 3, 2], [90_000, 9_990, 6, 4]),
        chi2_reference_case("no_change", [400, 300, 300], [4_000, 3_000, 3_000]),
        # Absent from the reference: the documented floor, a large finite statistic.
        chi2_reference_case("absent_in_reference", [500, 480, 20], [5_000, 5_000, 0]),
        chi2_reference_case("absent_and_rare", [500, 470, 20, 10], [50_000, 49_996, 0, 4]),
        chi2_reference_case("absent_in_current", [500, 500, 0], [5_000, 4_990, 10]),
    ]
    for i in range(10):
        k = int(local.integers(3, 12))
        shares = local.dirichlet(np.ones(k))
        shares[0] = 4e-5  # one rare category
        shares = shares / shares.sum()
        reference = local.multinomial(int(local.integers(100_000, 2_000_000)), shares)
        reference[0] = max(int(reference[0]), 1)
        current = local.multinomial(int(local.integers(1_000, 200_000)), shares)
        cases.append(chi2_reference_case(f"random_rare_{i}_k{k}", current, reference))
    return cases


def contingency_case(name, table, correction):
    table = [[int(x) for x in row] for row in table]
    t = np.asarray(table)
    reduced = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if min(reduced.shape) == 1:
        statistic, p_value, dof, v = 0.0, 1.0, 0, 0.0
    else:
        res = stats.chi2_contingency(reduced, correction=correction)
        statistic, p_value, dof = res.statistic, res.pvalue, int(res.dof)
        v = association(reduced, method="cramer", correction=False)
    return {
        "name": name,
        "table": table,
        "correction": correction,
        "statistic": num(statistic),
        "p_value": num(p_value),
        "dof": dof,
        "cramers_v": num(v),
    }


def contingency_cases():
    tables = [
        ("two_by_two", [[10, 20], [30, 5]]),
        ("two_by_two_small_differences", [[5, 5], [5, 6]]),
        ("two_by_two_independent", [[10, 20], [20, 40]]),
        ("three_by_four", [[12, 7, 30, 2], [8, 9, 25, 5], [20, 3, 10, 9]]),
        ("empty_column_dropped", [[10, 0, 20], [30, 0, 5]]),
        ("empty_row_dropped", [[10, 20], [0, 0], [30, 5]]),
        ("single_row", [[3, 4, 5]]),
        ("large_counts", [[500_000, 300_000, 200_000], [498_000, 301_500, 200_500]]),
    ]
    cases = []
    for name, table in tables:
        cases.append(contingency_case(name, table, False))
        cases.append(contingency_case(name + "_yates", table, True))
    for i in range(15):
        k = int(rng.integers(2, 10))
        p = rng.dirichlet(np.ones(k))
        q = (p + rng.dirichlet(np.ones(k)) * float(rng.uniform(0, 0.2)))
        q /= q.sum()
        table = [rng.multinomial(int(rng.integers(30, 50_000)), p), rng.multinomial(int(rng.integers(30, 50_000)), q)]
        cases.append(contingency_case(f"random_{i}_2x{k}", table, i % 3 == 0))
    return cases


# ---------------------------------------------------------------------------
# PSI over reference quantile bins


def psi_from_counts(rc, cc, eps):
    rc, cc = np.asarray(rc, dtype=float), np.asarray(cc, dtype=float)
    r, c = rc / rc.sum(), cc / cc.sum()
    r[rc == 0] = eps
    c[cc == 0] = eps
    return float(np.sum((c - r) * np.log(c / r)))


def psi_case(name, reference, current, bins, eps=PSI_EPSILON):
    ref, cur = value_counts(reference), value_counts(current)
    x, y = expand(ref), expand(cur)
    qs = np.array([i / bins for i in range(1, bins)], dtype=float)
    edges = np.unique(np.quantile(x, qs, method="linear")) if bins > 1 else np.array([], dtype=float)
    rc = np.bincount(np.searchsorted(edges, x, side="left"), minlength=len(edges) + 1)
    cc = np.bincount(np.searchsorted(edges, y, side="left"), minlength=len(edges) + 1)
    return {
        "name": name,
        "reference": ref,
        "current": cur,
        "bins": bins,
        "epsilon": num(eps),
        "edges": nums(edges),
        "reference_counts": [int(c) for c in rc],
        "current_counts": [int(c) for c in cc],
        "psi": num(psi_from_counts(rc, cc, eps)),
    }


def psi_cases():
    cases = [
        psi_case("normal_shift", rng.normal(0, 1, 5000).round(2), rng.normal(0.3, 1, 4000).round(2), 10),
        psi_case("identical", *(2 * [rng.normal(0, 1, 1000).round(1)]), 10),
        psi_case("poisson_ties_dedup_edges", rng.poisson(2, 3000), rng.poisson(2.4, 2000), 10),
        psi_case("constant_reference", [7.0] * 50, rng.normal(7, 1, 80).round(1), 10),
        psi_case(
            "current_outside_reference_range", rng.uniform(0, 1, 500).round(3), rng.uniform(2, 3, 300).round(3), 5
        ),
        psi_case("reference_n1", [0.5], [0.1, 0.5, 0.9, 1.5], 10),
        psi_case("one_bin", rng.normal(0, 1, 100).round(1), rng.normal(3, 1, 100).round(1), 1),
        psi_case("lognormal_20_bins", rng.lognormal(0, 1, 8000).round(2), rng.lognormal(0.1, 1.1, 6000).round(2), 20),
        psi_case("cauchy", rng.standard_cauchy(3000).round(1), rng.standard_cauchy(3000).round(1), 10),
        psi_case("epsilon_1e-6", rng.integers(0, 5, 400), rng.integers(2, 8, 400), 4, 1e-6),
    ]
    for i in range(10):
        n, m = (int(k) for k in rng.integers(2, 3000, size=2))
        bins = int(rng.integers(2, 25))
        cases.append(
            psi_case(
                f"random_{i}_bins{bins}",
                rng.gamma(2.0, 1.0, n).round(1),
                rng.gamma(2.0 + float(rng.uniform(0, 0.5)), 1.0, m).round(1),
                bins,
            )
        )
    return cases


# ---------------------------------------------------------------------------
# Jensen-Shannon, Wasserstein


def js_case(name, p, q):
    return {"name": name, "p": nums(p), "q": nums(q), "distance": num(jensenshannon(p, q))}


def js_cases():
    cases = [
        js_case("identical", [0.2, 0.3, 0.5], [0.2, 0.3, 0.5]),
        js_case("identical_unnormalised", [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]),
        js_case("disjoint", [1.0, 0.0], [0.0, 1.0]),
        js_case("zeros_in_one", [0.5, 0.5, 0.0], [0.3, 0.3, 0.4]),
        js_case("counts", [120, 30, 45, 5], [100, 40, 50, 10]),
        js_case("single_category", [3.0], [5.0]),
    ]
    for i in range(15):
        k = int(rng.integers(2, 40))
        p = rng.multinomial(int(rng.integers(10, 10000)), rng.dirichlet(np.ones(k)))
        q = rng.multinomial(int(rng.integers(10, 10000)), rng.dirichlet(np.ones(k)))
        cases.append(js_case(f"random_{i}_k{k}", p, q))
    return cases


def wasserstein_case(name, a, b):
    a, b = value_counts(a), value_counts(b)
    w = stats.wasserstein_distance(parse(a["values"]), parse(b["values"]), a["counts"], b["counts"])
    if len(a["values"]) == 1:
        std, standardized = 0.0, None
    else:
        std = float(np.std(expand(a), ddof=0))
        standardized = num(w / std)
    return {"name": name, "a": a, "b": b, "distance": num(w), "reference_std": num(std), "standardized": standardized}


def wasserstein_cases():
    cases = [
        wasserstein_case("identical", *(2 * [rng.normal(0, 1, 300).round(1)])),
        wasserstein_case("n1_vs_n1", [1.0], [4.5]),
        wasserstein_case("disjoint", rng.uniform(0, 1, 50).round(2), rng.uniform(10, 11, 70).round(2)),
        wasserstein_case("shared_values", [0, 1, 1, 2, 3], [1, 2, 2, 2, 5]),
        wasserstein_case("constant_reference", [0.1] * 30, rng.normal(0, 1, 40).round(2)),
        wasserstein_case("cauchy", rng.standard_cauchy(2000).round(2), rng.standard_cauchy(1500).round(2)),
        wasserstein_case("lognormal", rng.lognormal(0, 1, 5000).round(3), rng.lognormal(0.2, 1, 4000).round(3)),
        wasserstein_case("poisson", rng.poisson(3, 1000), rng.poisson(3.3, 1200)),
    ]
    for i in range(10):
        n, m = (int(k) for k in rng.integers(1, 2000, size=2))
        cases.append(
            wasserstein_case(
                f"random_{i}_n{n}_m{m}",
                rng.normal(0, 2, n).round(1),
                rng.normal(float(rng.uniform(-1, 1)), 2, m).round(1),
            )
        )
    return cases


# ---------------------------------------------------------------------------
# Proportions and means


def z_case(x1, n1, x2, n2):
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        z, p = 0.0, 1.0  # documented convention; statsmodels gives NaN
    else:
        # (x1, n1) is the reference, (x2, n2) the current sample: current first,
        # so z is positive when the current share went up.
        z, p = proportions_ztest([x2, x1], [n2, n1])
    h = 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))
    return {"x1": x1, "n1": n1, "x2": x2, "n2": n2, "statistic": num(z), "p_value": num(p), "cohens_h": num(h)}


def z_cases():
    cases = [
        z_case(45, 100, 30, 100),
        z_case(5, 20, 15, 25),
        z_case(0, 50, 3, 60),
        z_case(500, 10000, 560, 10000),
        z_case(1, 1, 0, 1),
        z_case(10, 10, 0, 10),
        z_case(0, 10, 0, 20),
        z_case(7, 7, 9, 9),
        z_case(999_999, 1_000_000, 999_990, 1_000_000),
        z_case(123_456, 1_000_000, 124_000, 1_100_000),
    ]
    for _ in range(10):
        n1, n2 = (int(k) for k in rng.integers(1, 100_000, size=2))
        x1 = int(rng.binomial(n1, 0.3))
        x2 = int(rng.binomial(n2, 0.3 + float(rng.uniform(-0.05, 0.05))))
        cases.append(z_case(x1, n1, x2, n2))
    return cases


def welch_case(name, a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    m1, v1, n1 = float(a.mean()), float(a.var(ddof=1)), len(a)
    m2, v2, n2 = float(b.mean()), float(b.var(ddof=1)), len(b)
    # a is the reference, b the current sample: scipy's ttest_ind(current, reference),
    # so t is positive when the current mean went up.
    # (from the same summary statistics the Rust side receives).
    res = stats.ttest_ind_from_stats(m2, math.sqrt(v2), n2, m1, math.sqrt(v1), n1, equal_var=False)
    vn1, vn2 = v1 / n1, v2 / n2
    dof = (vn1 + vn2) ** 2 / (vn1**2 / (n1 - 1) + vn2**2 / (n2 - 1))
    pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    g = (m2 - m1) / pooled * (1 - 3 / (4 * (n1 + n2) - 9))
    return {
        "name": name,
        "mean1": num(m1),
        "var1": num(v1),
        "n1": n1,
        "mean2": num(m2),
        "var2": num(v2),
        "n2": n2,
        "statistic": num(res.statistic),
        "dof": num(dof),
        "p_value": num(res.pvalue),
        "hedges_g": num(g),
    }


def welch_cases():
    cases = [
        welch_case("n2_each", [1.0, 2.0], [2.5, 4.0]),
        welch_case("one_constant", [3.0] * 5, rng.normal(3.5, 1, 9)),
        welch_case("unequal_variances", rng.normal(0, 1, 50), rng.normal(0.5, 5, 20)),
        welch_case("large_n_tiny_shift", rng.normal(100, 10, 100_000), rng.normal(100.1, 10, 80_000)),
        welch_case("lognormal", rng.lognormal(0, 1, 3000), rng.lognormal(0.05, 1, 2000)),
        welch_case("far_apart", rng.normal(0, 1, 30), rng.normal(10, 1, 30)),
    ]
    for i in range(10):
        n1, n2 = (int(k) for k in rng.integers(2, 5000, size=2))
        cases.append(
            welch_case(
                f"random_{i}",
                rng.normal(0, float(rng.uniform(0.5, 3)), n1),
                rng.normal(float(rng.uniform(-0.5, 0.5)), 1, n2),
            )
        )
    return cases


# ---------------------------------------------------------------------------
# Benjamini-Hochberg


def bh_cases():
    inputs = [
        [],
        [0.3],
        [0.5, 0.6, 0.1, 0.001],
        [0.0, 1.0, 0.5, 0.5, 0.02],
        [0.01] * 5,
    ]
    for _ in range(10):
        m = int(rng.integers(2, 60))
        ps = rng.uniform(0, 1, m) ** float(rng.uniform(1, 4))
        if m > 5:
            ps[:3] = ps[3]  # ties
        inputs.append([float(p) for p in ps])
    return [
        {"p_values": nums(ps), "adjusted": nums(stats.false_discovery_control(ps, method="bh"))} for ps in inputs
    ]


def main():
    cases = {
        "generator": "tests/oracle/drift_oracle.py",
        "seed": SEED,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__,
        },
        "ks_2samp": ks_cases(),
        "kolmogorov": kolmogorov_cases(),
        "kolmogorov_branches": kolmogorov_branch_cases(),
        "kolmogorov_quantiles": kolmogorov_quantile_cases(),
        "smirnov": smirnov_cases(),
        "kolmogorov_limit": kolmogorov_limit_cases(),
        "chi2_goodness_of_fit": chi2_gof_cases(),
        "chi2_against_reference": chi2_reference_cases(),
        "chi2_contingency": contingency_cases(),
        "psi": psi_cases(),
        "jensen_shannon": js_cases(),
        "wasserstein": wasserstein_cases(),
        "two_proportion_z": z_cases(),
        "welch_t": welch_cases(),
        "benjamini_hochberg": bh_cases(),
    }
    text = json.dumps(cases, allow_nan=False, separators=(",", ":"))
    OUT.write_text(text + "\n")
    sizes = {k: len(v) for k, v in cases.items() if isinstance(v, list)}
    print(f"wrote {OUT} ({len(text) / 1e6:.2f} MB): {sizes}", file=sys.stderr)


if __name__ == "__main__":
    main()
