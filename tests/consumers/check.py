"""Parses probity's JUnit XML and Prometheus text with real consumers and
compares every suite, case, status, count and label with the JSON of the same
run. Called by check.sh: check.py OUT_DIR [JUNIT_XSD]."""

import json
import os
import re
import sys
from datetime import datetime

import xmlschema
from junitparser import Error, Failure, JUnitXml, Skipped
from prometheus_client.parser import text_string_to_metric_families

STATUSES = ["pass", "warn", "fail", "error", "skipped"]
# XML cannot carry most control characters: probity writes U+FFFD instead.
INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def attribute(s):
    """A string as it reads back from an XML attribute: line breaks and tabs
    are spaces (XML attribute normalisation)."""
    return re.sub("[\t\n\r]", " ", INVALID.sub("\ufffd", s))


def text(s):
    """A string as it reads back from XML text (CDATA)."""
    return INVALID.sub("\ufffd", s)


def check_junit(path, run, schema):
    if schema is not None:
        schema.validate(path)
    xml = JUnitXml.fromfile(path)
    assert xml._elem.attrib["tests"] == str(sum(len(s["checks"]) for s in run["suites"]))
    suites = list(xml)
    assert len(suites) == len(run["suites"]), (len(suites), len(run["suites"]))
    for ts, s in zip(suites, run["suites"]):
        statuses = [c["status"] for c in s["checks"]]
        assert ts.name == attribute(f"{s['dataset']} ({s['file']})"), ts.name
        raw = ts._elem.attrib  # what the file says, not junitparser's recount
        expected = {
            "tests": len(statuses),
            "failures": statuses.count("fail"),
            "errors": statuses.count("error"),
            "skipped": statuses.count("skipped"),
        }
        assert {k: int(raw[k]) for k in expected} == expected, (ts.name, raw, expected)
        assert datetime.fromisoformat(raw["timestamp"]) == datetime.fromisoformat(run["started_at"]), raw["timestamp"]
        cases = list(ts)
        assert len(cases) == len(s["checks"])
        for tc, c in zip(cases, s["checks"]):
            where = f"{s['dataset']}/{c['id']!r}"
            assert tc.name == attribute(c["id"]), (tc.name, c["id"])
            assert tc.classname == s["dataset"], where
            kinds = [type(r) for r in tc.result]
            status = c["status"]
            want = {"fail": [Failure], "error": [Error], "skipped": [Skipped]}.get(status, [])
            assert kinds == want, (where, status, kinds)
            if want:
                assert tc.result[0].type == c["kind"], where
                assert tc.result[0].message.startswith(attribute(c["message"])), (where, tc.result[0].message)
            if status == "pass":
                assert tc.system_out == text(c["message"]), (where, tc.system_out)
            if status == "warn":
                assert tc.system_out.startswith("warning: " + text(c["message"])), (where, tc.system_out)
            if status == "fail":
                assert "observed: " in tc.result[0].text or not c["observed"], where
    return len(suites), sum(len(list(ts)) for ts in suites)


def check_prometheus(path, run):
    with open(path, encoding="utf-8") as f:
        families = {f.name: f for f in text_string_to_metric_families(f.read())}
    assert sorted(families) == sorted([
        "probity_run_status", "probity_run_timestamp_seconds", "probity_run_duration_seconds",
        "probity_checks", "probity_suite_rows", "probity_check_status", "probity_check_observed",
    ]), sorted(families)
    for fam in families.values():
        assert fam.type == "gauge" and fam.documentation, fam
        assert all(s.name == fam.name and s.timestamp is None for s in fam.samples), fam.name

    run_status = {s.labels["status"]: s.value for s in families["probity_run_status"].samples}
    assert run_status == {st: float(st == run["status"]) for st in STATUSES if st != "skipped"}, run_status
    started = datetime.fromisoformat(run["started_at"]).timestamp()
    assert families["probity_run_timestamp_seconds"].samples[0].value == started
    assert families["probity_run_duration_seconds"].samples[0].value == run["duration_ms"] / 1000
    checks = [c for s in run["suites"] for c in s["checks"]]
    counts = {s.labels["status"]: s.value for s in families["probity_checks"].samples}
    assert counts == {st: sum(c["status"] == st for c in checks) for st in STATUSES}, counts
    rows = {(s.labels["suite"], s.labels["dataset"]): s.value for s in families["probity_suite_rows"].samples}
    assert rows == {(s["file"], s["dataset"]): s["rows"] for s in run["suites"]}, rows

    status = {}
    for smp in families["probity_check_status"].samples:
        key = (smp.labels["suite"], smp.labels["dataset"], smp.labels["check"])
        status.setdefault(key, {})[smp.labels["status"]] = (smp.value, smp.labels["kind"], smp.labels["severity"])
    observed = {}
    for smp in families["probity_check_observed"].samples:
        key = (smp.labels["suite"], smp.labels["dataset"], smp.labels["check"])
        observed.setdefault(key, {})[smp.labels["field"]] = smp.value
    expected_status, expected_observed = {}, {}
    for s in run["suites"]:
        for c in s["checks"]:
            key = (s["file"], s["dataset"], c["id"])  # label values come back exactly
            expected_status[key] = {st: (float(st == c["status"]), c["kind"], c["severity"]) for st in STATUSES}
            numbers = {k: v for k, v in c["observed"].items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
            if numbers:
                expected_observed[key] = numbers
    assert status == expected_status, set(status) ^ set(expected_status)
    assert observed == expected_observed, [(k, observed.get(k), v) for k, v in expected_observed.items() if observed.get(k) != v]
    return len(families), sum(len(f.samples) for f in families.values())


def main():
    out, xsd = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
    schema = None
    if xsd and os.path.exists(xsd):
        with open(xsd, encoding="utf-8") as f:
            source = f.read()
        # junit-4.xsd allows no attributes on <skipped>; JUnit 5, Surefire and
        # Jenkins' newer junit-10 schema give it `type` and `message`, which
        # carry the reason a check was skipped. Only that element is relaxed.
        bare = '<xs:element name="skipped" type="xs:string"/>'
        assert source.count(bare) == 1, "the schema's <skipped> changed: review the relaxation"
        source = source.replace(bare, (
            '<xs:element name="skipped"><xs:complexType mixed="true">'
            '<xs:attribute name="type" type="xs:string"/><xs:attribute name="message" type="xs:string"/>'
            '</xs:complexType></xs:element>'))
        schema = xmlschema.XMLSchema(source)
        print(f"junit: validating against {xsd} (<skipped> may carry type and message)")
    else:
        print("junit: no JUnit schema on disk, schema validation skipped")
    for name in ["fixture", "hostile"]:
        with open(os.path.join(out, f"{name}.json"), encoding="utf-8") as f:
            run = json.load(f)
        suites, cases = check_junit(os.path.join(out, f"{name}.xml"), run, schema)
        print(f"junit: {name}: {suites} suites, {cases} test cases match the JSON")
        families, samples = check_prometheus(os.path.join(out, f"{name}.prom"), run)
        print(f"prometheus: {name}: {families} families, {samples} samples match the JSON")
    print("consumers: 4 passed, 0 failed")


if __name__ == "__main__":
    main()
