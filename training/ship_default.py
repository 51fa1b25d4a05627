"""Prepare a candidate for shipping as the default model, then gate it and copy it into place.

    python training/ship_default.py RUN/best.safetensors --out /tmp/candidate.safetensors
    training/gate-candidate.sh /tmp/candidate.safetensors
    python benchmarks/accuracy.py --model /tmp/candidate.safetensors --json > accuracy.json
    python training/ship_default.py /tmp/candidate.safetensors --metrics accuracy.json --no-recalibrate

The weights are kept; BatchNorm's running statistics are recomputed over batches of the model's own
training mixture (read from its metadata; see hwr_core/batchnorm.py for why), and the metadata gets
the shipped name, a one-line description and, with --metrics, the table `benchmarks/accuracy.py
--json` measured, so the app's Model tab and `hwr info` show them. Run from the repository root: the
recorded data paths are relative to it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hwr_core.batchnorm import recalibrate_batchnorm
from hwr_core.config import TrainConfig
from hwr_core.data.builder import build_training
from hwr_core.data.dataset import collate
from hwr_core.modelfile import ModelBundle, load_model, save_model

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "resources" / "models" / "default.safetensors"
PLAN_EPOCH = 7_777  # an epoch number the run never reaches: a fresh, fixed draw of batches


def recalibrate(bundle: ModelBundle, candidate: str, batches: int) -> int:
    training = bundle.metadata.get("training", {})
    specs = training.get("data", {}).get("train")
    if not specs:
        raise SystemExit(f"{candidate}: its metadata does not record the training data")
    cfg = TrainConfig(batch_size=training["config"]["batch_size"], seed=training["config"]["seed"])
    train_set = build_training(specs, [], cfg, init=candidate).train_set
    plan = train_set.batches(PLAN_EPOCH)[:batches]
    height = bundle.preprocess.height
    inputs = (collate(train_set.load_batch(s, idx, PLAN_EPOCH), height)[0] for s, idx in plan)
    return recalibrate_batchnorm(bundle.model, inputs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("candidate")
    ap.add_argument("--out", default=str(SHIPPED))
    ap.add_argument("--batches", type=int, default=150, help="training batches to average BatchNorm over")
    ap.add_argument("--no-recalibrate", action="store_true", help="keep the BatchNorm statistics as they are")
    ap.add_argument("--metrics", help="JSON written by benchmarks/accuracy.py --json")
    ap.add_argument("--name", default="default-v1")
    args = ap.parse_args()
    bundle = load_model(args.candidate)
    if not args.no_recalibrate:
        used = recalibrate(bundle, args.candidate, args.batches)
        bundle.metadata["batchnorm_recalibrated_batches"] = used
        print(f"BatchNorm statistics recomputed over {used} training batches")
    epochs = bundle.metadata.get("training", {}).get("epochs_done")
    bundle.metadata["name"] = args.name
    bundle.metadata["description"] = (
        f"HWR Studio's default model: English and Vietnamese handwriting, run default-v1 after "
        f"{epochs} epochs on a 2-core CPU. Card: resources/models/README.md."
    )
    if args.metrics:
        bundle.metadata["metrics"] = json.loads(Path(args.metrics).read_text(encoding="utf-8"))
    out = save_model(bundle, args.out)
    print(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
