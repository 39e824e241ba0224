#!/usr/bin/env bash
# probity's peak memory on a 100M-row loans table (issue #6: the whole suite
# under 1 GiB of peak RSS with a bounded DataFusion memory pool).
#
#   bench/peers/memory.sh                     # ~30 min on 2 cores
#   LIMITS="512M" PER_CHECK=0 SWEEP="" REPEAT=0 bench/peers/memory.sh
#
# 1. Generates /root/bench-data/100m/loans.parquet (100M rows, ~1.9 GB) if
#    missing, after checking the free disk space (the data, plus room for
#    DataFusion's spill files).
# 2. Runs under `/usr/bin/time -v`, for each memory limit in LIMITS:
#      suite20   bench/suite20.yaml
#      fairness2 bench/fairness2.yaml
#      drift10   bench/drift10.yaml (reference: /root/bench-data/loans_baseline.parquet)
#      all3      the three suites in one probity run
#    each with `--data loans=<100M file> --memory-limit LIMIT --format json`.
# 3. With PER_CHECK=1 (default), runs each of suite20's 20 checks alone at the
#    first limit of LIMITS, to find which check sets the peak.
# 4. Runs the check that does (`unique: application_id`) alone on the 100M
#    table at every limit of SWEEP (peak RSS against the limit), then REPEAT
#    times at SMALL_LIMIT on the 10M-row table (bench/run.sh's), where it
#    sometimes fails with "Resources exhausted" and sometimes hangs.
# Every run has a time limit (TIMEOUT, SMALL_TIMEOUT): a run killed by it has
# exit code 124; its CPU time tells a hang (CPU stops) from a slow run.
# DataFusion's spill files go to a private TMPDIR, emptied after each run.
# Writes /root/bench-data/results-memory/memory.tsv (one line per run:
# name, limit, wall s, peak RSS KB, exit code, user s, sys s, KB written,
# first error line) and keeps each run's stdout/stderr there. Then writes the
# `## Memory at 100M rows` section of BENCHMARKS.md (bench/peers/summarize.py).
set -euo pipefail
cd "$(dirname "$0")/../.."

DATA_DIR=/root/bench-data
BIN="${BIN:-$DATA_DIR/results/bin}"
DATA="$DATA_DIR/100m/loans.parquet"
REFERENCE="$DATA_DIR/loans_baseline.parquet"
OUT="${MEMORY_RESULTS:-$DATA_DIR/results-memory}"
DATA_10M="$DATA_DIR/loans.parquet"
LIMITS="${LIMITS:-512M 256M}"
PER_CHECK="${PER_CHECK:-1}"
SWEEP="${SWEEP-1G 768M 512M 384M 256M 128M 64M}"
SMALL_LIMIT="${SMALL_LIMIT:-16M}"
REPEAT="${REPEAT:-6}"
TIMEOUT="${TIMEOUT:-600}"           # s, 100M-row runs (the slowest normal run takes ~90 s)
SMALL_TIMEOUT="${SMALL_TIMEOUT:-60}" # s, 10M-row runs (a normal one takes ~3 s)
ROWS=100000000

[ -x /usr/bin/time ] || { apt-get update && apt-get install -y time; }

# Free space: the data if it is missing (~1.9 GB), plus ~2.3 GB of spill files
# for the unique check on 100M rows (kept under $OUT/spill), plus a margin.
need_kb=$((5 * 1024 * 1024))
[ -f "$DATA" ] || need_kb=$((need_kb + 2 * 1024 * 1024))
free_kb=$(df -Pk "$DATA_DIR" | awk 'NR == 2 { print $4 }')
if [ "$free_kb" -lt "$need_kb" ]; then
  echo "memory.sh: $((free_kb / 1024)) MB free under $DATA_DIR, need ~$((need_kb / 1024)) MB" >&2
  exit 1
fi
if [ ! -f "$DATA" ]; then
  mkdir -p "$(dirname "$DATA")"
  "$BIN/examples/generate" --rows "$ROWS" --out "$(dirname "$DATA")" --only loans
fi
[ -f "$REFERENCE" ] || "$BIN/examples/generate" --rows 1000000 --out "$DATA_DIR" --only baseline

rm -rf "$OUT"
mkdir -p "$OUT/suites"
df -h "$DATA_DIR" >"$OUT/df.txt"
cp "$BIN/../commit.txt" "$OUT/commit.txt" 2>/dev/null || true

# One suite per check of suite20: its header (everything up to `checks:`) and one check line.
python3 - bench/suite20.yaml "$OUT/suites" <<'PY'
import sys
from pathlib import Path
lines = Path(sys.argv[1]).read_text().splitlines()
cut = lines.index("checks:") + 1
header, checks = lines[:cut], [l for l in lines[cut:] if l.startswith("  - ")]
for i, check in enumerate(checks, 1):
    Path(sys.argv[2], f"check{i:02d}.yaml").write_text("\n".join(header + [check]) + "\n")
PY

run() { # name limit data timeout args...
  local name=$1 limit=$2 data=$3 limit_s=$4
  shift 4
  local tag="${name}_${limit}" code=0
  echo "memory.sh: $tag ..." >&2
  mkdir -p "$OUT/spill"
  TMPDIR="$OUT/spill" /usr/bin/time -v -o "$OUT/$tag.time" timeout "$limit_s" \
    "$BIN/probity" check "$@" --data "loans=$data" --memory-limit "$limit" --format json \
    >"$OUT/$tag.json" 2>"$OUT/$tag.err" || code=$?
  rm -rf "$OUT/spill"
  local wall rss user sys written err
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$OUT/$tag.time")
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT/$tag.time")
  user=$(awk -F': ' '/User time/ { print $2 }' "$OUT/$tag.time")
  sys=$(awk -F': ' '/System time/ { print $2 }' "$OUT/$tag.time")
  written=$(awk -F': ' '/File system outputs/ { print int($2 / 2) }' "$OUT/$tag.time") # 512-byte blocks -> KB
  err=$(grep -m1 -i -E "error|exhausted|panick" "$OUT/$tag.err" | tr '\t' ' ' | cut -c1-400 || true)
  [ "$code" = 124 ] && err="killed after ${limit_s} s (time limit)${err:+; $err}"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$limit" "$wall" "$rss" "$code" "$user" "$sys" "$written" "$err" >>"$OUT/memory.tsv"
  echo "memory.sh: $tag: ${wall}s, CPU $user+$sys s, peak RSS $((rss / 1024)) MB, exit $code${err:+, $err}" >&2
}

: >"$OUT/memory.tsv"
REF="loans__reference=$REFERENCE"
for limit in $LIMITS; do
  run suite20 "$limit" "$DATA" "$TIMEOUT" bench/suite20.yaml
  run fairness2 "$limit" "$DATA" "$TIMEOUT" bench/fairness2.yaml
  run drift10 "$limit" "$DATA" "$TIMEOUT" bench/drift10.yaml --data "$REF"
  run all3 "$limit" "$DATA" "$TIMEOUT" bench/suite20.yaml bench/fairness2.yaml bench/drift10.yaml --data "$REF"
done
if [ "$PER_CHECK" != 0 ]; then
  first=${LIMITS%% *}
  for suite in "$OUT"/suites/check*.yaml; do
    run "suite20_$(basename "$suite" .yaml)" "$first" "$DATA" "$TIMEOUT" "$suite"
  done
fi
UNIQUE="$OUT/suites/check04.yaml" # unique: application_id
grep -q "unique: application_id" "$UNIQUE" || { echo "memory.sh: check04 is not the unique check" >&2; exit 1; }
for limit in $SWEEP; do
  run unique100m "$limit" "$DATA" "$TIMEOUT" "$UNIQUE"
done
for i in $(seq "$REPEAT"); do
  run "unique10m_run$i" "$SMALL_LIMIT" "$DATA_10M" "$SMALL_TIMEOUT" "$UNIQUE"
done

python3 bench/peers/summarize.py memory --results "$OUT" --data "$DATA" --rows "$ROWS" --out BENCHMARKS.md
echo "memory.sh: wrote the Memory section of BENCHMARKS.md" >&2
