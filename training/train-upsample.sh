#!/usr/bin/env bash
# Run `upsample-v1`: the shipped default (run default-v1, epoch 32) fine-tuned to emit two CTC frames
# per network step (--ctc-upsample 2): the same input and network, a head twice as wide, so dense
# writing gets twice the CTC timesteps per character (VNOnDB lines: median 1.9 -> 3.8). The head's
# rows start as copies, so the model first reads as before. It is train-default.sh (same data mix
# and validation) with these flags appended: argparse keeps the last value of a repeated flag, so
# they override that run's schedule, seed and output folder (--variant and --height do not apply
# with --init). The first epoch trains only the BiLSTM and head (backbone frozen), so the
# convolutions, which words depend on, are not pushed around while the head learns its new frames.
# Resumable: add --resume to continue OUT (default /work/runs/upsample-v1) from its last checkpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
export HWR_OUT=${HWR_OUT:-/work/runs/upsample-v1}
exec training/train-default.sh --init "${HWR_INIT:-resources/models/default.safetensors}" --ctc-upsample 2 \
  --epochs 4 --schedule onecycle --lr 2e-4 --freeze-backbone-epochs 1 --patience 0 --seed 1239 "$@"
