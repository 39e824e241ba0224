#!/usr/bin/env python3
"""Inputs for bench/profile.sh, written to a folder outside the repo:

- variant suites of bench/suite20.yaml and bench/suite120.yaml: the fused scan
  alone (no `unique`, no `distinct_count`), `unique` alone, `distinct_count`
  alone, and the fused scan of suite20 plus one family of suite120's extra
  checks at a time;
- for each scalar variant, the same metrics hand-written as one SQL aggregate
  (the way examples/baseline.rs writes them: `count(col)` for non-null counts,
  `count(*) FILTER (WHERE <invalid>)` for invalid ones, identical aggregates
  written once), and for some a "probity form" that differs only in writing
  non-null counts as probity compiles them, `count(*) FILTER (WHERE x IS NOT NULL)`;
- micro-queries: 40 range predicates as `count(*) FILTER (WHERE p)` and as
  `bool_or(p)` (is it the FILTER machinery or the predicate?), duplicate
  keys grouped on an integer column instead of a string one, and value counts
  of string columns (what in_set/length/regex could be judged from).

    python3 bench/profile_inputs.py OUT_DIR
"""
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
GROUPED = ("unique:", "distinct_count")
MARK = "  # 100 more scalar checks (bench/make_suite120.py)"


def lit(v):
    return "'" + v.replace("'", "''") + "'" if isinstance(v, str) else repr(v)


def aggregates(check):
    """The hand-written aggregates of one check (grouped kinds have none here)."""
    (kind, p), = [(k, v) for k, v in check.items() if k not in ("name", "severity", "description")]
    if kind == "row_count":
        return ["count(*)"]
    if kind == "not_null":
        return [f"count(*) FILTER (WHERE {p} IS NULL)"]
    if kind == "missing":
        c, values = p["column"], p.get("values")
        cond = f"{c} IS NULL" + (f" OR {c} IN ({', '.join(map(lit, values))})" if values else "")
        return ["count(*)", f"count(*) FILTER (WHERE {cond})"]
    if kind == "between":
        c, strict = p["column"], p.get("strict", False)
        bad = f"{c} {'<=' if strict else '<'} {p['min']} OR {c} {'>=' if strict else '>'} {p['max']}"
        return [f"count({c})", f"count(*) FILTER (WHERE {bad})"]
    if kind == "in_set":
        c = p["column"]
        return [f"count({c})", f"count(*) FILTER (WHERE {c} NOT IN ({', '.join(map(lit, p['values']))}))"]
    if kind == "regex":
        c = p["column"]
        return [f"count({c})", f"count(*) FILTER (WHERE NOT regexp_like({c}, {lit(p['pattern'])}))"]
    if kind == "length":
        c = p["column"]
        return [f"count({c})", f"count(*) FILTER (WHERE NOT (character_length({c}) BETWEEN {p['min']} AND {p['max']}))"]
    if kind == "stat":
        c, m = p["column"], p["metric"]
        simple = {"mean": "avg", "stddev": "stddev", "variance": "var_samp", "min": "min", "max": "max"}
        if m in simple:
            return [f"{simple[m]}({c})"]
        if m == "approx_median":
            return [f"approx_median({c})"]
        if m == "quantile":
            return [f"percentile_cont({p['q']}) WITHIN GROUP (ORDER BY {c})"]
        if m == "approx_quantile":
            return [f"approx_percentile_cont({p['q']}) WITHIN GROUP (ORDER BY {c})"]
        if m == "distinct_count":
            return []
    if kind == "condition":
        return [f"count({p['where']})", f"count(*) FILTER (WHERE NOT ({p['where']}))"]
    if kind == "freshness":
        return [f"max({p['column']})"]
    if kind == "unique":
        return []
    raise SystemExit(f"profile_inputs.py: no hand-written form for {kind}")


def hand_sql(suite_text, probity_form=False):
    aggs = []
    for check in yaml.safe_load(suite_text)["checks"]:
        aggs += [a for a in aggregates(check) if a not in aggs]
    if probity_form:
        aggs = [f"count(*) FILTER (WHERE ({a[6:-1]}) IS NOT NULL)" if a.startswith("count(") and not a.startswith("count(*)") else a
                for a in aggs]
    return "SELECT\n  " + ",\n  ".join(aggs) + "\nFROM loans\n"


def family(line):
    kind = line.strip(" -").split(":")[0]
    if kind == "stat":
        return "stat_approx" if "quantile" in line or "median" in line else "stat_simple"
    if kind == "in_set":
        return "in_set_int" if "term_months" in line else "in_set_str"
    return kind


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    s20 = (HERE / "suite20.yaml").read_text().splitlines()
    s120 = (HERE / "suite120.yaml").read_text().splitlines()
    head = s20[: s20.index("checks:") + 1]
    checks20 = [l for l in s20 if l.startswith("  - ")]
    scalar20 = [l for l in s20 if not any(g in l for g in GROUPED)]
    extra = [l for l in s120[s120.index(MARK) + 1 :] if l.startswith("  - ")]
    suites = {
        "scalar20": scalar20,
        "scalar120": scalar20 + extra,
        "unique": head + [l for l in checks20 if "unique:" in l],
        "distinct": head + [l for l in checks20 if "distinct_count" in l],
    }
    for line in extra:
        suites.setdefault(f"scalar20+{family(line)}", list(scalar20)).append(line)
    for name, lines in suites.items():
        text = "\n".join(lines) + "\n"
        (out / f"{name}.yaml").write_text(text)
        if name.startswith("scalar"):
            (out / f"{name}.sql").write_text(hand_sql(text))
            (out / f"{name}.pform.sql").write_text(hand_sql(text, probity_form=True))

    between = [a for l in extra if l.strip().startswith("- between") for a in aggregates(yaml.safe_load(l[4:]))]
    preds = [a[len("count(*) FILTER (WHERE "):-1] for a in between if a.startswith("count(*) FILTER")]
    floor_aggs = "sum(amount), sum(income), sum(age), sum(score), sum(term_months)"
    for form, template in [("filter", "count(*) FILTER (WHERE {})"), ("bool_or", "bool_or({})")]:
        aggs = ",\n  ".join(template.format(p) for p in preds)
        (out / f"between40_{form}.sql").write_text(f"SELECT {floor_aggs},\n  {aggs}\nFROM loans\n")
    (out / "between40_none.sql").write_text(f"SELECT {floor_aggs}\nFROM loans\n")
    for key in ["application_id", "loan_id"]:
        (out / f"dup_keys_{key}.sql").write_text(
            f"SELECT count(*) FROM (SELECT {key} FROM loans GROUP BY {key} HAVING count(*) > 1)\n")
    (out / "email_scan.sql").write_text("SELECT sum(octet_length(email)) FROM loans\n")
    (out / "email_regex.sql").write_text(
        "SELECT sum(octet_length(email)), count(*) FILTER (WHERE NOT regexp_like(email, '^[^@\\s]+@[^@\\s]+$'))"
        " FROM loans\n")
    for column in ["purpose", "email"]:
        (out / f"value_counts_{column}.sql").write_text(
            f"SELECT count(*), sum(n) FROM (SELECT {column}, count(*) AS n FROM loans GROUP BY {column})\n")
    print(f"wrote {len(suites)} suites and their SQL to {out}")


if __name__ == "__main__":
    main()
