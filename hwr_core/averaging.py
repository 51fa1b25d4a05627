"""Checkpoint averaging: the element-wise mean of several epochs' weights of one run.

Late in a run, with a small learning rate, consecutive epochs' weights sit around the same minimum;
their mean can generalise better than any one of them and does not swing with the sources the last
batches came from. Measure it before trusting it: for the default model, the mean of four late
epochs read Kaggle names far better and VNOnDB lines a little worse (resources/models/README.md).
BatchNorm's running statistics do not average meaningfully (they belong to each epoch's weights),
so recompute them on the averaged model (unless the run trained with them frozen, so that every
epoch holds the same), and then the 8-bit engine's ranges, which follow from the weights too
(`recompute_statistics`). `hwr average` and training/ship_default.py run them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from .batchnorm import recalibrate_on_mixture
from .config import TrainConfig
from .errors import ModelFileError
from .model import batchnorm_layers
from .modelfile import ModelBundle, load_model

if TYPE_CHECKING:
    from .data.dataset import MixedTrainingSet


def average_models(paths: Sequence[str | os.PathLike[str]]) -> ModelBundle:
    """Load the model files and return the last one's bundle holding the mean of all their weights.

    Every file must have the same architecture and charset; integer buffers (BatchNorm's batch
    counters) are taken from the last file.
    """
    if not paths:
        raise ModelFileError("nothing to average: give at least one model file")
    bundles = [load_model(p) for p in paths]
    last = bundles[-1]
    for p, b in zip(paths, bundles, strict=True):
        if b.codec != last.codec or b.model.config != last.model.config or b.preprocess != last.preprocess:
            raise ModelFileError(
                f"{p}: another architecture, charset or preprocessing than {paths[-1]}; cannot average"
            )
    states = [b.model.state_dict() for b in bundles]
    mean = {
        k: torch.stack([s[k] for s in states]).mean(0) if v.is_floating_point() else v
        for k, v in states[-1].items()
    }
    last.model.load_state_dict(mean)
    last.metadata.pop("metrics", None)  # the last epoch's figures, not the mean's
    last.metadata["averaged_from"] = [
        {"file": os.fspath(p), "epochs_done": b.metadata.get("training", {}).get("epochs_done")}
        for p, b in zip(paths, bundles, strict=True)
    ]
    return last


def _batchnorm_statistics(bundle: ModelBundle) -> list[torch.Tensor]:
    """Every BatchNorm layer's running mean and variance, in module order."""
    return [t for m in batchnorm_layers(bundle.model) for t in (m.running_mean, m.running_var)]


def share_batchnorm_statistics(paths: Sequence[str | os.PathLike[str]]) -> bool:
    """Whether the model files hold the same BatchNorm statistics: epochs of a run trained with
    frozen statistics (`TrainConfig.freeze_batchnorm`), whose mean keeps them valid as they are."""
    stats = [_batchnorm_statistics(load_model(p)) for p in paths]
    return all(
        len(s) == len(stats[0]) and all(torch.equal(a, b) for a, b in zip(s, stats[0], strict=True))
        for s in stats[1:]
    )


def _recorded_training_mixture(bundle: ModelBundle, source: str | os.PathLike[str]) -> MixedTrainingSet:
    """The training mixture that the metadata of `source` (the file the bundle came from) records;
    relative data paths are read from the current folder, as they were recorded."""
    from .data.builder import build_training  # the data stack, only when recalibrating

    training = bundle.metadata.get("training", {})
    specs = training.get("data", {}).get("train")
    config = training.get("config", {})
    if not specs or "batch_size" not in config or "seed" not in config:
        raise ModelFileError(f"{source}: its metadata does not record the training data to recalibrate on")
    cfg = TrainConfig(batch_size=config["batch_size"], seed=config["seed"])
    return build_training(specs, [], cfg, init=os.fspath(source)).train_set


def recompute_statistics(
    bundle: ModelBundle, source: str | os.PathLike[str], bn_batches: int, int8_batches: int
) -> tuple[int, int]:
    """Recompute, on the training mixture that `source`'s metadata records, what follows from the
    weights without being learned: BatchNorm statistics over `bn_batches` batches (0 keeps them;
    the metadata records the count as `batchnorm_recalibrated_batches`), then the 8-bit engine's
    ranges over `int8_batches` (0 measures none). Returns (batches used, images seen)."""
    if bn_batches <= 0 and int8_batches <= 0:
        return 0, 0
    train_set = _recorded_training_mixture(bundle, source)
    used = seen = 0
    if bn_batches > 0:
        used = recalibrate_on_mixture(bundle.model, train_set, bn_batches)
        bundle.metadata["batchnorm_recalibrated_batches"] = used
    if int8_batches > 0:
        from .quantization import calibrate_on_mixture  # onnxruntime, only when measuring

        seen = calibrate_on_mixture(bundle, train_set, int8_batches)
    return used, seen
