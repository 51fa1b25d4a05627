#!/usr/bin/env bash
# Run `nib1` (session 63; its rule in training/README.md, "Session 63, run `nib1`"): the shipped
# default-v6 given two more gentle epochs of its last phase's recipe (vnword2's), plus 3,000 words
# an epoch written as strokes with a broad nib (`synth:...&strokes=1&nib=1`: thick across the nib's
# edge, hairline-thin along it, as a fountain pen or a school copybook hand writes), which it reads
# worse than the same strokes drawn with a round pen. Resumes mid-epoch with --resume.
set -euo pipefail
cd "$(dirname "$0")/.."
F=${HWR_FONTS:-../shared/fonts}
HWR_INIT=${HWR_INIT:-resources/models/default.safetensors} HWR_OUT=${HWR_OUT:-/work/runs/nib1} \
  HWR_MORE_DATA="synth:$F?n=3000&lang=en,vi&kind=word&strokes=1&nib=1&name=nib" \
  exec training/train-vnword2.sh --seed 1631 "$@"
