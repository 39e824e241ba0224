#!/usr/bin/env python3
"""Writes the `## Peers` and `## Memory at 100M rows` sections of BENCHMARKS.md
from the raw results of bench/peers/run.sh and bench/peers/memory.sh.

    python3 bench/peers/summarize.py peers  --results /root/bench-data/results-peers --out BENCHMARKS.md
    python3 bench/peers/summarize.py memory --results /root/bench-data/results-memory --data ... --rows N --out BENCHMARKS.md

Only its own section is replaced (or inserted before `## What stands in the
way`, where bench/summarize.py keeps sections it does not write); every other
section of the file is left as it is. The tables are computed here from the
raw timings; the hand-written notes come from bench/peers/peers_notes.md and
bench/peers/memory_notes.md and are appended as they are.
"""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
GIB_KB = 1024 * 1024

WHAT = {
    "probity_suite20": "probity, bench/suite20.yaml (the Rust binary; DataFusion)",
    "baseline_datafusion": "hand-written DataFusion (examples/baseline.rs, bench/run.sh's `baseline_concurrent`)",
    "polars_lazy": "ONE hand-written polars lazy query (bench/peers/polars_lazy.py)",
    "duckdb_sql": "ONE hand-written DuckDB SQL query (bench/peers/duckdb_sql.py)",
    "pandera_polars": "pandera DataFrameSchema on polars, lazy validation (bench/peers/pandera_polars.py)",
    "soda_duckdb": "Soda Core scan, SodaCL on DuckDB (bench/peers/soda/)",
    "gx": "Great Expectations 1.x, pandas, 20 expectations (bench/peers/gx.py)",
    "probity_fairness1": "probity, bench/peers/fairness1.yaml (1 fairness check, 1000-replicate bootstrap)",
    "fairlearn": "Fairlearn `demographic_parity_ratio` (bench/peers/fairness.py)",
}
# (peer, probity command it is compared with, target on peer/probity wall, kind)
TARGETS = [
    ("polars_lazy", "probity_suite20", 1.0, "probity no slower than polars lazy: polars / probity >= 1.0x"),
    ("baseline_datafusion", "probity_suite20", 1 / 1.2,
     "probity within 1.2x of hand-written DataFusion: probity / DataFusion <= 1.2x"),
    ("soda_duckdb", "probity_suite20", 2.0, "probity >= 2x faster than Soda + DuckDB: Soda / probity >= 2x"),
    ("gx", "probity_suite20", 10.0, "probity >= 10x faster than Great Expectations: GE / probity >= 10x"),
    ("fairlearn", "probity_fairness1", 50.0, "fairness >= 50x faster than Fairlearn: Fairlearn / probity >= 50x"),
]
KEY_PACKAGES = ["great_expectations", "soda-core", "soda-core-duckdb", "pandera", "polars", "duckdb", "pyarrow",
                "pandas", "fairlearn", "scikit-learn"]


class Runs:
    """The timings of one bench/timeit.sh output folder, by command name."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.by_name = defaultdict(list)
        for line in (self.folder / "timings.tsv").read_text().splitlines():
            name, _round, wall, rss, code, user, sys_, load = line.split("\t")
            self.by_name[name].append(dict(wall=float(wall), rss=int(rss), code=int(code),
                                           cpu=float(user) + float(sys_), load=float(load)))
        self.commands = dict(l.split("\t", 1) for l in (self.folder / "commands.tsv").read_text().splitlines())

    def med(self, name, key="wall"):
        return statistics.median(r[key] for r in self.by_name[name])

    def all(self, name, key):
        return [r[key] for r in self.by_name[name]]

    def loads(self):
        return [r["load"] for rs in self.by_name.values() for r in rs]


def machine():
    try:
        model = next(l.split(":", 1)[1].strip() for l in subprocess.run(
            ["lscpu"], capture_output=True, text=True).stdout.splitlines() if l.startswith("Model name"))
    except (OSError, StopIteration):
        model = "unknown"
    mem_kb = next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()
                  if l.startswith("MemTotal"))
    return f"{os.cpu_count()} cores (`lscpu` model name: {model}), {mem_kb / GIB_KB:.1f} GiB RAM, Linux {os.uname().release}"


def versions(path):
    found = {}
    for line in Path(path).read_text().splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
            found.setdefault(name.lower().replace("_", "-"), version)
    return ", ".join(f"{p} {found[p.lower().replace('_', '-')]}" for p in KEY_PACKAGES
                     if p.lower().replace("_", "-") in found)


def when(path):
    return datetime.datetime.fromtimestamp(Path(path).stat().st_mtime, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def notes(name):
    path = HERE / name
    return path.read_text().rstrip() + "\n" if path.exists() else ""


def peers_section(a):
    results = Path(a.results)
    m = Runs(results / "main")
    f = Runs(results / "fairness") if (results / "fairness" / "timings.tsv").exists() else None
    verdicts = json.loads((results / "verdicts.json").read_text())
    out = []
    w = out.append
    w("## Peers\n")
    w(f"Generated by `bench/peers/run.sh` (tables by `bench/peers/summarize.py`: rerun, do not edit them); "
      f"timings recorded on {when(results / 'main' / 'timings.tsv')}. Issue #6.\n")
    loads = m.loads() + (f.loads() if f else [])
    runs = max(len(v) for v in m.by_name.values())
    w(f"- Machine: {machine()}. Shared: others compile on it at times, so read the ratios, not the seconds.")
    w(f"- Data: `{a.data}`, {a.rows:,} rows, {Path(a.data).stat().st_size / 1e6:.0f} MB zstd Parquet "
      "(the table of the sections above). Every command is a whole process that reads the file itself "
      "(interpreter start and imports included), with the file in the page cache.")
    w(f"- Method: `bench/timeit.sh`, {runs} interleaved rounds after one untimed warm-up; wall time and peak RSS "
      "from `/usr/bin/time`; medians. CPU s = user + sys. Ratio = the command's median wall time / probity's. "
      "1-minute load average before each timed run: "
      f"median {statistics.median(loads):.2f}, range {min(loads):.2f} to {max(loads):.2f}.")
    commit = (results / "commit.txt").read_text().strip() if (results / "commit.txt").exists() else "unknown"
    w(f"- probity: the release binaries of bench/run.sh (`/root/bench-data/results/bin/`, built at commit {commit}).")
    if (results / "versions.txt").exists():
        w(f"- Peers (pinned by `bench/peers/setup.sh`; Python 3.11; all versions in "
          f"`{results}/versions.txt`): {versions(results / 'versions.txt')}.")
    w("- Command: `bench/peers/run.sh` (`RUNS=9 bench/peers/run.sh` for more runs).\n")

    w("### The 20 checks of bench/suite20.yaml on 10M rows\n")
    w("| command | what | median s | min s | max s | rows/s (median) | CPU s (median) | peak RSS MB (median) "
      "| ratio to probity (wall) |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    base = m.med("probity_suite20")
    for name in sorted(m.by_name, key=m.med):
        walls = m.all(name, "wall")
        bad = sorted({c for c in m.all(name, "code") if c != 0})
        flag = f" (exit codes {bad})" if bad else ""
        w(f"| `{name}` | {WHAT.get(name, name)}{flag} | {m.med(name):.2f} | {min(walls):.2f} | {max(walls):.2f} "
          f"| {a.rows / m.med(name) / 1e6:.2f} M | {m.med(name, 'cpu'):.2f} | {m.med(name, 'rss') / 1024:.0f} "
          f"| {m.med(name) / base:.2f}x |")
    w("")
    if f:
        fr = verdicts.get("fairness", {})
        w(f"### Fairness on 1M rows (`{a.fairness_data}`)\n")
        w("| command | what | median s | min s | max s | CPU s (median) | peak RSS MB (median) | ratio to probity (wall) |")
        w("|---|---|---:|---:|---:|---:|---:|---:|")
        fbase = f.med("probity_fairness1")
        for name in sorted(f.by_name, key=f.med):
            walls = f.all(name, "wall")
            w(f"| `{name}` | {WHAT.get(name, name)} | {f.med(name):.3f} | {min(walls):.3f} | {max(walls):.3f} "
              f"| {f.med(name, 'cpu'):.2f} | {f.med(name, 'rss') / 1024:.0f} | {f.med(name) / fbase:.1f}x |")
        w("")
        if fr:
            w(f"Same number: demographic_parity_ratio of `approved` across `gender` = {fr['probity']!r} (probity, "
              f"JSON rounded to 13 significant digits) and {fr['fairlearn']!r} (Fairlearn): they differ by "
              f"{fr['abs_difference']:.2g} (required: at most 1e-12).\n")

    w("### Targets (issue #6)\n")
    w("Judged on the ratio of median wall times. The ratio of median CPU times and of the fastest runs "
      "(least disturbed by a neighbour) are shown beside it.\n")
    w("| comparison | ratio of medians (wall) | ratio (CPU) | ratio of fastest runs (wall) | target | holds? |")
    w("|---|---:|---:|---:|---:|---|")
    for peer, ours, target, text in TARGETS:
        runs_of = f if ours == "probity_fairness1" else m
        if runs_of is None or peer not in runs_of.by_name or ours not in runs_of.by_name:
            w(f"| {text} | not measured | | | | |")
            continue
        if peer == "baseline_datafusion":  # stated as probity / DataFusion
            a_, b_ = ours, peer
        else:
            a_, b_ = peer, ours
        r = runs_of.med(a_) / runs_of.med(b_)
        rc = runs_of.med(a_, "cpu") / runs_of.med(b_, "cpu")
        rmin = min(runs_of.all(a_, "wall")) / min(runs_of.all(b_, "wall"))
        if peer == "baseline_datafusion":
            bound, holds = "<= 1.2x", r <= 1.2
        else:
            bound, holds = f">= {target:g}x", r >= target
        w(f"| {text} | {r:.2f}x | {rc:.2f}x | {rmin:.2f}x | {bound} | {'yes' if holds else '**no**'} |")
    w("")

    w("### Verdicts\n")
    clean = verdicts["clean"]
    agree = [p for p in clean if p != "probity"]
    w(f"`bench/peers/compare.py` ran probity and every peer with the same `--now {verdicts['now']}`: on the 10M-row "
      f"table, probity gives {sum(v == 'pass' for v in clean['probity'].values())} pass and "
      f"{sum(v == 'warn' for v in clean['probity'].values())} warn (freshness: the data is a snapshot), and "
      f"{', '.join(f'`{p}`' for p in agree)} give the same 20 verdicts"
      + (". " if not verdicts["problems"] else f"; **disagreements**: {verdicts['problems']}. "))
    if "dirty" in verdicts:
        d = verdicts["dirty"]["probity"]
        w(f"On the bundled dirty table (`datasets/dirty/loans.parquet`, 8000 rows) probity fails "
          f"{sum(v == 'fail' for v in d.values())} of the 20 checks, and every peer fails the same ones "
          "(so each peer's checks can fail, not only pass). "
          "Freshness is a warning everywhere: a peer's failed freshness check is reported as `warn`, as "
          "probity does for a check of severity warn.\n")
    w("Exact commands (stdout to /dev/null; run from the repository root):\n")
    w("```")
    for runs_of in [m] + ([f] if f else []):
        for name, cmd in runs_of.commands.items():
            w(f"{name}: {cmd}")
    w("```\n")
    text = "\n".join(out) + "\n" + notes("peers_notes.md")
    return "## Peers", text


def memory_section(a):
    results = Path(a.results)
    rows = []
    for line in (results / "memory.tsv").read_text().splitlines():
        name, limit, wall, rss, code, user, sys_, spill, err = (line.split("\t") + [""] * 9)[:9]
        rows.append(dict(name=name, limit=limit, wall=float(wall or 0), rss=int(rss or 0), code=int(code or 0),
                         cpu=float(user or 0) + float(sys_ or 0), spill=int(spill or 0), err=err.strip()))
    out = []
    w = out.append
    w("## Memory at 100M rows\n")
    w(f"Generated by `bench/peers/memory.sh` (tables by `bench/peers/summarize.py`: rerun, do not edit them); "
      f"measured on {when(results / 'memory.tsv')}. Issue #6: the whole suite under 1 GiB of peak RSS.\n")
    size = Path(a.data).stat().st_size / 1e9 if Path(a.data).exists() else float("nan")
    commit = (results / "commit.txt").read_text().strip() if (results / "commit.txt").exists() else "unknown"
    w(f"- Data: `{a.data}`, {a.rows:,} rows, {size:.2f} GB zstd Parquet "
      f"(`generate --rows {a.rows} --out /root/bench-data/100m --only loans`); drift reference: "
      "`/root/bench-data/loans_baseline.parquet` (1M rows).")
    w(f"- probity: `/root/bench-data/results/bin/probity` (built at commit {commit}), "
      "`probity check SUITE --data loans=<100M file> --memory-limit LIMIT --format json` "
      "(drift also `--data loans__reference=<baseline>`), one run each under `/usr/bin/time -v`.")
    w(f"- Machine: {machine()}; others were compiling, so wall times are indicative only.")
    w("- Peak RSS = `Maximum resident set size`; 1 GiB = 1024 MiB. Spill = `File system outputs` "
      "(what the process wrote: DataFusion's spill files).\n")
    w("### Whole suites\n")
    w("| suite | memory limit | wall s | CPU s | peak RSS MiB | under 1 GiB? | exit | written MB | error |")
    w("|---|---|---:|---:|---:|---|---:|---:|---|")
    what = {"suite20": "bench/suite20.yaml (20 checks)", "fairness2": "bench/fairness2.yaml",
            "drift10": "bench/drift10.yaml (10 drift tests)", "all3": "all three suites in one run"}
    for r in rows:
        if r["name"] in what:
            ok = "yes" if r["rss"] < GIB_KB and r["code"] in (0, 1) else "**no**"
            w(f"| {what[r['name']]} | {r['limit']} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['rss'] / 1024:.0f} "
              f"| {ok} | {r['code']} | {r['spill'] / 1024:.0f} | {r['err'].replace('|', '/')} |")
    per = [r for r in rows if r["name"].startswith("suite20_check")]
    if per:
        w(f"\n### suite20's checks one at a time ({per[0]['limit']})\n")
        w("| # | check | wall s | CPU s | peak RSS MiB | under 1 GiB? | exit | written MB | error |")
        w("|---:|---|---:|---:|---:|---|---:|---:|---|")
        for r in per:
            n = r["name"].removeprefix("suite20_check")
            suite = results / "suites" / f"check{n}.yaml"
            check = suite.read_text().splitlines()[-1].strip()[2:] if suite.exists() else "?"
            ok = "yes" if r["rss"] < GIB_KB and r["code"] in (0, 1) else "**no**"
            w(f"| {int(n)} | `{check}` | {r['wall']:.1f} | {r['cpu']:.1f} | {r['rss'] / 1024:.0f} | {ok} "
              f"| {r['code']} | {r['spill'] / 1024:.0f} | {r['err'].replace('|', '/')} |")
    sweep = [r for r in rows if r["name"] == "unique100m"]
    if sweep:
        w("\n### `unique: application_id` alone on 100M rows, by memory limit\n")
        w("Untracked = peak RSS minus the pool size: memory that DataFusion's pool does not account for.\n")
        w("| memory limit | wall s | CPU s | peak RSS MiB | untracked MiB | under 1 GiB? | exit | written MB | outcome |")
        w("|---|---:|---:|---:|---:|---|---:|---:|---|")
        for r in sweep:
            pool = size_mib(r["limit"])
            w(f"| {r['limit']} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['rss'] / 1024:.0f} "
              f"| {r['rss'] / 1024 - pool:.0f} | {'yes' if r['rss'] < GIB_KB and r['code'] == 0 else '**no**'} "
              f"| {r['code']} | {r['spill'] / 1024:.0f} | {outcome(r)} |")
    repro = [r for r in rows if r["name"].startswith("unique10m_run")]
    if repro:
        w(f"\n### `unique: application_id` alone on the 10M-row table at {repro[0]['limit']}, "
          f"{len(repro)} times\n")
        w("| run | wall s | CPU s | peak RSS MiB | exit | outcome |")
        w("|---:|---:|---:|---:|---:|---|")
        for r in repro:
            w(f"| {r['name'].removeprefix('unique10m_run')} | {r['wall']:.1f} | {r['cpu']:.1f} "
              f"| {r['rss'] / 1024:.0f} | {r['code']} | {outcome(r)} |")
    failed = next((r for r in rows if r["code"] == 2), None)
    if failed:
        err = (results / f"{failed['name']}_{failed['limit']}.err").read_text().rstrip()
        w(f"\nThe complete stderr of the first run that failed (`{failed['name']}` at {failed['limit']}, exit 2):\n")
        w("```")
        w(err)
        w("```")
    w("")
    text = "\n".join(out) + "\n" + notes("memory_notes.md")
    return "## Memory at 100M rows", text


def size_mib(limit):
    """'512M' -> 512, '1G' -> 1024 (probity's --memory-limit units, powers of 1024)."""
    n, unit = float(limit[:-1]), limit[-1].upper()
    return n * {"K": 1 / 1024, "M": 1, "G": 1024}[unit]


def outcome(r):
    if r["code"] == 0:
        return "completed"
    if r["code"] == 124:
        busy = r["cpu"] / r["wall"] if r["wall"] else 0
        what = "hung: killed by the time limit" if busy < 0.1 else "still running at the time limit"
        return f"{what} after {r['wall']:.0f} s with {r['cpu']:.1f} s of CPU"
    if "exhausted" in r["err"].lower():
        return "error: Resources exhausted"
    return f"error (exit {r['code']})"


def replace_section(path, heading, text):
    """Replaces the `## ` section `heading` of `path`, or inserts it: Peers before Memory, both before
    bench/findings.md's `## What stands in the way` (where bench/summarize.py keeps the sections it does
    not write), else at the end."""
    lines = path.read_text().splitlines() if path.exists() else []
    starts = [i for i, l in enumerate(lines) if l.startswith("## ")]
    new = text.rstrip("\n").splitlines()
    if heading in [lines[i] for i in starts]:
        i = next(i for i in starts if lines[i] == heading)
        end = next((j for j in starts if j > i), len(lines))
        lines[i:end] = new + [""]
    else:
        before = ["## What stands in the way"]
        if heading == "## Peers":
            before.insert(0, "## Memory at 100M rows")
        at = next((i for i in starts if any(lines[i].startswith(b) for b in before)), None)
        if at is None:
            lines += [""] + new
        else:
            lines[at:at] = new + [""]
    path.write_text("\n".join(lines).rstrip("\n") + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["peers", "memory"])
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default="/root/bench-data/loans.parquet")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--fairness-data", default="/root/bench-data/1m/loans.parquet")
    a = ap.parse_args()
    heading, text = (peers_section if a.what == "peers" else memory_section)(a)
    if re.search(r"^## ", text.split("\n", 1)[1], re.M):
        raise SystemExit(f"{a.what}: a `## ` heading inside the section would split it")
    replace_section(Path(a.out), heading, text)


if __name__ == "__main__":
    main()
