#!/usr/bin/env python3
"""Peer: bench/suite20.yaml as a pandera DataFrameSchema on polars.

The 12 columns the checks name are read with `polars.read_parquet`, then
validated with `schema.validate(df, lazy=True)`, which runs every check and
collects all failures in one SchemaErrors (lazy validation). The verdict of
each of the 20 checks is read from the failures. Prints the verdicts as JSON
(see common.py).

    venv/bin/python bench/peers/pandera_polars.py [--data PATH] [--now TIME]

How each check is written (pandera has no `mostly`, no severity and no
aggregate-level built-ins, so those are custom checks that return one boolean
computed by a polars expression, `pa.Check(fn, name=...)`):
- not_null: `Column(nullable=False)`; unique: `Column(unique=True)`.
- between / in_set / length: the built-ins `Check.in_range`, `Check.isin`,
  `Check.str_length` (element-wise, nulls ignored: `ignore_na=True`, pandera's
  default, as probity ignores nulls in value checks).
- row_count, missing (null share <= 2%), regex with mostly 99%, stat (mean,
  stddev, quantile, distinct count), condition with mostly 95%, freshness:
  custom checks. The regex check is not `Check.str_matches`, which would
  require 100% of values to match. The quantile is polars' exact one: there is
  no approximate quantile in polars.
- freshness is severity warn in the suite: pandera has no severity, so its
  failure is reported as "warn" (common.emit does that for every peer).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

import pandera.polars as pa  # noqa: E402
import polars as pl  # noqa: E402

a = common.args()
c = pl.col


def agg_check(check_id, expr):
    """A check whose result is one boolean: `expr` over the checked column (`pl.col(key)`) or frame."""
    def fn(data):
        key = data.key
        col = c(key) if key != "*" else None
        return data.lazyframe.select(expr(col).alias("ok"))
    return pa.Check(fn, name=check_id)


def mostly(pred, share):
    """pred over non-null values holds for at least `share` of them."""
    return pred.cast(pl.Float64).mean() >= share


CHECK_OF = {}  # (column, pandera check name) -> check id, for built-in checks


def builtin(check_id, column, check):
    CHECK_OF[(column, check.name)] = check_id
    return check


schema = pa.DataFrameSchema(
    {
        "loan_id": pa.Column(pl.Int64, nullable=False),
        "customer_id": pa.Column(pl.Int64, nullable=False),
        "application_id": pa.Column(pl.Utf8, unique=True),
        "income": pa.Column(pl.Float64, nullable=True, checks=[
            agg_check("loans.missing.income", lambda x: x.null_count() <= 0.02 * pl.len()),
            builtin("loans.between.income", "income", pa.Check.in_range(0, 1e7)),
            agg_check("loans.stat.income", lambda x: x.std(ddof=1).is_between(1000, 200000)),
        ]),
        "amount": pa.Column(pl.Float64, checks=[
            builtin("loans.between.amount", "amount", pa.Check.in_range(0, 1e7)),
            agg_check("loans.stat.amount", lambda x: x.mean().is_between(5000, 20000)),
        ]),
        "age": pa.Column(pl.Int64, checks=[builtin("loans.between.age", "age", pa.Check.in_range(18, 100))]),
        "score": pa.Column(pl.Float64, checks=[
            builtin("loans.between.score", "score", pa.Check.in_range(0, 1)),
            agg_check("loans.stat.score",
                      lambda x: x.quantile(0.95, interpolation="linear").is_between(0.5, 1)),
        ]),
        "term_months": pa.Column(pl.Int64, checks=[
            builtin("loans.in_set.term_months", "term_months", pa.Check.isin(common.TERMS))]),
        "country": pa.Column(pl.Utf8, checks=[
            builtin("loans.in_set.country", "country", pa.Check.isin(common.COUNTRIES)),
            agg_check("loans.stat.country", lambda x: x.drop_nulls().n_unique() <= 10),
        ]),
        "purpose": pa.Column(pl.Utf8, checks=[
            builtin("loans.in_set.purpose", "purpose", pa.Check.isin(common.PURPOSES)),
            builtin("loans.length.purpose", "purpose", pa.Check.str_length(3, 20)),
        ]),
        "email": pa.Column(pl.Utf8, checks=[
            agg_check("loans.regex.email", lambda x: mostly(x.str.contains(common.EMAIL_RE), 0.99)),
        ]),
        "applied_at": pa.Column(pl.Datetime("us", "UTC"), checks=[
            agg_check("loans.freshness.applied_at", lambda x: x.max() >= a.fresh_after),
        ]),
    },
    checks=[
        agg_check("loans.row_count", lambda _: pl.len() >= 1000),
        agg_check("amount_vs_income", lambda _: mostly(c("amount") <= c("income") * 10, 0.95)),
    ],
)
COLUMN_RULES = {
    ("loan_id", "not_nullable"): "loans.not_null.loan_id",
    ("customer_id", "not_nullable"): "loans.not_null.customer_id",
    ("application_id", "field_uniqueness"): "loans.unique.application_id",
}

df = pl.read_parquet(a.data, columns=common.COLUMNS)
passed = {check_id: True for check_id in common.CHECKS}
try:
    schema.validate(df, lazy=True)
except pa.errors.SchemaErrors as errors:
    for err in errors.schema_errors:
        column = getattr(err.schema, "name", None)
        check = err.check
        name = check if isinstance(check, str) else getattr(check, "name", None)
        check_id = (name if name in passed else
                    CHECK_OF.get((column, name)) or COLUMN_RULES.get((column, name)))
        if check_id is None:
            sys.exit(f"pandera reported an error that maps to no check: {column} {name}: {err}")
        passed[check_id] = False
        print(f"{check_id}: {err}", file=sys.stderr)
common.emit(passed)
