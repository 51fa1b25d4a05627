#!/usr/bin/env bash
# The default model's training run, exactly as launched (resumable: add --resume).
#   training/train-default.sh --resume            # continue OUT (default /work/runs/default-v1)
# Epochs 1-2 and the first 483 batches of epoch 3 (to step 1,815) ran in float32; from there on with
# --amp (bfloat16 autocast: this CPU has AMX, ~1.5-1.9x faster steps). Validation is float32 throughout.
# From epoch 9, batch 375 (step 5,703) on, preprocessing enlarges inputs under 64 px before thresholding
# (commit "Preprocess: enlarge inputs ..."); earlier steps saw small scans (Kaggle names) as blobs.
# From epoch 16, batch 17 (step 10,007) on, the mix adds 3,000 words an epoch written as canvas pen
# strokes (English and Vietnamese): until then VNOnDB's Vietnamese was the only canvas-like ink.
# From epoch 24, batch ~250 (session 4) on, BatchNorm statistics are recomputed over 100 training
# batches before each validation (--bn-recalibrate), so val CER, best-model choice and the plateau
# schedule stop reacting to which sources the epoch happened to end on.
# Session 3 stopped it after epoch 24; session 4 ran epochs 25-34 (7 h 17 min of training in all);
# session 6 ran epochs 35-38 with --keep-epoch-weights (8 h 9 min in all, lr now 1.56e-5; session
# 5's epochs were lost with its machine). The weights of epoch 32 shipped as
# resources/models/default.safetensors (see training/README.md for the ship -> gate -> confirm steps).
# To continue from the committed checkpoint on a fresh machine:
#   mkdir -p /work/runs/default-v1 && cp training/default-v1/last.ckpt.safetensors /work/runs/default-v1/
#   training/train-default.sh --resume
set -euo pipefail
cd "$(dirname "$0")/.."
D=${HWR_DATA:-../shared/data}
F=${HWR_FONTS:-../shared/fonts}
OUT=${HWR_OUT:-/work/runs/default-v1}  # HWR_PYTHON: the interpreter (default .venv/bin/python)
exec "${HWR_PYTHON:-.venv/bin/python}" -m hwr_core.cli train \
  --data "$D/vnondb_word/labels.tsv?weight=0.25" "$D/vnondb_line/labels.tsv?weight=0.5" \
         "$D/cinnamon_vi/labels.tsv?weight=1" "$D/kaggle_names/labels.tsv?weight=1" "$D/iam_lines/labels.tsv?weight=1" \
         "synth:$F?n=6000&lang=en,vi&kind=mixed" "synth:$F?n=3000&lang=en,vi&kind=word&strokes=1&name=strokes" \
  --val "$D/vnondb_word/labels.tsv?split=val" "$D/vnondb_line/labels.tsv?split=val" "$D/cinnamon_vi/labels.tsv?split=val" \
        "$D/kaggle_names/labels.tsv?split=val" "$D/iam_lines/labels.tsv?split=val" \
        "synth:$F?n=250&lang=en&kind=word&heldout=heldout" \
  --out "$OUT" --variant small --height 32 --epochs 100 --schedule plateau --lr 1e-3 \
  --batch-size 32 --patience 8 --val-max 1500 --bn-recalibrate 100 --keep-epoch-weights --checkpoint-every 200 --seed 1234 --amp --quiet "$@"
