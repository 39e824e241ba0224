#!/usr/bin/env bash
# Where the time goes: probity on parts of the suites next to the same parts
# hand-written (examples/baseline.rs --sql-file), plus a few micro-queries.
# Called by bench/run.sh (skip with PROFILE=0), which builds the binaries,
# copies them to /root/bench-data/results/bin and generates the data.
# Writes /root/bench-data/results/profile/timings.tsv.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
DATA=/root/bench-data/loans.parquet
BIN=/root/bench-data/results/bin   # the copy bench/run.sh made after building
OUT=/root/bench-data/results/profile
IN=/root/bench-data/profile-inputs

python3 bench/profile_inputs.py "$IN" >&2
probity="$BIN/probity check --data loans=$DATA --format json"
sql="$BIN/examples/baseline --data $DATA --sql-file"

cmds=(
  "pr_scalar20=$probity $IN/scalar20.yaml" "hand_scalar20=$sql $IN/scalar20.sql"
  "pr_scalar120=$probity $IN/scalar120.yaml" "hand_scalar120=$sql $IN/scalar120.sql"
)
for f in between in_set_int in_set_str stat_simple stat_approx missing condition; do
  cmds+=("pr_scalar20+$f=$probity $IN/scalar20+$f.yaml" "hand_scalar20+$f=$sql $IN/scalar20+$f.sql")
done
for part in scalar20 scalar120 scalar20+condition; do
  cmds+=("pform_$part=$sql $IN/$part.pform.sql")
done
cmds+=(
  "pr_unique=$probity $IN/unique.yaml" "hand_unique=$BIN/examples/baseline --data $DATA --part unique"
  "pr_distinct=$probity $IN/distinct.yaml" "hand_distinct=$BIN/examples/baseline --data $DATA --part distinct"
  "pr_suite20_tp1=$probity bench/suite20.yaml --target-partitions 1"
  "pr_suite20_tp2=$probity bench/suite20.yaml --target-partitions 2"
  "pr_suite20_tp4=$probity bench/suite20.yaml --target-partitions 4"
  "micro_between40_none=$sql $IN/between40_none.sql"
  "micro_between40_filter=$sql $IN/between40_filter.sql"
  "micro_between40_bool_or=$sql $IN/between40_bool_or.sql"
  "micro_dup_keys_application_id=$sql $IN/dup_keys_application_id.sql"
  "micro_dup_keys_loan_id=$sql $IN/dup_keys_loan_id.sql"
  "micro_email_scan=$sql $IN/email_scan.sql"
  "micro_email_regex=$sql $IN/email_regex.sql"
  "micro_value_counts_purpose=$sql $IN/value_counts_purpose.sql"
  "micro_value_counts_email=$sql $IN/value_counts_email.sql"
)

rm -rf "$OUT"
mkdir -p "$OUT"
bench/timeit.sh "$OUT/timings.tsv" "$RUNS" "${cmds[@]}"
