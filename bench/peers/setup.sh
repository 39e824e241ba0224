#!/usr/bin/env bash
# Installs the peer tools of the comparison (bench/peers/) in virtualenvs
# outside the repo, at pinned versions, and records what got installed.
#
#   bench/peers/setup.sh        # idempotent: does nothing when the pins have not changed
#
# Two virtualenvs, because soda-core-duckdb 3.5.6 (the last SodaCL release with
# a DuckDB data source) pins duckdb<1.1.0, and the hand-written DuckDB peer
# should run a current DuckDB:
#   /root/bench-data/venv       Great Expectations (pandas), pandera (polars),
#                               polars, duckdb, pyarrow, Fairlearn (+ scikit-learn, pandas)
#   /root/bench-data/venv-soda  Soda Core with DuckDB (SodaCL, `soda scan`)
# (pytz: DuckDB needs it to return TIMESTAMP WITH TIME ZONE values to Python.)
# Versions of every installed package: /root/bench-data/results-peers/versions.txt
set -euo pipefail

DATA_DIR=/root/bench-data
VENV="$DATA_DIR/venv"
VENV_SODA="$DATA_DIR/venv-soda"
RESULTS="${PEER_RESULTS:-$DATA_DIR/results-peers}"
PYTHON="${PYTHON:-python3.11}"

MAIN_PINS=(
  "great_expectations==1.24.1"
  "pandera[polars]==0.35.0"
  "polars==2.1.0"
  "duckdb==2.0.0"
  "pyarrow==26.0.1"
  "pandas==3.1.1"
  "numpy==2.4.6"
  "fairlearn==0.15.0"
  "scikit-learn==1.9.1"
  "PyYAML==6.0.3"
  "pytz==2026.6"
)
SODA_PINS=(
  "soda-core==3.5.6"
  "soda-core-duckdb==3.5.6"
  "duckdb==1.0.0"
  "pytz==2026.6"
)

install() { # venv pins...
  local venv=$1
  shift
  local want stamp="$venv/.probity-pins"
  want=$(printf '%s\n' "$@" "$PYTHON")
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
    && "$venv/bin/pip" check >/dev/null 2>&1; then
    echo "setup: $venv is up to date" >&2
    return
  fi
  echo "setup: installing into $venv: $*" >&2
  [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet "$@"
  "$venv/bin/pip" check
  printf '%s\n' "$want" >"$stamp"
}

install "$VENV" "${MAIN_PINS[@]}"
install "$VENV_SODA" "${SODA_PINS[@]}"

mkdir -p "$RESULTS"
{
  echo "# $VENV ($("$VENV/bin/python" --version))"
  "$VENV/bin/pip" freeze
  echo
  echo "# $VENV_SODA ($("$VENV_SODA/bin/python" --version))"
  "$VENV_SODA/bin/pip" freeze
} >"$RESULTS/versions.txt"
echo "setup: versions in $RESULTS/versions.txt" >&2
