"""Writes the Delta tables probity's Delta tests read, with delta-rs' own
Python package (`deltalake`, pinned in requirements.txt): the writer real
pipelines use, not a hand-made log.

    python tests/delta/make_tables.py OUT_DIR            # local folders
    python tests/delta/make_tables.py s3://BUCKET/PREFIX  # an S3 API server
                                                          # (AWS_* environment)
    python tests/delta/make_tables.py --fixture          # tests/fixtures/delta/

`--fixture` writes the small tables `cargo test` reads (tests/it/delta.rs),
committed to the repository so that the README's test command needs no
Python, from tests/golden/data/people.parquet (12 rows):

  people/             version 0: rows 1-6; version 1: rows 7-12 appended;
                      version 2: the row with id 3 deleted (delta-rs rewrites
                      that file: the folder holds 17 rows of Parquet, the
                      table 11)
  people_by_country/  the 12 rows partitioned by `country`
  future/             people's version 0, then a commit asking for an
                      unknown reader feature (as `future/` below)

and versions.json, their commit timestamps.

Tables (each a folder with `_delta_log/`), from the sample data:

  loans/        version 0: datasets/loans_baseline.parquet (5000 rows)
                version 1: overwritten by datasets/loans.parquet (8000 rows)
                version 2: overwritten by datasets/dirty/loans.parquet
                The folder holds the data files of all three versions; only
                the log says which are live.
  by_country/   datasets/loans.parquet partitioned by `country`, in two
                appends (rows 0-3999, then 4000-7999): versions 0 and 1.
  one_version/  datasets/loans.parquet, version 0 only.
  evolved/      schema evolution: version 0 is datasets/loans.parquet without
                its `score` column; version 1 appends the 8000 rows with it
                (schema_mode="merge"): the latest version has 16000 rows,
                8000 of them with a null score.
  future/       one_version's data, then a commit whose protocol asks for a
                reader feature no reader knows (`probityFutureFeature`):
                the log of a table a newer writer has changed. Written by
                appending that commit's JSON to the log, as a writer would.

Prints a JSON object: for each table, its versions' commit timestamps
(milliseconds since the epoch, from the table's history).
"""

import json
import os
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake


def storage_options(root: str) -> dict | None:
    if not root.startswith("s3://"):
        return None
    env = os.environ
    return {
        "AWS_ENDPOINT_URL": env["AWS_ENDPOINT_URL"],
        "AWS_REGION": env.get("AWS_REGION", "us-east-1"),
        "AWS_ACCESS_KEY_ID": env["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": env["AWS_SECRET_ACCESS_KEY"],
        "AWS_ALLOW_HTTP": "true",
        # One writer, no concurrent commits: no lock service needed.
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }


def write(uri: str, table, mode: str, opts, **kw) -> None:
    write_deltalake(uri, table, mode=mode, storage_options=opts, **kw)
    time.sleep(0.05)  # distinct commit timestamps, for time travel by timestamp


def timestamps(uri: str, opts) -> dict:
    history = DeltaTable(uri, storage_options=opts).history()
    return {str(h["version"]): h["timestamp"] for h in sorted(history, key=lambda h: h["version"])}


def future_commit(uri: str) -> int:
    """Appends a commit whose protocol asks for a reader feature no reader
    knows; returns its timestamp. (delta-rs itself then refuses the table.)"""
    commit = {
        "protocol": {
            "minReaderVersion": 3,
            "minWriterVersion": 7,
            "readerFeatures": ["probityFutureFeature"],
            "writerFeatures": ["probityFutureFeature"],
        }
    }
    info = {"commitInfo": {"timestamp": int(time.time() * 1000), "operation": "SET TBLPROPERTIES"}}
    versions = sorted(int(n[:20]) for n in os.listdir(f"{uri}/_delta_log") if n.endswith(".json"))
    with open(f"{uri}/_delta_log/{versions[-1] + 1:020}.json", "w", encoding="utf-8") as f:
        f.write(json.dumps(info) + "\n" + json.dumps(commit) + "\n")
    return info["commitInfo"]["timestamp"]


def fixture() -> None:
    root = "tests/fixtures/delta"
    people = pq.read_table("tests/golden/data/people.parquet")
    out = {}
    uri = f"{root}/people"
    write(uri, people.slice(0, 6), "overwrite", None)
    write(uri, people.slice(6), "append", None)
    DeltaTable(uri).delete("id = 3")
    time.sleep(0.05)
    out["people"] = timestamps(uri, None)
    uri = f"{root}/people_by_country"
    write(uri, people, "overwrite", None, partition_by=["country"])
    out["people_by_country"] = timestamps(uri, None)
    uri = f"{root}/future"
    write(uri, people.slice(0, 6), "overwrite", None)
    first = timestamps(uri, None)
    out["future"] = {**first, "1": future_commit(uri)}
    with open(f"{root}/versions.json", "w", encoding="utf-8") as f:
        f.write(json.dumps(out, indent=1, sort_keys=True) + "\n")


def main() -> None:
    if sys.argv[1] == "--fixture":
        fixture()
        return
    root = sys.argv[1].rstrip("/")
    opts = storage_options(root)
    baseline = pq.read_table("datasets/loans_baseline.parquet")
    loans = pq.read_table("datasets/loans.parquet")
    dirty = pq.read_table("datasets/dirty/loans.parquet")
    out = {}

    uri = f"{root}/loans"
    write(uri, baseline, "overwrite", opts)
    write(uri, loans, "overwrite", opts)
    write(uri, dirty, "overwrite", opts, schema_mode="overwrite")
    out["loans"] = timestamps(uri, opts)

    uri = f"{root}/by_country"
    write(uri, loans.slice(0, 4000), "overwrite", opts, partition_by=["country"])
    write(uri, loans.slice(4000), "append", opts, partition_by=["country"])
    out["by_country"] = timestamps(uri, opts)

    uri = f"{root}/one_version"
    write(uri, loans, "overwrite", opts)
    out["one_version"] = timestamps(uri, opts)

    # (Nullable columns: a column a later version adds has no values in the
    # earlier files. delta-rs would record a non-nullable `score` as such,
    # and then refuse to read its own table.)
    nullable = loans.cast(pa.schema([f.with_nullable(True) for f in loans.schema]))
    uri = f"{root}/evolved"
    write(uri, nullable.drop_columns(["score"]), "overwrite", opts)
    write(uri, nullable, "append", opts, schema_mode="merge")
    out["evolved"] = timestamps(uri, opts)

    if opts is None:
        uri = f"{root}/future"
        write(uri, loans, "overwrite", opts)
        out["future"] = {**timestamps(uri, opts), "1": future_commit(uri)}

    print(json.dumps(out, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
