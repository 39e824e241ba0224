"""Writes a failing copy of the benchmark's loans table: every row-level check
of bench/suite20.yaml fails on millions of its rows (bench/failing.sh).

    python bench/make_failing.py IN.parquet OUT.parquet          # failing copy
    python bench/make_failing.py --copy IN.parquet OUT.parquet   # passing copy

`--copy` rewrites IN unchanged by the same writer, so that the passing and
the failing file differ only in their values (both have nullable columns).

Deterministic (row i is changed by i alone), same columns and types as IN,
zstd, row groups of 2^20 rows like examples/generate.rs. On 10M rows:

  check                        offending rows   distinct offending values
  not_null loan_id             3.3M (i%3==0)
  not_null customer_id         2.5M (i%4==1)
  unique application_id        1M duplicated keys (i%10==9 repeats row i-1)
  missing income               1M nulls (i%10==2), 10% > 2%
  between amount 0..1e7        2M negative (i%10 in 6,7)   all distinct
  between age 18..100          2M (i%5==0)                 18
  between score 0..1           2M above 1 (i%5==1)         all distinct
  between income 0..1e7        3M negative (i%10 in 3,4,5) all distinct
  in_set term_months           2M (i%5==2)                 13
  in_set country               2M (i%5==3)                 1000
  in_set purpose, length 3..20 2M too long (i%5==4)        100,000
  regex email                  1.4M without '@' (i%7==0)   all distinct
  condition amount<=income*10  4M+ (i%10==8, and the negative incomes)

Needs pyarrow and numpy (/root/bench-data/venv).
"""

import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROW_GROUP = 1 << 20


def where(mask, new, old):
    return pc.if_else(pa.array(mask), new, old)


def fail(batch: pa.RecordBatch, start: int) -> pa.RecordBatch:
    n = batch.num_rows
    i = np.arange(start, start + n, dtype=np.int64)
    cols = {name: batch.column(name) for name in batch.schema.names}
    null_i64 = pa.nulls(n, pa.int64())
    cols["loan_id"] = where(i % 3 == 0, null_i64, cols["loan_id"])
    cols["customer_id"] = where(i % 4 == 1, null_i64, cols["customer_id"])
    app = cols["application_id"].to_numpy(zero_copy_only=False)
    prev = np.roll(app, 1)
    prev[0] = app[0]
    cols["application_id"] = pa.array(np.where(i % 10 == 9, prev, app), pa.string())
    income = cols["income"].to_numpy(zero_copy_only=False).astype(np.float64)  # nulls become NaN
    income_nulls = pc.is_null(cols["income"]).to_numpy(zero_copy_only=False)
    negative_income = np.isin(i % 10, [3, 4, 5])
    new_income = np.where(negative_income, -np.nan_to_num(income) - 1.0 - i * 1e-6, income)
    income_mask = income_nulls | (i % 10 == 2)
    cols["income"] = pa.array(new_income, pa.float64(), mask=income_mask)
    amount = cols["amount"].to_numpy(zero_copy_only=False)
    amount = np.where(np.isin(i % 10, [6, 7]), -amount - 0.5 - i * 1e-6, amount)
    amount = np.where((i % 10 == 8) & ~income_mask, np.nan_to_num(income) * 20.0 + 1.0, amount)
    cols["amount"] = pa.array(amount, pa.float64())
    cols["age"] = where(i % 5 == 0, pa.array((i // 5) % 18), cols["age"])
    score = cols["score"].to_numpy(zero_copy_only=False)
    cols["score"] = pa.array(np.where(i % 5 == 1, score + 1.0 + i * 1e-9, score), pa.float64())
    cols["term_months"] = where(i % 5 == 2, pa.array(i % 13), cols["term_months"])
    country = pa.array(np.char.add("X", (i % 1000).astype(str)))
    cols["country"] = where(i % 5 == 3, country, cols["country"])
    purpose = pa.array(np.char.add("purpose_that_is_far_too_long_", (i % 100_000).astype(str)))
    cols["purpose"] = where(i % 5 == 4, purpose, cols["purpose"])
    email = pc.replace_substring(cols["email"], "@", ".at.")
    cols["email"] = where(i % 7 == 0, email, cols["email"])
    fields = [f.with_nullable(True) for f in batch.schema]
    arrays = [cols[f.name].cast(f.type) for f in fields]
    arrays = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def copy(batch: pa.RecordBatch, _start: int) -> pa.RecordBatch:
    fields = [f.with_nullable(True) for f in batch.schema]
    return pa.RecordBatch.from_arrays(batch.columns, schema=pa.schema(fields))


def main() -> None:
    args = sys.argv[1:]
    change = fail
    if args[0] == "--copy":
        change = copy
        args = args[1:]
    source, target = args
    reader = pq.ParquetFile(source)
    writer = None
    start = 0
    for batch in reader.iter_batches(batch_size=ROW_GROUP):
        out = change(batch, start)
        start += batch.num_rows
        if writer is None:
            writer = pq.ParquetWriter(target, out.schema, compression="zstd")
        writer.write_batch(out, row_group_size=ROW_GROUP)
    if writer is not None:
        writer.close()
    print(f"wrote {start} rows to {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
