#!/usr/bin/env bash
# The 20-check suite on the 10M-row loans table stored as a Delta table
# (written by delta-rs' Python package from the same Parquet data) against
# the same run on the table's own Parquet files named by a glob (the same
# bytes without the log) and on the benchmark's file (BENCHMARKS.md, "Delta
# tables"). Two
# shapes of table: one version of one file per 1M-row batch, and a table
# grown by 10 appends then a delete (11 versions, rewritten files) read at
# its latest version; plus the nightly shape, the latest version against
# `version: previous` for drift. Side by side, each round running all.
#
#   bench/delta.sh          # RUNS=5 rounds; this tree's release binary
set -euo pipefail

cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/probity-target}"
RUNS="${RUNS:-5}"
DATA_DIR=/root/bench-data
OUT="$DATA_DIR/delta"
LOANS="$DATA_DIR/loans.parquet"
venv="${PROBITY_VENV:-$HOME/.cache/probity-venv}"
py="$venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check -r tests/delta/requirements.txt
mkdir -p "$OUT/bin"

cargo build --release --locked --bin probity --example generate --example baseline
cp "$CARGO_TARGET_DIR/release/probity" "$OUT/bin/probity"
git rev-parse --short HEAD >"$OUT/commit.txt"
[ -f "$LOANS" ] || "$CARGO_TARGET_DIR/release/examples/generate" --rows 10000000 --out "$DATA_DIR" --only loans

# The tables (written once; delete $OUT/one and $OUT/grown to rewrite them).
"$py" - "$LOANS" "$OUT" <<'PY'
import os, sys
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake
loans, out = sys.argv[1], sys.argv[2]
table = pq.read_table(loans)
if not os.path.exists(f"{out}/one/_delta_log"):
    write_deltalake(f"{out}/one", table, mode="overwrite")
if not os.path.exists(f"{out}/grown/_delta_log"):
    step = table.num_rows // 10
    for i in range(10):
        write_deltalake(f"{out}/grown", table.slice(i * step, step), mode="append" if i else "overwrite")
    DeltaTable(f"{out}/grown").delete("term_months = 12 AND age > 70")
print("tables ready", file=sys.stderr)
PY

sed -e "s#^  source: .*#  source: { delta: $OUT/grown }#" bench/suite20.yaml >"$OUT/suite20_grown.yaml"
cat >"$OUT/nightly.yaml" <<YAML
version: 1
dataset: { name: loans, source: { delta: $OUT/grown } }
reference: { delta: $OUT/grown, version: previous }
checks:
  - drift: { column: amount, test: wasserstein_std, max: 0.1 }
  - drift: { column: score, test: ks, max_statistic: 0.05 }
  - drift: { column: purpose, test: js, max: 0.1 }
YAML
sed -e "s#^dataset: .*#dataset: { name: loans, source: $LOANS }#" -e "s#^reference: .*#reference: $LOANS#" \
  "$OUT/nightly.yaml" >"$OUT/nightly_files.yaml"

rm -f "$OUT/timings.tsv" "$OUT/commands.tsv"
cmds=(
  "pr_parquet=$OUT/bin/probity check bench/suite20.yaml --data loans=$LOANS --format json"
  "pr_files_one=$OUT/bin/probity check bench/suite20.yaml --data loans=$OUT/one/*.parquet --format json"
  "pr_delta_one=$OUT/bin/probity check bench/suite20.yaml --data loans=$OUT/one --format json"
  "pr_delta_grown=$OUT/bin/probity check $OUT/suite20_grown.yaml --format json"
  "pr_drift_files=$OUT/bin/probity check $OUT/nightly_files.yaml --format json"
  "pr_drift_delta=$OUT/bin/probity check $OUT/nightly.yaml --format json"
)
bench/timeit.sh "$OUT/timings.tsv" "$RUNS" "${cmds[@]}"

"$py" bench/ab_summary.py "$OUT" pr_delta_one/pr_files_one pr_delta_one/pr_parquet pr_delta_grown/pr_parquet pr_drift_delta/pr_drift_files | tee "$OUT/summary.md"
