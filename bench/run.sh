#!/usr/bin/env bash
# Benchmark: tally against the cost of reading the cells. On a synthetic
# county of N submissions × 40 indicators (default N=1000) it times, in
# turn and RUNS times each (default 5), with fresh output folders:
#
#   floor  reading every cell of every inbox file with calamine on all
#          cores, nothing else (examples/floor.rs)
#   check  tally check --format json
#   text   tally check (its report for people, the default)
#   run    tally run
#
# and prints each median, its ratio to the floor's, and peak memory.
#
#   bench/run.sh            # 1,000 submissions
#   bench/run.sh 10000      # 10,000 submissions
#
# Release builds go to ~/.cache/tally/release-target (15-20 minutes the
# first time on 2 cores, because of polars).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
runs=${RUNS:-5}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/tally/release-target}
cargo build --quiet --release --bin tally --example make_bench_inbox --example floor
bin=$CARGO_TARGET_DIR/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/examples/make_bench_inbox" "$n" "$work" >/dev/null
plan=$work/plan.xlsx inbox=$work/inbox

# One timed command: appends "seconds peak_kb" to $work/<name>.times.
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" \
    || [ "$name" = check ] || [ "$name" = text ] || { cat "$work/stderr"; exit 1; }
  cat "$work/time" >> "$work/$name.times"
}
for i in $(seq "$runs"); do
  timed floor "$bin/examples/floor" "$inbox"
  timed check "$bin/tally" check --plan "$plan" --inbox "$inbox" --period 2022-03 --format json
  timed text "$bin/tally" check --plan "$plan" --inbox "$inbox" --period 2022-03
  # A new folder each time, deleted only at the end: creating files just
  # after deleting many in the same place is slow on ext4, which would
  # time the file system's bookkeeping, not tally.
  out=$(mktemp -d "$work/out.XXXX")
  timed run "$bin/tally" run --plan "$plan" --inbox "$inbox" --period 2022-03 --out "$out/out"
done
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
floor=$(cut -d' ' -f1 "$work/floor.times" | median)
echo "$n submissions x 40 indicators, median of $runs runs each, in turn:"
for name in floor check text run; do
  secs=$(cut -d' ' -f1 "$work/$name.times" | median)
  kb=$(cut -d' ' -f2 "$work/$name.times" | sort -n | tail -1)
  awk -v name="$name" -v s="$secs" -v f="$floor" -v kb="$kb" -v n="$n" 'BEGIN{
    printf "  %-6s %6.2f s  %5.1fx the floor  %5.0f files/s  peak %4.0f MB\n", name, s, s / f, n / s, kb / 1024 }'
done
