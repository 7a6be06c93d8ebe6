#!/usr/bin/env bash
# Benchmark: times `tally run` end to end on a synthetic inbox of N
# submissions × 40 indicators (default N=1000) and prints files per second
# and peak memory (the largest process: tally or one of its readers).
#
#   bench/run.sh            # 1,000 submissions
#   bench/run.sh 10000      # 10,000 submissions
#
# Release builds go to ~/.cache/tally/release-target (15-20 minutes the
# first time on 2 cores, because of polars).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
runs=${RUNS:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/tally/release-target}
cargo build --quiet --release --bin tally --example make_bench_inbox
bin=$CARGO_TARGET_DIR/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/examples/make_bench_inbox" "$n" "$work" >/dev/null
best=""
for i in $(seq "$runs"); do
  rm -rf "$work/out"
  /usr/bin/time -f '%e %M' -o "$work/time" \
    "$bin/tally" run --plan "$work/plan.xlsx" --inbox "$work/inbox" \
    --period 2022-03 --out "$work/out" 2>"$work/stderr" \
    || { cat "$work/stderr"; exit 1; }
  read -r secs kb < "$work/time"
  echo "run $i: ${secs} s, peak ${kb} KB"
  if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; peak=$kb; fi
done
accepted=$(grep -c ',accepted,' "$work/out/data/submissions.csv" || true)
awk -v n="$n" -v s="$best" -v kb="$peak" -v ok="$accepted" 'BEGIN{
  printf "tally run: %d submissions x 40 indicators (%d accepted): best %.2f s, %.0f files/s, peak memory %.0f MB\n", n, ok, s, n / s, kb / 1024 }'
