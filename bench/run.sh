#!/usr/bin/env bash
# probity's benchmark, end to end: build, generate the 10M-row table if
# missing, time each command RUNS times, profile where the time goes, and
# write BENCHMARKS.md.
#
#   bench/run.sh                  # from the crate root or anywhere (~15 min)
#   RUNS=9 bench/run.sh           # more runs per command
#   PROFILE=0 bench/run.sh        # skip the breakdown (bench/profile.sh)
#
# Raw timings and outputs go to /root/bench-data/results (outside the repo).
# Needs /usr/bin/time (installed here if missing), python3 with PyYAML.
set -euo pipefail

cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/probity-target}"
export RUNS="${RUNS:-5}"
ROWS=10000000
DATA_DIR=/root/bench-data
DATA="$DATA_DIR/loans.parquet"
DATA_SHUFFLED="$DATA_DIR/loans_shuffled.parquet"   # the second shape (issue 14)
RESULTS="$DATA_DIR/results"
BIN="$RESULTS/bin"   # a private copy of the binaries: a rebuild elsewhere cannot swap them mid-run

if [ ! -x /usr/bin/time ]; then
  apt-get update && apt-get install -y time
fi

# (a) release binaries, and the code they were built from
cargo build --release --bin probity --example generate --example baseline
mkdir -p "$BIN/examples"
cp "$CARGO_TARGET_DIR/release/probity" "$BIN/"
cp "$CARGO_TARGET_DIR/release/examples/generate" "$CARGO_TARGET_DIR/release/examples/baseline" "$BIN/examples/"
commit="$(git rev-parse --short HEAD)"
changed="$(git status --porcelain -- src Cargo.toml Cargo.lock | wc -l)"
if [ "$changed" -gt 0 ]; then
  commit="$commit with $changed uncommitted change(s) in src/ or Cargo files (work in progress)"
fi
echo "$commit" >"$RESULTS/commit.txt"

# (b) the data
if [ ! -f "$DATA" ]; then
  "$BIN/examples/generate" --rows "$ROWS" --out "$DATA_DIR" --only loans
fi
if [ ! -f "$DATA_SHUFFLED" ]; then
  "$BIN/examples/generate" --rows "$ROWS" --out "$DATA_DIR" --only loans --shape shuffled
fi

# (c) timings
python3 bench/make_suite120.py >&2
rm -rf "$RESULTS/main"
# serialised with other benchmarks on this machine (one lock for all)
flock /tmp/probity-bench.lock bench/timeit.sh "$RESULTS/main/timings.tsv" "$RUNS" \
  "probity_suite20=$BIN/probity check bench/suite20.yaml --data loans=$DATA --format json" \
  "probity_suite20_approx=$BIN/probity check bench/suite20_approx.yaml --data loans=$DATA --format json" \
  "probity_suite120=$BIN/probity check bench/suite120.yaml --data loans=$DATA --format json" \
  "probity_suite20_shuffled=$BIN/probity check bench/suite20.yaml --data loans=$DATA_SHUFFLED --format json" \
  "probity_suite20_approx_shuffled=$BIN/probity check bench/suite20_approx.yaml --data loans=$DATA_SHUFFLED --format json" \
  "baseline_concurrent_shuffled=$BIN/examples/baseline --data $DATA_SHUFFLED" \
  "baseline_concurrent=$BIN/examples/baseline --data $DATA" \
  "baseline_serial=$BIN/examples/baseline --data $DATA --serial" \
  "floor=$BIN/examples/baseline --data $DATA --floor"
mkdir -p "$RESULTS/plans"   # the optimized logical plans, to compare by eye
"$BIN/probity" plan bench/suite20.yaml --data "loans=$DATA" >"$RESULTS/plans/probity_suite20.txt"
"$BIN/probity" plan bench/suite120.yaml --data "loans=$DATA" >"$RESULTS/plans/probity_suite120.txt"
"$BIN/probity" plan bench/suite20.yaml --data "loans=$DATA_SHUFFLED" >"$RESULTS/plans/probity_suite20_shuffled.txt"
"$BIN/examples/baseline" --data "$DATA" --explain >"$RESULTS/plans/baseline.txt"
if [ "${PROFILE:-1}" != 0 ]; then
  flock /tmp/probity-bench.lock bench/profile.sh
fi

# (d) the report
python3 bench/summarize.py --results "$RESULTS" --rows "$ROWS" --data "$DATA" --shuffled-data "$DATA_SHUFFLED" \
  --findings bench/findings.md --out BENCHMARKS.md
echo "wrote BENCHMARKS.md" >&2
