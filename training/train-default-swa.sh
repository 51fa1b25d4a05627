#!/usr/bin/env bash
# Phase 2 of the default model (session 6): from phase 1's weights after epoch 35 (lr had decayed to
# 6.25e-5 and val CER had stopped falling), the same data mix at a constant 1.25e-4, keeping every
# epoch's weights; the shipped model is the mean of them (stochastic weight averaging: a constant,
# moderate rate keeps the epochs apart, and their mean sits nearer the centre of the flat region than
# any one of them). BatchNorm statistics are recomputed for the mean (training/ship_default.py).
#   training/train-default-swa.sh            # start; add --resume to continue $HWR_OUT
set -euo pipefail
cd "$(dirname "$0")/.."
INIT=${HWR_INIT:-/work/runs/default-v1/epochs/epoch-035.safetensors}
HWR_OUT=${HWR_OUT:-/work/runs/default-v1-swa} exec training/train-default.sh --init "$INIT" \
  --schedule constant --lr 1.25e-4 --epochs 8 --seed 1235 "$@"
