#!/usr/bin/env bash
# Run `vnword2` (session 51; its rule in training/README.md, "Session 51, run `vnword2`"): one more
# gentle phase from vnword1's candidate (the mean of training/vnword1/epochs/, frozen statistics
# kept), vnword1's recipe with VNOnDB's words still weighed 0.5 and twice the synthetic English
# words (6,000 an epoch instead of 3,000), whose share vnword1 had lowered. ~65 min alone here;
# resumes mid-epoch with --resume. train-vnword3.sh reuses it (HWR_INIT, HWR_WORD_WEIGHT, --seed);
# HWR_MORE_DATA adds sources to its mix (nib1, session 63).
set -euo pipefail
cd "$(dirname "$0")/.."
F=${HWR_FONTS:-../shared/fonts}
OUT=${HWR_OUT:-/work/runs/vnword2}
START=${HWR_INIT:-$OUT-start.safetensors}
[[ -f $START ]] || "${HWR_PYTHON:-.venv/bin/python}" training/ship_default.py \
  training/vnword1/epochs/epoch-00{1,2}.safetensors --no-recalibrate --out "$START"
HWR_INIT=$START HWR_OUT=$OUT HWR_WORD_WEIGHT=${HWR_WORD_WEIGHT:-0.5} HWR_IAM_OPTION='&untokenize=1' \
  HWR_EXTRA_DATA="synth:$F?n=6000&lang=en&kind=word&name=enwords${HWR_SYNTH_OPTION:-} synth:$F?n=2000&lang=en,vi&kind=number&strokes=0.5&name=numbers synth:$F?n=2000&lang=en,vi&kind=mixed&spaced=1&name=spaced ${HWR_MORE_DATA:-}" \
  exec training/train-kaggle3.sh --seed 1511 --bn-recalibrate 0 --freeze-batchnorm "$@"
