#!/usr/bin/env bash
# Run `wide-v1`: the shipped default (run default-v1, epoch 32) fine-tuned to inputs stretched 1.5x
# horizontally (--width-scale 1.5), so that a character gets ~1.5x the CTC timesteps. It is
# train-default.sh (same data mix and validation) with these flags appended: argparse keeps the last
# value of a repeated flag, so they override that run's schedule, seed and output folder (--variant
# and --height do not apply with --init). One-cycle schedule: warm-up from 3e-5 to 3e-4, then down,
# which also spares the fresh AdamW state the full rate at its first steps (README: "Tried").
# Resumable: add --resume to continue OUT (default /work/runs/wide-v1) from its last checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
export HWR_OUT=${HWR_OUT:-/work/runs/wide-v1}
exec training/train-default.sh --init "${HWR_INIT:-resources/models/default.safetensors}" --width-scale 1.5 \
  --epochs 5 --schedule onecycle --lr 3e-4 --patience 0 --seed 1236 "$@"
