#!/usr/bin/env bash
# Real consumers read probity's JUnit XML and Prometheus text: junitparser and
# prometheus_client's text parser (the same parsers CI tools and exporters
# build on) parse the fixture run and a hostile variant, and every suite,
# test case, status, count and label must come back as the JSON says. The
# JUnit XML is also validated against the Jenkins JUnit schema shipped in the
# junit-report crate's source (skipped when that source is not on disk).
#
# Usage: tests/consumers/check.sh   (from anywhere; honours CARGO_TARGET_DIR)
# The Python packages go into a venv at ${PROBITY_VENV:-$HOME/.cache/probity-venv},
# created on first use, with the versions pinned in requirements.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

venv="${PROBITY_VENV:-$HOME/.cache/probity-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
PROBITY_REPORTS_OUT="$out" cargo test --quiet --locked --lib report::consumers::write_for_consumers -- --exact --ignored

xsd="$(cargo metadata --format-version 1 --locked 2>/dev/null | "$venv/bin/python" -c '
import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "junit-report":
        print(os.path.join(os.path.dirname(p["manifest_path"]), "tests", "JUnit.xsd"))
' || true)"

"$venv/bin/python" "$here/check.py" "$out" "$xsd"
