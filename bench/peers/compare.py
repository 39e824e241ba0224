#!/usr/bin/env python3
"""Checks that every peer of bench/peers/ reaches probity's verdicts.

For each dataset, runs
    probity check bench/suite20.yaml --data loans=DATA --format json --now NOW
and every peer (common.PEERS) with `--data DATA --now NOW`, and compares the
20 verdicts check by check. The same instant NOW is given to all, so that the
freshness verdicts are judged from the same clock.

Datasets:
- the clean 10M-row table (`--data`): probity must give 19 pass + 1 warn
  (freshness, the data is a snapshot), and every peer the same;
- the bundled dirty table (`--dirty`, 8000 rows, datasets/dirty/loans.parquet):
  11 checks fail there, which shows that each peer's checks can fail, and
  fail on the same checks as probity's.

Then the fairness comparison: Fairlearn's demographic_parity_ratio
(fairness.py) against probity's value for bench/peers/fairness1.yaml on the
1M-row table, which must agree to 1e-12 (probity's JSON rounds floats to 13
significant digits).

Any disagreement, missing check, peer error or unexpected clean verdict:
prints what differs and exits 1. Writes every verdict to OUT/verdicts.json.

    python3 bench/peers/compare.py [--peers gx,soda_duckdb,...] [--dirty ''] [--out DIR]
"""
import argparse
import datetime
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "peers"))
import common  # noqa: E402

TOLERANCE = 1e-12


def run(argv, what):
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    # probity exits 1 when an error-severity check fails (the dirty data): still a verdict.
    ok = proc.returncode == 0 or (what == "probity" and proc.returncode == 1)
    if not ok:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"FAILED: {what} exited {proc.returncode}: {' '.join(argv)}")
    try:
        return json.loads(proc.stdout)
    except ValueError:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-2000:])
        raise SystemExit(f"FAILED: {what} printed no JSON: {' '.join(argv)}")


def probity_verdicts(probity, suite, data, now):
    report = run([probity, "check", suite, "--data", f"loans={data}", "--format", "json", "--now", now], "probity")
    return {c["id"]: c["status"] for s in report["suites"] for c in s["checks"]}


def compare_verdicts(probity, data, now, peers, clean):
    print(f"\n== {data} (now = {now})")
    expected = probity_verdicts(probity, "bench/suite20.yaml", data, now)
    problems = []
    if list(expected) != common.CHECKS:
        problems.append(f"probity's check ids {list(expected)} are not common.CHECKS")
    if clean:
        wanted = {c: "warn" if c in common.WARN else "pass" for c in common.CHECKS}
        off = {c: s for c, s in expected.items() if wanted.get(c) != s}
        if off:
            problems.append(f"probity's verdicts on the clean data are not 19 pass + freshness warn: {off}")
    results = {"probity": expected}
    for peer in peers:
        got = run(common.peer_command(peer, data, now), peer)
        results[peer] = got
        for check in common.CHECKS:
            if got.get(check) != expected.get(check):
                problems.append(f"{peer}: {check}: peer says {got.get(check)}, probity says {expected.get(check)}")
        extra = set(got) - set(common.CHECKS)
        if extra:
            problems.append(f"{peer}: unknown checks {sorted(extra)}")
    # the table: one row per check, one column per tool
    tools = list(results)
    width = max(len(c) for c in common.CHECKS)
    print(f"{'check':<{width}}  " + "  ".join(f"{t:>14}" for t in tools))
    for check in common.CHECKS:
        cells = []
        for t in tools:
            v = results[t].get(check, "-")
            cells.append(f"{v if t == 'probity' or v == expected.get(check) else v + ' (!)':>14}")
        print(f"{check:<{width}}  " + "  ".join(cells))
    counts = {s: list(expected.values()).count(s) for s in ("pass", "warn", "fail")}
    print(f"probity: {counts}; peers agreeing on all 20: "
          f"{[p for p in peers if all(results[p].get(c) == expected[c] for c in common.CHECKS)]}")
    return results, problems


def compare_fairness(probity, data):
    print(f"\n== fairness on {data}")
    report = run([probity, "check", "bench/peers/fairness1.yaml", "--data", f"loans={data}", "--format", "json"],
                 "probity")
    check = report["suites"][0]["checks"][0]
    ours = check["observed"]["value"]
    theirs = run([common.VENV, "bench/peers/fairness.py", "--data", data], "fairlearn")["value"]
    diff = abs(ours - theirs)
    print(f"demographic_parity_ratio(approved, gender): probity {ours!r} ({check['status']}), "
          f"Fairlearn {theirs!r}, |difference| {diff:.3g} (tolerance {TOLERANCE})")
    problems = [] if diff <= TOLERANCE else [f"fairness: probity {ours} vs Fairlearn {theirs}: differ by {diff}"]
    return {"probity": ours, "fairlearn": theirs, "abs_difference": diff}, problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probity", default="/root/bench-data/results/bin/probity")
    ap.add_argument("--data", default=common.DEFAULT_DATA)
    ap.add_argument("--dirty", default="datasets/dirty/loans.parquet", help="'' to skip")
    ap.add_argument("--fairness-data", default="/root/bench-data/1m/loans.parquet", help="'' to skip")
    ap.add_argument("--peers", default=",".join(common.PEERS))
    ap.add_argument("--now", help="RFC 3339; default: now, to the second")
    ap.add_argument("--out", default="/root/bench-data/results-peers")
    a = ap.parse_args()
    peers = [p for p in a.peers.split(",") if p]
    unknown = [p for p in peers if p not in common.PEERS]
    if unknown:
        raise SystemExit(f"unknown peers {unknown}; known: {list(common.PEERS)}")
    now = a.now or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    out, problems = {"now": now}, []
    out["clean"], p = compare_verdicts(a.probity, a.data, now, peers, clean=True)
    problems += p
    if a.dirty:
        out["dirty"], p = compare_verdicts(a.probity, a.dirty, now, peers, clean=False)
        problems += p
    if a.fairness_data:
        out["fairness"], p = compare_fairness(a.probity, a.fairness_data)
        problems += p
    out["problems"] = problems
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / "verdicts.json").write_text(json.dumps(out, indent=1) + "\n")
    if problems:
        print("\nDISAGREEMENT:\n  " + "\n  ".join(problems), file=sys.stderr)
        raise SystemExit(1)
    print(f"\nall peers agree with probity (verdicts in {a.out}/verdicts.json)")


if __name__ == "__main__":
    main()
