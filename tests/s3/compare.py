"""Compares two probity JSON results, apart from times: python compare.py A B [PREFIX]
(PREFIX, e.g. s3://bucket/, is removed from B first). With PROVENANCE=0 in
the environment, what the sources read (`datasets`, `suites[].reference`)
is left out, and the notes on how they were read: a Delta table and the
Parquet file it was written from differ there, not in their checks.
Exits 1 and prints the first differences when they differ."""
import json
import os
import sys

TIMES = {"started_at", "duration_ms", "file_sha256"}  # the S3 copy's suite text differs


def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in TIMES}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def load(path, prefix=""):
    with open(path) as f:
        text = f.read()
    if prefix:
        text = text.replace(prefix, "")  # the S3 run names s3://bucket/ where the local run names nothing
    return strip(json.loads(text))


a, b = load(sys.argv[1]), load(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
for s in a.get("suites", []) + b.get("suites", []):
    s.pop("file", None)  # the suite copy's path differs, not its checks


def same_files(read):
    """Provenance: the files by their path from the checkout and their size
    (a local path is absolute; times and ETags differ between copies)."""
    for f in (read or {}).get("files", []):
        if f["path"].startswith("/"):
            f["path"] = os.path.relpath(f["path"])
        f.pop("modified", None)
        f.pop("etag", None)


for run in (a, b):
    if os.environ.get("PROVENANCE") == "0":
        run.pop("datasets", None)
        run.pop("notes", None)  # e.g. which version `version: previous` was
        for s in run.get("suites", []):
            s.pop("reference", None)
    for read in run.get("datasets", {}).values():
        same_files(read)
    for s in run.get("suites", []):
        same_files(s.get("reference"))
if a != b:
    print(json.dumps(a, indent=1)[:2000])
    print("---")
    print(json.dumps(b, indent=1)[:2000])
    sys.exit(1)
