#!/usr/bin/env bash
# Run `density-v1`: the shipped default (run default-v1, epoch 32) fine-tuned with the density stretch
# (--frames-per-char 3): a training input with fewer than 3 timesteps per character of its label
# (times a jitter, STRETCH_COUNT_JITTER) is stretched in width to reach it, by at most 2x; the app
# reads such an input twice, the second time stretched by its first reading's length. Lines get the
# frames that wide-v1's fixed 1.5x gave them, and words, which already have them, are left as they were.
# It is train-default.sh (same data mix and validation) with these flags appended, like train-wide.sh.
# Peak rate 1e-4, not wide-v1's 3e-4: with 3e-4 (seed 1238, stopped after epoch 1) in-training val
# VNOnDB words went 10.4 -> 17.5 % and Kaggle names 28 -> 37 %, though neither is stretched much.
# Resumable: add --resume to continue OUT (default /work/runs/density-v1) from its last checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
export HWR_OUT=${HWR_OUT:-/work/runs/density-v1}
exec training/train-default.sh --init "${HWR_INIT:-resources/models/default.safetensors}" --frames-per-char 3 \
  --epochs 4 --schedule onecycle --lr 1e-4 --patience 0 --seed 1238 "$@"
