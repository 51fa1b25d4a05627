"""How fast training steps run with the next batch loaded ahead on a worker thread, and without.
Prints figures.

    python benchmarks/training_throughput.py [--data SPEC ...] [--batches 40] [--rounds 2]

Each round trains a fresh model (run scratch2's network: variant small, height 32, inputs 1.5x
wide, bfloat16 autocast) for `--batches` batches of the mix given, once with `TrainConfig.prefetch`
off and once on, in alternating order; the first 3 batches of each are left out of the timing
(start-up). The batches are the same either way. Printed: seconds a batch for each, and their ratio
within each round (this shared machine's speed drifts between rounds, not within one).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

_DATA = "../shared/data"
_FONTS = "../shared/fonts"
_MIX = [  # run scratch2's sources (training/train-scratch2.sh), weights as there
    f"{_DATA}/vnondb_word/labels.tsv?weight=0.25",
    f"{_DATA}/vnondb_line/labels.tsv?weight=0.5",
    f"{_DATA}/cinnamon_vi/labels.tsv?weight=1",
    f"{_DATA}/kaggle_names/labels.tsv?weight=2",
    f"{_DATA}/iam_lines/labels.tsv?weight=1&untokenize=1",
    f"synth:{_FONTS}?n=6000&lang=en,vi&kind=mixed",
    f"synth:{_FONTS}?n=3000&lang=en,vi&kind=word&strokes=1&name=strokes",
    f"synth:{_FONTS}?n=3000&lang=en&kind=word&name=enwords",
    f"synth:{_FONTS}?n=2000&lang=en,vi&kind=number&strokes=0.5&name=numbers",
    f"synth:{_FONTS}?n=2000&lang=en,vi&kind=mixed&spaced=1&name=spaced",
]
_WARMUP = 3


def _seconds_a_batch(data: list[str], cfg: object, batches: int) -> float:
    from hwr_core.data.builder import build_training
    from hwr_core.training import BatchEnd, Trainer

    setup = build_training(data=data, val=[], cfg=cfg, variant="small", height=32, width_scale=1.5)  # type: ignore[arg-type]
    times: list[float] = []
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(setup.bundle, setup.train_set, None, cfg, Path(out))  # type: ignore[arg-type]
        for ev in trainer.fit(lambda: len(times) >= batches):
            if isinstance(ev, BatchEnd):
                times.append(time.perf_counter())
    return (times[-1] - times[_WARMUP - 1]) / (len(times) - _WARMUP)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", nargs="+", default=_MIX)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    from hwr_core.config import TrainConfig

    base = TrainConfig(
        epochs=1, batch_size=32, seed=1431, amp=True, schedule="plateau", int8_calibration_batches=0
    )
    for r in range(args.rounds):
        order = (False, True) if r % 2 == 0 else (True, False)
        seconds = {
            ahead: _seconds_a_batch(args.data, replace(base, prefetch=ahead), args.batches) for ahead in order
        }
        print(
            f"round {r + 1}: {seconds[False]:.3f} s a batch loaded in turn, {seconds[True]:.3f} s loaded ahead "
            f"({seconds[True] / seconds[False]:.2f}x)",
            flush=True,
        )


if __name__ == "__main__":
    main()
