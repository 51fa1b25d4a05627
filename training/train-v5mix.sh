#!/usr/bin/env bash
# Run `v5mix` (session 54; its rule in training/README.md, "Session 54, run `v5mix`"): vnword2's recipe
# (train-vnword2.sh: VNOnDB's words weighed 0.5, 6,000 synthetic English words, 2,000 written numbers,
# 2,000 spaced block capitals an epoch) from the shipped `default-v5` instead of the second network,
# its BatchNorm statistics frozen, constant rate 1e-5, 2 epochs. ~20 min an epoch alone here; resumes
# mid-epoch with --resume. Finished in session 54: its history and both epochs are in training/v5mix/.
set -euo pipefail
cd "$(dirname "$0")/.."
HWR_INIT=${HWR_INIT:-resources/models/default.safetensors} HWR_OUT=${HWR_OUT:-/work/runs/v5mix} \
  exec training/train-vnword2.sh --seed 1541 "$@"
