#!/usr/bin/env bash
# Renders what people read, as they would print it: runs the sample county,
# writes the templates, and turns the consolidated workbook, every feedback
# workbook and every template into PNG pages through LibreOffice.
#
#   scripts/render.sh [OUT]      # default OUT: /tmp/tally-render
#
# Needs: apt-get install -y libreoffice-calc-nogui poppler-utils fonts-noto-cjk
# Pages land in OUT/png/<workbook>-<page>.png; look at every one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/tally-render}
rm -rf "$out"
mkdir -p "$out/pdf" "$out/png"
cargo build --quiet --bin tally
bin=${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}/debug/tally
"$bin" run --plan samples/plan.xlsx --inbox samples/inbox/2022-03 --period 2022-03 \
  --out "$out/run/2022-03" --config samples/tally.toml
"$bin" template --plan samples/plan.xlsx --period 2022-03 --out "$out/forms" \
  --config samples/tally.toml
books=("$out/run/2022-03/consolidated.xlsx" "$out"/run/2022-03/feedback/*.xlsx "$out"/forms/*.xlsx)
for book in "${books[@]}"; do
  name=$(basename "$(dirname "$book")")-$(basename "$book" .xlsx)
  cp "$book" "$out/pdf/$name.xlsx"
done
(cd "$out/pdf" && soffice --headless --convert-to pdf ./*.xlsx >/dev/null 2>&1)
for pdf in "$out"/pdf/*.pdf; do
  pdftoppm -png -r 70 "$pdf" "$out/png/$(basename "$pdf" .pdf)"
done
ls "$out/png" | wc -l | xargs echo "pages rendered:"
echo "$out/png"

# With DOCS=1, the README's pictures are made again from these pages: the
# first page of the consolidated workbook, the 分单位 and 重点项目 sheets,
# and 霍城镇's feedback (what to do) and 问题清单 (each issue with its cell).
if [ "${DOCS:-0}" = 1 ]; then
  page_with() { # PDF MARKER: the first page whose text holds MARKER
    local n
    n=$(pdfinfo "$1" | awk '/^Pages:/ {print $2}')
    for p in $(seq 1 "$n"); do
      if pdftotext -f "$p" -l "$p" "$1" - | grep -q "$2"; then echo "$p"; return; fi
    done
  }
  shot() { # PDF MARKER NAME
    local p
    p=$(page_with "$1" "$2")
    pdftoppm -png -r 90 -f "$p" -l "$p" -singlefile "$1" "docs/$3"
  }
  book="$out/pdf/2022-03-consolidated.pdf"
  shot "$book" "红色、黄色预警" overview
  shot "$book" "同类排名" matrix
  shot "$book" "计划项目数" projects
  shot "$out/pdf/feedback-霍城镇.pdf" "请改正" feedback
  shot "$out/pdf/feedback-霍城镇.pdf" "问题与改正方法" issue-list
  ls -l docs/*.png
fi
