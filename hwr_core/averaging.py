"""Checkpoint averaging: the element-wise mean of several epochs' weights of one run.

Late in a run, with a small learning rate, consecutive epochs' weights sit around the same minimum;
their mean can generalise better than any one of them and does not swing with the sources the last
batches came from. Measure it before trusting it: for the default model, the mean of four late
epochs read Kaggle names far better and VNOnDB lines a little worse (resources/models/README.md).
BatchNorm's running statistics do not average meaningfully (they belong to each epoch's weights),
so recompute them on the averaged model (`recalibrate_on_training_data`), and then the 8-bit
engine's ranges (quantization.calibrate_on_mixture). `hwr average` runs all three.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from .batchnorm import recalibrate_on_mixture
from .config import TrainConfig
from .errors import ModelFileError
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


def recorded_training_mixture(bundle: ModelBundle, source: str | os.PathLike[str]) -> MixedTrainingSet:
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


def recalibrate_on_training_data(bundle: ModelBundle, train_set: MixedTrainingSet, batches: int) -> int:
    """Recompute BatchNorm statistics over `batches` batches of `train_set`. Returns the number of
    batches used, which the metadata records too (`batchnorm_recalibrated_batches`)."""
    used = recalibrate_on_mixture(bundle.model, train_set, batches)
    bundle.metadata["batchnorm_recalibrated_batches"] = used
    return used
