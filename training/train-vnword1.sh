#!/usr/bin/env bash
# Run `vnword1` (session 49; its rule in training/README.md, "Session 42, run `scratch2`"): scratch2's
# candidate given one more gentle phase, phase 2's recipe with VNOnDB's words weighed 0.5.
# Finished in session 50 (its gate failed: not shipped); training/vnword1/ keeps its history and both
# epochs' weights, not a checkpoint. Run again from the start to recreate it (~45 min alone here).
set -euo pipefail
cd "$(dirname "$0")/.."
F=${HWR_FONTS:-../shared/fonts}
HWR_INIT=training/scratch2/p2/candidate.safetensors HWR_OUT=${HWR_OUT:-/work/runs/vnword1} HWR_WORD_WEIGHT=0.5 \
  HWR_IAM_OPTION='&untokenize=1' \
  HWR_EXTRA_DATA="synth:$F?n=3000&lang=en&kind=word&name=enwords synth:$F?n=2000&lang=en,vi&kind=number&strokes=0.5&name=numbers synth:$F?n=2000&lang=en,vi&kind=mixed&spaced=1&name=spaced" \
  exec training/train-kaggle3.sh --seed 1491 --bn-recalibrate 0 --freeze-batchnorm "$@"
