#!/usr/bin/env bash
# probity on Delta Lake tables written by delta-rs' own Python package
# (deltalake, pinned in requirements.txt), fresh for this run, from the
# sample data (make_tables.py): locally, then on a real S3 API server on
# loopback (moto, as tests/s3/run.sh), read through s3:// URLs.
#
#   1. checks/loans.yaml with `loans` at version 1 of the table and its
#      reference at version 0 gives the same checks as the Parquet files
#      those versions were written from (loans.parquet, loans_baseline.parquet).
#   2. The nightly question: the latest version (the dirty data) against
#      `version: previous`, named only by the table's folder, gives the same
#      checks as the dirty file against loans.parquet.
#   3. A timestamp between two commits reads the earlier version; a table
#      partitioned by `country` gives the checks of the unpartitioned file.
#   4. A table a newer writer changed (an unknown reader feature) is refused
#      with exit 2; so are versions that do not exist.
#   5. The same tables written to the S3 server, read as s3:// URLs, give
#      the same results as 1 and 2, and the JSON names each version read.
#   Also, locally and on S3: a table whose schema evolved (a column added
#   by a later append) reads the added column as null for older rows, and
#   its version 0 has no such column.
#
# Usage: tests/delta/run.sh   (from anywhere; honours CARGO_TARGET_DIR)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

venv="${PROBITY_VENV:-$HOME/.cache/probity-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" -r tests/s3/requirements.txt
py="$venv/bin/python"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/probity-target}"
cargo test --no-run --quiet --locked # the binary `cargo test` builds (same features)
bin="$CARGO_TARGET_DIR/debug/probity"

work="$(mktemp -d)"
moto=""
trap '[ -n "$moto" ] && stop_moto "$moto"; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
now=2026-11-01T12:00:00Z
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$py" "$here/make_tables.py" "$work/lake" >"$work/versions.json"

# run NAME SUITE [ARGS...]: probity's JSON in $work/NAME.json, its exit code in $code.
run() {
  local name=$1 suite=$2
  shift 2
  set +e
  "$bin" check "$suite" --format json --now "$now" --no-reports "$@" >"$work/$name.json" 2>"$work/$name.err"
  code=$?
  set -e
}
# same NAME_A NAME_B: the two runs' checks agree (provenance aside).
same() {
  PROVENANCE=0 "$py" tests/s3/compare.py "$work/$1.json" "$work/$2.json" || fail "$2: checks differ from $1"
}
# version NAME DATASET|reference EXPECTED: the Delta version the JSON says was read.
version() {
  local got
  got=$("$py" -c "
import json, sys
run = json.load(open('$work/$1.json'))
read = run['suites'][0].get('reference') if '$2' == 'reference' else run['datasets']['$2']
print(read['delta']['version'])")
  [ "$got" = "$3" ] || fail "$1: $2 read at version $got, expected $3"
}

# The example suite on its own, with the datasets it names rewritten.
suite_with() { # LOANS_SOURCE REFERENCE_SOURCE OUT
  sed -e "s#^  source: datasets/loans.parquet#  source: $1#" \
    -e "s#^reference: { source: datasets/loans_baseline.parquet }#reference: $2#" checks/loans.yaml >"$3"
}

check_tables() { # ROOT LABEL: the checks of 1 to 3 on the tables under ROOT
  local root=$1 label=$2
  suite_with "{ delta: $root/loans, version: 1 }" "{ delta: $root/loans, version: 0 }" "$work/v1.yaml"
  run "$label-v1" "$work/v1.yaml"
  [ "$code" = 0 ] || fail "$label: version 1 against 0: exit $code: $(head -3 "$work/$label-v1.err")"
  same files-v1 "$label-v1"
  version "$label-v1" loans 1
  version "$label-v1" reference 0

  suite_with "datasets/loans.parquet" "{ delta: $root/loans, version: previous }" "$work/nightly.yaml"
  run "$label-nightly" "$work/nightly.yaml" --data "loans=$root/loans"
  [ "$code" = 1 ] || fail "$label: the dirty version: exit $code, expected 1: $(head -3 "$work/$label-nightly.err")"
  same files-nightly "$label-nightly"
  version "$label-nightly" loans 2
  version "$label-nightly" reference 1
  # Schema evolution: version 1 added `score`; version 0's rows have none.
  printf 'version: 1\ndataset: { name: loans, source: { delta: %s } }\nchecks:\n%s\n' "$root/evolved" \
    "  - row_count: { min: 16000, max: 16000 }
  - missing: { column: score, max: 50% }
  - between: { column: score, min: 0, max: 1 }" >"$work/evolved.yaml"
  run "$label-evolved" "$work/evolved.yaml"
  [ "$code" = 0 ] || fail "$label: the evolved table: exit $code: $(head -5 "$work/$label-evolved.err") $(head -c 600 "$work/$label-evolved.json")"
  printf 'version: 1\ndataset: { name: loans, source: { delta: %s, version: 0 } }\nchecks:\n  - schema: { forbidden: [score] }\n' \
    "$root/evolved" >"$work/evolved0.yaml"
  run "$label-evolved0" "$work/evolved0.yaml"
  [ "$code" = 0 ] || fail "$label: the evolved table at version 0 has a score column: exit $code"
  echo "delta ($label): versions 1 against 0 and the latest against the previous give the checks of their files; schema evolution reads"
}

# What the tables were written from, read as files.
run files-v1 checks/loans.yaml
[ "$code" = 0 ] || fail "checks/loans.yaml: exit $code"
suite_with "datasets/loans.parquet" "{ source: datasets/loans.parquet }" "$work/files-nightly.yaml"
run files-nightly "$work/files-nightly.yaml" --data loans=datasets/dirty/loans.parquet

check_tables "$work/lake" local

# 3. A timestamp between versions 1 and 2 reads version 1; the partitioned table.
between=$("$py" -c "
import json, datetime
t = json.load(open('$work/versions.json'))['loans']
ms = (t['1'] + t['2']) // 2
print(datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).isoformat(timespec='milliseconds'))")
suite_with "{ delta: $work/lake/loans, timestamp: '$between' }" "{ delta: $work/lake/loans, version: 0 }" "$work/at.yaml"
run at "$work/at.yaml"
same files-v1 at
version at loans 1
grep -q "read at version 1 (the version as of $between)" "$work/at.err" || fail "timestamp: no note in $(cat "$work/at.err")"
run by_country checks/loans.yaml --data "loans=$work/lake/by_country"
same files-v1 by_country
version by_country loans 1
echo "delta (local): a timestamp between commits reads the earlier version; a partitioned table checks as its file"

# 4. Refused: a feature nobody reads, versions that do not exist.
expect_error() { # NAME EXPECTED SOURCE
  printf 'version: 1\ndataset: { name: loans, source: %s }\nchecks:\n  - row_count: { min: 1 }\n' "$3" >"$work/$1.yaml"
  run "$1" "$work/$1.yaml"
  [ "$code" = 2 ] || fail "$1: exit $code, expected 2"
  grep -q -- "$2" "$work/$1.err" || fail "$1: no \`$2\` in: $(cat "$work/$1.err")"
}
expect_error future "uses a feature this reader does not support" "$work/lake/future"
expect_error no_version "the latest is version 2" "{ delta: $work/lake/loans, version: 5 }"
expect_error no_previous "no version 1 before the latest" "{ delta: $work/lake/one_version, version: previous }"
echo "delta (local): unknown reader features and missing versions exit 2 with the cause"

# 5. The same tables on an S3 API server.
# shellcheck source=tests/s3/moto.sh
. tests/s3/moto.sh
port="$(free_port)"
start_moto "$port" "$work/moto.log"
moto=$moto_pid
export AWS_ACCESS_KEY_ID=probity-test-key AWS_SECRET_ACCESS_KEY=probity-test-secret AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ALLOW_HTTP=true
"$py" -c "import boto3; boto3.client('s3', endpoint_url='$AWS_ENDPOINT_URL').create_bucket(Bucket='lake')"
"$py" "$here/make_tables.py" s3://lake/tables >/dev/null
check_tables s3://lake/tables s3

if [ "$failures" != 0 ]; then
  echo "delta: $failures failed"
  exit 1
fi
echo "delta: all passed"
