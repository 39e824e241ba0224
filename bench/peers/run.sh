#!/usr/bin/env bash
# probity against its peers (issue #6), end to end:
#   1. installs the peers (bench/peers/setup.sh; idempotent);
#   2. checks that every peer reaches probity's 20 verdicts on the 10M-row
#      table and on the dirty sample, and that Fairlearn's number equals
#      probity's (bench/peers/compare.py; stops here on any disagreement);
#   3. times probity, hand-written DataFusion and every peer on bench/suite20.yaml
#      (10M rows), then probity's fairness check and Fairlearn (1M rows), with
#      bench/timeit.sh (interleaved rounds, wall time, peak RSS, load average);
#   4. writes the `## Peers` section of BENCHMARKS.md (bench/peers/summarize.py).
#
#   bench/peers/run.sh            # from anywhere (~15 min on 2 cores)
#   RUNS=9 bench/peers/run.sh     # more runs per command (default 5)
#   PEERS=polars_lazy,duckdb_sql bench/peers/run.sh   # only these peers (default: all)
#   BEFORE=/path/to/probity bench/peers/run.sh        # also time another probity binary (row `probity_suite20_before`)
#   BASELINE=0 FAIRNESS=0 bench/peers/run.sh          # skip the hand-written DataFusion row, the fairness timings
#
# Both data shapes (issue 14): the standard table (loans.parquet) and the
# shuffled one (loans_shuffled.parquet: row groups of 1M rows, an int64
# application_id in shuffled order, an e-mail per loan of varied length);
# each is timed side by side with probity's suite20 (exact p95) and
# suite20_approx (t-digest p95).
#
# Uses the release binaries bench/run.sh copies to /root/bench-data/results/bin
# (this script builds nothing). Raw results: /root/bench-data/results-peers.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS="${RUNS:-5}"
DATA_DIR=/root/bench-data
BIN="${BIN:-$DATA_DIR/results/bin}"
DATA="$DATA_DIR/loans.parquet"
DATA_SHUFFLED="$DATA_DIR/loans_shuffled.parquet"
DATA_1M="$DATA_DIR/1m/loans.parquet"
RESULTS="$DATA_DIR/results-peers"
export PEER_RESULTS="$RESULTS"

for b in "$BIN/probity" "$BIN/examples/generate" "$BIN/examples/baseline"; do
  [ -x "$b" ] || { echo "run.sh: $b is missing: run bench/run.sh first (it builds and copies the binaries)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { apt-get update && apt-get install -y time; }

# 1. the peers
bench/peers/setup.sh

# the data
[ -f "$DATA" ] || "$BIN/examples/generate" --rows 10000000 --out "$DATA_DIR" --only loans
[ -f "$DATA_SHUFFLED" ] || "$BIN/examples/generate" --rows 10000000 --out "$DATA_DIR" --only loans --shape shuffled
[ -f "$DATA_1M" ] || { mkdir -p "$(dirname "$DATA_1M")"; "$BIN/examples/generate" --rows 1000000 --out "$(dirname "$DATA_1M")" --only loans; }

# 2. the same verdicts, or stop
PEERS="${PEERS:-$(python3 -c 'import sys; sys.path.insert(0, "bench/peers"); import common; print(",".join(common.PEERS))')}"
python3 bench/peers/compare.py --probity "$BIN/probity" --data "$DATA" --fairness-data "$DATA_1M" --peers "$PEERS" --out "$RESULTS"
python3 bench/peers/compare.py --probity "$BIN/probity" --data "$DATA_SHUFFLED" --dirty '' --fairness-data '' \
  --peers "$PEERS" --out "$RESULTS/shuffled"

# 3. timings
rm -rf "$RESULTS/main" "$RESULTS/shuffled/timings.tsv" "$RESULTS/shuffled/commands.tsv" "$RESULTS/fairness"
cp "$DATA_DIR/results/commit.txt" "$RESULTS/commit.txt" 2>/dev/null || echo unknown >"$RESULTS/commit.txt"
for shape in main shuffled; do
  data=$DATA
  [ "$shape" = shuffled ] && data=$DATA_SHUFFLED
  mapfile -t PEER_CMDS < <(python3 bench/peers/common.py "$data" "$PEERS")
  EXTRA=()
  [ "${BASELINE:-1}" = 0 ] || EXTRA+=("baseline_datafusion=$BIN/examples/baseline --data $data")
  [ -z "${BEFORE:-}" ] || EXTRA+=("probity_suite20_before=$BEFORE check bench/suite20.yaml --data loans=$data --format json")
  # serialised with other benchmarks on this machine (one lock for all)
  flock /tmp/probity-bench.lock bench/timeit.sh "$RESULTS/$shape/timings.tsv" "$RUNS" \
    "probity_suite20=$BIN/probity check bench/suite20.yaml --data loans=$data --format json" \
    "probity_suite20_approx=$BIN/probity check bench/suite20_approx.yaml --data loans=$data --format json" \
    "${EXTRA[@]}" "${PEER_CMDS[@]}"
done
[ "${FAIRNESS:-1}" = 0 ] || flock /tmp/probity-bench.lock bench/timeit.sh "$RESULTS/fairness/timings.tsv" "$RUNS" \
  "probity_fairness1=$BIN/probity check bench/peers/fairness1.yaml --data loans=$DATA_1M --format json" \
  "fairlearn=$DATA_DIR/venv/bin/python bench/peers/fairness.py --data $DATA_1M"

# 4. the report
python3 bench/peers/summarize.py peers --results "$RESULTS" --data "$DATA" --shuffled-data "$DATA_SHUFFLED" --rows 10000000 \
  --fairness-data "$DATA_1M" --out BENCHMARKS.md
echo "run.sh: wrote the Peers section of BENCHMARKS.md" >&2
