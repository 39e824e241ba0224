#!/usr/bin/env python3
"""Peer: bench/suite20.yaml as a Great Expectations 1.x suite on pandas.

An ephemeral context, a pandas data source with one dataframe asset, one
batch (the whole dataframe, the 12 columns the checks name, read with
`pandas.read_parquet`), one expectation per check, validated once with
`batch.validate(suite)`. The verdict of each check is the expectation's
`success`; the freshness expectation has severity "warning" and its failure
is reported as "warn". Prints the verdicts as JSON (see common.py).

    venv/bin/python bench/peers/gx.py [--data PATH] [--now TIME]

Where GE has no exact equivalent (marked "not exact" below):
- missing (null share <= 2%): ExpectColumnProportionOfNonNullValuesToBeBetween
  with min 0.98 (the same statement, written as its complement).
- stat quantile(score, 0.95): ExpectColumnQuantileValuesToBeBetween, an
  exact quantile computed with pandas, as probity's `quantile`.
- stat distinct_count <= 10: ExpectColumnUniqueValueCountToBeBetween (GE's
  "unique value count" is the number of distinct values, the same metric).
- condition `amount <= income * 10`, mostly 95%: GE 1.x has no row-level SQL
  predicate for pandas (UnexpectedRowsExpectation is SQL-only), so the right
  side is materialised as a derived column `income_x10` when the data is
  loaded, and ExpectColumnPairValuesAToBeGreaterThanB(column_A=income_x10,
  column_B=amount, or_equal=True, mostly=0.95,
  ignore_row_if="either_value_is_missing") checks it; rows with a null
  income are left out, as probity leaves out rows where the predicate is null.
- freshness: ExpectColumnMaxToBeBetween(applied_at, min_value=now - 2d).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402
import pandas as pd  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

a = common.args()

df = pd.read_parquet(a.data, columns=common.COLUMNS)
df["income_x10"] = df["income"] * 10  # for the condition check (see above)

EXPECTATIONS = {
    "loans.row_count": gxe.ExpectTableRowCountToBeBetween(min_value=1000),
    "loans.not_null.loan_id": gxe.ExpectColumnValuesToNotBeNull(column="loan_id"),
    "loans.not_null.customer_id": gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
    "loans.unique.application_id": gxe.ExpectColumnValuesToBeUnique(column="application_id"),
    # not exact: written as the complement (non-null share >= 98%)
    "loans.missing.income": gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(column="income", min_value=0.98),
    "loans.between.amount": gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0, max_value=1e7),
    "loans.between.age": gxe.ExpectColumnValuesToBeBetween(column="age", min_value=18, max_value=100),
    "loans.between.score": gxe.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=1),
    "loans.between.income": gxe.ExpectColumnValuesToBeBetween(column="income", min_value=0, max_value=1e7),
    "loans.in_set.term_months": gxe.ExpectColumnValuesToBeInSet(column="term_months", value_set=common.TERMS),
    "loans.in_set.country": gxe.ExpectColumnValuesToBeInSet(column="country", value_set=common.COUNTRIES),
    "loans.in_set.purpose": gxe.ExpectColumnValuesToBeInSet(column="purpose", value_set=common.PURPOSES),
    "loans.regex.email": gxe.ExpectColumnValuesToMatchRegex(column="email", regex=common.EMAIL_RE, mostly=0.99),
    "loans.length.purpose": gxe.ExpectColumnValueLengthsToBeBetween(column="purpose", min_value=3, max_value=20),
    "loans.stat.amount": gxe.ExpectColumnMeanToBeBetween(column="amount", min_value=5000, max_value=20000),
    "loans.stat.income": gxe.ExpectColumnStdevToBeBetween(column="income", min_value=1000, max_value=200000),
    "loans.stat.score": gxe.ExpectColumnQuantileValuesToBeBetween(
        column="score", quantile_ranges={"quantiles": [0.95], "value_ranges": [[0.5, 1]]}),
    "loans.stat.country": gxe.ExpectColumnUniqueValueCountToBeBetween(column="country", max_value=10),
    # not exact: the predicate's right side is a derived column (see above)
    "amount_vs_income": gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A="income_x10", column_B="amount", or_equal=True, mostly=0.95,
        ignore_row_if="either_value_is_missing"),
    "loans.freshness.applied_at": gxe.ExpectColumnMaxToBeBetween(
        column="applied_at", min_value=a.fresh_after, severity="warning"),
}

context = gx.get_context(mode="ephemeral")
context.variables.progress_bars = ProgressBarsConfig(globally=False)  # quiet stderr; no effect on the work
batch = (
    context.data_sources.add_pandas("pandas")
    .add_dataframe_asset("loans")
    .add_batch_definition_whole_dataframe("whole")
    .get_batch(batch_parameters={"dataframe": df})
)
suite = gx.ExpectationSuite(name="suite20")
for check_id, expectation in EXPECTATIONS.items():
    expectation.meta = {"check": check_id}
    suite.add_expectation(expectation)

result = batch.validate(suite, result_format="BASIC")
passed = {}
for r in result.results:
    check_id = r.expectation_config.meta["check"]
    if r.exception_info and r.exception_info.get("raised_exception"):
        sys.exit(f"{check_id}: GE raised: {r.exception_info['exception_message']}")
    passed[check_id] = bool(r.success)
    print(f"{check_id}: success={r.success} observed={r.result.get('observed_value')} "
          f"unexpected={r.result.get('unexpected_count')}", file=sys.stderr)
common.emit(passed)
