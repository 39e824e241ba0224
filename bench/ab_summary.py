"""Medians and ratios of a bench/timeit.sh run, as Markdown (bench/s3.sh,
bench/delta.sh): python bench/ab_summary.py OUT A/B ...

Reads OUT/timings.tsv and OUT/commit.txt; prints one row per command
(median, min and max wall seconds, median CPU seconds and peak RSS) and the
ratio of medians for each pair A/B given (pairs whose commands did not run
are left out)."""
import collections
import statistics
import sys

out, pairs = sys.argv[1], [p.split("/") for p in sys.argv[2:]]
rows = collections.defaultdict(list)
for line in open(f"{out}/timings.tsv"):
    name, _round, wall, rss, _code, user, sys_s, _load = line.split("\t")
    rows[name].append((float(wall), int(rss) / 1024, float(user) + float(sys_s)))
commit = open(f"{out}/commit.txt").read().strip()
print(f"commit {commit}; {len(next(iter(rows.values())))} runs each\n")
print("| command | median wall s | min s | max s | CPU s | peak RSS MB |")
print("|---|---:|---:|---:|---:|---:|")
med = {}
for name, r in rows.items():
    walls = [w for w, _, _ in r]
    med[name] = statistics.median(walls)
    print(
        f"| `{name}` | {med[name]:.2f} | {min(walls):.2f} | {max(walls):.2f} | "
        f"{statistics.median(c for _, _, c in r):.2f} | {statistics.median(m for _, m, _ in r):.0f} |"
    )
print("\n| ratio (medians) | wall |\n|---|---:|")
for a, b in pairs:
    if a in med and b in med:
        print(f"| `{a}` / `{b}` | {med[a] / med[b]:.2f}x |")
