#!/usr/bin/env bash
# Benchmark: what the plan's validation rules (规则) cost `tally check`.
# Times `tally check` on a synthetic inbox of N submissions × 40
# indicators (default N=1000) against the same plan without and with R
# rules (default 40), and prints both medians and their difference.
#
#   bench/rules.sh            # 1,000 submissions, 40 rules
#   bench/rules.sh 1000 40
#
# Release builds go to ~/.cache/tally/release-target (15-20 minutes the
# first time on 2 cores, because of polars).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
rules=${2:-40}
runs=${RUNS:-7}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/tally/release-target}
cargo build --quiet --release --bin tally --example make_bench_inbox
bin=$CARGO_TARGET_DIR/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/examples/make_bench_inbox" "$n" "$work" "$rules" >/dev/null
check() {
  "$bin/tally" check --plan "$1" --inbox "$work/inbox" --period 2022-03 --format json \
    >"$work/out.json" 2>/dev/null || [ $? -eq 1 ]
}
# Warm the page cache, and count what the rules found.
check "$work/plan-rules.xlsx"
found=$(grep -o '"rule_violated"' "$work/out.json" | wc -l)
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
for plan in plan plan-rules; do
  for i in $(seq "$runs"); do
    s=$(date +%s.%N); check "$work/$plan.xlsx"; e=$(date +%s.%N)
    echo "$e - $s" | bc
  done | median > "$work/$plan.median"
done
without=$(cat "$work/plan.median"); with=$(cat "$work/plan-rules.median")
awk -v n="$n" -v r="$rules" -v a="$without" -v b="$with" -v f="$found" 'BEGIN{
  printf "tally check, %d submissions x 40 indicators: median %.3f s without rules, %.3f s with %d rules (%d violations): +%.3f s\n", n, a, b, r, f, b - a }'
