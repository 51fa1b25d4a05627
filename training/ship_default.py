"""Prepare a candidate for shipping as the default model, then gate it and copy it into place.

    python training/ship_default.py RUN/best.safetensors --out /tmp/candidate.safetensors
    # or the mean of several epochs' weights (train with --keep-epoch-weights):
    python training/ship_default.py RUN/epochs/epoch-04{0,1,2,3}.safetensors --out /tmp/candidate.safetensors
    training/gate-candidate.sh /tmp/candidate.safetensors
    python benchmarks/accuracy.py --model /tmp/candidate.safetensors --json > accuracy.json
    python benchmarks/accuracy.py --model /tmp/candidate.safetensors --greedy --json > greedy.json
    python training/ship_default.py /tmp/candidate.safetensors --no-recalibrate \
        --metrics accuracy.json --metrics-greedy greedy.json

(training/ship_flow.sh WORK CANDIDATE... runs this whole sequence.)

The weights are kept (several candidates: their mean, see hwr_core/averaging.py); BatchNorm's
running statistics are recomputed over batches of the model's own training mixture (read from its
metadata; see hwr_core/batchnorm.py for why), and then the 8-bit engine's convolution ranges
(hwr_core/quantization.py; with --no-recalibrate, the file's are kept if they fit its weights, so
shipping a shipped file again changes nothing). Epochs of a run trained with `--freeze-batchnorm`
share their statistics, and their mean keeps them with --no-recalibrate. The metadata gets the
shipped name, a one-line description, the decoding it ships with (SHIPPED_DECODING) and, with
--metrics, the tables `benchmarks/accuracy.py --json` measured, so the app's Model tab and `hwr info` show them. Run
from the repository root: the recorded data paths are relative to it.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from hwr_core.averaging import average_models, recompute_statistics, share_batchnorm_statistics
from hwr_core.config import BUILTIN_LEXICON, BUILTIN_LM, INT8_CALIBRATION_BATCHES, DecodeConfig
from hwr_core.modelfile import load_model, save_model
from hwr_core.quantization import stored_ranges

REPO = Path(__file__).resolve().parents[1]
# How the app, the CLI and the selftest decode the shipped model unless told otherwise: beam search
# preferring the built-in English + Vietnamese word list, fused with the shipped character model
# (training/build-charlm.sh); measured in the model card against greedy and against no character model.
# Width 12 since session 28 (8 before): lines read 0.2-0.3 point better for 1.04-1.13x the time.
SHIPPED_DECODING = (
    DecodeConfig(decoder="beam", beam_width=12, n_best=5)
    .with_word_list(BUILTIN_LEXICON)
    .with_char_model(BUILTIN_LM)
)
SHIPPED = REPO / "resources" / "models" / "default.safetensors"


def run_name(command: str) -> str | None:
    """The run's folder name, from the recorded `hwr train ... --out RUN` command."""
    words = shlex.split(command)
    return Path(words[words.index("--out") + 1]).name if "--out" in words[:-1] else None


def epochs_text(training: dict, averaged: list[dict] | None) -> str:
    """The epochs a run had done, and which of them its weights are the mean of, if they are."""
    text = f"{training.get('epochs_done')} epochs"
    if averaged:
        text += (
            f" (the mean of its weights after epochs {', '.join(str(a['epochs_done']) for a in averaged)})"
        )
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("candidates", nargs="+", metavar="candidate", help="model file(s); several are averaged")
    ap.add_argument("--out", default=str(SHIPPED))
    ap.add_argument("--batches", type=int, default=150, help="training batches to average BatchNorm over")
    ap.add_argument("--no-recalibrate", action="store_true", help="keep the BatchNorm statistics as they are")
    ap.add_argument(
        "--int8-batches",
        type=int,
        default=INT8_CALIBRATION_BATCHES,
        help="training batches to measure the 8-bit convolutions' ranges on",
    )
    ap.add_argument("--metrics", help="JSON written by benchmarks/accuracy.py --json")
    ap.add_argument("--metrics-greedy", help="the same with --greedy, for comparison")
    ap.add_argument(
        "--name", help="the model's name (default: the name it has, else its training run's folder name)"
    )
    args = ap.parse_args()
    if len(args.candidates) > 1 and args.no_recalibrate and not share_batchnorm_statistics(args.candidates):
        raise SystemExit(
            "averaged weights need their BatchNorm statistics recomputed, unless the candidates share them "
            "(a run trained with --freeze-batchnorm): drop --no-recalibrate"
        )
    bundle = average_models(args.candidates) if len(args.candidates) > 1 else load_model(args.candidates[0])
    if args.no_recalibrate and stored_ranges(bundle) is not None:
        print("8-bit convolution ranges kept: they were measured on these weights")
    else:
        bn_batches = 0 if args.no_recalibrate else args.batches
        used, seen = recompute_statistics(bundle, args.candidates[-1], bn_batches, args.int8_batches)
        if used:
            print(f"BatchNorm statistics recomputed over {used} training batches")
        if seen:
            print(f"8-bit convolution ranges measured on {seen} training images")
    training = bundle.metadata.get("training", {})
    run = run_name(training.get("command", ""))
    # averaged_from: also when re-shipping an averaged candidate
    history = f"{run or 'unnamed'} after {epochs_text(training, bundle.metadata.get('averaged_from'))}"
    if before := bundle.metadata.get("init_training"):  # a second phase, started from the first's weights
        first = run_name(before.get("command", "")) or "unnamed"
        history += f", fine-tuned from run {first} after {epochs_text(before, before.get('averaged_from'))}"
    # A prepared candidate keeps the name it was given, so ship_flow.sh's second pass keeps it too.
    bundle.metadata["name"] = args.name or bundle.metadata.get("name") or run or "default"
    bundle.metadata["description"] = (
        # where each phase ran (a 2-core CPU, a lent GPU) is the card's to say, run by run
        f"HWR Studio's default model: English and Vietnamese handwriting, run {history}. "
        "Card: resources/models/README.md."
    )
    bundle.decode = SHIPPED_DECODING
    if args.metrics:
        bundle.metadata["metrics"] = json.loads(Path(args.metrics).read_text(encoding="utf-8"))
    if args.metrics_greedy:
        bundle.metadata["metrics_greedy"] = json.loads(Path(args.metrics_greedy).read_text(encoding="utf-8"))
    out = save_model(bundle, args.out)
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
