#!/usr/bin/env bash
# The shipped character language model (resources/models/default.charlm), exactly as built.
# Train splits only: the transcriptions of the real sets the default model trained on, IAM's with
# its tokenisation undone ("it 's here ," -> "it's here,"), plus the package's word lists,
# 4,000 generated numbers (session 19: without them "3.14" read as "314") and 2,000 words of the word
# lists in quotation marks (session 29: without them "'event'" read as "event").
#   training/build-charlm.sh [OUT]        # default: resources/models/default.charlm
set -euo pipefail
cd "$(dirname "$0")/.."
D=${HWR_DATA:-../shared/data}
OUT=${1:-resources/models/default.charlm}
exec "${HWR_PYTHON:-.venv/bin/python}" -m hwr_core.cli charlm \
  "$D/vnondb_line/labels.tsv?split=train" "$D/vnondb_word/labels.tsv?split=train" \
  "$D/cinnamon_vi/labels.tsv?split=train" "$D/kaggle_names/labels.tsv?split=train" \
  --untokenize "$D/iam_lines/labels.tsv?split=train" \
  --word-lists --numbers 4000 --quoted 2000 --order 6 --min-count 2 --out "$OUT"
