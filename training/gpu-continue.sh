#!/usr/bin/env bash
# Continue a resumable training run on a lent GPU machine (the `device` tool) and leave what a later
# session needs in $OUT. Run there from the repo root, `.gpu` carried (training/README.md, "On a lent
# GPU", has the whole recipe, the two calls and what session 49 measured):
#   training/gpu-continue.sh TRAIN_SCRIPT RUN_DIR SECONDS [more `hwr train` flags]
# e.g. training/gpu-continue.sh training/train-scratch2.sh training/scratch2 540 --loader-workers 14
# .gpu holds what the bare machine lacks: wheels/ (rapidfuzz, platformdirs), packs*/ (pack_data.py's
# packs, split over two calls: sets an earlier call unpacked are kept), fonts/ (../shared/fonts).
# RUN_DIR holds the run's last.ckpt.safetensors and history.jsonl. The trainer gets SIGTERM after
# SECONDS, saves a checkpoint between batches and stops. $OUT takes 8 files of at most 16 MiB, so the
# checkpoint comes back in 15 MiB parts (`cat last.ckpt.part-* > last.ckpt.safetensors` here),
# with history.jsonl, train.log and the newest 4 epochs' weights (older epochs stay behind).
set -euo pipefail
script=$1 run_dir=$2 seconds=$3
shift 3
G=.gpu
PY=${HWR_PYTHON:-python3}
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
"$PY" -c 'import rapidfuzz, platformdirs' 2>/dev/null ||
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$G"/wheels/*.whl
work=${GPU_WORK:-/root}  # a local dry run: GPU_WORK=/tmp/g DEVICE=cpu OUT=/tmp/g/out
data=$work/data run=$work/run
start=$(date +%s)
for packs in "$G"/packs*/; do "$PY" training/pack_data.py unpack "$packs" "$data"; done
echo "unpacked in $(($(date +%s) - start)) s"
mkdir -p "$run/epochs"
cp "$run_dir/last.ckpt.safetensors" "$run_dir/history.jsonl" "$run/"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
# What comes back: the checkpoint in parts, history, log, the newest 4 epochs' weights (8 files in
# all). Collected every minute as well, so a call cut short still brings back the last checkpoint.
collect() {
  [ -f "$run/last.ckpt.safetensors" ] || return 0
  split -b 15M "$run/last.ckpt.safetensors" "$OUT/last.ckpt.part-"
  cp "$run/history.jsonl" "$OUT/"
  [ -f "$run/train.log" ] && cp "$run/train.log" "$OUT/"
  rm -rf "$OUT/epochs" && mkdir -p "$OUT/epochs"
  # shellcheck disable=SC2012  # names are epoch-NNN.safetensors
  for f in $(ls -t "$run/epochs" | head -n 4); do cp "$run/epochs/$f" "$OUT/epochs/"; done
}
(while sleep 60; do collect; done) &
collector=$!
HWR_PYTHON=$PY HWR_DATA=$data HWR_FONTS=$G/fonts HWR_OUT=$run \
  timeout -s TERM -k 60 "$seconds" "$script" --resume --device "${DEVICE:-cuda}" "$@" || echo "trainer exit status $?"
kill "$collector"
wait "$collector" 2>/dev/null || true
collect
ls -la "$OUT" "$OUT/epochs"
