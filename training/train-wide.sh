#!/usr/bin/env bash
# Run `wide-v1`: the shipped default (run default-v1, epoch 32) fine-tuned to inputs stretched 1.5x
# horizontally (--width-scale 1.5), so that a character gets ~1.5x the CTC timesteps. Same data mix
# and validation as train-default.sh; one-cycle schedule (warm-up from 3e-5 to 3e-4, then down), which
# also spares the fresh AdamW state the full rate at its first steps (see README: "Tried").
# Resumable: add --resume to continue OUT (default /work/runs/wide-v1) from its last checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
D=${HWR_DATA:-../shared/data}
F=${HWR_FONTS:-../shared/fonts}
OUT=${HWR_OUT:-/work/runs/wide-v1}  # HWR_PYTHON: the interpreter (default .venv/bin/python)
INIT=${HWR_INIT:-resources/models/default.safetensors}
exec "${HWR_PYTHON:-.venv/bin/python}" -m hwr_core.cli train \
  --data "$D/vnondb_word/labels.tsv?weight=0.25" "$D/vnondb_line/labels.tsv?weight=0.5" \
         "$D/cinnamon_vi/labels.tsv?weight=1" "$D/kaggle_names/labels.tsv?weight=1" "$D/iam_lines/labels.tsv?weight=1" \
         "synth:$F?n=6000&lang=en,vi&kind=mixed" "synth:$F?n=3000&lang=en,vi&kind=word&strokes=1&name=strokes" \
  --val "$D/vnondb_word/labels.tsv?split=val" "$D/vnondb_line/labels.tsv?split=val" "$D/cinnamon_vi/labels.tsv?split=val" \
        "$D/kaggle_names/labels.tsv?split=val" "$D/iam_lines/labels.tsv?split=val" \
        "synth:$F?n=250&lang=en&kind=word&heldout=heldout" \
  --init "$INIT" --width-scale 1.5 --out "$OUT" --epochs 5 --schedule onecycle --lr 3e-4 \
  --batch-size 32 --patience 0 --val-max 1500 --bn-recalibrate 100 --keep-epoch-weights --checkpoint-every 200 --seed 1236 --amp --quiet "$@"
