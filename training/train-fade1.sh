#!/usr/bin/env bash
# Run `fade1` (session 62; its rule in training/README.md, "Session 62, run `fade1`"): the shipped
# default-v6 given two more gentle epochs of its last phase's recipe (vnword2's), with half of the
# typeset synthetic texts (the mixed and the English words sources) drawn with their hairlines faded
# (`?fade=0.5`, `hwr_core.data.synth.fade_hairlines`): a copybook hand whose thin upstrokes a
# threshold loses reaches the network as its downstrokes alone, which it had never seen. Resumes
# mid-epoch with --resume.
set -euo pipefail
cd "$(dirname "$0")/.."
HWR_INIT=${HWR_INIT:-resources/models/default.safetensors} HWR_OUT=${HWR_OUT:-/work/runs/fade1} \
  HWR_SYNTH_OPTION='&fade=0.5' exec training/train-vnword2.sh --seed 1621 "$@"
