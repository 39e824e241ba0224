#!/usr/bin/env bash
# Renders the HTML report of the report tests' fixture (plus its variants:
# multi-column drift, equalized odds, disparate impact) in headless Chromium
# and checks that the page works there: the inline script ran to the end
# (`data-ready="1"`), reported no error (`#script-errors` empty), every
# failing check is listed in the DOM, and the `#only=` preset filter hides
# passing checks. Saves a screenshot for a person to look at.
#
# Usage: bash tests/browser/html_report.sh
# Installs Debian's chromium when /usr/bin/chromium is missing (needs root).
# Writes $CARGO_TARGET_DIR/html-report.html and $CARGO_TARGET_DIR/html-report.png.
set -euo pipefail
cd "$(dirname "$0")/../.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/probity-target}"
page="$CARGO_TARGET_DIR/html-report.html"
shot="$CARGO_TARGET_DIR/html-report.png"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() {
    echo "html_report: FAILED: $*" >&2
    exit 1
}

if [ ! -x /usr/bin/chromium ]; then
    echo "== installing chromium (Debian package)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is still missing after apt-get install"

echo "== rendering the fixture's page"
rm -f "$page" "$page.failing"
PROBITY_HTML_OUT="$page" cargo test --quiet --lib report::html::tests::write_fixture_page -- --exact >"$work/cargo.log" 2>&1 ||
    { cat "$work/cargo.log" >&2; fail "cargo test could not write the page"; }
[ -s "$page" ] || fail "the test wrote no page at $page"
[ -s "$page.failing" ] || fail "the test wrote no list of failing checks at $page.failing"

# One fresh profile per run; no network, sync, updates or first-run dialogs.
chrome() {
    /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d -p "$work")" "$@" 2>>"$work/chromium.log"
}

echo "== DOM after the script ran"
chrome --dump-dom "file://$page" >"$work/dom.html" || { cat "$work/chromium.log" >&2; fail "chromium --dump-dom exited with an error"; }
[ -s "$work/dom.html" ] || { cat "$work/chromium.log" >&2; fail "chromium dumped an empty DOM"; }
grep -q '<body[^>]*data-ready="1"' "$work/dom.html" || fail "the script did not finish: no data-ready=\"1\" on <body>"
errors="$(tr '\n' ' ' <"$work/dom.html" | grep -o '<pre id="script-errors"[^>]*>[^<]*</pre>' || true)"
[ -n "$errors" ] || fail "no #script-errors element in the DOM"
[[ "$errors" =~ \>\</pre\>$ ]] || fail "script errors: $errors"
grep -q '<nav id="filters" aria-label="[^"]*">' "$work/dom.html" || fail "the filters were not shown (still hidden)"
failures="$(sed -n '/<section id="failures"/,/<\/section>/p' "$work/dom.html")"
count=0
while IFS= read -r id; do
    grep -qF ">$id</a>" <<<"$failures" || fail "failing check $id is not in the DOM's failures list"
    count=$((count + 1))
done <"$page.failing"
echo "ok: script ran without errors; $count failing checks listed"

echo "== DOM with the #only=fail,error filter"
chrome --dump-dom "file://$page#only=fail,error" >"$work/filtered.html" || fail "chromium --dump-dom (filtered) exited with an error"
shown_pass="$(grep -c '<tbody class="check st-pass"[^>]*data-status="pass">' "$work/filtered.html" || true)"
hidden_pass="$(grep -c '<tbody class="check st-pass"[^>]*data-status="pass" hidden="">' "$work/filtered.html" || true)"
shown_fail="$(grep -c '<tbody class="check st-fail"[^>]*data-status="fail">' "$work/filtered.html" || true)"
[ "$shown_pass" -eq 0 ] && [ "$hidden_pass" -gt 0 ] || fail "the filter left passing checks visible ($shown_pass shown, $hidden_pass hidden)"
[ "$shown_fail" -gt 0 ] || fail "the filter hid the failed checks"
echo "ok: filter hides $hidden_pass passing checks, shows $shown_fail failed"

echo "== screenshot"
rm -f "$shot"
chrome --screenshot="$shot" --window-size=1400,2400 "file://$page" >/dev/null ||
    { cat "$work/chromium.log" >&2; fail "chromium --screenshot exited with an error"; }
[ -s "$shot" ] || fail "no screenshot at $shot"
echo "ok: page $page"
echo "ok: screenshot $shot"
