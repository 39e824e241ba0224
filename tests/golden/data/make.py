"""Writes the tiny Parquet files the golden tests read. Run from this folder:
    python3 make.py        (needs pyarrow; the output is committed)
"""
import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq

UTC = dt.timezone.utc

schema = pa.schema([
    ("id", pa.int64()),
    ("code", pa.string()),
    ("name", pa.string()),
    ("email", pa.string()),
    ("age", pa.int64()),
    ("score", pa.float64()),
    ("country", pa.string()),
    ("team_id", pa.int64()),
    ("joined", pa.timestamp("us", tz="UTC")),
    ("signup", pa.date32()),
    ("active", pa.bool_()),
])

joined = [dt.datetime(2026, 10, d, 12, 0, tzinfo=UTC) for d in range(20, 32)]
people = {
    "id": list(range(1, 13)),
    "code": ["A1", "A2", "A3", "B4", "B5", "B6", "B7", "B7", "C9", "C10", "C11", "C11"],
    "name": ["Ada", "Bo", "Cy", None, "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo", "Kai"],
    "email": ["ada@x.org", "bo@x.org", "cy@x.org", "di@x.org", "bad-email", "ed@x.org",
              "flo@x.org", "gus@x.org", None, "ivy@x.org", "jo@x.org", "kai@x.org"],
    "age": [25, 31, 47, None, 19, 62, 38, 150, 29, 41, None, 33],
    "score": [0.1, 0.25, 0.5, 0.75, 0.9, 1.2, None, 0.3, 0.6, 0.45, 0.8, 0.05],
    "country": ["US", "GB", "US", "DE", "us", "FR", "US", "GB", None, "DE", "US", "FR"],
    "team_id": [1, 2, 3, 1, 2, 4, None, 3, 1, 2, 5, 1],
    "joined": joined,
    "signup": [dt.date(2020, 1, 1) + dt.timedelta(days=100 * i) for i in range(12)],
    "active": [True, False, True, True, None, False, True, True, False, True, True, False],
}

pq.write_table(pa.table(people, schema=schema), "people.parquet", compression="zstd")
pq.write_table(schema.empty_table(), "empty.parquet", compression="zstd")
teams = pa.table({"team_id": pa.array([1, 2, 3], pa.int64()), "team": ["red", "green", "blue"]})
pq.write_table(teams, "teams.parquet", compression="zstd")

# A column written with no values, as pandas and pyarrow write an all-missing
# column: its Parquet type is null (issue: value checks must judge it, not refuse it).
nothing = pa.table({
    "id": pa.array([1, 2, 3, 4], pa.int64()),
    "a": pa.nulls(4),
    "country": pa.array(["US", "GB", "US", "DE"], pa.string()),
})
pq.write_table(nothing, "all_null.parquet", compression="zstd")
