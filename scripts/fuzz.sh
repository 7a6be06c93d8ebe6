#!/usr/bin/env bash
# Mutation fuzzing of the reading path for a bounded time (default 120 s):
# the corpus's spreadsheets, damaged at random, through tally's worker
# processes and the check (examples/fuzz_read.rs). Prints what it ran and
# found; exits 1 when a mutant broke the run (kept under fuzz-findings/).
#
#   scripts/fuzz.sh [SECONDS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
seed=${2:-$(date +%s)}
corpus=${TALLY_CORPUS:-../shared/corpus}
cargo build --quiet --bin tally --example fuzz_read
dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
"$dir/debug/examples/fuzz_read" "$corpus" "$seconds" "$seed" fuzz-findings
