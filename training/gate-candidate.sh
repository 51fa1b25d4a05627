#!/usr/bin/env bash
# The shipping gate for a default-model candidate, fixed before any candidate was tried: the installed
# app's selftest ("hello" drawn as strokes, the bundled sample image) and the shipped-model tests
# (held-out fonts printed and drawn, English and Vietnamese, and words drawn on the app's canvas) must
# all pass on it; the word checks run under the model's own decoding and greedy (no word list).
# Runs niced on one thread so a training run beside it keeps its cores.
#   training/gate-candidate.sh /work/runs/default-v1/best.safetensors
set -euo pipefail
cd "$(dirname "$0")/.."
M=$(realpath "${1:?usage: gate-candidate.sh MODEL.safetensors}")
PY=${HWR_PYTHON:-.venv/bin/python}
export HWR_MODEL="$M" HWR_SHIPPED_MODEL="$M" QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=1
failed=0
nice -n 19 "$PY" -m app --selftest --model "$M" || failed=1
nice -n 19 "$PY" -m pytest -q -s -p no:cacheprovider tests/core/test_shipped_model.py \
  tests/app/test_shipped_model_gui.py || failed=1
if [ "$failed" = 0 ]; then echo "GATE PASSED: $M"; else echo "GATE FAILED: $M"; fi
exit "$failed"
