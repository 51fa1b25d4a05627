#!/usr/bin/env bash
# Run `canvas1` (session 56; its rule in training/README.md, "Session 56, run `canvas1`"): the
# shipped default-v6 given two more gentle epochs of its last phase's recipe (vnword2's), with half
# of VNOnDB's training words drawn as canvas strokes (`?strokes=0.5`: the ink traced and drawn again
# with the app's reading pen), since default-v6 reads Vietnamese written on the canvas worse than
# default-v5 did. Resumes mid-epoch with --resume.
set -euo pipefail
cd "$(dirname "$0")/.."
HWR_INIT=${HWR_INIT:-resources/models/default.safetensors} HWR_OUT=${HWR_OUT:-/work/runs/canvas1} \
  HWR_WORD_WEIGHT='0.5&strokes=0.5' exec training/train-vnword2.sh --seed 1561 "$@"
