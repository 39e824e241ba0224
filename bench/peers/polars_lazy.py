#!/usr/bin/env python3
"""Peer: bench/suite20.yaml as ONE hand-written polars lazy query.

`scan_parquet(...).select(<every metric>)`, collected once (polars prunes the
scan to the 12 columns named and evaluates the expressions in parallel); the
thresholds are then applied in Python. Prints the verdicts as JSON (see
common.py).

    venv/bin/python bench/peers/polars_lazy.py [--data PATH] [--now TIME]

Notes on equivalence with probity:
- quantile: the exact `quantile(0.95, "linear")`, as probity's `quantile`
  (DataFusion's percentile_cont, linear interpolation).
- unique: `n_unique()` of the key equals its non-null count.
- regex: `str.contains` uses Rust's regex crate, as probity does.
- Null semantics as probity's: comparisons with null are null and are not
  counted as invalid; `count()` counts non-null values.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

import polars as pl  # noqa: E402

a = common.args()
c = pl.col


def bad(pred):
    """Rows where the predicate is false (null predicates are not counted)."""
    return (~pred).sum()


cond = c("amount") <= c("income") * 10
m = (
    pl.scan_parquet(a.data)
    .select(
        n_rows=pl.len(),
        loan_id_nulls=c("loan_id").null_count(),
        customer_id_nulls=c("customer_id").null_count(),
        application_id_n=c("application_id").count(),
        application_id_distinct=c("application_id").drop_nulls().n_unique(),
        income_nulls=c("income").null_count(),
        amount_bad=bad(c("amount").is_between(0, 1e7)),
        age_bad=bad(c("age").is_between(18, 100)),
        score_bad=bad(c("score").is_between(0, 1)),
        income_bad=bad(c("income").is_between(0, 1e7)),
        term_bad=bad(c("term_months").is_in(common.TERMS)),
        country_bad=bad(c("country").is_in(common.COUNTRIES)),
        purpose_bad=bad(c("purpose").is_in(common.PURPOSES)),
        email_n=c("email").count(),
        email_bad=bad(c("email").str.contains(common.EMAIL_RE)),
        purpose_len_bad=bad(c("purpose").str.len_chars().is_between(3, 20)),
        amount_mean=c("amount").mean(),
        income_stddev=c("income").std(ddof=1),
        score_q95=c("score").quantile(0.95, interpolation="linear"),
        country_distinct=c("country").drop_nulls().n_unique(),
        cond_n=cond.count(),
        cond_bad=bad(cond),
        newest=c("applied_at").max(),
    )
    .collect()
    .row(0, named=True)
)
print(m, file=sys.stderr)


def mostly(n_bad, n, share):
    return n > 0 and (n - n_bad) / n >= share


common.emit({
    "loans.row_count": m["n_rows"] >= 1000,
    "loans.not_null.loan_id": m["loan_id_nulls"] == 0,
    "loans.not_null.customer_id": m["customer_id_nulls"] == 0,
    "loans.unique.application_id": m["application_id_distinct"] == m["application_id_n"],
    "loans.missing.income": m["income_nulls"] <= 0.02 * m["n_rows"],
    "loans.between.amount": m["amount_bad"] == 0,
    "loans.between.age": m["age_bad"] == 0,
    "loans.between.score": m["score_bad"] == 0,
    "loans.between.income": m["income_bad"] == 0,
    "loans.in_set.term_months": m["term_bad"] == 0,
    "loans.in_set.country": m["country_bad"] == 0,
    "loans.in_set.purpose": m["purpose_bad"] == 0,
    "loans.regex.email": mostly(m["email_bad"], m["email_n"], 0.99),
    "loans.length.purpose": m["purpose_len_bad"] == 0,
    "loans.stat.amount": 5000 <= m["amount_mean"] <= 20000,
    "loans.stat.income": 1000 <= m["income_stddev"] <= 200000,
    "loans.stat.score": 0.5 <= m["score_q95"] <= 1,
    "loans.stat.country": m["country_distinct"] <= 10,
    "amount_vs_income": mostly(m["cond_bad"], m["cond_n"], 0.95),
    "loans.freshness.applied_at": m["newest"] >= a.fresh_after,
})
