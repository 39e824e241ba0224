#!/usr/bin/env bash
# Drift and fairness benchmarks on the 10M-row loans table, each next to the
# plain DataFusion query it should be compared with:
#   drift on 10 columns against a 1M-row baseline  vs  one forced scan of
#     those 10 columns in both datasets (two floor queries, times added);
#   one fairness check with two group columns       vs  a plain GROUP BY
#     count(*) over the same (group, label, decision) columns.
# Whole-process wall time, median of RUNS runs, commands interleaved.
#
#   bench/stats.sh            # from anywhere; prints a Markdown table
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/probity-target}"
RUNS="${RUNS:-5}"
DATA_DIR=/root/bench-data
CURRENT="$DATA_DIR/loans.parquet"
REFERENCE="$DATA_DIR/loans_baseline.parquet"
BIN="$CARGO_TARGET_DIR/release"
RESULTS="$DATA_DIR/results-stats"

[ -x /usr/bin/time ] || { apt-get update && apt-get install -y time; }
cargo build --release --bin probity --example generate --example baseline
[ -f "$CURRENT" ] || "$BIN/examples/generate" --rows 10000000 --out "$DATA_DIR" --only loans
[ -f "$REFERENCE" ] || "$BIN/examples/generate" --rows 1000000 --out "$DATA_DIR" --only baseline

# Every drift column, read in full: sums that Parquet statistics cannot answer.
FLOOR="SELECT sum(amount), sum(income), sum(score), sum(age), sum(term_months), sum(customer_id),
  sum(octet_length(purpose)), sum(octet_length(country)), sum(octet_length(gender)), sum(approved) FROM loans"
GROUPBY="SELECT gender, country, repaid, approved, count(*) FROM loans GROUP BY gender, country, repaid, approved"

declare -A CMD=(
  [drift10]="$BIN/probity check bench/drift10.yaml --format json"
  [floor_current]="$BIN/examples/baseline --data $CURRENT --sql"
  [floor_reference]="$BIN/examples/baseline --data $REFERENCE --sql"
  [fairness2]="$BIN/probity check bench/fairness2.yaml --format json"
  [groupby]="$BIN/examples/baseline --data $CURRENT --sql"
)
declare -A SQL=([floor_current]="$FLOOR" [floor_reference]="$FLOOR" [groupby]="$GROUPBY")
ORDER=(drift10 floor_current floor_reference fairness2 groupby)

mkdir -p "$RESULTS"
RAW="$RESULTS/timings.tsv"
: >"$RAW"
run() { # name -> appends "name seconds max_rss_kb"
  local name=$1 out="$RESULTS/$1.out"
  if [[ -n ${SQL[$name]:-} ]]; then
    /usr/bin/time -f "%e %M" -o "$RESULTS/time" ${CMD[$name]} "${SQL[$name]}" >"$out" 2>&1 || true
  else
    /usr/bin/time -f "%e %M" -o "$RESULTS/time" ${CMD[$name]} >"$out" 2>&1 || true
  fi
  echo "$name $(tail -1 "$RESULTS/time")" >>"$RAW"
}
for name in "${ORDER[@]}"; do run "$name"; : >"$RAW"; done # warm-up (page cache)
for _ in $(seq "$RUNS"); do
  for name in "${ORDER[@]}"; do run "$name"; done
done

python3 - "$RAW" <<'PY'
import statistics, sys, collections
t = collections.defaultdict(list); rss = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, sec, kb = line.split()
    t[name].append(float(sec)); rss[name].append(int(kb))
m = {k: statistics.median(v) for k, v in t.items()}
print("| command | median s | min s | max s | peak RSS MiB |")
print("|---|---:|---:|---:|---:|")
for k in ["drift10", "floor_current", "floor_reference", "fairness2", "groupby"]:
    print(f"| {k} | {m[k]:.2f} | {min(t[k]):.2f} | {max(t[k]):.2f} | {max(rss[k]) / 1024:.0f} |")
floor = m["floor_current"] + m["floor_reference"]
print()
print(f"- drift on 10 columns / one scan of both datasets: {m['drift10']:.2f} / {floor:.2f} = **{m['drift10'] / floor:.2f}x** (target <= 2x)")
print(f"- fairness, two group columns / plain GROUP BY count: {m['fairness2']:.2f} / {m['groupby']:.2f} = **{m['fairness2'] / m['groupby']:.2f}x** (target <= 1.3x)")
PY
