#!/usr/bin/env bash
# Times commands: bench/timeit.sh OUT.tsv RUNS name=command ...
#
# Each command runs once untimed (warm-up: the data file ends up in the page
# cache; its stdout/stderr are kept next to OUT.tsv as NAME.out / NAME.err),
# then RUNS timed rounds, each round running every command once, so that noise
# from a busy neighbour spreads evenly over the commands. Before each timed run
# it waits (at most 2 minutes; QUIET_WAIT_ROUNDS=N: 2N seconds) while a rustc
# or clippy-driver is running.
# Writes the commands to commands.tsv next to OUT.tsv, and appends one line
# per run to OUT.tsv:
#   name  round  wall_s  peak_rss_kb  exit_code  user_s  sys_s  loadavg_1min
# Commands are split on spaces: paths must not contain any.
set -euo pipefail

out=$1 runs=$2
shift 2
dir=$(dirname "$out")
mkdir -p "$dir"

wait_quiet() {
  local i
  for i in $(seq "${QUIET_WAIT_ROUNDS:-60}"); do   # 2 s each
    pgrep -x rustc >/dev/null || pgrep -x clippy-driver >/dev/null || return 0
    sleep 2
  done
}

for spec in "$@"; do
  name=${spec%%=*} cmd=${spec#*=}
  printf '%s\t%s\n' "$name" "$cmd" >>"$dir/commands.tsv"
  code=0
  $cmd >"$dir/$name.out" 2>"$dir/$name.err" || code=$?
  # probity exits 1 when an error-severity check fails: still a complete run.
  if [[ $code -ne 0 && ! ($name == pr* && $code -eq 1) ]]; then
    echo "warm-up of $name failed (exit $code): $cmd" >&2
    cat "$dir/$name.err" >&2
    exit 1
  fi
done

for round in $(seq "$runs"); do
  for spec in "$@"; do
    name=${spec%%=*} cmd=${spec#*=}
    wait_quiet
    load=$(cut -d' ' -f1 /proc/loadavg)
    code=0
    /usr/bin/time -f '%e %M %U %S' -o "$dir/time.txt" $cmd >/dev/null 2>&1 || code=$?
    read -r wall rss user sys < <(tail -n 1 "$dir/time.txt")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "$wall" "$rss" "$code" "$user" "$sys" "$load" >>"$out"
    echo "round $round/$runs $name: ${wall}s, ${rss} KB, exit $code (load $load)" >&2
  done
done
