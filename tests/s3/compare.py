"""Compares two probity JSON results, apart from times: python compare.py A B [PREFIX]
(PREFIX, e.g. s3://bucket/, is removed from B first).
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
    for read in run.get("datasets", {}).values():
        same_files(read)
    for s in run.get("suites", []):
        same_files(s.get("reference"))
if a != b:
    print(json.dumps(a, indent=1)[:2000])
    print("---")
    print(json.dumps(b, indent=1)[:2000])
    sys.exit(1)
