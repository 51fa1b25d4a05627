#!/usr/bin/env bash
# Run `vnword4` (session 52; its rule in training/README.md, "Session 52, run `vnword4`"): from
# vnword2's candidate (the mean of training/vnword2/epochs/, frozen statistics kept), vnword2's recipe
# (train-vnword2.sh: VNOnDB's words weighed 0.5) at a constant rate of 3e-5 instead of 1e-5, for 4
# epochs. ~27 min an epoch alone here; resumes mid-epoch with --resume. Its checkpoint and history
# are committed in training/vnword4/ at a session's end; on a machine without /work/runs/vnword4:
#   mkdir -p /work/runs/vnword4 && cp training/vnword4/* /work/runs/vnword4/ && training/train-vnword4.sh --resume
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${HWR_OUT:-/work/runs/vnword4}
START=${HWR_INIT:-$OUT-start.safetensors}
[[ -f $START ]] || "${HWR_PYTHON:-.venv/bin/python}" training/ship_default.py \
  training/vnword2/epochs/epoch-00{1,2}.safetensors --no-recalibrate --out "$START"
HWR_INIT=$START HWR_OUT=$OUT exec training/train-vnword2.sh --seed 1531 --lr 3e-5 --epochs 4 "$@"
