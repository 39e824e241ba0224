#!/usr/bin/env python3
"""Turns the raw timings of bench/run.sh (and bench/profile.sh) into BENCHMARKS.md.

Every figure in the generated tables is computed here from the raw timings;
the hand-written analysis is read from bench/findings.md and appended as is.
Sections of the existing output that this script does not write (e.g. one
pasted from bench/stats.sh) are kept, after the generated ones.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
from collections import defaultdict
from pathlib import Path

WHAT = {
    "probity_suite20": "probity, bench/suite20.yaml (20 checks; exact p95)",
    "probity_suite20_approx": "probity, bench/suite20_approx.yaml (suite20 with the p95 by t-digest)",
    "probity_suite120": "probity, bench/suite120.yaml (120 checks)",
    "baseline_concurrent": "hand-written DataFusion (examples/baseline.rs), 3 queries at once",
    "baseline_serial": "hand-written DataFusion, the same 3 queries one after the other",
    "floor": "forced scan of the 12 columns the suite's checks name, trivial aggregates",
    "probity_suite20_shuffled": "probity, bench/suite20.yaml, on the shuffled shape",
    "probity_suite20_approx_shuffled": "probity, bench/suite20_approx.yaml, on the shuffled shape",
    "baseline_concurrent_shuffled": "hand-written DataFusion, 3 queries at once, on the shuffled shape",
}
FAMILIES = ["between", "in_set_int", "in_set_str", "stat_simple", "stat_approx", "missing", "condition"]
MICRO = {
    "micro_between40_none": "5 sums over the 5 numeric columns (the scan)",
    "micro_between40_filter": "the same + suite120's 40 range predicates as `count(*) FILTER (WHERE p)`",
    "micro_between40_bool_or": "the same + the 40 predicates as `bool_or(p)` (no FILTER)",
    "micro_dup_keys_application_id": "keys seen more than once, grouped on `application_id` (string)",
    "micro_dup_keys_loan_id": "keys seen more than once, grouped on `loan_id` (int64)",
    "micro_email_scan": "read `email`: `sum(octet_length(email))`",
    "micro_email_regex": "the same + suite20's regex check on `email` (10M `regexp_like` calls)",
    "micro_value_counts_purpose": "value counts of `purpose` (8 values): `GROUP BY purpose`",
    "micro_value_counts_email": "value counts of `email` (2000 values): `GROUP BY email`",
    "pr_suite20_tp1": "probity suite20, `--target-partitions 1`",
    "pr_suite20_tp2": "probity suite20, `--target-partitions 2` (the default here)",
    "pr_suite20_tp4": "probity suite20, `--target-partitions 4`",
}
TARGET_20 = 1.2
TARGET_120 = 1.3


class Runs:
    """Timed runs of one timeit.sh output folder, by command name."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.by_name = defaultdict(list)
        for line in (self.folder / "timings.tsv").read_text().splitlines():
            name, _round, wall, rss, code, user, sys_, load = line.split("\t")
            self.by_name[name].append(
                dict(wall=float(wall), rss=int(rss), code=int(code), cpu=float(user) + float(sys_), load=float(load)))
        self.commands = dict(
            l.split("\t", 1) for l in (self.folder / "commands.tsv").read_text().splitlines())

    def med(self, name, key="wall"):
        return statistics.median(r[key] for r in self.by_name[name])

    def all(self, name, key):
        return [r[key] for r in self.by_name[name]]

    def loads(self):
        return [r["load"] for rs in self.by_name.values() for r in rs]


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "unknown")
    mem_kb = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
    return f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.1f} GiB RAM, {platform.system()} {platform.release()}"


def statuses(path):
    """Check statuses counted from a probity JSON report, e.g. '19 pass, 1 warn'."""
    try:
        report = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return "no JSON output"
    counts = defaultdict(int)
    for suite in report["suites"]:
        for check in suite["checks"]:
            counts[check["status"]] += 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + f" (run status `{report['status']}`)"


def n_checks(path):
    return sum(1 for l in Path(path).read_text().splitlines() if l.startswith("  - "))


def main_section(w, m, rows):
    baseline = min(["baseline_concurrent", "baseline_serial"], key=m.med)
    w("## Results\n")
    w("| command | what | median s | min s | max s | rows/s (median) | CPU s (median) | peak RSS MB (median) |")
    w("|---|---|---:|---:|---:|---:|---:|---:|")
    for name in m.by_name:
        walls = m.all(name, "wall")
        bad = sorted({c for c in m.all(name, "code") if c != 0})
        flag = f" (exit codes {bad})" if bad else ""
        best = " **best baseline**" if name == baseline else ""
        w(f"| `{name}`{best} | {WHAT.get(name, name)}{flag} | {m.med(name):.2f} | {min(walls):.2f} | {max(walls):.2f} "
          f"| {rows / m.med(name) / 1e6:.1f} M | {m.med(name, 'cpu'):.2f} | {m.med(name, 'rss') / 1024:.0f} |")
    w("")

    def ratio(a, b):
        return f"{m.med(a) / m.med(b):.2f}x | {m.med(a, 'cpu') / m.med(b, 'cpu'):.2f}x"

    r20 = m.med("probity_suite20") / m.med(baseline)
    r120 = m.med("probity_suite120") / m.med("probity_suite20")
    w("## Targets\n")
    w("| ratio of medians | wall | CPU | target (wall) | holds? |")
    w("|---|---:|---:|---:|---|")
    w(f"| probity suite20 / best hand-written (`{baseline}`) | {ratio('probity_suite20', baseline)} | <= {TARGET_20}x "
      f"| {'yes' if r20 <= TARGET_20 else '**no**'} |")
    w(f"| probity suite120 / probity suite20 | {ratio('probity_suite120', 'probity_suite20')} | < {TARGET_120}x "
      f"| {'yes' if r120 < TARGET_120 else '**no**'} |")
    for a, b in [("probity_suite20", "floor"), ("probity_suite120", "floor"), (baseline, "floor"),
                 ("baseline_serial", "baseline_concurrent")]:
        w(f"| {a} / {b} | {ratio(a, b)} | (reported) | |")
    w("")
    w("## What each run did\n")
    for name in m.by_name:
        if name.startswith("probity"):
            w(f"- `{name}`: {statuses(m.folder / f'{name}.out')}.")
        else:
            inner = (m.folder / f"{name}.err").read_text().strip().replace("\n", "; ")
            w(f"- `{name}`, in-process time per query in the warm-up run: {inner}.")
    w("\nExact commands (stdout to /dev/null):\n")
    w("```")
    for name, cmd in m.commands.items():
        w(f"{name}: {cmd}")
    w("```\n")


def profile_section(w, p, inputs):
    w("## Breakdown (bench/profile.sh)\n")
    w("Each part of the suites run alone by probity (`pr_*`, a variant suite) and hand-written as one SQL "
      "aggregate (`hand_*`, `examples/baseline.rs --sql-file`, written as the baseline writes them). "
      "`scalar20` = suite20 without `unique` and `distinct_count` (the fused scan alone); "
      "`scalar20+F` = scalar20 plus suite120's extra checks of family F. "
      "Added CPU = CPU over the scalar20 run of the same side, per added check. "
      "\"Hand in probity form\" = the hand-written query with its non-null counts written as probity compiles "
      "them, `count(*) FILTER (WHERE x IS NOT NULL)` instead of `count(x)`. "
      f"Medians of {max(len(v) for v in p.by_name.values())} runs, whole process.\n")
    w("| part | checks | probity s | hand s | probity/hand (wall) | probity CPU s | hand CPU s "
      "| probity added CPU ms/check | hand added CPU ms/check | hand in probity form: s / CPU s | probity peak RSS MB |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    base_pr, base_hand = p.med("pr_scalar20", "cpu"), p.med("hand_scalar20", "cpu")
    for part in ["scalar20", "scalar120"] + [f"scalar20+{f}" for f in FAMILIES] + ["unique", "distinct"]:
        pr, hand = f"pr_{part}", f"hand_{part}"
        if pr not in p.by_name:
            continue
        n = n_checks(inputs / f"{part}.yaml")
        added = n - n_checks(inputs / "scalar20.yaml")
        per = ("", "")
        if part.startswith("scalar") and added > 0:
            per = (f"{(p.med(pr, 'cpu') - base_pr) / added * 1000:.0f}",
                   f"{(p.med(hand, 'cpu') - base_hand) / added * 1000:.0f}")
        pform = f"pform_{part}"
        pf = f"{p.med(pform):.2f} / {p.med(pform, 'cpu'):.2f}" if pform in p.by_name else ""
        w(f"| `{part}` | {n} | {p.med(pr):.2f} | {p.med(hand):.2f} | {p.med(pr) / p.med(hand):.2f}x "
          f"| {p.med(pr, 'cpu'):.2f} | {p.med(hand, 'cpu'):.2f} | {per[0]} | {per[1]} | {pf} "
          f"| {p.med(pr, 'rss') / 1024:.0f} |")
    w("")
    w("| micro-benchmark | what | median s | CPU s | peak RSS MB |")
    w("|---|---|---:|---:|---:|")
    for name, what in MICRO.items():
        if name in p.by_name:
            w(f"| `{name}` | {what} | {p.med(name):.2f} | {p.med(name, 'cpu'):.2f} | {p.med(name, 'rss') / 1024:.0f} |")
    w("\nProfile commands:\n")
    w("```")
    for name, cmd in p.commands.items():
        w(f"{name}: {cmd}")
    w("```\n")


def main():
    ap = argparse.ArgumentParser()
    for flag in ["results", "rows", "data", "findings", "out"]:
        ap.add_argument(f"--{flag}", required=True)
    ap.add_argument("--profile-inputs", default="/root/bench-data/profile-inputs")
    ap.add_argument("--shuffled-data", default="")
    a = ap.parse_args()
    rows = int(a.rows)
    m = Runs(Path(a.results) / "main")
    p = Runs(Path(a.results) / "profile") if (Path(a.results) / "profile" / "timings.tsv").exists() else None

    out = []
    w = out.append
    w("# Benchmarks\n")
    measured = datetime.datetime.fromtimestamp((m.folder / "timings.tsv").stat().st_mtime, datetime.UTC)
    w(f"Generated by `bench/run.sh`; timings recorded on {measured:%Y-%m-%d %H:%M} UTC. The tables are "
      "computed from the raw timings by `bench/summarize.py`: rerun, do not edit them. "
      "The analysis at the end comes from `bench/findings.md`.\n")
    w("## Setup\n")
    loads = m.loads() + (p.loads() if p else [])
    w(f"- Machine: {machine()}. Shared: another engineer compiles on it at times.")
    w(f"- Data: `{a.data}`, {rows:,} rows, {Path(a.data).stat().st_size / 1e6:.0f} MB zstd Parquet, 15 columns, "
      "row groups of 2^20 rows (`generate --rows 10000000 --out /root/bench-data --only loans`).")
    if a.shuffled_data and Path(a.shuffled_data).exists():
        w(f"- Second shape (rows named `*_shuffled`; issue 14): `{a.shuffled_data}`, {rows:,} rows, "
          f"{Path(a.shuffled_data).stat().st_size / 1e6:.0f} MB zstd Parquet, the same 15 columns with "
          "`application_id` an int64 key (a dense range in shuffled order), row groups of 1,000,000 rows, an "
          "e-mail address per loan of varied length (about 0.3% malformed), other weights for `purpose` and "
          "`country` (`generate --rows 10000000 --out /root/bench-data --only loans --shape shuffled`).")
    commit = (Path(a.results) / "commit.txt").read_text().strip()
    w(f"- Code: commit {commit} (when the binaries were built); release build.")
    w(f"- Method: whole-process wall time and peak RSS from `/usr/bin/time -f '%e %M %U %S'`, "
      f"{max(len(v) for v in m.by_name.values())} runs per command after one untimed warm-up (the file is then in "
      "the page cache), in interleaved rounds; before each run `bench/timeit.sh` waits (at most 2 minutes) "
      "while a rustc or clippy-driver process is running. DataFusion's default target partitions (= cores). "
      "Rows/s = rows / median wall time. CPU s = user + sys: a busy neighbour inflates it less than wall time.")
    w(f"- 1-minute load average just before each timed run: median {statistics.median(loads):.2f}, "
      f"range {min(loads):.2f} to {max(loads):.2f} (our own previous run contributes up to ~2).")
    w("- Command: `bench/run.sh` (`RUNS=9 bench/run.sh` for more runs, `PROFILE=0` to skip the breakdown).\n")
    main_section(w, m, rows)
    if p:
        profile_section(w, p, Path(a.profile_inputs))
    findings = Path(a.findings)
    findings_text = findings.read_text() if findings.exists() else ""
    generated = {l for l in ("\n".join(out) + "\n" + findings_text).splitlines() if l.startswith("## ")}
    for heading, body in sections(Path(a.out)):
        if heading not in generated:
            w(body.rstrip() + "\n")
    if findings_text:
        w(findings_text.rstrip() + "\n")
    Path(a.out).write_text("\n".join(out))


def sections(path):
    """The `## ` sections of an existing file, as (heading line, text)."""
    if not path.exists():
        return []
    found, current = [], None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            current = [line, [line]]
            found.append(current)
        elif current:
            current[1].append(line)
    return [(h, "\n".join(body)) for h, body in found]


if __name__ == "__main__":
    main()
