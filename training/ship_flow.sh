#!/usr/bin/env bash
# ship_default.py's whole sequence in one command, into a work folder (nothing is copied into place):
#   training/ship_flow.sh WORK CANDIDATE [CANDIDATE ...]   # several candidates: their mean is shipped
# WORK gets candidate.safetensors, gate.log, confirm.log, acc.json, readings.jsonl (every val sample's
# reading), acc_greedy.json and, if the gate and the confirmation pass, final.safetensors (the metrics
# in its metadata). Then `compare_candidates.py BASE.jsonl WORK/readings.jsonl` (BASE: the shipped
# model's `accuracy.py --readings`) applies the shipping rule; copy final.safetensors to
# resources/models/default.safetensors by hand only if it passes.
# The gate and confirmation run niced on one thread, beside training if need be; the accuracy tables
# time every read, so they get both cores: pause a training run meanwhile (kill -STOP, then -CONT).
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:?usage: ship_flow.sh WORK CANDIDATE [CANDIDATE ...]}
shift
PY=${HWR_PYTHON:-.venv/bin/python}
run() { OMP_NUM_THREADS=1 nice -n 19 "$PY" "$@"; }
mkdir -p "$W"
run training/ship_default.py "$@" --out "$W/candidate.safetensors"
training/gate-candidate.sh "$W/candidate.safetensors" > "$W/gate.log" 2>&1 || { tail -5 "$W/gate.log"; exit 1; }
run training/confirm_candidate.py "$W/candidate.safetensors" > "$W/confirm.log" 2>&1 || { tail -5 "$W/confirm.log"; exit 1; }
"$PY" benchmarks/accuracy.py --model "$W/candidate.safetensors" --json --readings "$W/readings.jsonl" > "$W/acc.json"
"$PY" benchmarks/accuracy.py --model "$W/candidate.safetensors" --greedy --json > "$W/acc_greedy.json"
run training/ship_default.py "$W/candidate.safetensors" --no-recalibrate --out "$W/final.safetensors" \
  --metrics "$W/acc.json" --metrics-greedy "$W/acc_greedy.json"
tail -1 "$W/gate.log"
tail -3 "$W/confirm.log"
