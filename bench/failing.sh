#!/usr/bin/env bash
# Failing runs against passing runs (design.md invariant 10; BENCHMARKS.md,
# "Failing runs"): the same suites on the 10M-row loans table rewritten twice
# by bench/make_failing.py, unchanged (pass) and with every row-level check
# of bench/suite20.yaml failing on millions of rows (fail).
#
#   bench/failing.sh                        # this tree's release binary (~10 min)
#   BEFORE=/path/to/old/probity bench/failing.sh   # and an older binary beside it
#   RUNS=9 bench/failing.sh                 # more runs per command
#
# Suites: suite20 (bench/suite20.yaml), suite20 without `unique` (its failing
# sample regroups the keys), one `between` on an all-distinct column, and ten
# `between` checks on all-distinct columns. Raw timings, outputs and a
# summary (summary.md) go to /root/bench-data/failing.
set -euo pipefail

cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/probity-release}"
RUNS="${RUNS:-5}"
DATA_DIR=/root/bench-data
OUT="$DATA_DIR/failing"
LOANS="${LOANS:-$DATA_DIR/loans.parquet}"   # bench/run.sh's table
PY="${PYTHON:-$DATA_DIR/venv/bin/python}"
BIN="$OUT/bin"   # private copies: a rebuild elsewhere cannot swap them mid-run
mkdir -p "$BIN" "$OUT/suites"

cargo build --release --locked --bin probity --example generate --example baseline  # the targets bench/run.sh builds: same features, shared dependencies
cp "$CARGO_TARGET_DIR/release/probity" "$BIN/probity"
git rev-parse --short HEAD >"$OUT/commit.txt"
if [ -n "${BEFORE:-}" ]; then
  cp "$BEFORE" "$BIN/probity_before"
fi

# The data: the benchmark's table, then its passing and failing copies.
if [ ! -f "$LOANS" ]; then
  "$CARGO_TARGET_DIR/release/examples/generate" --rows 10000000 --out "$(dirname "$LOANS")" --only loans
fi
[ -f "$OUT/pass.parquet" ] || "$PY" bench/make_failing.py --copy "$LOANS" "$OUT/pass.parquet"
[ -f "$OUT/fail.parquet" ] || "$PY" bench/make_failing.py "$LOANS" "$OUT/fail.parquet"

# The suites.
grep -v '^  - unique:' bench/suite20.yaml >"$OUT/suites/suite20_nounique.yaml"
head_="version: 1
dataset: { name: loans, source: $OUT/pass.parquet }
checks:"
printf '%s\n  - between: { column: amount, min: 0, max: 1e7 }\n' "$head_" >"$OUT/suites/between1.yaml"
{
  echo "$head_"
  for max in 1e7 2e7 3e7 4e7; do echo "  - between: { column: amount, min: 0, max: $max }"; done
  for max in 1e7 2e7 3e7; do echo "  - between: { column: income, min: 0, max: $max }"; done
  for max in 1 1.5 2; do echo "  - between: { column: score, min: 0, max: $max }"; done
} >"$OUT/suites/between10.yaml"

rm -f "$OUT/timings.tsv" "$OUT/commands.tsv"
cmds=()
add() { # add NAME BINARY SUITE DATA [ARGS...]
  local name=$1 bin=$2 suite=$3 data=$4
  shift 4
  cmds+=("$name=$bin check $suite --data loans=$data --format json $*")
}
for side in pass fail; do
  add "pr_suite20_$side" "$BIN/probity" bench/suite20.yaml "$OUT/$side.parquet"
  add "pr_suite20nu_$side" "$BIN/probity" "$OUT/suites/suite20_nounique.yaml" "$OUT/$side.parquet"
  add "pr_between1_$side" "$BIN/probity" "$OUT/suites/between1.yaml" "$OUT/$side.parquet"
  add "pr_between10_$side" "$BIN/probity" "$OUT/suites/between10.yaml" "$OUT/$side.parquet"
done
add pr_suite20_fail_k0 "$BIN/probity" bench/suite20.yaml "$OUT/fail.parquet" --sample-size 0
add pr_between1_fail_k0 "$BIN/probity" "$OUT/suites/between1.yaml" "$OUT/fail.parquet" --sample-size 0
if [ -n "${BEFORE:-}" ]; then
  for side in pass fail; do
    add "pr_before_suite20_$side" "$BIN/probity_before" bench/suite20.yaml "$OUT/$side.parquet"
    add "pr_before_between1_$side" "$BIN/probity_before" "$OUT/suites/between1.yaml" "$OUT/$side.parquet"
    add "pr_before_between10_$side" "$BIN/probity_before" "$OUT/suites/between10.yaml" "$OUT/$side.parquet"
  done
fi
bench/timeit.sh "$OUT/timings.tsv" "$RUNS" "${cmds[@]}"

# Medians, and failing over passing of the same binary and suite.
"$PY" - "$OUT" <<'EOF' | tee "$OUT/summary.md"
import collections, json, statistics, sys
out = sys.argv[1]
runs = collections.defaultdict(list)
for line in open(f"{out}/timings.tsv"):
    name, _round, wall, rss, code, user, sys_, load = line.split("\t")
    runs[name].append((float(wall), int(rss) / 1024, float(user) + float(sys_), float(load)))
med = {n: tuple(statistics.median(r[i] for r in v) for i in range(3)) for n, v in runs.items()}
loads = [r[3] for v in runs.values() for r in v]
print(f"commit {open(out + '/commit.txt').read().strip()}; {len(next(iter(runs.values())))} runs each; "
      f"1-min load before runs: median {statistics.median(loads):.2f}, {min(loads):.2f} to {max(loads):.2f}\n")
print("| command | median wall s | min s | max s | CPU s | peak RSS MB | checks failed |")
print("|---|---:|---:|---:|---:|---:|---:|")
for n, v in runs.items():
    walls = [r[0] for r in v]
    try:
        doc = json.load(open(f"{out}/{n}.out"))
        failed = sum(c["status"] in ("fail", "warn") for s in doc["suites"] for c in s["checks"])
    except Exception:
        failed = "?"
    print(f"| `{n}` | {med[n][0]:.2f} | {min(walls):.2f} | {max(walls):.2f} | {med[n][2]:.2f} | {med[n][1]:.0f} | {failed} |")
print("\n| failing / passing (medians) | wall | peak RSS |")
print("|---|---:|---:|")
for n in runs:
    if n.endswith("_fail") and n[:-5] + "_pass" in med:
        p = n[:-5] + "_pass"
        print(f"| `{n}` / `{p}` | {med[n][0] / med[p][0]:.2f}x | {med[n][1] / med[p][1]:.2f}x |")
EOF
