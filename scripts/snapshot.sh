#!/usr/bin/env bash
# Runs the sample county and prints every value it wrote (workbooks cell by
# cell, CSV files, run.json) as text. Diff two snapshots to see whether a
# change altered any output:
#
#   scripts/snapshot.sh > /tmp/before.txt
#   ... change the code ...
#   scripts/snapshot.sh > /tmp/after.txt && diff /tmp/before.txt /tmp/after.txt
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --quiet --bin tally --example dump_outputs
bin=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug
"$bin/tally" run --plan samples/plan.xlsx --inbox samples/inbox/2022-03 \
  --period 2022-03 --out "$work/out/2022-03" --store "$work/store" 2>/dev/null
"$bin/tally" template --plan samples/plan.xlsx --period 2022-03 \
  --out "$work/out/templates" --config samples/tally.toml 2>/dev/null
"$bin/examples/dump_outputs" "$work/out"
