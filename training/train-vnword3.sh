#!/usr/bin/env bash
# Run `vnword3` (session 52; its rule in training/README.md, "Session 52, run `vnword3`"): one more
# gentle phase from vnword2's candidate (the mean of training/vnword2/epochs/, frozen statistics
# kept), vnword2's recipe (train-vnword2.sh) with VNOnDB's words weighed 1.0 instead of 0.5 (vnword2
# read them at 5.08 %, over the 5 % target default-v5 meets). ~75 min alone here; resumes mid-epoch
# with --resume.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${HWR_OUT:-/work/runs/vnword3}
START=${HWR_INIT:-$OUT-start.safetensors}
[[ -f $START ]] || "${HWR_PYTHON:-.venv/bin/python}" training/ship_default.py \
  training/vnword2/epochs/epoch-00{1,2}.safetensors --no-recalibrate --out "$START"
HWR_INIT=$START HWR_OUT=$OUT HWR_WORD_WEIGHT=1.0 exec training/train-vnword2.sh --seed 1521 "$@"
