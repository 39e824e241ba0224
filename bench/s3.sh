#!/usr/bin/env bash
# The 20-check suite on the 10M-row loans table read from a real S3 API server
# on loopback (moto's server mode, as tests/s3/run.sh starts it) against the
# same run on the local file (BENCHMARKS.md, "Object stores"). Side by side,
# each round running both; medians and the ratio. Also the failing copy
# (bench/failing.sh's fail.parquet) when it exists.
#
#   bench/s3.sh             # RUNS=5 rounds; this tree's release binary
set -euo pipefail

cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/probity-target}"
RUNS="${RUNS:-5}"
DATA_DIR=/root/bench-data
OUT="$DATA_DIR/s3"
LOANS="$DATA_DIR/loans.parquet"
FAIL="$DATA_DIR/failing/fail.parquet"
venv="${PROBITY_VENV:-$HOME/.cache/probity-venv}"
py="$venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check -r tests/s3/requirements.txt
mkdir -p "$OUT/bin"

cargo build --release --locked --bin probity --example generate --example baseline
cp "$CARGO_TARGET_DIR/release/probity" "$OUT/bin/probity"
git rev-parse --short HEAD >"$OUT/commit.txt"
[ -f "$LOANS" ] || "$CARGO_TARGET_DIR/release/examples/generate" --rows 10000000 --out "$DATA_DIR" --only loans

# shellcheck source=tests/s3/moto.sh
. tests/s3/moto.sh
port="$(free_port)"
start_moto "$port" "$OUT/moto.log"
moto=$moto_pid
trap 'stop_moto "$moto"' EXIT
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ALLOW_HTTP=true
cp "$LOANS" "$OUT/loans.parquet"
files=("loans.parquet")
if [ -f "$FAIL" ]; then
  cp "$FAIL" "$OUT/fail.parquet"
  files+=("fail.parquet")
fi
(cd "$OUT" && "$py" "$OLDPWD/tests/s3/upload.py" "$AWS_ENDPOINT_URL" bench "${files[@]}")

rm -f "$OUT/timings.tsv" "$OUT/commands.tsv"
cmds=(
  "pr_local=$OUT/bin/probity check bench/suite20.yaml --data loans=$OUT/loans.parquet --format json"
  "pr_s3=$OUT/bin/probity check bench/suite20.yaml --data loans=s3://bench/loans.parquet --format json"
)
if [ -f "$OUT/fail.parquet" ]; then
  cmds+=(
    "pr_fail_local=$OUT/bin/probity check bench/suite20.yaml --data loans=$OUT/fail.parquet --format json"
    "pr_fail_s3=$OUT/bin/probity check bench/suite20.yaml --data loans=s3://bench/fail.parquet --format json"
  )
fi
bench/timeit.sh "$OUT/timings.tsv" "$RUNS" "${cmds[@]}"

"$py" bench/ab_summary.py "$OUT" pr_s3/pr_local pr_fail_s3/pr_fail_local | tee "$OUT/summary.md"
