#!/usr/bin/env python3
"""Peer: bench/suite20.yaml as ONE hand-written DuckDB SQL query.

Every metric of the 20 checks comes from a single aggregate over the Parquet
file (DuckDB prunes it to the 12 columns named); the thresholds are then
applied in Python. Prints the verdicts as JSON (see common.py).

    venv/bin/python bench/peers/duckdb_sql.py [--data PATH] [--now TIME]

Notes on equivalence with probity:
- unique: count(DISTINCT application_id) = count(application_id), i.e. no key
  seen twice (probity: a GROUP BY of the key; the same verdict).
- quantile_cont(score, 0.95) is exact with linear interpolation, as probity's
  `quantile` (DataFusion's percentile_cont) and polars' quantile("linear").
- regexp_matches uses RE2 (probity: Rust's regex crate); same pattern, anchored.
- length() counts characters, as probity's `length` does.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

import duckdb  # noqa: E402

a = common.args()

terms = ", ".join(str(t) for t in common.TERMS)
countries = ", ".join(f"'{c}'" for c in common.COUNTRIES)
purposes = ", ".join(f"'{p}'" for p in common.PURPOSES)
SQL = f"""
SELECT
  count(*)                                                     AS n_rows,
  count(*) - count(loan_id)                                    AS loan_id_nulls,
  count(*) - count(customer_id)                                AS customer_id_nulls,
  count(application_id) - count(DISTINCT application_id)       AS application_id_dups,
  count(*) - count(income)                                     AS income_nulls,
  count(*) FILTER (WHERE NOT (amount BETWEEN 0 AND 1e7))       AS amount_bad,
  count(*) FILTER (WHERE NOT (age BETWEEN 18 AND 100))         AS age_bad,
  count(*) FILTER (WHERE NOT (score BETWEEN 0 AND 1))          AS score_bad,
  count(*) FILTER (WHERE NOT (income BETWEEN 0 AND 1e7))       AS income_bad,
  count(*) FILTER (WHERE term_months NOT IN ({terms}))         AS term_bad,
  count(*) FILTER (WHERE country NOT IN ({countries}))         AS country_bad,
  count(*) FILTER (WHERE purpose NOT IN ({purposes}))          AS purpose_bad,
  count(email)                                                 AS email_n,
  count(*) FILTER (WHERE NOT regexp_matches(email, '{common.EMAIL_RE}')) AS email_bad,
  count(*) FILTER (WHERE NOT (length(purpose) BETWEEN 3 AND 20)) AS purpose_len_bad,
  avg(amount)                                                  AS amount_mean,
  stddev_samp(income)                                          AS income_stddev,
  quantile_cont(score, 0.95)                                   AS score_q95,
  count(DISTINCT country)                                      AS country_distinct,
  count(amount <= income * 10)                                 AS cond_n,
  count(*) FILTER (WHERE NOT (amount <= income * 10))          AS cond_bad,
  epoch_us(max(applied_at))                                    AS newest_us
FROM read_parquet('{a.data}')
"""
con = duckdb.connect()
row = con.execute(SQL).fetchone()
m = dict(zip([d[0] for d in con.description], row))
print(m, file=sys.stderr)


def mostly(bad, n, share):
    return n > 0 and (n - bad) / n >= share


newest_us = int(a.fresh_after.timestamp() * 1_000_000)
common.emit({
    "loans.row_count": m["n_rows"] >= 1000,
    "loans.not_null.loan_id": m["loan_id_nulls"] == 0,
    "loans.not_null.customer_id": m["customer_id_nulls"] == 0,
    "loans.unique.application_id": m["application_id_dups"] == 0,
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
    "loans.freshness.applied_at": m["newest_us"] >= newest_us,
})
