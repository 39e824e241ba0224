#!/usr/bin/env bash
# probity against a real S3 API server on loopback: moto's server mode
# (moto[server] from PyPI, pinned in requirements.txt), started here on a
# free port and stopped on exit. Nothing is mocked inside probity: it talks
# HTTP to the server through object_store's S3 client.
#
#   1. Every example suite (checks/) and golden suite (tests/golden/), its
#      sources rewritten to s3:// copies uploaded to the server, gives the
#      same JSON as the local run (apart from times and the s3:// prefix).
#   2. A recognisable secret in AWS_SECRET_ACCESS_KEY appears in no output:
#      stdout, stderr and every report file of a failing run and of runs
#      that fail to read.
#   3. Bad input exits 2 with a message naming the dataset, the URL and the
#      cause: a bucket that does not exist, a key that does not exist, an
#      endpoint that does not answer (bounded by storage.timeout), refused
#      credentials (a second moto server that authenticates), an https://
#      endpoint whose certificate is not trusted, secrets written into a
#      suite; and a named AWS profile read from the shared files.
#
# Usage: tests/s3/run.sh   (from anywhere; honours CARGO_TARGET_DIR)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

venv="${PROBITY_VENV:-$HOME/.cache/probity-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
py="$venv/bin/python"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/probity-target}"
# The binary `cargo test` builds: `cargo build --bin probity` alone would
# select other dependency features (no dev-dependencies) and rebuild DataFusion.
cargo test --no-run --quiet --locked
bin="$CARGO_TARGET_DIR/debug/probity"

# shellcheck source=tests/s3/moto.sh
. "$here/moto.sh"
work="$(mktemp -d)"
port="$(free_port)"
start_moto "$port" "$work/moto.log"
moto=$moto_pid
trap 'stop_moto "$moto"; rm -rf "$work"' EXIT

secret="probity-TEST-SECRET-9f27c1e0"
export AWS_ACCESS_KEY_ID=probity-test-key AWS_SECRET_ACCESS_KEY="$secret" AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ALLOW_HTTP=true
bucket=probity
"$py" "$here/upload.py" "$AWS_ENDPOINT_URL" "$bucket" datasets/*.parquet datasets/dirty/*.parquet tests/golden/data/*.parquet

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The suites with their sources on the server (comment lines left alone).
to_s3() { sed -E "/^[[:space:]]*#/!s#(^|[ {:])(datasets/|tests/golden/data/)#\\1s3://$bucket/\\2#g" "$1"; }
now=2026-11-01T12:00:00Z
compared=0
for suite in checks/*.yaml tests/golden/*/*.yaml; do
  copy="$work/suites/$suite"
  mkdir -p "$(dirname "$copy")"
  to_s3 "$suite" >"$copy"
  set +e
  "$bin" check "$suite" --format json --now "$now" --no-reports >"$work/local.json" 2>"$work/local.err"
  lc=$?
  "$bin" check "$copy" --format json --now "$now" --no-reports >"$work/s3.json" 2>"$work/s3.err"
  sc=$?
  set -e
  if [ "$lc" != "$sc" ]; then
    fail "$suite: exit $lc locally, $sc from S3: $(head -3 "$work/s3.err")"
  elif [ -s "$work/local.json" ]; then
    "$py" "$here/compare.py" "$work/local.json" "$work/s3.json" "s3://$bucket/" || fail "$suite: results differ"
  elif ! diff <(sed "s#$work/suites/##" "$work/s3.err" | sed "s#s3://$bucket/##g") "$work/local.err" >/dev/null; then
    fail "$suite: errors differ: $(head -3 "$work/s3.err")"
  fi
  compared=$((compared + 1))
done
echo "s3: $compared suites give the same results from s3://$bucket/ as from local files"

# The example suites as a whole, on dirty data, with every report written.
mkdir -p "$work/suites/checks-all" "$work/reports"
for suite in checks/*.yaml; do to_s3 "$suite" >"$work/suites/checks-all/$(basename "$suite")"; done
set +e
"$bin" check "$work/suites/checks-all" --now "$now" --out "$work/reports" \
  --data "loans=s3://$bucket/datasets/dirty/loans.parquet" --data "customers=s3://$bucket/datasets/dirty/customers.parquet" \
  --json "$work/reports/r.json" --junit "$work/reports/r.xml" --markdown "$work/reports/r.md" \
  --html "$work/reports/r.html" --prometheus "$work/reports/r.prom" >"$work/reports/stdout.txt" 2>"$work/reports/stderr.txt"
code=$?
set -e
[ "$code" = 1 ] || fail "dirty data from S3: exit $code, expected 1: $(head -3 "$work/reports/stderr.txt")"

# Bad input: exit 2, the dataset, the URL and the cause named.
expect_error() { # NAME EXPECTED_TEXT SUITE_TEXT
  local name=$1 expected=$2
  printf '%s\n' "$3" >"$work/$name.yaml"
  set +e
  "$bin" check "$work/$name.yaml" --no-reports >"$work/reports/$name.out" 2>"$work/reports/$name.err"
  local code=$?
  set -e
  [ "$code" = 2 ] || fail "$name: exit $code, expected 2"
  grep -q -- "$expected" "$work/reports/$name.err" || fail "$name: no \`$expected\` in: $(cat "$work/reports/$name.err")"
}
head_="version: 1"
checks_="checks:
  - row_count: { min: 1 }"
expect_error no_bucket "does not exist (the store answered 404" "$head_
dataset: { name: loans, source: s3://no-such-bucket/loans.parquet }
$checks_"
expect_error no_key "no .parquet files match" "$head_
dataset: { name: loans, source: s3://$bucket/datasets/nothing_here.parquet }
$checks_"
dead="$(free_port)"
start=$(date +%s)
expect_error no_answer "did not answer" "$head_
dataset: { name: loans, source: s3://$bucket/datasets/loans.parquet }
storage: { endpoint: \"http://127.0.0.1:$dead\", timeout: 2 }
$checks_"
waited=$(($(date +%s) - start))
[ "$waited" -le 60 ] || fail "no_answer: took ${waited}s, beyond its bound"
# A server that accepts connections and never answers: the timeout bounds it.
"$py" -c "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', $dead)); s.listen(16); time.sleep(120)" &
silent=$!
sleep 0.5
start=$(date +%s)
expect_error silent "did not answer" "$head_
dataset: { name: loans, source: s3://$bucket/datasets/loans.parquet }
storage: { endpoint: \"http://127.0.0.1:$dead\", timeout: 2 }
$checks_"
hung=$(($(date +%s) - start))
kill "$silent" 2>/dev/null || true
[ "$hung" -le 30 ] || fail "silent: took ${hung}s, beyond its bound"
# A server that checks credentials (moto with authentication from the first
# request) refuses ours: 403.
strict="$(free_port)"
INITIAL_NO_AUTH_ACTION_COUNT=0 start_moto "$strict" "$work/moto-strict.log"
strict_pid=$moto_pid
expect_error refused "refused the credentials (403" "$head_
dataset: { name: loans, source: s3://$bucket/datasets/loans.parquet }
storage: { endpoint: \"http://127.0.0.1:$strict\" }
$checks_"
stop_moto "$strict_pid"
# An https:// endpoint whose certificate is not trusted: refused, and said so.
tls="$(free_port)"
"$py" "$here/tls_server.py" "$tls" &
tls_pid=$!
"$py" -c "import socket, time
for _ in range(100):
    try: socket.create_connection(('127.0.0.1', $tls), 0.2); break
    except OSError: time.sleep(0.1)"
expect_error untrusted_tls "TLS certificate is not trusted" "$head_
dataset: { name: loans, source: s3://$bucket/datasets/loans.parquet }
storage: { endpoint: \"https://127.0.0.1:$tls\", timeout: 5 }
$checks_"
kill "$tls_pid" 2>/dev/null || true
expect_error secret_in_url "the source URL holds credentials" "$head_
dataset: { name: loans, source: \"s3://probity-test-key:$secret@$bucket/datasets/loans.parquet\" }
$checks_"
expect_error secret_in_suite "suite files never hold secrets" "$head_
dataset: { name: loans, source: s3://$bucket/datasets/loans.parquet }
storage: { secret_access_key: \"$secret\" }
$checks_"
echo "s3: bad input exits 2 with the cause (a refused connection: ${waited} s; a server that never answers, timeout 2 s: ${hung} s)"

# A named profile from the shared AWS files (no keys or endpoint in the
# environment): its keys, region and endpoint_url are used.
printf '[probity-ci]\naws_access_key_id = probity-test-key\naws_secret_access_key = %s\n' "$secret" >"$work/credentials"
printf '[profile probity-ci]\nregion = us-east-1\nendpoint_url = %s\n' "$AWS_ENDPOINT_URL" >"$work/config"
printf 'version: 1\ndataset: { name: loans, source: s3://%s/datasets/loans.parquet }\nchecks:\n  - row_count: { min: 8000, max: 8000 }\n' \
  "$bucket" >"$work/profile.yaml"
set +e
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL -u AWS_REGION AWS_PROFILE=probity-ci \
  AWS_SHARED_CREDENTIALS_FILE="$work/credentials" AWS_CONFIG_FILE="$work/config" \
  "$bin" check "$work/profile.yaml" --no-reports >"$work/reports/profile.out" 2>"$work/reports/profile.err"
code=$?
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_PROFILE=no-such-profile \
  AWS_SHARED_CREDENTIALS_FILE="$work/credentials" AWS_CONFIG_FILE="$work/config" \
  "$bin" check "$work/profile.yaml" --no-reports >"$work/reports/no_profile.out" 2>"$work/reports/no_profile.err"
missing=$?
set -e
[ "$code" = 0 ] || fail "profile: exit $code: $(head -3 "$work/reports/profile.err")"
[ "$missing" = 2 ] && grep -q "AWS_PROFILE names \`no-such-profile\`" "$work/reports/no_profile.err" ||
  fail "a missing profile: exit $missing: $(head -3 "$work/reports/no_profile.err")"
echo "s3: a named profile's keys, region and endpoint are read from the shared files; a missing one exits 2"

# The secret appears nowhere: outputs, reports, error messages.
if grep -r -l -- "$secret" "$work/reports" >/dev/null; then
  fail "the secret appears in: $(grep -r -l -- "$secret" "$work/reports" | tr '\n' ' ')"
fi
echo "s3: the secret appears in none of $(find "$work/reports" -type f | wc -l) output files"

if [ "$failures" != 0 ]; then
  echo "s3: $failures failed"
  exit 1
fi
echo "s3: all passed"
