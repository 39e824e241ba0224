"""What every peer of bench/peers/ shares: the ids of bench/suite20.yaml's 20
checks (as probity names them in its JSON report), which one is a warning,
the instant freshness is measured from, and the verdict output.

A peer computes the checks with its own tool, then calls `emit({id: passed})`,
which prints `{"id": "pass" | "fail" | "warn", ...}` on stdout: a failed check
of severity warn is "warn", as in probity. Standard library only, so that it
costs nothing to import in any of the virtualenvs.
"""
import argparse
import datetime
import json
import os
import sys

DEFAULT_DATA = "/root/bench-data/loans.parquet"

# bench/suite20.yaml, in order. Ids as probity reports them.
CHECKS = [
    "loans.row_count",
    "loans.not_null.loan_id",
    "loans.not_null.customer_id",
    "loans.unique.application_id",
    "loans.missing.income",
    "loans.between.amount",
    "loans.between.age",
    "loans.between.score",
    "loans.between.income",
    "loans.in_set.term_months",
    "loans.in_set.country",
    "loans.in_set.purpose",
    "loans.regex.email",
    "loans.length.purpose",
    "loans.stat.amount",
    "loans.stat.income",
    "loans.stat.score",
    "loans.stat.country",
    "amount_vs_income",
    "loans.freshness.applied_at",
]
WARN = {"loans.freshness.applied_at"}  # severity: warn in the suite

# The columns the 20 checks name (12 of the file's 15). Tools that read
# Parquet eagerly (pandas, polars read_parquet) are given this list, as
# probity, DuckDB and polars' lazy scan prune columns by themselves.
COLUMNS = ["loan_id", "customer_id", "application_id", "income", "amount", "age", "score",
           "term_months", "country", "purpose", "email", "applied_at"]

TERMS = [12, 24, 36, 48, 60]
COUNTRIES = ["US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "IN"]
PURPOSES = ["debt_consolidation", "car", "home", "business", "education", "medical", "wedding", "travel"]
EMAIL_RE = r"^[^@\s]+@[^@\s]+$"
MAX_AGE = datetime.timedelta(days=2)


def args():
    """--data PATH (default the 10M-row table) and --now TIME.

    `now` is what freshness is measured from: --now, else $PEER_NOW, else the
    clock at start (what probity does without --now). RFC 3339, e.g.
    2026-11-21T12:00:00Z; compare.py passes the same instant to probity.
    """
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--now", default=os.environ.get("PEER_NOW"))
    a = ap.parse_args()
    if a.now:
        a.now = datetime.datetime.fromisoformat(a.now.replace("Z", "+00:00"))
        if a.now.tzinfo is None:
            a.now = a.now.replace(tzinfo=datetime.timezone.utc)
    else:
        a.now = datetime.datetime.now(datetime.timezone.utc)
    a.fresh_after = a.now - MAX_AGE  # freshness passes when the newest timestamp is >= this
    return a


def emit(passed):
    """Prints the verdicts; `passed` maps every check id to True/False."""
    missing = [c for c in CHECKS if c not in passed]
    extra = [c for c in passed if c not in CHECKS]
    if missing or extra:
        sys.exit(f"internal error: checks missing {missing}, unknown {extra}")
    verdicts = {c: "pass" if passed[c] else ("warn" if c in WARN else "fail") for c in CHECKS}
    json.dump(verdicts, sys.stdout, indent=1)
    sys.stdout.write("\n")


# How each peer is run (whole process), by the name used in the timings.
VENV = "/root/bench-data/venv/bin/python"
VENV_SODA = "/root/bench-data/venv-soda/bin/python"
PEERS = {
    "gx": (VENV, "bench/peers/gx.py"),
    "soda_duckdb": (VENV_SODA, "bench/peers/soda/run_soda.py"),
    "pandera_polars": (VENV, "bench/peers/pandera_polars.py"),
    "duckdb_sql": (VENV, "bench/peers/duckdb_sql.py"),
    "polars_lazy": (VENV, "bench/peers/polars_lazy.py"),
}


def peer_command(name, data, now=None):
    """The argv of one peer, run from the repository root."""
    python, script = PEERS[name]
    return [python, script, "--data", data] + (["--now", now] if now else [])


if __name__ == "__main__":
    # `python3 bench/peers/common.py DATA [PEER,...]`: "name=command" lines for bench/timeit.sh
    wanted = sys.argv[2].split(",") if len(sys.argv) > 2 else list(PEERS)
    for peer in PEERS:
        if peer in wanted:
            print(f"{peer}={' '.join(peer_command(peer, sys.argv[1]))}")
